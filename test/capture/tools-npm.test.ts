import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNpmParser, parseNpmUrl } from '../../src/capture/parsers/npm.js';
import { attempts, downloads, errors, parseFixture, parseLines } from './tools-fixture.js';

const NPM = [createNpmParser];

test('npm registry URLs: packuments and tarballs, scoped or not', () => {
  assert.deepEqual(parseNpmUrl('https://r.invalid/is-number/-/is-number-7.0.0.tgz'), { name: 'is-number', version: '7.0.0', tarball: true });
  assert.deepEqual(parseNpmUrl('https://r.invalid/@types/ms/-/ms-2.1.0.tgz'), { name: '@types/ms', version: '2.1.0', tarball: true });
  assert.deepEqual(parseNpmUrl('https://r.invalid/@types%2fms'), { name: '@types/ms', version: null, tarball: false });
  assert.deepEqual(parseNpmUrl('http://127.0.0.1:9/npm/left-pad'), { name: 'left-pad', version: null, tarball: false });
  assert.deepEqual(parseNpmUrl('not a url'), { name: null, version: null, tarball: false });
});

test('npm install with an empty cache: packuments are index events, tarballs fetched once', () => {
  const got = downloads(parseFixture('npm/npm-install-fresh.txt', NPM));
  assert.deepEqual(got.map((e) => [e.name, e.version, e.index, e.cached]), [
    ['is-number', null, true, false],
    ['@types/ms', null, true, false],
    ['is-number', '7.0.0', false, false],
    ['@types/ms', '2.1.0', false, false],
  ]);
  assert.deepEqual(got.map((e) => e.duration_ms), [60, 7, 39, 40]);
  assert.equal(got[3]?.filename, 'ms-2.1.0.tgz');
  assert.equal(got[3]?.source, 'https://registry.npm.invalid/@types/ms/-/ms-2.1.0.tgz');
});

test('npm install with a warm cache: tarballs cached; revalidated packuments fetched', () => {
  const warm = downloads(parseFixture('npm/npm-install-warm.txt', NPM));
  assert.deepEqual(warm.map((e) => [e.name, e.index, e.cached]), [
    ['is-number', true, false],
    ['@types/ms', true, false],
    ['is-number', false, true],
    ['@types/ms', false, true],
  ]);
  const offline = downloads(parseFixture('npm/npm-install-prefer-offline.txt', NPM));
  assert.ok(offline.length === 4 && offline.every((e) => e.cached), 'cache stale = served from cache');
  const silly = downloads(parseFixture('npm/npm-install-silly.txt', NPM));
  assert.deepEqual(silly.map((e) => [e.name, e.version, e.cached]), [['is-number', null, false], ['is-number', '7.0.0', false]]);
});

test('npm connection refused: one attempt per try, one error', () => {
  const events = parseFixture('npm/npm-install-refused.txt', NPM);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [
    ['http://127.0.0.1:1/is-number', 'ECONNREFUSED'],
    ['http://127.0.0.1:1/is-number', 'ECONNREFUSED'],
  ]);
  assert.deepEqual(errors(events).map((e) => e.message), ['npm error code ECONNREFUSED']);
  assert.equal(downloads(events).length, 0);
});

test('npm ENOTFOUND; the final "request to … failed" only counts when no try was logged', () => {
  const events = parseFixture('npm/npm-install-invalid-host.txt', NPM);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [['http://registry.npm.invalid/is-number', 'ENOTFOUND']]);
  const alone = parseLines([
    'npm ERR! code ETIMEDOUT',
    'npm ERR! network request to https://r.invalid/x failed, reason: connect ETIMEDOUT 10.0.0.1:443',
  ], NPM);
  assert.deepEqual(attempts(alone).map((a) => [a.url_or_host, a.error]), [['https://r.invalid/x', 'connect ETIMEDOUT 10.0.0.1:443']]);
  assert.equal(errors(alone).length, 1);
});

test('npm fetch lines after a retry (` attempt #N`) and npm 6 cache hits (`(from cache)`)', () => {
  // npm-registry-fetch's logRequest: `${METHOD} ${status} ${url} ${ms}ms${attemptStr}${cacheStr}`;
  // npm 6 (npm-registry-fetch 4–8) writes ` (from cache)`, npm 7+ ` (cache …)`.
  const got = downloads(parseLines([
    'npm http fetch GET 200 https://r.invalid/is-number 1503ms attempt #2 (cache miss)',
    'npm http fetch GET 200 https://r.invalid/is-number/-/is-number-7.0.0.tgz 12ms attempt #3 (cache hit)',
    'npm http fetch GET 200 https://r.invalid/lodash 46ms (from cache)',
    'npm http fetch GET 200 https://r.invalid/lodash/-/lodash-4.17.21.tgz 94ms attempt #2 (from cache)',
    'npm http fetch GET 200 https://r.invalid/debug/-/debug-4.3.1.tgz 106ms',
  ], NPM));
  assert.deepEqual(got.map((e) => [e.name, e.version, e.cached, e.duration_ms]), [
    ['is-number', null, false, 1503],
    ['is-number', '7.0.0', true, 12],
    ['lodash', null, true, 46],
    ['lodash', '4.17.21', true, 94],
    ['debug', '4.3.1', false, 106],
  ]);
});

test("npm's debug log (`_logs/…-debug-0.log`): its numbered lines hold every fetch, whatever the console showed", () => {
  // Captured from npm 11.19.1 (registry host replaced): an install at the default log level
  // (the console printed no fetch), a `npm ci --prefer-offline` after it, and a registry on a closed port.
  const fresh = downloads(parseFixture('npm/npm-debug-log-install.log', NPM));
  assert.deepEqual(fresh.map((e) => [e.name, e.version, e.index, e.cached, e.source]), [
    ['is-number', null, true, false, 'https://registry.example/is-number'],
    ['is-number', '7.0.0', false, false, 'https://registry.example/is-number/-/is-number-7.0.0.tgz'],
  ]);
  assert.deepEqual(downloads(parseFixture('npm/npm-debug-log-ci-warm.log', NPM)).map((e) => [e.version, e.cached]), [[null, false], ['7.0.0', true]]);
  const refused = parseFixture('npm/npm-debug-log-refused.log', NPM);
  assert.deepEqual(attempts(refused).map((a) => [a.url_or_host, a.error]), [
    ['http://127.0.0.1:1/is-number', 'ECONNREFUSED'],
    ['http://127.0.0.1:1/is-number', 'ECONNREFUSED'],
    ['http://127.0.0.1:1/left-pad', 'ECONNREFUSED'],
    ['http://127.0.0.1:1/left-pad', 'ECONNREFUSED'],
  ]);
  assert.deepEqual(errors(refused).map((e) => e.message), ['npm error code ECONNREFUSED']);
  // Other numbered lines (a compiler's `1 error generated.`, a count) are not npm's.
  assert.equal(parseLines(['1 error generated.', '2 warnings generated.', '200 http'], NPM).length, 0);
});

test('npm ≤ 5: `npm ERR! fetch failed URL` is a failed try, its reason on the `retry will retry` line after it', () => {
  // npm/npm#15784 (npm 3/4 console), and the same lines as npm-debug.log numbers them; hosts replaced.
  const events = parseLines([
    'npm ERR! fetch failed https://registry.example/cssesc/-/cssesc-0.1.0.tgz',
    'npm WARN retry will retry, error on last attempt: Error: connect ETIMEDOUT 192.0.2.162:443',
    'npm ERR! fetch failed https://registry.example/cssom/-/cssom-0.3.1.tgz',
    '412 error fetch failed https://registry.example/d/-/d-0.1.1.tgz',
    '413 warn retry will retry, error on last attempt: Error: connect ETIMEDOUT 192.0.2.64:443',
  ], NPM);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [
    ['https://registry.example/cssesc/-/cssesc-0.1.0.tgz', 'connect ETIMEDOUT 192.0.2.162:443'],
    ['https://registry.example/cssom/-/cssom-0.3.1.tgz', 'fetch failed'],
    ['https://registry.example/d/-/d-0.1.1.tgz', 'connect ETIMEDOUT 192.0.2.64:443'],
  ]);
});

test('npm real failures without `request to … failed`: a body cut off, `network aborted`, a server without a URL', () => {
  // test/fixtures/npm/real/README.md gives each file's source (registry host replaced).
  const body = parseFixture('npm/real/npm10-econnreset-body.txt', NPM);
  assert.deepEqual(attempts(body).map((a) => [a.url_or_host, a.error]), [['https://registry.example/@types%2fnode', 'aborted']]);
  assert.deepEqual(errors(body).map((e) => e.message), ['npm error code ECONNRESET']);
  assert.deepEqual(attempts(parseFixture('npm/real/npm8-econnreset-aborted.txt', NPM)).map((a) => [a.url_or_host, a.error]), [['unknown host', 'aborted']]);
  assert.deepEqual(attempts(parseFixture('npm/real/npm3-network-etimedout.txt', NPM)).map((a) => [a.url_or_host, a.error]), [
    ['151.101.64.162:80', 'connect ETIMEDOUT 151.101.64.162:80'],
  ]);
  // A URL-less final failure after logged tries adds nothing; npm's advice lines are never failures.
  const tried = parseLines([
    'npm http fetch GET https://r.invalid/x attempt 1 failed with ECONNRESET',
    'npm error code ECONNRESET',
    'npm error network aborted',
    'npm error network This is a problem related to network connectivity.',
  ], NPM);
  assert.deepEqual(attempts(tried).map((a) => a.url_or_host), ['https://r.invalid/x']);
  // npm/cli#7452 (a translated paste): `failed, reason:` with no reason takes the error code.
  const empty = parseLines(['npm ERR! code ETIMEDOUT', 'npm ERR! network request to https://registry.example/npm failed, reason:'], NPM);
  assert.deepEqual(attempts(empty).map((a) => [a.url_or_host, a.error]), [['https://registry.example/npm', 'ETIMEDOUT']]);
});

test("npm real: the registry's 404/403 answers keep their URL; a tarball that failed its integrity check is a failed try", () => {
  // The registry's answer is also a failed try at the URL, as apt and pnpm count theirs.
  assert.deepEqual(attempts(parseFixture('npm/real/npm6-e404.txt', NPM)).map((a) => [a.url_or_host, a.error]), [
    ['https://registry.example/@pm2%2fagent', '404 Not Found'],
  ]);
  assert.deepEqual(attempts(parseFixture('npm/real/npm10-e403.txt', NPM)).map((a) => [a.url_or_host, a.error]), [
    ['https://registry.example/decamelize/-/decamelize-5.0.1.tgz', '403 Forbidden'],
  ]);
  assert.deepEqual(errors(parseFixture('npm/real/npm6-e404.txt', NPM)).map((e) => e.message), [
    'npm error code E404',
    'npm error 404 Not Found - GET https://registry.example/@pm2%2fagent - Not found',
  ]);
  assert.deepEqual(errors(parseFixture('npm/real/npm10-e403.txt', NPM)).map((e) => e.message), [
    'npm error code E403',
    'npm error 403 403 Forbidden - GET https://registry.example/decamelize/-/decamelize-5.0.1.tgz',
  ]);
  assert.deepEqual(errors(parseFixture('npm/real/npm7-debug-log-e403.log', NPM)).map((e) => e.message), [
    'npm error code E403',
    'npm error 403 403 Forbidden - GET https://npm.remix.run/@remix-run%2farchitect - Missing authorization',
  ]);
  const corrupt = parseFixture('npm/real/npm10-tarball-corrupt.txt', NPM);
  const url = 'https://registry.example/@ng-bootstrap/ng-bootstrap/-/ng-bootstrap-18.0.0.tgz';
  assert.deepEqual(attempts(corrupt).map((a) => [a.url_or_host, a.error]), [
    [url, 'tarball data corrupted (integrity check failed)'],
    [url, 'tarball data corrupted (integrity check failed)'],
  ]);
  assert.deepEqual(errors(corrupt).map((e) => e.message), ['npm error code EINTEGRITY']);
  // npm 6 names only name@version: no URL to report a try at.
  assert.equal(parseFixture('npm/real/npm6-tarball-corrupt.txt', NPM).length, 0);
});

test("npm real: npm 10+'s packument cache hits (`http cache URL`), no package from `npm audit`'s POSTs, `network timeout at: URL`", () => {
  const cache = downloads(parseFixture('npm/real/npm11-verbose-cache.txt', NPM));
  assert.deepEqual(cache.map((d) => [d.name, d.version, d.index, d.cached, d.filename]), [
    ['canvas', null, true, true, null],
    ['@mapbox/node-pre-gyp', null, true, true, null],
    ['simple-get', null, true, true, null],
    ['on-headers', null, true, true, null],
  ]);
  assert.equal(parseFixture('npm/real/npm6-audit-quick.txt', NPM).length, 0, 'the audit POST is no download');
  assert.deepEqual(parseNpmUrl('https://registry.example/-/v1/search?text=x'), { name: null, version: null, tarball: false });

  const timeout = parseFixture('npm/real/npm10-network-timeout.txt', NPM);
  assert.deepEqual(attempts(timeout).map((a) => [a.url_or_host, a.error]), [['https://registry.example/@modelcontextprotocol/sdk/-/sdk-1.0.4.tgz', 'network timeout']]);
  const audit = parseFixture('npm/real/npm10-audit-timeout.txt', NPM);
  assert.deepEqual(audit.map((e) => e.type === 'network_attempt' && [e.url_or_host, e.error]), [
    ['https://registry.example/-/npm/v1/security/advisories/bulk', 'network timeout'],
  ]);
});

test('npm failures keep their URL or host: npm 10 without `, reason:`, Node ≤ 6 with `host host:443`', () => {
  // Before: both were attempts at `unknown host`.
  assert.deepEqual(attempts(parseFixture('npm/real/npm10-etimedout-tgz.txt', NPM)).map((a) => [a.url_or_host, a.error]), [
    ['https://registry.example/picomatch/-/picomatch-4.0.3.tgz', 'ETIMEDOUT'],
  ]);
  assert.deepEqual(attempts(parseFixture('npm/real/npm2-enotfound-host-port.txt', NPM)).map((a) => [a.url_or_host, a.error]), [
    ['registry.example', 'getaddrinfo ENOTFOUND registry.example registry.example:443'],
  ]);
});

test("npm ≤ 5's `npm ERR! cb() never called!` is an error", () => {
  // npm/npm#21173 (registry host replaced). Before: only the ENOENT attempt was recorded.
  const events = parseLines([
    'npm WARN registry Unexpected warning for https://registry.example/: Miscellaneous Warning ENOENT: request to https://registry.example/typescript failed, reason: getaddrinfo ENOENT registry.example:443',
    'npm WARN registry Using stale package data from https://registry.example/ due to a request error during revalidation.',
    'npm ERR! cb() never called!',
  ], NPM);
  assert.deepEqual(errors(events).map((e) => e.message), ['npm error cb() never called!']);
  assert.equal(attempts(events).length, 1);
});

test('npm 5: the tarball fetches it prints without the `npm ` heading are downloads like the packuments it prints with it', () => {
  // Before: only the two packuments were recorded; the two tarballs, the packages installed, were missed.
  const events = parseFixture('npm/real/npm5-extract-worker-fetch.txt');
  assert.deepEqual(downloads(events).map((d) => [d.name, d.version, d.filename, d.index, d.cached]), [
    ['@fnproject/fdk', null, null, true, false],
    ['jsonparse', null, null, true, false],
    ['jsonparse', '1.3.1', 'jsonparse-1.3.1.tgz', false, false],
    ['@fnproject/fdk', '0.0.7', 'fdk-0.0.7.tgz', false, false],
  ]);
  // Another tool's `http …` line is not npm's.
  assert.deepEqual(parseLines(['http fetch failed for https://x.example/a', 'http://x.example/a 200'], NPM), []);
});
