import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeEvidence } from '../../src/ledger/evidence.js';
import type { DownloadRecord } from '../../src/ledger/schema.js';

function record(fields: Partial<DownloadRecord>): DownloadRecord {
  return {
    kind: 'apt', cached: false, name: null, version: null, filename: null, source: null, destination: null, size: null, sha256: null,
    timestamp: '2026-12-03T06:29:40.000+00:00', duration_ms: null, tool: 'apt', service: null, step: null,
    evidence: 'log', index: true, cache_status: null, ...fields,
  };
}

// A Debian bookworm `apt-get update` through offgrid's proxy (2026-12-03): apt printed
//   Get:2 http://MIRROR/debian bookworm/main amd64 Packages [8790 kB]
//   Get:3 http://MIRROR/debian bookworm/main Translation-en [6107 kB]
// and fetched both by hash, as the Release file's Acquire-By-Hash asks.
const DISTS = 'http://mirror.example/debian/dists/bookworm';
const packagesLog = record({ source: `${DISTS}/main/binary-amd64/Packages`, size: 8_790_000 });
const translationLog = record({ source: `${DISTS}/main/i18n/Translation-en`, size: 6_107_000 });
const proxy = (source: string, size: number): DownloadRecord =>
  record({ evidence: 'proxy', tool: 'proxy', source, size, cached: true, sha256: 'c'.repeat(64), cache_status: 'hit' });
const packagesByHash = proxy(`${DISTS}/main/binary-amd64/by-hash/SHA256/9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5`, 8_790_396);
const translationByHash = proxy(`${DISTS}/main/i18n/by-hash/SHA256/a3d4a0bfd8e9242810b0885eda7c1a6e05dac15b333ddbaab03ba56f2dfa4bf0`, 6_107_304);

test('an index file apt prints by name and fetches by hash is one record: the proxy says it was cached, the log where it went', () => {
  const merged = mergeEvidence([packagesByHash, translationByHash, { ...packagesLog, step: 'RUN apt-get update' }, translationLog]);
  assert.equal(merged.length, 2);
  assert.deepEqual(merged.map((r) => [r.evidence, r.cached, r.size, r.source?.split('/').slice(-4, -2).join('/')]), [
    ['both', true, 8_790_396, 'binary-amd64/by-hash'],
    ['both', true, 6_107_304, 'i18n/by-hash'],
  ]);
  assert.equal(merged[0]!.step, 'RUN apt-get update');
});

test('an index file fetched compressed (Packages.xz) pairs with the name apt printed; sizes must agree with what apt printed', () => {
  const xz = proxy(`${DISTS}/main/binary-amd64/Packages.xz`, 8_790_396);
  assert.deepEqual(mergeEvidence([xz, packagesLog]).map((r) => r.evidence), ['both']);
  // A different file of that directory (its size far from what apt printed) is not taken for it.
  const other = proxy(`${DISTS}/main/binary-amd64/by-hash/SHA256/${'d'.repeat(64)}`, 1_200_000);
  assert.deepEqual(mergeEvidence([other, packagesLog]).map((r) => r.evidence), ['proxy', 'log']);
  // Another directory never pairs, whatever the size.
  const arm = proxy(`${DISTS}/main/binary-arm64/Packages.xz`, 8_790_396);
  assert.deepEqual(mergeEvidence([arm, packagesLog]).map((r) => r.evidence), ['proxy', 'log']);
});

test('with no size in the log (apt -q), an index file pairs only with the one candidate of its directory', () => {
  const quiet = { ...packagesLog, size: null };
  assert.deepEqual(mergeEvidence([packagesByHash, quiet]).map((r) => r.evidence), ['both']);
  const second = proxy(`${DISTS}/main/binary-amd64/by-hash/SHA256/${'e'.repeat(64)}`, 30_000);
  assert.deepEqual(mergeEvidence([packagesByHash, second, quiet]).map((r) => r.evidence), ['proxy', 'proxy', 'log']);
});

test('a name match comes first: the by-directory pairing takes only what names left unpaired', () => {
  const inRelease = proxy(`${DISTS}/InRelease`, 151_075);
  const inReleaseLog = record({ source: `${DISTS}/InRelease`, size: 151_000 });
  const merged = mergeEvidence([inRelease, packagesByHash, inReleaseLog, packagesLog]);
  assert.deepEqual(merged.map((r) => [r.evidence, r.size]), [['both', 151_075], ['both', 8_790_396]]);
});

test('a package whose version has an epoch is one record: apt names its archive file with the epoch (file_1%3a5.44-3), the pool\'s file has none', () => {
  // `apt-get install file` on Debian 12 through offgrid (2026-12-03): the log's Get: line and the proxy's pool URL.
  const log = record({ index: false, name: 'file', version: '1:5.44-3', filename: 'file_1%3a5.44-3_amd64.deb', source: 'http://mirror.example/debian', size: 41_000 });
  const fetched = proxy('http://mirror.example/debian/pool/main/f/file/file_5.44-3_amd64.deb', 41_240);
  const merged = mergeEvidence([{ ...fetched, index: false, name: 'file', version: '5.44-3', filename: 'file_5.44-3_amd64.deb' }, log]);
  assert.deepEqual(merged.map((r) => [r.evidence, r.version, r.filename, r.source]), [
    ['both', '1:5.44-3', 'file_5.44-3_amd64.deb', 'http://mirror.example/debian/pool/main/f/file/file_5.44-3_amd64.deb'],
  ]);
});
