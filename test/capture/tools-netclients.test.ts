import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNetClientParser } from '../../src/capture/parsers/netclients.js';
import { attempts, downloads, errors, parseFixture, parseLines } from './tools-fixture.js';

const NET = [createNetClientParser];

test('curl failures: resolve, connect, timeout are attempts; HTTP errors are errors', () => {
  assert.deepEqual(attempts(parseFixture('curl/curl-invalid-host.txt', NET)).map((a) => [a.tool, a.url_or_host]), [
    ['curl', 'no-such-host.invalid'],
  ]);
  assert.deepEqual(attempts(parseFixture('curl/curl-closed-port.txt', NET)).map((a) => a.url_or_host), ['127.0.0.1:1']);
  const timeout = attempts(parseFixture('curl/curl-timeout.txt', NET));
  assert.match(timeout[0]?.error ?? '', /timed out/);
  const notFound = parseFixture('curl/curl-404.txt', NET);
  assert.equal(attempts(notFound).length, 0);
  assert.match(errors(notFound)[0]?.message ?? '', /\(22\).*404/);
  assert.equal(parseFixture('curl/curl-success.txt', NET).length, 0);
  assert.equal(parseFixture('curl/curl-verbose.txt', NET).length, 0);
  const refused = parseLines(['curl: (7) Failed to connect to example.invalid port 80 after 0 ms: Connection refused'], NET);
  assert.equal(attempts(refused)[0]?.url_or_host, 'example.invalid:80');
});

test('wget success: a file download with URL, destination and size', () => {
  assert.deepEqual(
    downloads(parseFixture('wget/wget-success.txt', NET)).map((e) => [e.kind, e.tool, e.filename, e.destination, e.size, e.cached, e.timestamp]),
    [['file', 'wget', 'data.bin', 'data.bin.1', 123_456, false, '2026-11-23T19:35:30']],
  );
  assert.match(downloads(parseFixture('wget/wget-success.txt', NET))[0]?.source ?? '', /^http:\/\/127\.0\.0\.1:\d+\/data\.bin$/);
  assert.deepEqual(
    downloads(parseFixture('wget/wget-success-nv.txt', NET)).map((e) => [e.filename, e.destination, e.size]),
    [['hello.txt', 'hello.txt.1', 6]],
  );
});

test('wget failures: one attempt per failed try, with the URL', () => {
  assert.deepEqual(attempts(parseFixture('wget/wget-closed-port.txt', NET)).map((a) => [a.url_or_host, a.error]), [
    ['http://127.0.0.1:1/x.tgz', 'Connection refused'],
  ]);
  assert.deepEqual(attempts(parseFixture('wget/wget-invalid-host.txt', NET)).map((a) => [a.url_or_host, a.error]), [
    ['http://no-such-host.invalid/x.tgz', 'Name or service not known'],
  ]);
  assert.deepEqual(attempts(parseFixture('wget/wget-invalid-host-nv.txt', NET)).map((a) => a.url_or_host), ['no-such-host.invalid']);
  const notFound = parseFixture('wget/wget-404.txt', NET);
  assert.equal(attempts(notFound).length, 0);
  assert.match(errors(notFound)[0]?.message ?? '', /missing\.bin: ERROR 404/);
});

test('DNS failures from any program, counted once per failure', () => {
  assert.deepEqual(attempts(parseFixture('curl/other-node-fetch-enotfound.txt', NET)).map((a) => [a.tool, a.url_or_host]), [
    ['node', 'no-such-host.invalid'],
  ]);
  const python = attempts(parseFixture('curl/other-python-urlopen-nxdomain.txt', NET));
  assert.equal(python.length, 1, 'the traceback names the failure twice');
  const generic = parseLines([
    "urllib3.exceptions.NameResolutionError: HTTPSConnectionPool(host='files.invalid', port=443): Temporary failure in name resolution",
  ], NET);
  assert.deepEqual(attempts(generic).map((a) => a.url_or_host), ['files.invalid']);
  // Lines other parsers own are left to them.
  assert.equal(parseLines(["W: Failed to fetch http://x.invalid/InRelease  Temporary failure resolving 'x.invalid'", '  Could not resolve host x'], NET).length, 0);
});

test('after a pip traceback, DNS failures of other programs count again', () => {
  const events = parseLines([
    'ERROR: Exception:',
    'Traceback (most recent call last):',
    '  File "/usr/lib/python3/socket.py", line 962, in getaddrinfo',
    'socket.gaierror: [Errno -2] Name or service not known',
    '',
    'During handling of the above exception, another exception occurred:',
    "pip._vendor.requests.exceptions.ConnectionError: HTTPConnectionPool(host='a.invalid', port=80): Max retries exceeded with url: /x.whl (Caused by NewConnectionError('<x>: Failed to establish a new connection: [Errno -2] Name or service not known'))",
    'curl: (6) Could not resolve host: b.invalid',
  ], NET);
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host]), [['curl', 'b.invalid']]);
});
