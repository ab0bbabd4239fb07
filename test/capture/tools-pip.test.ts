import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipParser } from '../../src/capture/parsers/pip.js';
import { parseDistributionFilename, parsePipSize } from '../../src/capture/parsers/pip-files.js';
import type { CaptureEvent } from '../../src/capture/events.js';
import { createLogParser } from '../../src/capture/parsers/log-parser.js';
import { TOOL_PARSERS } from '../../src/capture/parsers/tools.js';
import { analyzeLines, attempts, byName, downloads, errors, fixtureLines, parseFixture, parseLines, splitLines } from './tools-fixture.js';

const PIP = [createPipParser];
const ALL_SEVEN = ['alpha', 'big-pkg', 'chunky', 'extra-thing', 'hefty', 'native', 'tiny-dep'];

test('pip sizes use powers of 1000, as pip prints them', () => {
  assert.equal(parsePipSize('957 bytes'), 957);
  assert.equal(parsePipSize('1.3 kB'), 1300);
  assert.equal(parsePipSize('16 kB'), 16000);
  assert.equal(parsePipSize('1.7 MB'), 1_700_000);
  assert.equal(parsePipSize('2.1 GB'), 2_100_000_000);
  assert.equal(parsePipSize('1.7MB'), 1_700_000);
  assert.equal(parsePipSize('lots'), null);
});

test('distribution file names give kind, PEP 503 name and version', () => {
  assert.deepEqual(parseDistributionFilename('Big_Pkg-3.2.1-py3-none-any.whl'), { kind: 'wheel', name: 'big-pkg', version: '3.2.1' });
  assert.deepEqual(parseDistributionFilename('numpy-2.2.6-1-cp311-cp311-manylinux_2_17_x86_64.whl'), { kind: 'wheel', name: 'numpy', version: '2.2.6' });
  assert.deepEqual(parseDistributionFilename('zope.interface-6.0.tar.gz'), { kind: 'sdist', name: 'zope-interface', version: '6.0' });
  assert.deepEqual(parseDistributionFilename('python-dateutil-2.8.2.tar.gz'), { kind: 'sdist', name: 'python-dateutil', version: '2.8.2' });
  assert.deepEqual(parseDistributionFilename('thing.zip'), { kind: 'sdist', name: null, version: null });
  assert.equal(parseDistributionFilename('notes.txt').kind, 'file');
});

test('pip download: one event per fetched wheel, with its Saved destination', () => {
  const events = parseFixture('pip/pip-download-fresh.txt', PIP);
  const got = downloads(events);
  assert.equal(got.length, 7, 'Downloading + Saved is one artifact');
  assert.deepEqual(got.map((e) => e.name).sort(), ALL_SEVEN);
  for (const e of got) {
    assert.equal(e.cached, false);
    assert.equal(e.kind, 'wheel');
    assert.equal(e.tool, 'pip');
    assert.match(e.source ?? '', /^http:\/\/127\.0\.0\.1:\d+\/files\//);
    assert.equal(e.destination, `./dl/${e.filename}`);
  }
  const named = byName(got);
  assert.equal(named.get('alpha')?.size, 976);
  assert.equal(named.get('alpha')?.version, '2.0.1');
  assert.equal(named.get('chunky')?.size, 17_000);
  assert.equal(named.get('hefty')?.size, 2_500_000);
  assert.equal(named.get('native')?.filename, 'native-0.9-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl');
  assert.equal(errors(events).length, 0);
});

test('pip download into a directory that has the files: cached, with their paths', () => {
  const got = downloads(parseFixture('pip/pip-download-again.txt', PIP));
  assert.equal(got.length, 7);
  assert.ok(got.every((e) => e.cached && e.destination === `/tmp/cap/dl/${e.filename}` && e.source === null));
});

test('pip install with a warm HTTP cache: "Using cached" is cached, with URL and size', () => {
  const got = downloads(parseFixture('pip/pip-install-cached.txt', PIP));
  assert.equal(got.length, 7);
  assert.ok(got.every((e) => e.cached));
  assert.equal(byName(got).get('hefty')?.size, 2_500_000);
  assert.match(byName(got).get('tiny-dep')?.source ?? '', /\/files\/tiny_dep-1\.1\.0-py3-none-any\.whl$/);
});

test('pip install from a wheelhouse (--find-links / local paths): Processing is cached', () => {
  const got = downloads(parseFixture('pip/pip-install-find-links.txt', PIP));
  assert.deepEqual(got.map((e) => e.name).sort(), ALL_SEVEN);
  assert.ok(got.every((e) => e.cached && e.source === `./dl/${e.filename}`));
  const local = downloads(parseFixture('pip/pip-install-local-files.txt', PIP));
  assert.deepEqual(local.map((e) => [e.name, e.version, e.cached]), [['chunky', '1.0', true], ['tiny-dep', '1.1.0', true]]);
});

test('pip install, fresh and verbose: downloads flushed at install time, none cached', () => {
  for (const file of ['pip/pip-install-fresh.txt', 'pip/pip-install-verbose.txt']) {
    const got = downloads(parseFixture(file, PIP));
    assert.equal(got.length, 3, file);
    assert.ok(got.every((e) => !e.cached && e.destination === null));
  }
});

test('pip on a terminal: CRLF, colour and \\r progress bars are not events', () => {
  const raw = splitLines(Buffer.from(fixtureLines('pip/pip-install-tty.raw.txt').join('\n')));
  const events = parseLines(raw, PIP);
  const got = downloads(events);
  assert.deepEqual(got.map((e) => [e.name, e.size]), [['hefty', 2_500_000], ['chunky', 17_000]]);
  // Same result when the bytes arrive in small chunks.
  const chunked = parseLines(splitLines(Buffer.concat([Buffer.from('x\r\n'), Buffer.from('  Downloading http://h/files/a-1.0-py3-none-any.whl (1.3 kB)\r\n')]), 3), PIP);
  assert.equal(downloads(chunked)[0]?.size, 1300);
  assert.equal(parseLines(['     \u2501\u2501\u2501\u2501 1.2/16.4 MB 3.1 MB/s eta 0:00:01'], PIP).length, 0);
});

test('pip --log file: timestamps, index pages, and the same artifacts as the console', () => {
  const events = parseFixture('pip/pip-log-download.log', PIP);
  const got = downloads(events);
  const pages = got.filter((e) => e.index);
  const files = got.filter((e) => !e.index);
  assert.deepEqual(pages.map((e) => e.name).sort(), ALL_SEVEN);
  assert.ok(pages.every((e) => /\/simple\/[a-z-]+\/$/.test(e.source ?? '')));
  assert.deepEqual(files.map((e) => e.name).sort(), ALL_SEVEN);
  assert.ok(files.every((e) => !e.cached && e.destination === `./dl3/${e.filename}` && e.size !== null));
  assert.ok(got.every((e) => /^2026-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/.test(e.timestamp ?? '')));
  const console = downloads(parseFixture('pip/pip-log-download.console.txt', PIP));
  assert.deepEqual(
    files.map((e) => [e.filename, e.size, e.source]).sort(),
    console.map((e) => [e.filename, e.size, e.source]).sort(),
  );
  const cached = downloads(parseFixture('pip/pip-log-install-cached.log', PIP)).filter((e) => !e.index);
  assert.deepEqual(cached.map((e) => [e.name, e.cached]), [['alpha', true], ['hefty', true], ['tiny-dep', true]]);
});

test('pip retries against a closed port are network attempts with the full URL', () => {
  const events = parseFixture('pip/pip-closed-port.txt', PIP);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [
    ['http://127.0.0.1:1/simple/alpha/', '[Errno 111] Connection refused'],
  ]);
  assert.deepEqual(errors(events).map((e) => e.message), [
    'Could not find a version that satisfies the requirement alpha (from versions: none)',
    'No matching distribution found for alpha',
  ]);
  // The log has the retry and the final try ("Could not fetch URL"), plus pip's own version check.
  const logged = attempts(parseFixture('pip/pip-log-closed-port.log', PIP));
  assert.deepEqual(logged.map((a) => a.url_or_host), [
    'http://127.0.0.1:1/simple/alpha/',
    'http://127.0.0.1:1/simple/alpha/',
    'http://127.0.0.1:1/simple/pip/',
  ]);
  assert.ok(logged.every((a) => a.error.includes('Connection refused') && a.timestamp !== null));
});

test('pip: unresolvable host and missing packages', () => {
  const dns = parseFixture('pip/pip-invalid-host.txt', PIP);
  assert.deepEqual(attempts(dns).map((a) => [a.url_or_host, a.error]), [
    ['http://no-such-host.invalid/simple/alpha/', '[Errno -2] Name or service not known'],
  ]);
  assert.equal(errors(parseFixture('pip/pip-missing.txt', PIP))[1]?.message, 'No matching distribution found for no-such-package');
  assert.match(errors(parseFixture('pip/pip-missing-version.txt', PIP))[0]?.message ?? '', /alpha==9\.9 \(from versions: 2\.0\.1\)/);
});

test('pip events carry the attribution they were parsed under', () => {
  const at = { service: 'api', step: 'RUN pip install -r req.txt' };
  const got = downloads(parseFixture('pip/pip-install-fresh.txt', PIP, at));
  assert.ok(got.length > 0 && got.every((e) => e.service === 'api' && e.step === at.step));
  const failed = parseFixture('pip/pip-closed-port.txt', PIP, at);
  assert.ok(attempts(failed).every((e) => e.service === 'api' && e.step === at.step));
  assert.ok(errors(failed).every((e) => e.service === 'api' && e.step === at.step));
});

test('pip 23.2.1 download of a URL that fails: the retry and the last try (from the traceback), at the URL pip used', () => {
  // Captured: `pip download --retries 1 -d DIR http://127.0.0.1:1/packages/alpha-1.0-py3-none-any.whl`
  // (and the same with an unresolvable host); the first index, https://pypi.example.org/simple,
  // is not where these files were fetched from.
  const refused = parseFixture('pip/pip-download-refused-url.txt');
  assert.deepEqual(attempts(refused).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['pip', 'http://127.0.0.1:1/packages/alpha-1.0-py3-none-any.whl', '[Errno 111] Connection refused'],
    ['pip', 'http://127.0.0.1:1/packages/alpha-1.0-py3-none-any.whl', '[Errno 111] Connection refused'],
  ]);
  // The traceback's chained exceptions (gaierror, NewConnectionError, MaxRetryError,
  // ConnectionError) are one try, not four DNS failures.
  const dns = parseFixture('pip/pip-download-dns-url.txt');
  assert.deepEqual(attempts(dns).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['pip', 'http://no-such-host.invalid/packages/alpha-1.0.tar.gz', '[Errno -2] Name or service not known'],
    ['pip', 'http://no-such-host.invalid/packages/alpha-1.0.tar.gz', '[Errno -2] Name or service not known'],
  ]);
  assert.equal(downloads(dns).length, 0);
});

test('pip retries name their server: old pips without WARNING:, file hosts other than the index, pip ≤ 22 final OSError', () => {
  // Lines as pasted in pip bug reports (pip 10–22), hosts replaced.
  const events = parseLines([
    'Looking in indexes: https://pypi.example.org/simple',
    'Collecting hardware',
    "  Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ConnectTimeoutError(<pip._vendor.urllib3.connection.VerifiedHTTPSConnection object at 0x7fce81235a90>, 'Connection to files.example.org timed out. (connect timeout=15)')': /packages/52/04/hardware-0.30.0.tar.gz",
    "  Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ProtocolError('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))': /simple/pyparsing/",
    "  WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ReadTimeoutError(\"HTTPSConnectionPool(host='files.example.org', port=443): Read timed out. (read timeout=15)\")': /packages/47/6a/wget-3.2.zip",
    "ERROR: Could not install packages due to an OSError: HTTPSConnectionPool(host='files.example.org', port=8443): Max retries exceeded with url: /packages/47/6a/wget-3.2.zip (Caused by NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused'))",
  ], PIP);
  assert.deepEqual(attempts(events).map((a) => a.url_or_host), [
    'https://files.example.org/packages/52/04/hardware-0.30.0.tar.gz',
    'https://pypi.example.org/simple/pyparsing/',
    'https://files.example.org/packages/47/6a/wget-3.2.zip',
    'https://files.example.org:8443/packages/47/6a/wget-3.2.zip',
  ]);
  assert.equal(attempts(events)[3]?.error, '[Errno 111] Connection refused');
  assert.equal(errors(events).length, 1);
});

test('pip on Windows: backslashed local paths name the file (one download per file, not two)', () => {
  // pip prints local paths through display_path(), i.e. with the platform's separator.
  const events = parseLines(splitLines(Buffer.from([
    'Collecting six==1.16.0\r',
    '  Downloading six-1.16.0-py2.py3-none-any.whl (11 kB)\r',
    'Saved .\\wheelhouse\\six-1.16.0-py2.py3-none-any.whl\r',
    'File was already downloaded c:\\build\\wheelhouse\\idna-3.4-py3-none-any.whl\r',
    'Processing c:\\build\\wheelhouse\\certifi-2023.7.22-py3-none-any.whl\r',
    'Successfully downloaded six\r',
  ].join('\n'))), PIP);
  assert.deepEqual(downloads(events).map((d) => [d.name, d.version, d.filename, d.cached, d.size]), [
    ['six', '1.16.0', 'six-1.16.0-py2.py3-none-any.whl', false, 11_000],
    ['idna', '3.4', 'idna-3.4-py3-none-any.whl', true, null],
    ['certifi', '2023.7.22', 'certifi-2023.7.22-py3-none-any.whl', true, null],
  ]);
  assert.equal(downloads(events)[0]?.destination, '.\\wheelhouse\\six-1.16.0-py2.py3-none-any.whl');
});

test('pip: a file whose transfer broke mid-way is no download but a network attempt at its URL', () => {
  // Captured: pip 23.2.1 `pip download --timeout 2 --retries 1 URL` against a local server
  // that stalls, or resets the connection, after 1000 of 100000 bytes.
  const timeout = parseFixture('pip/pip-download-read-timeout.txt');
  assert.equal(downloads(timeout).length, 0);
  assert.deepEqual(attempts(timeout).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['pip', 'http://127.0.0.1:18081/stall/alpha-1.0-py3-none-any.whl', 'Read timed out.'],
  ]);
  const reset = parseFixture('pip/pip-download-connection-reset.txt');
  assert.equal(downloads(reset).length, 0);
  assert.deepEqual(attempts(reset).map((a) => [a.url_or_host, a.error]), [
    ['http://127.0.0.1:18081/reset/alpha-1.0-py3-none-any.whl', "Connection broken: ConnectionResetError(104, 'Connection reset by peer')"],
  ]);
  // Inside a BuildKit step, a file from the index's file host (pip names only the file):
  // conbench/conbench#815, hosts replaced.
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service: null, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of [
    '#10 [4/6] RUN pip install -r requirements.txt',
    '#10 3.138 Collecting bokeh',
    '#10 3.146   Downloading bokeh-3.0.3-py3-none-any.whl (16.5 MB)',
    '#10 18.23      ━━━━━━╸                                  2.8/16.5 MB 44.0 MB/s eta 0:00:01',
    '#10 18.23 ERROR: Exception:',
    '#10 18.23 Traceback (most recent call last):',
    '#10 18.23   File "/usr/local/lib/python3.11/site-packages/pip/_vendor/urllib3/response.py", line 443, in _error_catcher',
    '#10 18.23     raise ReadTimeoutError(self._pool, None, "Read timed out.")',
    "#10 18.23 pip._vendor.urllib3.exceptions.ReadTimeoutError: HTTPSConnectionPool(host='files.example.org', port=443): Read timed out.",
    '#10 ERROR: process "/bin/sh -c pip install -r requirements.txt" did not complete successfully: exit code: 2',
  ]) parser.line(line);
  parser.end();
  assert.equal(downloads(events).length, 0);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error, a.step]), [
    ['https://files.example.org', 'Read timed out.', 'RUN pip install -r requirements.txt'],
  ]);
  // requests' ChunkedEncodingError is an OSError: pip says so on one line (pypa/pip#13965).
  const oneLine = parseLines([
    '  Downloading http://files.example.org/packages/pip-26.1-py3-none-any.whl (1.8 MB)',
    "ERROR: Could not install packages due to an OSError: ('Connection broken: IncompleteRead(36977 bytes read, 279 more expected)', IncompleteRead(36977 bytes read, 279 more expected))",
  ], PIP);
  assert.equal(downloads(oneLine).length, 0);
  assert.deepEqual(attempts(oneLine).map((a) => [a.url_or_host, a.error]), [
    ['http://files.example.org/packages/pip-26.1-py3-none-any.whl', 'Connection broken: IncompleteRead(36977 bytes read, 279 more expected)'],
  ]);
});

test('pip ≥ 25.1: a download that timed out is an attempt each time; resumed it is a download, given up it is an error', () => {
  // The lines of pip's Downloader and IncompleteDownloadError (pip/_internal/network/download.py),
  // as in logs pasted publicly, hosts replaced.
  const gaveUp = parseLines([
    'Collecting scipy',
    '  Downloading scipy-1.15.2-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl (37.6 MB)',
    '     ━━━━━━━━━━━━━╸━━━━━━━━━━━━━━━━━━━━━━━━━━ 12.8/37.6 MB 11.1 kB/s eta 0:37:22',
    '  WARNING: Connection timed out while downloading.',
    '  WARNING: Attempting to resume incomplete download (12.8 MB/37.6 MB, attempt 1)',
    '  Resuming download scipy-1.15.2-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl (12.8 MB/37.6 MB)',
    '  WARNING: Connection interrupted while downloading.',
    '',
    '[notice] A new release of pip is available: 25.1.1 -> 26.0.1',
    'error: incomplete-download',
    '',
    '× Download failed because not enough bytes were received (20.1 MB/37.6 MB)',
    '╰─> URL: https://files.example.org/packages/de/3c/scipy-1.15.2-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
    '',
    'note: This is an issue with network connectivity, not pip.',
    'hint: Consider using --resume-retries to enable download resumption.',
  ], PIP);
  const url = 'https://files.example.org/packages/de/3c/scipy-1.15.2-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl';
  assert.equal(downloads(gaveUp).length, 0);
  assert.deepEqual(attempts(gaveUp).map((a) => [a.url_or_host, a.error]), [
    [url, 'Connection timed out while downloading'],
    [url, 'Connection interrupted while downloading'],
  ]);
  assert.deepEqual(errors(gaveUp).map((e) => e.message), [`incomplete-download: Download failed because not enough bytes were received (20.1 MB/37.6 MB) (${url})`]);

  const resumed = parseLines([
    '  Downloading http://files.example.org/packages/nvidia_cudnn-9.1-py3-none-manylinux2014_x86_64.whl (88.0 MB)',
    '  WARNING: Connection timed out while downloading.',
    '  WARNING: Attempting to resume incomplete download (3.1 MB/88.0 MB, attempt 1)',
    '  Resuming download http://files.example.org/packages/nvidia_cudnn-9.1-py3-none-manylinux2014_x86_64.whl (3.1 MB/88.0 MB)',
    'Installing collected packages: nvidia-cudnn',
  ], PIP);
  assert.deepEqual(downloads(resumed).map((d) => [d.name, d.cached, d.size]), [['nvidia-cudnn', false, 88_000_000]]);
  assert.deepEqual(attempts(resumed).map((a) => [a.url_or_host, a.error]), [
    ['http://files.example.org/packages/nvidia_cudnn-9.1-py3-none-manylinux2014_x86_64.whl', 'Connection timed out while downloading'],
  ]);
});

test('pip rich errors (`error: reference` + `×` message) are errors', () => {
  // Captured: Debian 12's pip 23.0.1 installing into the system Python.
  assert.deepEqual(errors(parseFixture('pip/pip-externally-managed.txt', PIP)).map((e) => e.message), [
    'externally-managed-environment: This environment is externally managed',
  ]);
  // Another tool's `error:` line, or a `×` long after, is not pip's.
  assert.equal(parseLines(['error: could not compile `foo` (lib) due to 2 previous errors', '× boom'], PIP).length, 0);
  assert.equal(parseLines(['error: metadata-generation-failed', 'a', 'b', 'c', 'd', '× late'], PIP).length, 0);
});

test("pip: an index whose certificate pip does not trust — the last try's `Could not fetch URL …: There was a problem confirming the ssl certificate` is an attempt too", () => {
  // Captured: pip 23.2.1 `--retries 1` against a local HTTPS index with a self-signed
  // certificate; pip logs this last try at info level, so it is on the console.
  const events = parseFixture('pip/pip-ssl-self-signed.txt', PIP);
  const reason = "SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)'))";
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [
    ['https://127.0.0.1:18443/simple/alpha/', reason],
    ['https://127.0.0.1:18443/simple/alpha/', reason],
    ['https://127.0.0.1:18443/simple/pip/', reason],
  ]);
  // pip 9's form, as in AndreCox/PIBaker#7 and docker/docs#5233; and `timed out` (`--log`).
  const old = parseLines([
    'Could not fetch URL https://pypi.example.org/simple/pip/: There was a problem confirming the ssl certificate: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:661) - skipping',
    'Could not fetch URL https://pypi.example.org/simple/six/: timed out - skipping',
  ], PIP);
  assert.deepEqual(attempts(old).map((a) => [a.url_or_host, a.error]), [
    ['https://pypi.example.org/simple/pip/', '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:661)'],
    ['https://pypi.example.org/simple/six/', 'timed out'],
  ]);
});

test('pip VCS requirements: a clone pip resolved is a fetch; a clone git could not make is an attempt, and the failure one error', () => {
  // Captured: pip 23.2.1 `pip download git+http://127.0.0.1:1/example/mylib.git@v1.2.0#egg=mylib`.
  const refused = parseFixture('pip/pip-vcs-clone-refused.txt');
  assert.deepEqual(attempts(refused).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['git', 'http://127.0.0.1:1/example/mylib.git/', "Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server"],
  ]);
  assert.equal(errors(refused).length, 1, 'pip prints the subprocess failure twice');
  assert.match(errors(refused)[0]?.message ?? '', /^subprocess-exited-with-error: git clone /);
  // As pip ≥ 21 prints a clone (osrf/docker_images#609), hosts replaced.
  const cloned = parseLines([
    'Collecting ros_buildfarm',
    '  Cloning https://git.example.org/ros-infrastructure/ros_buildfarm.git (to revision master) to /tmp/pip-install-sir5b5sa/ros-buildfarm_3684',
    '  Running command git clone --filter=blob:none --quiet https://git.example.org/ros-infrastructure/ros_buildfarm.git /tmp/pip-install-sir5b5sa/ros-buildfarm_3684',
    '  Resolved https://git.example.org/ros-infrastructure/ros_buildfarm.git to commit 2b8c1f9e0d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c',
    '  Resolved /tmp/local-checkout to commit 2b8c1f9',
  ], PIP);
  assert.deepEqual(downloads(cloned).map((d) => [d.tool, d.kind, d.source, d.version, d.cached]), [
    ['pip', 'file', 'https://git.example.org/ros-infrastructure/ros_buildfarm.git', '2b8c1f9e0d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c', false],
  ]);
});

// Logs users pasted in GitHub issues: test/fixtures/pip/real/README.md gives each one's source.

test('pip real: `HTTP error 403 while getting URL` is a failed attempt at that URL (pip 24, and pip 1 without ERROR:)', () => {
  const new403 = parseFixture('pip/real/pip24-http-403.txt', PIP);
  const url = 'https://mirrors.tuna.tsinghua.edu.cn/pypi/web/packages/c9/bc/b7db44f5f39f9d0494071bddae6880eb645970366d0a200022a1a93d57f5/pip-25.0.1-py3-none-any.whl';
  assert.deepEqual(attempts(new403).map((a) => [a.url_or_host, a.error]), [[url, 'HTTP error 403']]);
  assert.equal(errors(new403).length, 2);
  assert.equal(downloads(new403).length, 0);
  const old403 = parseFixture('pip/real/pip1-http-403.txt', PIP);
  assert.deepEqual(attempts(old403).map((a) => [a.url_or_host, a.error]), [
    ['http://pygooglechart.slowchop.com/files/download/pygooglechart-0.3.0.tar.gz', 'HTTP error 403'],
  ]);
});

test("pip real: retries with no `Looking in indexes:` are at pip's default index, or at the URL a later line names", () => {
  // pip 20.3 behind a proxy, -v: the retried pages are pypi.org's.
  const proxy = parseFixture('pip/real/pip20-proxy-retries-verbose.txt', PIP);
  assert.deepEqual(attempts(proxy).map((a) => a.url_or_host).sort(), ['https://pypi.org/simple/pip/', 'https://pypi.org/simple/wheel/']);
  assert.match(attempts(proxy)[0]?.error ?? '', /^ProxyError\('Cannot connect to proxy\.'/);
  // A file on the default index is on its file host.
  assert.deepEqual(attempts(parseFixture('pip/real/pip21-file-retry-default-index.txt', PIP)).map((a) => [a.url_or_host, a.error]), [
    ['https://files.pythonhosted.org/packages/b5/da/6490afd3bb6e7c00e21050fbd6f1fc87ce7b3a0a5f6fb08ebde20a1f62b1/causalml-0.14.0.tar.gz', '[Errno 11001] getaddrinfo failed'],
  ]);
  // pip 9: the last try (`Could not fetch URL`, bare) names the old default index for the five retries.
  const old = attempts(parseFixture('pip/real/pip9-ssl-retries.txt', PIP));
  assert.equal(old.length, 6);
  assert.ok(old.every((a) => a.url_or_host === 'https://pypi.python.org/simple/pip/'));
  assert.equal(old[5]?.error, 'There was a problem confirming the ssl certificate');
  assert.match(old[0]?.error ?? '', /CERTIFICATE_VERIFY_FAILED/);
  const noSsl = attempts(parseFixture('pip/real/pip20-no-ssl-module.txt', PIP));
  assert.deepEqual(noSsl.map((a) => a.url_or_host), ['https://pypi.org/simple/numpy/', 'https://pypi.org/simple/numpy/']);
});

test('pip real: a connect or read timeout reads the same on every retry (no object address)', () => {
  const got = attempts(parseFixture('pip/real/pip-connect-timeout-retries.txt', PIP));
  const url = 'https://huggingface.co/hanamizuki-ai/insightface-releases/resolve/main/insightface-0.7.3-cp310-cp310-win_amd64.whl';
  assert.deepEqual(got.map((a) => [a.url_or_host, a.error]), [
    [url, 'Connection to huggingface.co timed out. (connect timeout=15.0)'],
    [url, 'Connection to huggingface.co timed out. (connect timeout=15.0)'],
  ]);
  const read = attempts(parseLines([
    "  WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ReadTimeoutError(\"HTTPSConnectionPool(host='files.example.org', port=443): Read timed out. (read timeout=15)\",)': /packages/f4/d5/x-1.1.8-py3-none-any.whl",
  ], PIP));
  assert.deepEqual(read.map((a) => a.error), ['Read timed out. (read timeout=15)']);
});

test("pip real: old pip's unprefixed `Retrying (…)` lines are pip's alone (no second, hostless DNS failure)", () => {
  const events = analyzeLines(fixtureLines('pip/real/pip9-retries-two-indexes.txt'));
  // Two indexes serve /simple/numpy/: which one each retry tried, pip does not say.
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), Array(4).fill(['pip', '/simple/numpy/', '[Errno -3] Temporary failure in name resolution']));
});

test('pip real: pip 18 ends a file it could not fetch with `Could not install packages due to an EnvironmentError` (no ERROR:)', () => {
  const events = analyzeLines(fixtureLines('pip/real/pip18-environment-error.txt'));
  const url = 'https://files.pythonhosted.org/packages/5f/25/e52d3f31441505a5f3af41213346e5b6c221c9e086a166f3703d2ddaf940/pip-18.0-py2.py3-none-any.whl';
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host]), [['pip', url], ['pip', url]]);
  assert.ok(attempts(events).every((a) => a.error.includes('CERTIFICATE_VERIFY_FAILED')));
  assert.deepEqual(errors(events).map((e) => e.message.slice(0, 54)), ['Could not install packages due to an EnvironmentError:']);
});

test('pip real: a file rejected by its hash (`THESE PACKAGES DO NOT MATCH THE HASHES`) is a failed attempt, not a download', () => {
  // The transfer was cut at 13.4 of 49.4 MB; pip (PyPI) named only the file, the list names its URL.
  const cut = parseFixture('pip/real/pip-hash-mismatch-truncated.txt', PIP);
  assert.equal(downloads(cut).length, 0);
  assert.deepEqual(attempts(cut).map((a) => [a.url_or_host, a.error]), [
    ['https://files.pythonhosted.org/packages/20/ca/8d1f93b92b032c8196fd24ea8c5c1c3678ccaae27848ac0cf1314ef3694d/timezonefinder-6.5.2.tar.gz', 'hash mismatch: got 7087087d93a677f2809bbb9be0a9375cd1da297984c8b3a223c3cc3a2de2046f'],
  ]);
  assert.equal(errors(cut).length, 1);
  // The file fetched before the rejected one is a download all the same.
  const piwheels = parseFixture('pip/real/pip-hash-mismatch-piwheels.txt', PIP);
  assert.deepEqual(downloads(piwheels).map((d) => [d.name, d.version, d.size]), [['duckduckgo-search', '2.8.5', 30_000]]);
  assert.deepEqual(attempts(piwheels).map((a) => [a.url_or_host, a.error]), [
    ['https://www.piwheels.org/simple/google-api-python-client/google_api_python_client-2.84.0-py2.py3-none-any.whl', 'hash mismatch: got 43b03880120c3d5f815'],
  ]);
  // A file from pip's cache that does not match stays what it was (no network failure):
  // rdbreak/rhcsa8env#17 (pip 20.2.3), Vagrant's line prefixes removed, the `Got` hash cut
  // where the stored copy of the issue ends.
  const cached = parseLines([
    'Collecting pexpect',
    '  Using cached pexpect-4.8.0-py2.py3-none-any.whl (59 kB)',
    'ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.',
    '    pexpect from https://files.pythonhosted.org/packages/39/7b/88dbb785881c28a102619d46423cb853b46dbccc70d3ac362d99773a78ce/pexpect-4.8.0-py2.py3-none-any.whl#sha256=0b48a55dcb3c05f3329815901ea4fc1537514d6ba867a152b581d69ae3710937:',
    '        Expected sha256 0b48a55dcb3c05f3329815901ea4fc1537514d6ba867a152b581d69ae3710937',
    '             Got        6927f1fa55c7b4e96e42f119d28b6',
  ], PIP);
  assert.deepEqual(downloads(cached).map((d) => [d.name, d.cached]), [['pexpect', true]]);
  assert.equal(attempts(cached).length, 0);
});

test('pip real: a hash-rejected file named by the list with no `(from …)` after its URL (`… from URL:`) is no download', () => {
  // levihsu/OOTDiffusion#217 (pip ≥ 22, Windows); the `Downloading` line, which the issue
  // leaves out, is the one pip prints before it checks the file.
  const url = 'https://files.pythonhosted.org/packages/8a/e7/c216fe520b877cf4fe03858c825cd2031ca3e81e455b89639c9b5ec91981/torch-2.0.1-cp310-cp310-win_amd64.whl';
  const events = parseLines([
    'Collecting torch==2.0.1',
    `  Downloading ${url} (172.3 MB)`,
    'ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.',
    `    torch==2.0.1 from ${url}:`,
    '        Expected sha256 7c84e44d9002182edd859f3400deaa7410f5ec948a519cc7ef512c2f9b34d2c4',
    '             Got        a6cd3e2fb74d5bc1fe37122a9d0c6145a8be557db7d0b670330831e376fb285e',
  ], PIP);
  assert.equal(downloads(events).length, 0);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [[url, 'hash mismatch: got a6cd3e2fb74d5bc1fe37122a9d0c6145a8be557db7d0b670330831e376fb285e']]);
  // devpi/devpi#967: a devpi mirror's URL (`%2Bf`), no `Downloading` line in the paste.
  const devpi = parseLines([
    'ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.',
    '    tensorflow==1.15.0 from https://pypi.xxx/root/pypi/%2Bf/1af/b2e573fe666eb/tensorflow-1.15.0-cp37-cp37m-win_amd64.whl:',
    '        Expected sha256 1afb2e573fe666eb0dd6a45dbb7679de622a318fcc1fc401fb7819068f2d858b',
    '             Got        86e464be3643f5797964a262fdc2d22f65849cc1cf21a9cd6966d7ce8dba22f5',
  ], PIP);
  assert.deepEqual(attempts(devpi).map((a) => a.url_or_host), ['https://pypi.xxx/root/pypi/%2Bf/1af/b2e573fe666eb/tensorflow-1.15.0-cp37-cp37m-win_amd64.whl']);
});

test("pipenv real: the output of the pip that failed, which pipenv repeats after `[pipenv.exceptions.InstallError]: `, is read as pip's", () => {
  const events = analyzeLines(fixtureLines('pip/real/pipenv-install-error-buildkit.txt'));
  assert.deepEqual(downloads(events).map((d) => [d.tool, d.kind, d.name, d.version, d.size, d.cached]), [
    ['pip', 'wheel', 'alembic', '1.8.1', 209_000, false],
    ['pip', 'wheel', 'click', '8.1.3', 96_000, false],
    ['pip', 'sdist', 'mysqlclient', '2.1.1', 88_000, false],
  ]);
  const pipErrors = errors(events).filter((e) => e.tool === 'pip').map((e) => e.message);
  assert.ok(pipErrors.includes('Could not build wheels for mysqlclient, which is required to install pyproject.toml-based projects'), pipErrors.join('\n'));
});

test("pip real: `WARNING: 401 Error, Credentials not correct for URL` (a private index refused the credentials) is a failed attempt at URL", () => {
  // pip 26.1.1 -v, from notes in a public repository (the index's token shown as the user wrote it).
  const url = 'https://corelink-api.humangr.com/pip/11111111-2222-3333-4444-555555555555/simple/requests/';
  const events = parseLines([
    'Using pip 26.1.1 from /usr/local/lib/python3.14/site-packages/pip (python 3.14)',
    'Looking in indexes: https://hugr:****@corelink-api.humangr.com/pip/11111111-2222-3333-4444-555555555555/simple/',
    `WARNING: 401 Error, Credentials not correct for ${url}`,
    'ERROR: Could not find a version that satisfies the requirement requests (from versions: none)',
    'ERROR: No matching distribution found for requests',
  ], PIP);
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), [['pip', url, 'HTTP error 401']]);
  assert.equal(errors(events).length, 2);
});

test('pip real: two URLs with one file name (GitHub archives, `master.zip`) are two downloads', () => {
  const got = downloads(parseFixture('pip/real/pip10-archive-urls.txt', PIP));
  assert.deepEqual(got.map((d) => [d.filename, d.source, d.size]), [
    ['master.zip', 'https://github.com/CoreSecurity/impacket/archive/master.zip', null],
    ['master.zip', 'https://github.com/AlessandroZ/pypykatz/archive/master.zip', 118_000],
  ]);
});

test('pip real: an archive URL whose file name has no project (`<commit>.tar.gz`) takes the name its `Collecting` line gave', () => {
  const got = downloads(parseFixture('pip/real/pip10-egg-archive.txt', PIP));
  assert.deepEqual(got.map((d) => [d.name, d.version, d.kind, d.cached]), [
    ['staticjinja', null, 'sdist', false],
    ['jinja2', '2.10', 'wheel', true],
    ['webassets', '0.12.1', 'sdist', true],
    ['babel', '2.6.0', 'wheel', true],
  ]);
  // A bare URL names no project (n1nj4sec/pupy#688).
  assert.ok(downloads(parseFixture('pip/real/pip10-archive-urls.txt', PIP)).every((d) => d.name === null));
});

test('pip real -v: a retry is at the server urllib3 just opened a connection to, not the page pip asked for before a redirect', () => {
  const got = attempts(parseFixture('pip/real/pip-verbose-redirect-proxy.txt', PIP));
  assert.deepEqual(got.map((a) => [a.url_or_host, a.error]), Array(2).fill(['https://pypi.org/simple/acr/', "ProxyError('Cannot connect to proxy.', error('Tunnel connection failed: 400 Bad Request',))"]));
  // The server an error names wins over the connection opened last (which may be another's).
  const named = attempts(parseLines([
    'Starting new HTTPS connection (1): files.example.org:443',
    "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ReadTimeoutError(\"HTTPSConnectionPool(host='pypi.example.org', port=443): Read timed out. (read timeout=15)\")': /simple/x/",
  ], PIP));
  assert.deepEqual(named.map((a) => a.url_or_host), ['https://pypi.example.org/simple/x/']);
  // `host:443` is the default port (pypa/pip#9190, pip 20.3 -v).
  assert.deepEqual(attempts(parseFixture('pip/real/pip20-proxy-retries-verbose.txt', PIP)).map((a) => a.url_or_host).sort(), ['https://pypi.org/simple/pip/', 'https://pypi.org/simple/wheel/']);
});

test('pip: a retried `-f` page (`Looking in links:`) is at that page', () => {
  // The retry is verbatim from pytorch/pytorch#51723 (`pip install torch==1.7.1+cu110 … -f
  // https://download.pytorch.org/whl/torch_stable.html`); the user left out the
  // `Looking in links:` line pip prints for that -f URL, given here as pip words it
  // (Wang-Lin-boop/GeminiMol#3 pasted one).
  const events = parseLines([
    'Looking in links: https://download.pytorch.org/whl/torch_stable.html',
    "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7ff99f4f7970>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /whl/torch_stable.html",
    'ERROR: Could not find a version that satisfies the requirement torch==1.7.1+cu110',
  ], PIP);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [
    ['https://download.pytorch.org/whl/torch_stable.html', '[Errno -3] Temporary failure in name resolution'],
  ]);
});

test('pip real: pip 1.x downloads — `x.tar.gz (324kB): 324kB downloaded` and `-v`\'s `Downloading from URL`', () => {
  const got = downloads(parseFixture('pip/real/pip1-downloads.txt', PIP));
  assert.deepEqual(got.map((d) => [d.kind, d.name, d.version, d.filename, d.size, d.cached, d.source]), [
    ['sdist', 'pymongo', '2.6.3', 'pymongo-2.6.3.tar.gz', 324_000, false, null],
    ['sdist', 'bottle', '0.11.6', 'bottle-0.11.6.tar.gz', 60_000, false, null],
    ['wheel', 'setuptools', '1.3.1', 'setuptools-1.3.1-py2.py3-none-any.whl', 549_000, false, null],
    ['sdist', 'cryptography', '0.2.1', 'cryptography-0.2.1.tar.gz', null, false, 'https://pypi.python.org/packages/source/c/cryptography/cryptography-0.2.1.tar.gz'],
  ]);
  // pip 1.5 -v names the URL after the file's progress line (pip/download.py, _download_url):
  // one download with both; an unknown size is the size downloaded.
  const both = downloads(parseLines([
    '  Downloading meld3-0.6.10.tar.gz (unknown size): 41Kb downloaded',
    '  Downloading from URL https://pypi.example.org/packages/source/m/meld3/meld3-0.6.10.tar.gz#md5=0123 (from https://pypi.example.org/simple/meld3/)',
  ], PIP));
  assert.deepEqual(both.map((d) => [d.name, d.size, d.source]), [['meld3', 41_000, 'https://pypi.example.org/packages/source/m/meld3/meld3-0.6.10.tar.gz']]);
});

test('pip real: a download whose progress bar stopped short (pip crashed, or the log ends there) is a failed attempt, not a download', () => {
  // wileewang/TransPixeler#5 (pip 23): the crash's traceback is cut before its last line.
  const crashed = parseLines([
    'Downloading torch-2.4.0-cp310-cp310-manylinux1_x86_64.whl (797.2 MB)',
    '   ━━━━━━━━━━━━━━━━━╺━━━━━━━━━━━━━━━━━━━━━━ 346.0/797.2 MB 201.3 kB/s eta 0:37:22',
    'ERROR: Exception:',
    'Traceback (most recent call last):',
  ], PIP);
  assert.equal(downloads(crashed).length, 0);
  assert.deepEqual(attempts(crashed).map((a) => [a.url_or_host, a.error]), [['torch-2.4.0-cp310-cp310-manylinux1_x86_64.whl', 'download stopped at 346.0/797.2 MB']]);
  assert.deepEqual(errors(crashed).map((e) => e.message), ['Exception:']);
  // p1r06u3/opencanary_web#58 (pip 20): pip's error glued to the bar it did not end.
  const glued = parseLines([
    'Downloading pip-20.2.1-py2.py3-none-any.whl (1.5 MB)',
    '     |▏                               | 10 kB 4.6 kB/s eta 0:05:22ERROR: Exception:',
    'Traceback (most recent call last):',
  ], PIP);
  assert.deepEqual(attempts(glued).map((a) => [a.url_or_host, a.error]), [['pip-20.2.1-py2.py3-none-any.whl', 'download stopped at 10 kB of 1.5 MB']]);
  assert.deepEqual(errors(glued).map((e) => e.message), ['Exception:']);
  // pypa/pip#9463 (pip 20): the user stopped pip during the last download.
  const stopped = parseLines([
    'Collecting fastai',
    '  Downloading fastai-2.2.5.tar.gz (45.5 MB)',
    '     |██████████████████████          | 30.9 MB 1.6 MB/s eta 0:00:10',
  ], PIP);
  assert.equal(downloads(stopped).length, 0);
  assert.deepEqual(attempts(stopped).map((a) => a.error), ['download stopped at 30.9 MB of 45.5 MB']);
  // A bar at its full size is a download whatever follows.
  const full = parseLines([
    '  Downloading distlib-0.3.0.zip (571 kB)',
    '     ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 572.0/572.0 kB 1.7 MB/s eta 0:00:00',
    '  Downloading pip-9.0.1-py2.py3-none-any.whl (1.3MB)',
    '    100% |████████████████████████████████| 1.3MB 1.1MB/s',
    'ERROR: Exception:',
  ], PIP);
  assert.deepEqual(downloads(full).map((d) => d.name), ['distlib', 'pip']);
});

test('pip real: Python 2 ends the traceback with the bare exception (`ReadTimeoutError: HTTPSConnectionPool(…): Read timed out.`)', () => {
  // pypa/pip#4134 (pip 8, Python 2; `Exception:` glued to the bar) and the last line of a
  // pip 7 traceback in a blog post (its 80-column wrap joined): the file did not arrive.
  const events = parseLines([
    '  Downloading pip-9.0.1-py2.py3-none-any.whl (1.3MB)',
    '    1% |▌                               | 20kB 4.1kB/s eta 0:04:58Exception:',
    'Traceback (most recent call last):',
    "  ReadTimeoutError: HTTPSConnectionPool(host='pypi.python.org', port=443): Read timed out.",
  ], PIP);
  assert.equal(downloads(events).length, 0);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [['https://pypi.python.org', 'Read timed out.']]);
  // Debian's pip (unvendored) names requests' own module; outside a pip traceback, a bare
  // exception name that names no urllib3 pool is not pip's.
  const debian = parseLines([
    'Exception:',
    "requests.packages.urllib3.exceptions.ProtocolError: ('Connection aborted.', error(104, 'Connection reset by peer'))",
  ], PIP);
  assert.deepEqual(attempts(debian).map((a) => a.error), ['Connection aborted.']);
  assert.equal(parseLines(["ProtocolError: ('Connection aborted.', error(104, 'Connection reset by peer'))"], PIP).length, 0);
});

test("pip claims only its own `ERROR:` lines: its messages anywhere, any other once pip is at work; apk's and phpcs' are not pip's", () => {
  // apk in a Singularity workshop's notes (a public repo) and phpcs in a German bug report
  // (a public repo's mirror of it): no pip in either.
  const others = parseLines([
    'apk update',
    'ERROR: Unable to lock database: Permission denied',
    'ERROR: Failed to open apk database: Permission denied',
    'ERROR: busybox-1.26.2-r4.trigger: failed to execute: No space left on device',
    'astrid@astrid-TravelMate-5760G:~$ phpcs -version',
    'ERROR: option "-r" not known',
  ], PIP);
  assert.deepEqual(errors(others), []);
  // pip's own words need no context (pypa/pip#6776, tuna/mirror-web#468, rdbreak/rhcsa8env#17).
  const pips = parseLines([
    'ERROR: Could not install packages due to an EnvironmentError: Failed to parse: https://***@url-to-pypi-server',
    'ERROR: Could not install requirement pip from https://pypi.example.org/packages/pip-25.0.1-py3-none-any.whl because of HTTP error 403 Client Error: Forbidden for url: https://pypi.example.org/packages/pip-25.0.1-py3-none-any.whl',
    "ERROR: Cannot uninstall 'PyYAML'. It is a distutils installed project and thus we cannot accurately determine which files belong to it which would lead to only a partial uninstall.",
    'ERROR: tensorboard 2.1.0 has requirement grpcio>=1.24.3, but you\'ll have grpcio 1.16.1 which is incompatible.',
  ], PIP);
  assert.equal(errors(pips).length, 4);
  // Any other message, once pip has been seen at work (pip prints its exceptions' text).
  const afterPip = parseLines([
    'Collecting git+https://git.example.org/org/repo.git',
    "ERROR: Could not detect requirement name for 'git+https://git.example.org/org/repo.git', please specify one with #egg=your_package_name",
  ], PIP);
  assert.deepEqual(errors(afterPip).map((e) => [e.tool, e.message.slice(0, 34)]), [['pip', 'Could not detect requirement name ']]);
});

test("pip real: the server's HTTP errors in pip's other words are failed attempts (`Could not fetch URL …: 404 Client Error`, `HTTPError: 404`, pip 1's `Cannot fetch index base URL`)", () => {
  // NVIDIA/apex#336 (`-v`, a 404 from an extra index), threat9/routersploit#349 (pip 1.x),
  // fuergaosi233/gitbook2pdf#68 (Debian's pip 9, the last line of the traceback).
  const events = parseLines([
    'Could not fetch URL https://packagecloud.io/github/git-lfs/pypi/simple/pip/: 404 Client Error: Not Found for url: https://packagecloud.io/github/git-lfs/pypi/simple/pip/ - skipping',
    'Downloading/unpacking requests>=2.9.1 (from -r requirements.txt (line 1))',
    '  Cannot fetch index base URL https://pypi.python.org/simple/',
    '  Could not find any downloads that satisfy the requirement requests>=2.9.1 (from -r requirements.txt (line 1))',
    'No distributions at all found for requests>=2.9.1 (from -r requirements.txt (line 1))',
    'requests.exceptions.HTTPError: 404 Client Error: Not Found for url: https://pypi.org/simple/get/',
  ], PIP);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [
    ['https://packagecloud.io/github/git-lfs/pypi/simple/pip/', 'HTTP error 404'],
    ['https://pypi.python.org/simple/', 'Cannot fetch index base URL'],
    ['https://pypi.org/simple/get/', 'HTTP error 404'],
  ]);
  assert.deepEqual(errors(events).map((e) => e.message), ['No distributions at all found for requests>=2.9.1 (from -r requirements.txt (line 1))']);
  // pypi/warehouse#3705 (pip 10): pip's last words alone name the URL and the status.
  const alone = parseLines([
    'Could not install requirement pip from https://files.pythonhosted.org/packages/62/a1/0d452b6901b0157a0134fd27ba89bf95a857fbda64ba52e1ca2cf61d8412/pip-10.0.0-py2.py3-none-any.whl#sha256=86a60a96d85e329962a9e6f6af612cbc11106293dbc83f119802b5bee9874cf3 because of HTTP error 404 Client Error: Not Found for url: https://files.pythonhosted.org/packages/62/a1/0d452b6901b0157a0134fd27ba89bf95a857fbda64ba52e1ca2cf61d8412/pip-10.0.0-py2.py3-none-any.whl for URL https://files.pythonhosted.org/packages/62/a1/0d452b6901b0157a0134fd27ba89bf95a857fbda64ba52e1ca2cf61d8412/pip-10.0.0-py2.py3-none-any.whl#sha256=86a60a96d85e329962a9e6f6af612cbc11106293dbc83f119802b5bee9874cf3 (from https://pypi.org/simple/pip/) (requires-python:>=2.7,!=3.0.*,!=3.1.*,!=3.2.*)',
  ], PIP);
  assert.deepEqual(attempts(alone).map((a) => [a.url_or_host, a.error]), [
    ['https://files.pythonhosted.org/packages/62/a1/0d452b6901b0157a0134fd27ba89bf95a857fbda64ba52e1ca2cf61d8412/pip-10.0.0-py2.py3-none-any.whl', 'HTTP error 404'],
  ]);
  assert.equal(errors(alone).length, 1);
});

test('pip real: pip < 21 prints no `Resolved` line — its `Cloning URL … to DIR` is the fetch, unless git then fails', () => {
  // paris-saclay-cds/ramp-board#417 (pip 20: the clone worked, the package's egg_info did not).
  const pip20 = parseLines([
    'Collecting git+git://github.com/paris-saclay-cds/ramp-board.git',
    '  Cloning git://github.com/paris-saclay-cds/ramp-board.git to /tmp/pip-req-build-et1g1o3o',
    '  Running command git clone -q git://github.com/paris-saclay-cds/ramp-board.git /tmp/pip-req-build-et1g1o3o',
    '    ERROR: Command errored out with exit status 1:',
  ], PIP);
  assert.deepEqual(downloads(pip20).map((d) => [d.kind, d.source, d.version, d.cached]), [['file', 'git://github.com/paris-saclay-cds/ramp-board.git', null, false]]);
  // zulip/zulip#400 (pip 7): the revision pip was asked for.
  const pip7 = parseLines([
    'Collecting git+https://github.com/rwbarton/django-guardian.git@caf9f0c8c035feb3dff5542fb042dd13126cdd69 (from -r requirements.txt (line 19))',
    '  Cloning https://github.com/rwbarton/django-guardian.git (to caf9f0c8c035feb3dff5542fb042dd13126cdd69) to /tmp/pip-TBLs_0-build',
    "  Could not find a tag or branch 'caf9f0c8c035feb3dff5542fb042dd13126cdd69', assuming commit.",
    'Collecting six',
  ], PIP);
  assert.deepEqual(downloads(pip7).map((d) => [d.source, d.version]), [['https://github.com/rwbarton/django-guardian.git', 'caf9f0c8c035feb3dff5542fb042dd13126cdd69']]);
  // pypa/pip#11043 (pip 21.3, hosts replaced): git failed, so no fetch but a failed attempt.
  const failed = parseLines([
    'Collecting zcsdgapi@ git+https://git.example.org/scm/eio/zcsdgapi.git',
    '  Cloning https://git.example.org/scm/eio/zcsdgapi.git to /private/var/folders/z5/T/pip-install-_jsv_zuz/zcsdgapi_e5a7fb3aae9d4eef9d8d91c42547d486',
    '  Running command git clone --filter=blob:none -q https://git.example.org/scm/eio/zcsdgapi.git /private/var/folders/z5/T/pip-install-_jsv_zuz/zcsdgapi_e5a7fb3aae9d4eef9d8d91c42547d486',
    "  fatal: bad revision '43995bd42fa23bbc4c3a59d5fb9da99042fcf139'",
    '  error: https://git.example.org/scm/eio/zcsdgapi.git did not send all necessary objects',
  ], PIP);
  assert.equal(downloads(failed).length, 0);
  assert.deepEqual(attempts(failed).map((a) => [a.url_or_host, a.error]), [['https://git.example.org/scm/eio/zcsdgapi.git', "bad revision '43995bd42fa23bbc4c3a59d5fb9da99042fcf139'"]]);
});

test('pip -vv: an index page the server answered with 304 came from pip\'s cache', () => {
  // pip 24.3.1 `pip install einops -vv`, from a notes page in a public repo.
  const lines = [
    'Getting page https://pypi.org/simple/einops/',
    'Looking up "https://pypi.org/simple/einops/" in the cache',
    'Request header has "max_age" as 0, cache bypassed',
    'Starting new HTTPS connection (1): pypi.org:443',
    'https://pypi.org:443 "GET /simple/einops/ HTTP/1.1" 304 0',
    'Fetched page https://pypi.org/simple/einops/ as application/vnd.pypi.simple.v1+json',
  ];
  const pages = downloads(parseLines(lines, PIP));
  assert.deepEqual(pages.map((d) => [d.index, d.source, d.cached]), [[true, 'https://pypi.org/simple/einops/', true]]);
  const fetched = downloads(parseLines(lines.map((l) => l.replace('" 304 0', '" 200 4127')), PIP));
  assert.deepEqual(fetched.map((d) => d.cached), [false]);
});

test("pipenv's logging prefix (`INFO:pipenv.patched.pip._internal….:`) comes off pip's lines", () => {
  // pypa/pipenv#5880 (its hosts already replaced by `url`); the paste wrapped the 403's URL.
  const events = parseLines([
    'INFO:pipenv.patched.pip._internal.operations.prepare:Collecting unittest-xml-reporting (from -r C:\\Users\\%USER%\\AppData\\Local\\Temp\\pipenv-e8bvgg36-requirements\\pipenv-pgh7lsq8-constraints.txt (line 12))',
    'INFO:pipenv.patched.pip._internal.network.download:Using cached https://url/unittest_xml_reporting-3.2.0-py2.py3-none-any.whl (20 kB)',
    'CRITICAL:pipenv.patched.pip._internal.network.download:HTTP error 403 while getting',
    'https://url/as_pymos-1.5a0.dev4-py3-none-any.whl#sha256=4af38b21851bfd342b9186ecfd1ff2526af0ba8634331c7e2ce476ee466b9c68 (from',
    'https://url/simple/as-pymos/) (requires-python:>=3.7)',
  ], PIP);
  assert.deepEqual(downloads(events).map((d) => [d.name, d.version, d.size, d.cached]), [['unittest-xml-reporting', '3.2.0', 20_000, true]]);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [['https://url/as_pymos-1.5a0.dev4-py3-none-any.whl', 'HTTP error 403']]);
  assert.deepEqual(errors(events).map((e) => e.message), ['HTTP error 403 while getting']);
});

test('pip VCS requirements: the clone takes the project its `Collecting` line named', () => {
  // A `gh run view --log` of a GitHub Actions Windows job committed to a public repo (pip 25,
  // `pip install "${repo_url}/@4.0.5#egg=nuitka"`), the runner's prefixes removed.
  const events = parseLines([
    'Collecting nuitka',
    '  Cloning https://github.com/Nuitka/Nuitka.git/ (to revision 4.0.5) to C:\\Users\\runneradmin\\AppData\\Local\\Temp\\pip-install-v72matj8\\nuitka_fc1d5248b8434f66a30b8b440f07784e',
    "  Running command git clone --filter=blob:none --quiet https://github.com/Nuitka/Nuitka.git/ 'C:\\Users\\runneradmin\\AppData\\Local\\Temp\\pip-install-v72matj8\\nuitka_fc1d5248b8434f66a30b8b440f07784e'",
    '  Resolved https://github.com/Nuitka/Nuitka.git/ to commit 1860d7b214076e4d01abd36487a25d5dfb335127',
    'Collecting zcsdgapi@ git+https://git.example.org/scm/eio/zcsdgapi.git',
    '  Cloning https://git.example.org/scm/eio/zcsdgapi.git to /tmp/pip-install-_jsv_zuz/zcsdgapi_e5a7fb3aae9d4eef9d8d91c42547d486',
  ], PIP);
  assert.deepEqual(downloads(events).map((d) => [d.name, d.version, d.source]), [
    ['nuitka', '1860d7b214076e4d01abd36487a25d5dfb335127', 'https://github.com/Nuitka/Nuitka.git/'],
    ['zcsdgapi', null, 'https://git.example.org/scm/eio/zcsdgapi.git'],
  ]);
});

test("pip real: pip's lines after a tab, as PyBuilder's `BUILD FAILED` report repeats them, are pip's", () => {
  const got = downloads(parseFixture('pip/real/pybuilder-tab-indented.txt', PIP));
  assert.deepEqual(got.map((d) => [d.name, d.version, d.size]), [
    ['sphinxcontrib-jsmath', '1.0.1', 5100],
    ['pytz', '2021.3', 503_000],
    ['markupsafe', '2.0.1', 13_000],
    ['urllib3', '1.26.7', 138_000],
  ]);
});
