// pnpm output captured from pnpm 10 against local servers, and pasted in public issues
// (test/fixtures/pnpm/README.md says which).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPnpmParser } from '../../src/capture/parsers/pnpm.js';
import { analyzeLines, attempts, downloads, errors, fixtureLines, parseFixture, parseLines } from './tools-fixture.js';

const PNPM = [createPnpmParser];
const tries = (path: string) => attempts(parseFixture(path)).map((a) => [a.tool, a.url_or_host, a.error]);
const messages = (path: string) => errors(parseFixture(path)).map((e) => [e.tool, e.message]);

test('pnpm install that succeeds: the counters name no package, so no event', () => {
  for (const path of ['pnpm/install-fresh.txt', 'pnpm/install-warm-store.txt']) assert.deepEqual(parseFixture(path), [], path);
});

test('pnpm connection refused: each retried try and the last one are attempts at the packument URL; one error', () => {
  assert.deepEqual(tries('pnpm/install-refused.txt'), [
    ['pnpm', 'http://127.0.0.1:1/top-level', 'ECONNREFUSED'],
    ['pnpm', 'http://127.0.0.1:1/top-level', 'ECONNREFUSED'],
    ['pnpm', 'http://127.0.0.1:1/top-level', 'connect ECONNREFUSED 127.0.0.1:1'],
  ]);
  assert.deepEqual(messages('pnpm/install-refused.txt'), [
    ['pnpm', 'ERR_PNPM_META_FETCH_FAIL GET http://127.0.0.1:1/top-level: request to http://127.0.0.1:1/top-level failed, reason: connect ECONNREFUSED 127.0.0.1:1'],
  ]);
  // Coloured, as on a terminal: the badges' ANSI colours and thin spaces change nothing.
  assert.deepEqual(tries('pnpm/install-refused-color.txt'), [
    ['pnpm', 'http://127.0.0.1:1/top-level', 'ECONNREFUSED'],
    ['pnpm', 'http://127.0.0.1:1/top-level', 'connect ECONNREFUSED 127.0.0.1:1'],
  ]);
});

test('pnpm unknown host and timeout: attempts with the DNS error / socket timeout; no second attempt from the generic DNS parser', () => {
  assert.deepEqual(tries('pnpm/install-unknown-host.txt'), [
    ['pnpm', 'http://registry.invalid/top-level', 'ENOTFOUND'],
    ['pnpm', 'http://registry.invalid/top-level', 'ENOTFOUND'],
    ['pnpm', 'http://registry.invalid/top-level', 'getaddrinfo ENOTFOUND registry.invalid'],
  ]);
  assert.deepEqual(tries('pnpm/install-timeout.txt'), [
    ['pnpm', 'http://127.0.0.1:38123/hang/top-level', 'ERR_SOCKET_TIMEOUT'],
    ['pnpm', 'http://127.0.0.1:38123/hang/top-level', 'Socket timeout'],
  ]);
});

test('pnpm tarball refused: the final ` ECONNREFUSED  request to … failed` is the last try; the stack trace after it adds nothing', () => {
  assert.deepEqual(tries('pnpm/install-tarball-refused.txt'), [
    ['pnpm', 'http://127.0.0.1:1/left-part/-/left-part-1.2.0.tgz', 'ECONNREFUSED'],
    ['pnpm', 'http://127.0.0.1:1/left-part/-/left-part-1.2.0.tgz', 'connect ECONNREFUSED 127.0.0.1:1'],
  ]);
  assert.equal(errors(parseFixture('pnpm/install-tarball-refused.txt')).length, 1);
});

test('pnpm 404, 503 and a wrong checksum: the answer is an error; a loopback server\'s (offgrid\'s mirror, here the test\'s) is no network attempt', () => {
  assert.deepEqual(tries('pnpm/install-404.txt'), []);
  assert.deepEqual(messages('pnpm/install-404.txt'), [['pnpm', 'ERR_PNPM_FETCH_404 GET http://127.0.0.1:39679/no-such-package: Not Found - 404']]);
  assert.deepEqual(tries('pnpm/install-503.txt'), [['pnpm', 'http://127.0.0.1:38123/e500/top-level', 'HTTP 503']]);
  assert.deepEqual(messages('pnpm/install-503.txt'), [['pnpm', 'ERR_PNPM_FETCH_503 GET http://127.0.0.1:38123/e500/top-level: Service Unavailable - 503']]);
  const url = 'http://127.0.0.1:39679/bad-bytes/-/bad-bytes-1.0.0.tgz';
  assert.deepEqual(tries('pnpm/install-integrity.txt'), [['pnpm', url, 'ERR_PNPM_TARBALL_INTEGRITY'], ['pnpm', url, 'ERR_PNPM_TARBALL_INTEGRITY']]);
  const integrity = messages('pnpm/install-integrity.txt');
  assert.equal(integrity.length, 1);
  assert.match(integrity[0]![1]!, /^ERR_PNPM_TARBALL_INTEGRITY Got unexpected checksum for "http:\/\/127\.0\.0\.1:39679\/bad-bytes\/-\/bad-bytes-1\.0\.0\.tgz"\. Wanted "sha512-/);
  assert.equal(downloads(parseFixture('pnpm/install-integrity.txt')).length, 0);
});

test('pnpm --offline with a missing packument or tarball: an error, and no network attempt (pnpm made none)', () => {
  assert.deepEqual(tries('pnpm/install-offline-no-meta.txt'), []);
  assert.match(messages('pnpm/install-offline-no-meta.txt')[0]![1]!, /^ERR_PNPM_NO_OFFLINE_META Failed to resolve top-level@/);
  assert.deepEqual(tries('pnpm/install-offline-no-tarball.txt'), []);
  assert.match(messages('pnpm/install-offline-no-tarball.txt')[0]![1]!, /^ERR_PNPM_NO_OFFLINE_TARBALL .*http:\/\/127\.0\.0\.1:39679\/top-level\/-\/top-level-3\.1\.0\.tgz/);
});

test("pnpm's default reporter names a tarball over 5 MB when done: a download with pnpm's rounded size", () => {
  const got = downloads(parseFixture('pnpm/install-big-tarball-default-reporter.txt'));
  assert.deepEqual(got.map((d) => [d.tool, d.kind, d.name, d.version, d.filename, d.size, d.cached, d.index]), [
    ['pnpm', 'npm', 'big-blob', '1.0.0', 'big-blob-1.0.0.tgz', 7_030_000, false, false],
  ]);
});

test('pnpm from issues: packument and tarball retries, 429s, 404s retried by older pnpm', () => {
  assert.deepEqual(tries('pnpm/real/pnpm-8015.txt').map((a) => a[1]), [
    'https://registry.example/cron-parser',
    'https://registry.example/domino-ext',
    'https://registry.example/@types%2Fturndown',
  ]);
  assert.deepEqual(tries('pnpm/real/pnpm-8953.txt'), [
    ['pnpm', 'https://registry.example/pnpm', 'HTTP 429'],
    ['pnpm', 'https://registry.example/pnpm', 'HTTP 429'],
    ['pnpm', 'https://registry.example/pnpm', 'HTTP 429'],
    ['pnpm', 'https://registry.example/set-function-length/-/set-function-length-1.2.2.tgz', 'ERR_PNPM_FETCH_429'],
  ]);
  assert.deepEqual(messages('pnpm/real/pnpm-8953.txt'), [['pnpm', 'ERR_PNPM_FETCH_429 GET https://registry.example/pnpm: Too Many Requests - 429']]);
  const tarball = 'https://registry.example/@tiptap-pro/extension-mathematics/-/extension-mathematics-2.3.3.tgz';
  assert.deepEqual(tries('pnpm/real/pnpm-7276.txt'), [['pnpm', tarball, 'ERR_PNPM_FETCH_404'], ['pnpm', tarball, 'ERR_PNPM_FETCH_404'], ['pnpm', tarball, 'HTTP 404']]);
  assert.deepEqual(messages('pnpm/real/pnpm-7276.txt'), [['pnpm', `ERR_PNPM_FETCH_404 GET ${tarball}: Not Found - 404`]]);
  assert.deepEqual(messages('pnpm/real/pnpm-6712.txt'), [['pnpm', 'ERR_PNPM_FETCH_404 GET https://registry.example/%20: Not Found - 404']]);
  assert.deepEqual(tries('pnpm/real/openclaw-49347.txt').map((a) => a[2]), ['ECONNRESET', 'ECONNRESET']);
});

test('pnpm from issues: badges without padding (EAS), Jenkins timestamps, pnpm 5 `ERROR` lines', () => {
  assert.deepEqual(tries('pnpm/real/eas-cli-1941.txt').map((a) => [a[1], a[2]]), [
    ['https://registry.example/@babel%2Fcore', 'ERR_INVALID_THIS'],
    ['https://registry.example/@babel%2Fplugin-proposal-export-namespace-from', 'ERR_INVALID_THIS'],
    ['https://registry.example/@graphql-codegen%2Fcli', 'ERR_INVALID_THIS'],
  ]);
  const jenkins = analyzeLines(fixtureLines('pnpm/real/pnpm-3387.txt'));
  assert.deepEqual(attempts(jenkins).map((a) => [a.url_or_host, a.error]), [['https://<redacted>/@types/undertaker/-/undertaker-1.2.0.tgz', 'ERR_PNPM_FETCH_408']]);
  assert.equal(downloads(jenkins).length, 0, 'Progress counters are not downloads');
  assert.deepEqual(tries('pnpm/real/pnpm-3188.txt').map((a) => a[2]), ['ERR_PNPM_TARBALL_INTEGRITY']);
  assert.match(messages('pnpm/real/pnpm-3188.txt')[0]![1]!, /^ERROR Got unexpected checksum for "https:\/\/registry\.example\/spdx-correct\/-\/spdx-correct-3\.1\.1\.tgz"/);
});

test('pnpm 7 on a terminal (AFFiNE): two retries redrawn onto one line, redraw leftovers, big tarballs by registry path', () => {
  const events = parseFixture('pnpm/real/affine-254.txt');
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [
    ['https://registry.example/lib0/-/lib0-0.2.52.tgz', 'ECONNRESET'],
    ['https://registry.example/ws/-/ws-8.8.1.tgz', 'ECONNRESET'],
    ['https://registry.example/@mui/x-date-pickers-pro/-/x-date-pickers-pro-5.0.0-alpha.7.tgz', 'ECONNRESET'],
    ['https://registry.example/@types/react/-/react-18.0.14.tgz', 'ETIMEDOUT'],
    ['https://registry.example/slice-ansi/-/slice-ansi-5.0.0.tgz', 'ETIMEDOUT'],
    ['https://registry.example/source-map-support/-/source-map-support-0.5.21.tgz', 'ETIMEDOUT'],
  ]);
  assert.deepEqual(downloads(events).map((d) => [d.name, d.version, d.filename, d.size]), [
    ['@next/swc-win32-x64-msvc', '12.2.0', 'swc-win32-x64-msvc-12.2.0.tgz', 16_200_000],
    ['aws-sdk', '2.1189.0', 'aws-sdk-2.1189.0.tgz', 9_280_000],
  ]);
  assert.equal(errors(events).length, 0, '`WARN  deprecated` is not an error');
});

test('pnpm parser: other tools\' E/W/D lines and in-progress downloads give nothing', () => {
  const none = parseLines([
    'E: Unable to locate package foo',
    'ERROR: Could not find a version that satisfies the requirement x',
    'WARNING: Retrying (Retry(total=4)) after connection broken',
    'Downloading big@1.0.0: 2.36 MB/7.03 MB',
    'Downloading https://files.example/x-1.0-py3-none-any.whl (12 kB)',
    ' ERROR  something else went wrong',
    'EACCES  permission denied',
  ], PNPM);
  assert.deepEqual(none, []);
});

test('pnpm 10 inside a BuildKit step (`#8 5.312 \\u2009WARN\\u2009 GET …`): attempts and the error belong to the step', () => {
  // The shape pnpm 10.34 writes (thin-space badges, as captured here) framed as BuildKit's plain progress frames it.
  const events = analyzeLines([
    '#8 [deps 3/4] RUN pnpm install --frozen-lockfile',
    '#8 0.602 Lockfile is up to date, resolution step is skipped',
    '#8 5.312 \u2009WARN\u2009 GET https://registry.example/react/-/react-18.2.0.tgz error (ECONNREFUSED). Will retry in 10 seconds. 2 retries left.',
    '#8 75.40 \u2009ECONNREFUSED\u2009 request to https://registry.example/react/-/react-18.2.0.tgz failed, reason: connect ECONNREFUSED 10.0.0.1:443',
    '#8 ERROR: process "/bin/sh -c pnpm install --frozen-lockfile" did not complete successfully: exit code: 1',
  ]);
  const step = 'RUN pnpm install --frozen-lockfile';
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.step, a.error]), [
    ['pnpm', step, 'ECONNREFUSED'],
    ['pnpm', step, 'connect ECONNREFUSED 10.0.0.1:443'],
  ]);
  assert.ok(errors(events).some((e) => e.tool === 'pnpm' && e.step === step && e.message.startsWith('ECONNREFUSED request to https://registry.example/react/')));
});

test('corepack: the pnpm release it announces is a download unless its request fails; a failure is an attempt, an HTTP status an error', () => {
  const announced = parseFixture('pnpm/real/corepack-paperclip-426.txt');
  assert.deepEqual(downloads(announced).map((d) => [d.tool, d.kind, d.name, d.version, d.filename, d.source, d.cached]), [
    ['corepack', 'npm', 'pnpm', '9.15.4', 'pnpm-9.15.4.tgz', 'https://registry.example/pnpm/-/pnpm-9.15.4.tgz', false],
  ]);
  assert.deepEqual(errors(announced).map((e) => e.message), ['ERR_PNPM_OUTDATED_LOCKFILE Cannot install with "frozen-lockfile" because pnpm-lock.yaml is not up to date with <ROOT>/package.json']);

  const failed = parseFixture('pnpm/real/corepack-400.txt');
  assert.deepEqual(downloads(failed), []);
  assert.deepEqual(attempts(failed).map((a) => [a.tool, a.url_or_host, a.error]), [['corepack', 'https://registry.example/pnpm/-/pnpm-7.32.5.tgz', 'request failed']]);

  assert.deepEqual(attempts(parseFixture('pnpm/corepack-refused.txt')).map((a) => [a.tool, a.url_or_host]), [['corepack', 'http://127.0.0.1:1/pnpm/9.1.0']]);
  const answered = parseFixture('pnpm/real/corepack-710.txt');
  assert.deepEqual(attempts(answered), []);
  assert.deepEqual(errors(answered).map((e) => [e.tool, e.message]), [['corepack', 'https://mirror.example//pnpm: HTTP 404']]);
});

test("pnpm 2's ` ERROR  418 I'm a teapot: name (via URL)`: an error and a failed try at the URL", () => {
  // Before: nothing was recorded.
  assert.deepEqual(tries('pnpm/real/pnpm-1371-teapot.txt'), [
    ['pnpm', 'http://registry.example/react-slick', 'HTTP 418'],
    ['pnpm', 'http://registry.example/classnames', 'HTTP 418'],
    ['pnpm', 'http://registry.example/lodash.debounce', 'HTTP 418'],
  ]);
  assert.equal(messages('pnpm/real/pnpm-1371-teapot.txt').length, 3);
});

test('pnpm 11\'s bracketed badges (`[WARN] GET …`, `[ERR_PNPM_FETCH_404] GET …`): retries, final failures and HTTP errors are read as pnpm ≤ 10\'s', () => {
  // Before: pnpm 11 output left no attempt and no error.
  assert.deepEqual(tries('pnpm/real/pnpm11-meta-fetch-fail.txt'), [
    ['pnpm', 'https://registry.example/knip', 'EAI_AGAIN'],
    ['pnpm', 'https://registry.example/knip', 'EAI_AGAIN'],
    ['pnpm', 'https://registry.example/knip', 'fetch failed'],
  ]);
  assert.deepEqual(messages('pnpm/real/pnpm11-meta-fetch-fail.txt'), [['pnpm', 'ERR_PNPM_META_FETCH_FAIL GET https://registry.example/knip: fetch failed']]);
  assert.deepEqual(tries('pnpm/real/pnpm11-fetch404.txt'), [['pnpm', 'https://registry.example/@react-native-mmkv%2Fstorage', 'HTTP 404']]);
  assert.deepEqual(messages('pnpm/real/pnpm11-fetch404.txt'), [['pnpm', 'ERR_PNPM_FETCH_404 GET https://registry.example/@react-native-mmkv%2Fstorage: Not Found - 404']]);
  // A retry glued to a redrawn progress line; other `[WARN]`s, `[ERR_PNPM_IGNORED_BUILDS]` (an error, no fetch)
  // and `[ERROR] Command failed` (no fetch of pnpm's) add no attempt.
  const install = parseFixture('pnpm/real/pnpm11-install-windows.txt');
  assert.deepEqual(attempts(install).map((a) => [a.url_or_host, a.error]), [
    ['https://registry.example/@cloudflare/workerd-windows-64/-/workerd-windows-64-1.20260521.1.tgz', '23'],
  ]);
  assert.deepEqual(downloads(install).map((d) => [d.name, d.version, d.size]), [
    ['@resvg/resvg-js', '2.6.2', 12 * 1024],
    ['@img/sharp-win32-x64', '0.34.5', 8_680_000],
    ['@cloudflare/workerd-windows-64', '1.20260521.1', 31_880_000],
  ]);
  assert.deepEqual(errors(install).map((e) => e.message.slice(0, 40)), ['ERR_PNPM_IGNORED_BUILDS Ignored build sc']);
});

test("pnpm's warning about a slow tarball (`Tarball download average speed … (size 12 KiB) …: URL (GET)`) names a tarball it downloaded", () => {
  // Before: the tarball was not recorded (pnpm names no other successful fetch).
  const events = parseFixture('pnpm/real/pnpm11-install-windows.txt');
  assert.deepEqual(downloads(events).filter((d) => d.source !== null).map((d) => [d.tool, d.name, d.version, d.filename, d.source, d.size, d.cached]), [
    ['pnpm', '@resvg/resvg-js', '2.6.2', 'resvg-js-2.6.2.tgz', 'https://registry.example/@resvg/resvg-js/-/resvg-js-2.6.2.tgz', 12 * 1024, false],
  ]);
  // pnpm 10's padded badge (a CI note in a public repository, search-index file id 61261373439).
  const pnpm10 = parseLines([' WARN  Tarball download average speed 8 KiB/s (size 15 KiB) is below 50 KiB/s: https://registry.example/@ampproject/remapping/-/remapping-2.3.0.tgz (GET)'], PNPM);
  assert.deepEqual(downloads(pnpm10).map((d) => [d.name, d.version, d.size]), [['@ampproject/remapping', '2.3.0', 15 * 1024]]);
});
