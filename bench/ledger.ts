// Writing a big session's ledger: a day of `offgrid serve` records hundreds of thousands of
// hits, and the ledger is written when the session ends. offgrid writes it in pieces
// (ledger/pretty-json.ts) because past ~512 MB one string cannot hold it; the peer is what
// that replaced, JSON.stringify(ledger, null, 2) and one write, on the same ledger. Median
// of three, interleaved; the output files are compared byte for byte.
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prettyJsonPieces } from '../src/ledger/pretty-json.js';
import { writeAtomic } from '../src/session/compile-files.js';
import type { DownloadRecord } from '../src/ledger/schema.js';

const WORK = fileURLToPath(new URL('../../bench/.work/ledger', import.meta.url));

export interface LedgerBenchResult {
  readonly records: number;
  readonly megabytes: number;
  readonly offgridSeconds: number;
  readonly stringifySeconds: number;
  readonly ratio: number;
}

function hit(i: number): DownloadRecord {
  return {
    kind: 'file', name: null, version: null, filename: `page-${i}.html`, source: `http://127.0.0.1:8080/pages/page-${i}.html`,
    destination: null, size: 4096, sha256: (i % 256).toString(16).padStart(2, '0').repeat(32), cached: true,
    timestamp: '2026-12-03T06:33:38.123+00:00', duration_ms: 0.12, tool: 'curl', service: null, step: null,
    evidence: 'proxy', index: false, cache_status: 'hit',
  };
}

function seconds(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r3 = (n: number) => Math.round(n * 1000) / 1000;

export function benchLedger(records = 200_000): LedgerBenchResult {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  try {
    const hits = Array.from({ length: records }, (_, i) => hit(i));
    // A serve session's ledger holds each hit twice: under downloads.other and under cached.
    const ledger = { schema_version: 1, downloads: { wheels: [], apt: [], npm: [], other: hits, indexes: [] }, cached: hits, network_attempts: [], errors: [], steps: [] };
    const ours = join(WORK, 'offgrid.json');
    const peer = join(WORK, 'stringify.json');
    const offgrid: number[] = [];
    const stringify: number[] = [];
    for (let round = 0; round < 3; round++) {
      offgrid.push(seconds(() => writeAtomic(ours, prettyJsonPieces(ledger))));
      stringify.push(seconds(() => writeFileSync(peer, JSON.stringify(ledger, null, 2))));
    }
    const bytes = readFileSync(ours);
    if (!bytes.equals(readFileSync(peer))) throw new Error('the pieces differ from JSON.stringify(ledger, null, 2)');
    const result = {
      records,
      megabytes: Math.round(bytes.length / 1e6),
      offgridSeconds: r3(median(offgrid)),
      stringifySeconds: r3(median(stringify)),
      ratio: r3(median(offgrid) / median(stringify)),
    };
    console.log(
      `ledger of ${records} hits (${result.megabytes} MB): written in pieces ${result.offgridSeconds}s vs JSON.stringify + one write ${result.stringifySeconds}s = ${result.ratio}×`,
    );
    return result;
  } finally {
    rmSync(WORK, { recursive: true, force: true });
  }
}
