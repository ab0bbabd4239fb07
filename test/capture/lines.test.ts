// LineSplitter: the lines it hands on are the log's lines, however the bytes arrive. Runs of
// whole lines are decoded a piece at a time (ASCII pieces as latin1), so the checks below
// mix ASCII with multi-byte characters across runs far larger than one piece.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineSplitter, cleanLine } from '../../src/capture/parsers/lines.js';

function split(bytes: Buffer, chunkSizes: readonly number[]): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = chunkSizes[i % chunkSizes.length] ?? bytes.length;
    splitter.write(bytes.subarray(at, at + size));
    at += size;
  }
  splitter.end();
  return lines;
}

/** What a reader of the whole file sees: UTF-8 decoded at once, cut at newlines. */
function reference(bytes: Buffer): string[] {
  const text = bytes.toString('utf8');
  const lines = text.split('\n').map(cleanLine);
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

const WORDS = ['Compiling', "'/usr/lib/python3/x.py'...", 'Downloading', 'é', '━━━━', '‘quoted’', '漢字', '🙂', '\r', '', '42'];
const line = fc.array(fc.constantFrom(...WORDS), { maxLength: 30 }).map((words) => words.join(' '));

test('LineSplitter: ASCII and multi-byte lines come out whole, at any chunking', () => {
  fc.assert(
    fc.property(
      fc.array(line, { minLength: 1, maxLength: 3000 }),
      fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 8 }),
      (lines, chunkSizes) => {
        const bytes = Buffer.from(`${lines.join('\n')}\n`);
        assert.deepEqual(split(bytes, chunkSizes), reference(bytes));
      },
    ),
    { numRuns: 60 },
  );
});

test('LineSplitter: one non-ASCII line in a long ASCII run leaves every other line intact', () => {
  const ascii = Array.from({ length: 4000 }, (_, i) => `Compiling '/usr/lib/python3/module_${i}.py'...`);
  ascii.splice(2500, 0, 'Saving to: ‘wheel.whl’ ━━━ 100%');
  const bytes = Buffer.from(`${ascii.join('\n')}\n`);
  assert.ok(bytes.length > 64 * 1024, 'the run spans several decode pieces');
  const lines = split(bytes, [bytes.length]);
  assert.deepEqual(lines, ascii);
  // Invalid UTF-8 in one line becomes U+FFFD there and nowhere else.
  const broken = Buffer.concat([bytes.subarray(0, 1000), Buffer.from([0xff, 0xfe]), bytes.subarray(1000)]);
  assert.deepEqual(split(broken, [4096]), reference(broken));
});

test("LineSplitter: Buildkite's time at the start of a line stays as text for the CI prefix reader, every other escape goes", () => {
  const lines = split(Buffer.from('\x1b_bk;t=1712345678950\x07\x1b[32m  Downloading x-1.0-py3-none-any.whl (62 kB)\x1b[0m\n\x1b_bk;t=1\x07first\x1b_bk;t=2\x07 second\n\x1b_bk;t=x\x07y\n'), [4096]);
  assert.deepEqual(lines, ['_bk;t=1712345678950  Downloading x-1.0-py3-none-any.whl (62 kB)', '_bk;t=1first second', 'y']);
});

test("cleanLine: Buildkite's per-line APC timestamp (ESC _bk;t=ms BEL) and other string escapes come off whole", () => {
  // Buildkite's raw job log (what its REST API and `bk job log` return).
  assert.equal(cleanLine('\x1b_bk;t=1712345678901\x07Collecting requests'), 'Collecting requests');
  assert.equal(cleanLine('\x1b_bk;t=1712345678950\x07\x1b[32m  Downloading x-1.0-py3-none-any.whl (62 kB)\x1b[0m'), '  Downloading x-1.0-py3-none-any.whl (62 kB)');
  assert.equal(cleanLine('\x1b_bk;t=1\x07first\x1b_bk;t=2\x07 second'), 'first second');
  assert.equal(cleanLine('\x1bPq#0;2;0;0;0\x1b\\Get:1 http://example.org/debian bookworm InRelease'), 'Get:1 http://example.org/debian bookworm InRelease');
});
