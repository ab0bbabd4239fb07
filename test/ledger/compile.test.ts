import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLedger, type JournalEntry } from '../../src/ledger/compile.js';
import { Ledger, type DownloadRecord } from '../../src/ledger/schema.js';

const header = { session_id: '20260109_142233', started_at: '2026-01-09T14:22:33.000+00:00', command: ['make', 'build'], offline: false };
const end = { ended_at: '2026-01-09T14:24:01.500+00:00', exit_code: 0, complete: true };

function record(fields: Partial<DownloadRecord> & Pick<DownloadRecord, 'kind' | 'cached'>): DownloadRecord {
  return {
    name: null, version: null, filename: null, source: null, destination: null, size: null, sha256: null,
    timestamp: '2026-01-09T14:23:00.000+00:00', duration_ms: null, tool: 'pip', service: null, step: null,
    evidence: 'log', index: false, cache_status: null, ...fields,
  };
}
const dl = (r: DownloadRecord): JournalEntry => ({ t: 'download', record: r });

test('summary counts artifacts by cached state and kind; index files apart', () => {
  const ledger = compileLedger(header, [
    dl(record({ kind: 'wheel', cached: false, name: 'numpy', filename: 'numpy-2.2.6-cp311-cp311-manylinux_2_17_x86_64.whl', size: 1000 })),
    dl(record({ kind: 'wheel', cached: true, name: 'six', filename: 'six-1.16.0-py2.py3-none-any.whl', size: 10 })),
    dl(record({ kind: 'apt', cached: true, tool: 'apt', name: 'jq', size: 50 })),
    dl(record({ kind: 'apt', cached: false, tool: 'apt', index: true, filename: 'InRelease', size: 7 })),
  ], end);
  assert.deepEqual(
    { d: ledger.summary.total_downloads, c: ledger.summary.total_cached, bd: ledger.summary.bytes_downloaded, bc: ledger.summary.bytes_cached },
    { d: 1, c: 2, bd: 1000, bc: 60 },
  );
  assert.deepEqual(ledger.summary.by_kind.wheel, { downloaded: 1, cached: 1 });
  assert.deepEqual(ledger.summary.index_files, { downloaded: 1, cached: 0, bytes: 7 });
  assert.equal(ledger.downloads.wheels.length, 2);
  assert.equal(ledger.downloads.indexes.length, 1);
  assert.equal(ledger.cached.length, 2);
  assert.equal(ledger.duration_seconds, 88.5);
  Ledger.parse(ledger);
});

test('the same artifact seen by the proxy and a log becomes one record with evidence "both"', () => {
  const file = 'requests-2.32.3-py3-none-any.whl';
  const ledger = compileLedger(header, [
    dl(record({ kind: 'wheel', cached: true, evidence: 'proxy', tool: 'proxy', filename: file, source: `http://127.0.0.1:9/pypi/files/${file}`, size: 64000, sha256: 'a'.repeat(64), cache_status: 'hit' })),
    dl(record({ kind: 'wheel', cached: false, evidence: 'log', filename: file, name: 'requests', version: '2.32.3', destination: `wheelhouse/${file}`, service: 'api', step: 'RUN pip install' })),
    dl(record({ kind: 'wheel', cached: false, evidence: 'log', filename: 'idna-3.7-py3-none-any.whl' })),
  ], end);
  assert.equal(ledger.downloads.wheels.length, 2);
  const both = ledger.downloads.wheels.find((r) => r.filename === file)!;
  assert.equal(both.evidence, 'both');
  assert.equal(both.cached, true, 'the proxy knows whether bytes crossed the network');
  assert.equal(both.sha256, 'a'.repeat(64));
  assert.equal(both.destination, `wheelhouse/${file}`);
  assert.equal(both.service, 'api');
  assert.equal(both.version, '2.32.3');
});

test('a merged record keeps the earlier time, compared as instants across offsets (a CI log\'s Z time beside the session\'s local time)', () => {
  const file = 'idna-3.7-py3-none-any.whl';
  // 14:23:05+02:00 is 12:23:05Z: earlier than the log's 12:23:30Z, though it sorts after it as text.
  const ledger = compileLedger(header, [
    dl(record({ kind: 'wheel', cached: false, evidence: 'proxy', tool: 'proxy', filename: file, source: `http://127.0.0.1:9/pypi/files/${file}`, timestamp: '2026-01-09T14:23:05.000+02:00' })),
    dl(record({ kind: 'wheel', cached: false, evidence: 'log', filename: file, timestamp: '2026-01-09T12:23:30.000Z' })),
  ], end);
  assert.equal(ledger.downloads.wheels[0]!.evidence, 'both');
  assert.equal(ledger.downloads.wheels[0]!.timestamp, '2026-01-09T14:23:05.000+02:00');
});

test('identical network attempts (a retry loop) fold into one record with a count', () => {
  const attempt = { url_or_host: 'http://127.0.0.1:1/simple/x/', tool: 'pip', error: 'Connection refused', timestamp: 't', service: null, step: null, evidence: 'log' as const };
  const ledger = compileLedger(header, [
    { t: 'network_attempt', record: attempt },
    { t: 'network_attempt', record: attempt },
    { t: 'network_attempt', record: { ...attempt, url_or_host: 'other.invalid' } },
  ], end);
  assert.equal(ledger.network_attempts.length, 2);
  assert.equal(ledger.network_attempts[0]!.count, 2);
  assert.equal(ledger.summary.network_attempts, 3);
});

test('a step seen running then done keeps the final state; an error is never downgraded', () => {
  const step = { service: 'api', id: '5', name: '[2/4] RUN apt-get update', status: 'running' as const, duration_seconds: null, error: null };
  const ledger = compileLedger(header, [
    { t: 'step', record: step },
    { t: 'step', record: { ...step, status: 'error', error: 'exit code: 100' } },
    { t: 'step', record: { ...step, status: 'done', duration_seconds: 3.2 } },
  ], end);
  assert.equal(ledger.steps.length, 1);
  assert.equal(ledger.steps[0]!.status, 'error');
  assert.equal(ledger.steps[0]!.duration_seconds, 3.2);
});
