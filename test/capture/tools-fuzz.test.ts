import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import fc from 'fast-check';
import type { CaptureEvent } from '../../src/capture/events.js';
import { LineSplitter } from '../../src/capture/parsers/lines.js';
import { createAllToolParsers } from '../../src/capture/parsers/tools.js';
import { DownloadRecord, LedgerError, NetworkAttempt } from '../../src/ledger/schema.js';
import { fixtureLines, parseLines } from './tools-fixture.js';

const DIRS = ['pip', 'apt', 'npm', 'curl', 'wget'] as const;
const FIXTURES = DIRS.flatMap((dir) =>
  readdirSync(new URL(`../../../test/fixtures/${dir}/`, import.meta.url)).map((file) => `${dir}/${file}`),
);
const REAL_LINES = FIXTURES.flatMap((path) => fixtureLines(path)).filter((line) => line.length > 0);

/** Every event must become a valid ledger record once the session stamps a time. */
function assertWellFormed(event: CaptureEvent): void {
  assert.notEqual(event.type, 'step', 'tool parsers do not emit build steps');
  if (event.type === 'step') return;
  // The session stamps a time and folds repeated attempts (count) when it writes the ledger.
  const stamped = { ...event, timestamp: event.timestamp ?? '2026-01-01T00:00:00Z', count: 1 };
  const schema = event.type === 'download' ? DownloadRecord : event.type === 'network_attempt' ? NetworkAttempt : LedgerError;
  const result = schema.safeParse(stamped);
  assert.ok(result.success, `${JSON.stringify(event)}: ${result.error?.message ?? ''}`);
  if (event.type === 'network_attempt') assert.notEqual(event.url_or_host, '');
}

test('every captured fixture gives well-formed events, each from its own tool', () => {
  const toolsOf: Record<(typeof DIRS)[number], string[]> = {
    pip: ['pip'], apt: ['apt'], npm: ['npm'], curl: ['curl', 'node', 'python'], wget: ['wget'],
  };
  for (const path of FIXTURES) {
    const dir = path.split('/')[0] as (typeof DIRS)[number];
    for (const event of parseLines(fixtureLines(path))) {
      assertWellFormed(event);
      if (event.type !== 'step') assert.ok(toolsOf[dir].includes(event.tool ?? ''), `${path}: ${JSON.stringify(event)}`);
    }
  }
});

const mutatedLine = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom(...REAL_LINES),
  fc.tuple(fc.constantFrom(...REAL_LINES), fc.nat()).map(([line, n]) => line.slice(0, n % (line.length + 1))),
  fc.tuple(fc.constantFrom(...REAL_LINES), fc.constantFrom(...REAL_LINES), fc.nat(), fc.nat()).map(
    ([a, b, i, j]) => a.slice(0, i % (a.length + 1)) + b.slice(j % (b.length + 1)),
  ),
  fc.tuple(fc.constantFrom(...REAL_LINES), fc.nat(), fc.string({ minLength: 1, maxLength: 8 })).map(
    ([line, i, junk]) => line.slice(0, i % (line.length + 1)) + junk + line.slice(i % (line.length + 1)),
  ),
);

test('parsers never throw and emit well-formed events on mutated and random lines', () => {
  fc.assert(
    fc.property(fc.array(mutatedLine, { maxLength: 60 }), fc.boolean(), (lines, twice) => {
      const input = twice ? [...lines, ...lines] : lines;
      for (const event of parseLines(input)) assertWellFormed(event);
    }),
    { numRuns: 1500 },
  );
});

test('random bytes through the line splitter into the parsers: no throw, valid events', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4000 }), fc.integer({ min: 1, max: 64 }), (bytes, chunk) => {
      const events: CaptureEvent[] = [];
      const parser = createAllToolParsers((event) => events.push(event));
      const splitter = new LineSplitter((line) => parser.line(line));
      for (let at = 0; at < bytes.length; at += chunk) splitter.write(Buffer.from(bytes.subarray(at, at + chunk)));
      splitter.end();
      parser.end();
      for (const event of events) assertWellFormed(event);
    }),
    { numRuns: 300 },
  );
});

test('throughput: splitter + all parsers over mostly irrelevant lines reach 150 MB/s', (t) => {
  const noise = [
    '#12 3.456 Compiling src/main.rs (target/debug/build/foo-1234/out)',
    'Setting up libssl3:amd64 (3.0.11-1~deb12u2) ...',
    '  File "/usr/lib/python3/dist-packages/foo.py", line 12, in <module>',
    'CC       lib/libfoo_la-bar.lo',
    'Requirement already satisfied: six in /usr/lib/python3/dist-packages (1.16.0)',
    'npm verbose reify failed optional dependency',
    'Downloading is not a real pip line here but starts like one',
    '2026-01-09 14:22:33 [info] request served in 12ms',
  ];
  const block = Buffer.from(Array.from({ length: 20_000 }, (_, i) => noise[i % noise.length]).join('\n') + '\n');
  const total = 48 * 1024 * 1024;
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const parser = createAllToolParsers(() => {});
    const splitter = new LineSplitter((line) => parser.line(line));
    const start = process.hrtime.bigint();
    for (let done = 0; done < total; done += block.length) splitter.write(block);
    splitter.end();
    parser.end();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  const mbPerSecond = total / 1e6 / best;
  t.diagnostic(`${mbPerSecond.toFixed(0)} MB/s`);
  // On a machine busier than its core count, wall-clock time says nothing about this code.
  const load = loadavg()[0] ?? 0;
  if (load > availableParallelism()) {
    t.skip(`machine overloaded (load ${load.toFixed(1)}); measured ${mbPerSecond.toFixed(0)} MB/s`);
    return;
  }
  assert.ok(mbPerSecond >= 150, `${mbPerSecond.toFixed(0)} MB/s`);
});
