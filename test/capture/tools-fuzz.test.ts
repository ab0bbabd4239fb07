import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CaptureEvent } from '../../src/capture/events.js';
import { LineSplitter } from '../../src/capture/parsers/lines.js';
import { createAllToolParsers } from '../../src/capture/parsers/tools.js';
import { DownloadRecord, LedgerError, NetworkAttempt } from '../../src/ledger/schema.js';
import { fixtureFiles, fixtureLines, parseLines } from './tools-fixture.js';

const DIRS = ['pip', 'apt', 'apt-real', 'npm', 'pnpm', 'yarn', 'node-gyp', 'curl', 'wget'] as const;
const FIXTURES = DIRS.flatMap((dir) => fixtureFiles(dir));
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
    pip: ['pip', 'git'], apt: ['apt'], 'apt-real': ['apt', 'apk'], npm: ['npm'], pnpm: ['pnpm', 'corepack'], yarn: ['yarn'], 'node-gyp': ['node-gyp'], curl: ['curl', 'node', 'python'], wget: ['wget'],
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
