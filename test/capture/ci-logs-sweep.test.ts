// CI job logs pasted in public issues (test/fixtures/ci-logs/sweep/README.md names each source),
// each read as a person reads it: the downloads it shows, and the tries that failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptureEvent } from '../../src/capture/events.js';
import { analyzeLines, attempts, downloads, fixtureLines } from './tools-fixture.js';

const analyze = (name: string): CaptureEvent[] => analyzeLines(fixtureLines(`ci-logs/sweep/${name}`));
const files = (events: CaptureEvent[]) => downloads(events).map((d) => [d.tool, d.kind, d.name, d.version, d.cached]);
const tries = (events: CaptureEvent[]) => attempts(events).map((a) => [a.tool, a.url_or_host]);

test('sweep: pip under GitHub Actions, Azure Pipelines and BuildKit prefixes', () => {
  const poetry = analyze('gha-pip25-top-level.txt');
  assert.equal(downloads(poetry).length, 11);
  assert.deepEqual(files(poetry).slice(0, 2), [['pip', 'wheel', 'poetry', '2.1.4', false], ['pip', 'wheel', 'poetry-core', '2.1.3', false]]);
  assert.equal(downloads(poetry)[5]?.size, 1_000_000);
  assert.deepEqual(files(analyze('gha-pip23-requirements.txt')), [
    ['pip', 'wheel', 'attrs', '19.3.0', false],
    ['pip', 'wheel', 'bcrypt', '3.1.7', false],
    ['pip', 'wheel', 'certifi', '2020.6.20', false],
    ['pip', 'sdist', 'cffi', '1.14.0', false],
  ]);
  const docs = files(analyze('gha-pip23-using-cached.txt'));
  assert.equal(docs.length, 8);
  assert.deepEqual(docs.at(-1), ['pip', 'wheel', 'packaging', '23.2', true]);
  assert.deepEqual(files(analyze('buildkit-pip-sdists-no-header.txt')), [
    ['pip', 'sdist', 'numpy', '1.24.2', false],
    ['pip', 'wheel', 'httpx', '0.23.3', false],
    ['pip', 'sdist', 'pyyaml', '6.0', false],
  ]);
  const azure = downloads(analyze('azure-pip21.txt'));
  assert.deepEqual([azure.length, azure[0]?.name, azure[0]?.timestamp], [1, 'pip', '2021-08-04T17:00:58.029Z']);
});

test('sweep: pip 9 on CircleCI and Travis: a clone by commit, a wrapped -v paste and a missing pip make no made-up download', () => {
  const clone = downloads(analyze('circleci-pip9-git-clone.txt'));
  assert.deepEqual(clone.map((d) => [d.kind, d.name, d.version, d.source]), [['file', null, 'aad32b8d5cd8848c50fbef92c73697a93cf182ba', 'https://github.com/ixc/python-edtf']]);
  assert.deepEqual(downloads(analyze('circleci-pip9-wrapped-120.txt')), []);
  assert.deepEqual(analyze('travis-pip-not-found.txt'), []);
});

test('sweep: npm 2 to 8 in CI: fetches from debug logs, and the requests that timed out', () => {
  assert.deepEqual(files(analyze('gha-npm7-debug-log-fetches.txt')), [
    ['npm', 'npm', 'terminal-link', '2.1.1', false],
    ['npm', 'npm', 'symbol-tree', '3.2.4', false],
    ['npm', 'npm', 'supports-hyperlinks', '2.2.0', false],
    ['npm', 'npm', 'supports-color', '7.2.0', false],
    ['npm', 'npm', 'strip-ansi', '6.0.0', false],
  ]);
  assert.deepEqual(tries(analyze('docker-npm7-etimedout.txt')), [['npm', 'https://registry.example/has-values/-/has-values-0.1.4.tgz']]);
  assert.deepEqual(tries(analyze('gha-npm8-artifactory-etimedout.txt')), [['npm', 'https://repo.br.hmheng.io/artifactory/api/npm/npm-remote/yocto-queue/-/yocto-queue-0.1.0.tgz']]);
  // npm 3 names only the address it could not reach.
  assert.deepEqual(tries(analyze('azure-npm3-debug-etimedout.txt')), [['npm', '104.18.94.96:443']]);
  assert.deepEqual(tries(analyze('npm2-fetch-failed-retries.txt')).map(([, url]) => url), [
    'http://registry.example/https-browserify/-/https-browserify-0.0.1.tgz',
    'http://registry.example/http-browserify/-/http-browserify-1.7.0.tgz',
    'http://registry.example/htmlescape/-/htmlescape-1.1.1.tgz',
  ]);
  for (const name of ['docker-npm7-etimedout.txt', 'npm2-fetch-failed-retries.txt']) assert.deepEqual(downloads(analyze(name)), [], name);
});

test('sweep: apt with no DNS or a failing vendor repository: one failed try per index file', () => {
  assert.deepEqual(tries(analyze('apt-update-dns.txt')).map(([, url]) => url), [
    'http://deb.example/ubuntu/dists/focal/InRelease',
    'http://security.example/ubuntu/dists/focal-security/InRelease',
    'http://deb.example/ubuntu/dists/focal-updates/InRelease',
    'http://deb.example/ubuntu/dists/focal-backports/InRelease',
  ]);
  assert.deepEqual(tries(analyze('apt-https-repos-dns.txt')).map(([, url]) => url), [
    'https://deb.nodesource.com/node_16.x/dists/bullseye/InRelease',
    'http://vendor.example/debian/dists/bullseye/InRelease',
    'https://dl.yarnpkg.com/debian/dists/stable/InRelease',
  ]);
  const vendor = attempts(analyze('shippable-apt-502-vendor-repo.txt'));
  assert.deepEqual(vendor.map((a) => a.error.slice(0, 16)), ['502  Bad Gateway', '502  Bad Gateway', '502  Bad Gateway']);
});
