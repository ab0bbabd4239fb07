// Yarn 1, as pasted in public issues (registry host replaced).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attempts, downloads, errors, parseFixture, parseLines } from './tools-fixture.js';

test("yarn 1: a fetch that timed out is an attempt at its URL; the URL-less retries before it at that URL's server", () => {
  // DSpace/dspace-angular#604 (Docker Hub build), bluesky-social/social-app#7973 (yarn 1.22, BuildKit).
  const events = parseLines([
    'yarn install v1.22.0',
    '[3/5] Fetching packages...',
    'info There appears to be trouble with your network connection. Retrying...',
    'info There appears to be trouble with your network connection. Retrying...',
    'error An unexpected error occurred: "https://registry.example/rxjs/-/rxjs-6.5.4.tgz: ESOCKETTIMEDOUT".',
    'info There appears to be trouble with your network connection. Retrying...',
    'error Error: https://registry.example/date-fns/-/date-fns-2.30.0.tgz: ESOCKETTIMEDOUT',
    'error An unexpected error occurred: "https://registry.example/@babel%2fcore: getaddrinfo ENOTFOUND registry.example".',
    'error An unexpected error occurred: "https://registry.example/no-such-pkg: Not found".',
    'info There appears to be trouble with your network connection. Retrying...',
  ]);
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['yarn', 'https://registry.example', 'network connection trouble, retrying'],
    ['yarn', 'https://registry.example', 'network connection trouble, retrying'],
    ['yarn', 'https://registry.example/rxjs/-/rxjs-6.5.4.tgz', 'ESOCKETTIMEDOUT'],
    ['yarn', 'https://registry.example', 'network connection trouble, retrying'],
    ['yarn', 'https://registry.example/date-fns/-/date-fns-2.30.0.tgz', 'ESOCKETTIMEDOUT'],
    ['yarn', 'https://registry.example/@babel%2fcore', 'getaddrinfo ENOTFOUND registry.example'],
    ['yarn', 'https://registry.example/no-such-pkg', 'Not found'],
    ['yarn', 'unknown host', 'network connection trouble, retrying'],
  ]);
  assert.deepEqual(errors(events).map((e) => [e.tool, e.message]), [['yarn', 'https://registry.example/no-such-pkg: Not found']]);
});

test('yarn 1 --verbose: each request that finished is a download (packument or tarball)', () => {
  const got = downloads(parseLines([
    'verbose 0.931 Request "https://registry.example/object-assign" finished with status code 200.',
    'verbose 1.2 Request "https://registry.example/object-assign/-/object-assign-4.1.1.tgz" finished with status code 200.',
    'verbose 1.3 Request "https://registry.example/missing" finished with status code 404.',
  ]));
  assert.deepEqual(got.map((d) => [d.tool, d.kind, d.index, d.name, d.version, d.filename]), [
    ['yarn', 'npm', true, 'object-assign', null, null],
    ['yarn', 'npm', false, 'object-assign', '4.1.1', 'object-assign-4.1.1.tgz'],
  ]);
});

test('yarn 1 real output: a registry 404 (escaped quotes), tarball requests under --verbose, an unknown package', () => {
  // test/fixtures/yarn/real/README.md gives each file's source (registry host replaced).
  const notFound = parseFixture('yarn/real/yarn1-404-tarball.txt');
  assert.deepEqual(errors(notFound).map((e) => [e.tool, e.message]), [
    ['yarn', 'https://registry.example/@vue/babel-sugar-composition-api-render-instance/-/babel-sugar-composition-api-render-instance-1.2.4.tgz: Request failed "404 Not Found"'],
  ]);
  // The server's answer is also a failed try at the URL, as apt and pnpm count theirs.
  assert.deepEqual(attempts(notFound).map((a) => a.error), ['Request failed "404 Not Found"']);
  // Before: a 500 was an error only, so `report to-cache` never named the tarball.
  assert.deepEqual(attempts(parseFixture('yarn/real/yarn1-500.txt')).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['yarn', 'https://registry.example/react-apollo/-/react-apollo-0.7.1.tgz', 'Request failed "500 Internal Server Error"'],
  ]);

  // yarn 1 logs no `finished` line for a tarball: its request is the download.
  const tarballs = downloads(parseFixture('yarn/real/yarn1-verbose-tarballs.txt'));
  assert.deepEqual(tarballs.map((d) => [d.tool, d.kind, d.index, d.cached, d.name, d.version, d.filename]), [
    ['yarn', 'npm', false, false, 'bser', '2.0.0', 'bser-2.0.0.tgz'],
    ['yarn', 'npm', false, false, 'anymatch', '1.3.2', 'anymatch-1.3.2.tgz'],
    ['yarn', 'npm', false, false, 'exec-sh', '0.2.1', 'exec-sh-0.2.1.tgz'],
    ['yarn', 'npm', false, false, 'fb-watchman', '1.9.2', 'fb-watchman-1.9.2.tgz'],
  ]);

  // The tarball that finally failed is an attempt, not a download; the retry before it is at its server.
  const timeout = parseFixture('yarn/real/yarn1-verbose-timeout.txt');
  assert.deepEqual(attempts(timeout).map((a) => [a.url_or_host, a.error]), [
    ['https://registry.example', 'network connection trouble, retrying'],
    ['https://registry.example/@dhis2/d2-i18n/-/d2-i18n-1.0.4.tgz', 'ESOCKETTIMEDOUT'],
  ]);
  assert.deepEqual(downloads(timeout).map((d) => d.filename), ['material-ui-0.20.2.tgz']);

  assert.deepEqual(errors(parseFixture('yarn/real/yarn1-not-in-registry.txt')).map((e) => e.message), ['Couldn\'t find package "axios" on the "npm" registry.']);
});

test('yarn 1: URL-less retries go to the server --verbose last asked when no URL finally fails', () => {
  const events = parseLines([
    'verbose 0.2 Performing "GET" request to "https://registry.example/dayjs".',
    'info There appears to be trouble with your network connection. Retrying...',
  ]);
  assert.deepEqual(attempts(events).map((a) => a.url_or_host), ['https://registry.example']);
});

test("yarn 1 --verbose: a request to the registry's own endpoints is no package", () => {
  assert.equal(parseLines(['verbose 2.1 Request "https://registry.example/-/npm/v1/security/audits" finished with status code 200.']).length, 0);
});

test('yarn 1 real: a tarball that failed its integrity check is an error; retries through a failing proxy are tries at its registry', () => {
  const integrity = parseFixture('yarn/real/yarn1-integrity.txt');
  assert.deepEqual(errors(integrity).map((e) => e.message), [
    'https://registry.example/@semantic-release/npm/-/npm-7.0.5.tgz: Integrity check failed for "@semantic-release/npm" ' +
      '(computed integrity doesn\'t match our records, got "sha512-D+oEmsx9aHE1q806NFQwSC9KdBO8ri/VO99eEz0wWbX2jyLqVyWr7t0IjKC8aSnkkQswg/4KN/ZjfF6iz1XOpw== sha1-YcRWkau4Y/aTnMpqrJWNPCJQhjI=")',
  ]);
  assert.equal(attempts(integrity).length + downloads(integrity).length, 0);
  const proxy = attempts(parseFixture('yarn/real/yarn1-tunneling.txt'));
  assert.deepEqual(proxy.map((a) => a.url_or_host), [
    'https://registry.example',
    'https://registry.example',
    'https://registry.example',
    'https://registry.example',
    'https://registry.example/@fortawesome%2ffontawesome-free',
  ]);
  assert.equal(proxy[4]?.error, 'tunneling socket could not be established, statusCode=400');
});
