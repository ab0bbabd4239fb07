// Yarn 2–4 (berry), as users pasted it (test/fixtures/yarn/real/README.md; registry host replaced).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLocator } from '../../src/capture/parsers/yarn-berry.js';
import { analyzeLines, attempts, downloads, errors, fixtureLines, parseFixture, parseLines } from './tools-fixture.js';

test('yarn berry locators: plain, scoped, aliased, git', () => {
  assert.deepEqual(parseLocator('lodash@npm:4.17.21'), { name: 'lodash', version: '4.17.21' });
  assert.deepEqual(parseLocator('@babel/core@npm:7.0.0'), { name: '@babel/core', version: '7.0.0' });
  assert.deepEqual(parseLocator('string-width-cjs@npm:string-width@4.2.3'), { name: 'string-width', version: '4.2.3' });
  assert.deepEqual(parseLocator('pkg@https://github.com/o/r.git#commit=abc'), { name: 'pkg', version: null });
});

test('yarn berry YN0013: each package not in the cache is one download (repeats and local patches are not)', () => {
  const fetched = downloads(parseFixture('yarn/real/berry-fetch-step.txt'));
  assert.deepEqual(fetched.map((d) => [d.tool, d.kind, d.name, d.version, d.cached, d.index]), [
    ['yarn', 'npm', 'readable-stream', '3.5.0', false, false],
    ['yarn', 'npm', 'readline-sync', '1.4.9', false, false],
    ['yarn', 'npm', 'redux', '4.0.5', false, false],
    ['yarn', 'npm', 'responselike', '2.0.0', false, false],
  ]);
  // Inside a BuildKit step, where yarn 3 printed the same packages again.
  const docker = downloads(analyzeLines(fixtureLines('yarn/real/berry-docker-fetch.plain.log')));
  assert.deepEqual(docker.map((d) => `${d.name}@${d.version}`), [
    'workbox-routing@6.5.4',
    'workbox-strategies@6.5.4',
    'workbox-streams@6.5.4',
    'workbox-recipes@6.5.4',
    'workbox-sw@6.5.4',
  ]);
  // Yarn 4 names no fetched package: nothing to record, nothing made up.
  assert.equal(parseFixture('yarn/real/berry4-added.txt').length, 0);
});

test('yarn berry YN0001 RequestError: a failed request at the server the error names, else an unknown host', () => {
  const dns = parseFixture('yarn/real/berry3-enotfound.txt');
  assert.deepEqual(attempts(dns).map((a) => [a.tool, a.url_or_host, a.error]), [['yarn', 'registry.example', 'getaddrinfo ENOTFOUND registry.example']]);
  assert.equal(dns.length, 1, 'not also reported by the generic Node error reader');
  assert.deepEqual(attempts(parseFixture('yarn/real/berry4-request-error.txt')).map((a) => [a.url_or_host, a.error]), [['unknown host', 'RequestError']]);
});

test("yarn berry YN0035: the registry's answer, with its URL, is an error and a failed try at the URL; YN0018 a checksum error", () => {
  const three = parseFixture('yarn/real/berry3-404.txt');
  assert.deepEqual(errors(three).map((e) => [e.tool, e.message]), [
    ['yarn', 'https://registry.example/@my-org%2fpresets: 404 (Not Found)'],
  ]);
  assert.deepEqual(attempts(three).map((a) => [a.url_or_host, a.error]), [['https://registry.example/@my-org%2fpresets', '404 (Not Found)']]);
  const four = parseFixture('yarn/real/berry4-404.txt');
  assert.deepEqual(four.map((e) => e.type), ['error', 'network_attempt']);
  assert.deepEqual(errors(four).map((e) => e.message), ['https://registry.example/api-grade-core: 404 (Not Found)']);

  const git = parseFixture('yarn/real/berry3-git-checksum.txt');
  assert.deepEqual(downloads(git).map((d) => [d.name, d.version]), [
    ['@ptomasroos/react-native-multi-slider', null],
    ['multiple-cucumber-html-reporter', null],
    ['@ptomasroos/react-native-multi-slider', null],
  ]);
  assert.deepEqual(errors(git).map((e) => e.message.endsWith(": The remote archive doesn't match the expected checksum")), [true, true]);
});

test('yarn berry YN0001 that is no request error (local file errors) records no failed request', () => {
  // A docker-compose run of yarn 3 (search-index file id 17783369945).
  const local = parseLines([
    "➤ YN0001: │ Error: @aws-sdk/invalid-dependency@npm:3.55.0: EACCES: permission denied, copyfile '/tmp/xfs-c9e9442f/archive.zip' -> '/usr/src/app/.yarn/cache/@aws-sdk-invalid-dependency-npm-3.55.0-1d4fb8e869-1a257fa9c0.zip-8916845f5b16a61f.tmp'",
  ]);
  assert.equal(local.length, 0);
});
