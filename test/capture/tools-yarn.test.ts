// Yarn 1, as pasted in public issues (registry host replaced).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attempts, downloads, errors, parseLines } from './tools-fixture.js';

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
