// node-gyp's header downloads, as users pasted them (test/fixtures/node-gyp/real/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attempts, downloads, parseFixture, parseLines } from './tools-fixture.js';

test('node-gyp: `gyp http 200 URL` is a download (alone, under npm 10, under yarn berry)', () => {
  const alone = downloads(parseFixture('node-gyp/real/node-gyp3-headers.txt'));
  assert.deepEqual(alone.map((d) => [d.tool, d.kind, d.cached, d.filename, d.source]), [
    ['node-gyp', 'file', false, 'node-v4.4.5-headers.tar.gz', 'https://nodejs.org/download/release/v4.4.5/node-v4.4.5-headers.tar.gz'],
    ['node-gyp', 'file', false, 'SHASUMS256.txt', 'https://nodejs.org/download/release/v4.4.5/SHASUMS256.txt'],
  ]);
  const npm = parseFixture('node-gyp/real/npm10-gyp-headers.txt');
  assert.deepEqual(npm.map((e) => [e.type, e.type === 'download' && e.filename]), [['download', 'node-v22.23.1-headers.tar.gz']]);
  // A yarn 3 build log quoted in a code comment (search-index file id 37094607629), comment markers removed.
  const berry = downloads(parseLines([
    '➤ YN0000: │ dtrace-provider@npm:0.8.8 STDERR gyp http GET https://nodejs.org/download/release/v22.14.0/node-v22.14.0-headers.tar.gz',
    '➤ YN0000: │ dtrace-provider@npm:0.8.8 STDERR gyp http 200 https://nodejs.org/download/release/v22.14.0/node-v22.14.0-headers.tar.gz',
  ]));
  assert.deepEqual(berry.map((d) => [d.tool, d.filename]), [['node-gyp', 'node-v22.14.0-headers.tar.gz']]);
});

test("node-gyp: a failed header fetch is one failed try at its URL, and not npm's", () => {
  const timeout = parseFixture('node-gyp/real/npm8-gyp-etimedout.txt');
  assert.deepEqual(timeout.map((e) => e.type === 'network_attempt' && [e.tool, e.url_or_host, e.error]), [
    ['node-gyp', 'https://nodejs.org/download/release/v16.13.1/node-v16.13.1-headers.tar.gz', 'connect ETIMEDOUT 104.20.23.46:443'],
  ]);
  const cert = attempts(parseFixture('node-gyp/real/npm10-gyp-self-signed.txt'));
  assert.deepEqual(cert.map((a) => [a.tool, a.error]), [['node-gyp', 'SELF_SIGNED_CERT_IN_CHAIN']]);
});
