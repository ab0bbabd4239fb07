// setuptools' easy_install (test/fixtures/easy-install/real/README.md names each source): the files
// it fetched after `Best match:`, and its failed tries; pip's parser leaves its lines alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeLines, attempts, downloads, fixtureLines } from './tools-fixture.js';

const analyze = (name: string) => analyzeLines(fixtureLines(`easy-install/real/${name}`));

test('analyze: easy_install fetching dependencies: each sdist downloaded from its URL, not a local file pip processed', () => {
  const events = analyze('setup-py-deps-fetched.txt');
  assert.deepEqual(
    downloads(events).map((d) => [d.tool, d.kind, d.name, d.version, d.cached, d.source]),
    [
      ['easy_install', 'sdist', 'futures', '3.0.5', false, 'https://pypi.example/packages/55/db/97c1ca37edab586a1ae03d6892b6633d8eaa23b23ac40c7e5bbc55423c78/futures-3.0.5.tar.gz'],
      ['easy_install', 'sdist', 'click', '6.6', false, 'https://pypi.example/packages/7a/00/c14926d8232b36b08218067bcd5853caefb4737cda3f0a47437151344792/click-6.6.tar.gz'],
    ],
  );
  assert.deepEqual(attempts(events), []);
});

test("analyze: easy_install's `error: Can't download URL: 404 Not Found` is a failed try, not a download", () => {
  const events = analyze('find-links-404.txt');
  assert.deepEqual(downloads(events), []);
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), [['easy_install', 'http://dev.danse.us/packages/pathos-0.1a1.tgz', '404 Not Found']]);
});

test('analyze: `Download error on URL: reason` is a failed try at that URL (the colon is not the URL\'s), once', () => {
  assert.deepEqual(
    attempts(analyze('index-dns-failure.txt')).map((a) => [a.tool, a.url_or_host, a.error]),
    [
      ['easy_install', 'https://pypi.example/simple/rikeripsum/', 'Name or service not known'],
      ['easy_install', 'https://pypi.example/simple/', 'Name or service not known'],
    ],
  );
  assert.deepEqual(
    attempts(analyze('travis-tls-protocol.txt')).map((a) => [a.url_or_host, a.error]),
    [
      ['https://pypi.example/simple/pip/', '[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version (_ssl.c:590)'],
      ['https://pypi.example/simple/', '[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version (_ssl.c:590)'],
    ],
  );
});

test("analyze: an older `Download error: reason` is a failed try at the page of the `Reading` line before it", () => {
  assert.deepEqual(
    attempts(analyze('old-download-error-no-url.txt')).map((a) => [a.url_or_host, a.error]),
    [
      ['http://pypi.example/simple/pyccuracy/', 'Network is unreachable'],
      ['http://pypi.example/simple/pyccuracy/', 'Network is unreachable'],
      ['http://pypi.example/simple/', 'Network is unreachable'],
    ],
  );
});

test("analyze: pip's own `Processing FILE` of a local file stays pip's after easy_install ran", () => {
  const events = analyzeLines([...fixtureLines('easy-install/real/setup-py-deps-fetched.txt'), 'Processing ./dist/mypkg-1.0.tar.gz']);
  assert.deepEqual(
    downloads(events).filter((d) => d.tool === 'pip').map((d) => [d.name, d.version, d.cached]),
    [['mypkg', '1.0', true]],
  );
});

test('analyze: easy_install pasted as an indented code block is still easy_install (the download, from its URL)', () => {
  assert.deepEqual(
    downloads(analyze('verbose-indented-paste.txt')).map((d) => [d.tool, d.name, d.version, d.cached, d.source]),
    [['easy_install', 'git-fat', '0.2.3', false, 'https://pypi.example/packages/source/g/git-fat/git-fat-0.2.3.tar.gz']],
  );
});

test("analyze: a `Best match:` of a project already installed does not make pip's next download easy_install's", () => {
  const events = analyzeLines([
    'Searching for six',
    'Best match: six 1.16.0',
    'Adding six 1.16.0 to easy-install.pth file',
    'Finished processing dependencies for x==1.0',
    'Collecting requests',
    '  Downloading requests-2.31.0-py3-none-any.whl (62 kB)',
    'Installing collected packages: requests',
  ]);
  assert.deepEqual(downloads(events).map((d) => [d.tool, d.name]), [['pip', 'requests']]);
});
