// The ledger is written in pieces (pretty-json.ts) so a session of millions of hits fits no
// single string; the pieces must make exactly the text JSON.stringify(value, null, 2) makes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prettyJsonPieces } from '../../src/ledger/pretty-json.js';

const join = (value: unknown): string => [...prettyJsonPieces(value)].join('');

test('pieces join to JSON.stringify(value, null, 2) for ledger-shaped and odd values', () => {
  const record = { url: 'http://h/a "quoted"\nline', size: 4096, cached: true, sha256: null, tags: ['a', 'b'], nested: { deep: { deeper: [1, { x: [] }] } } };
  const samples: unknown[] = [
    { schema_version: 1, downloads: { apt: [record, record], wheels: [], npm: [{}], other: [[1, [2, [3]]]] }, summary: { total: 2 }, errors: [] },
    { a: undefined, b: () => 1, c: [undefined, () => 1, null], d: new Date(0), e: 'é ☃ \u2028' },
    [],
    {},
    [[[]], {}],
    'text',
    42,
    null,
    { arr: Array.from({ length: 50 }, (_, i) => ({ i, s: 'x'.repeat(i) })) },
  ];
  for (const value of samples) assert.equal(join(value), JSON.stringify(value, null, 2));
});

test('a ledger bigger than a string may be is written without building that string', () => {
  // Each piece stays small whatever the array's length: the writer never joins them all.
  const many = { downloads: { other: Array.from({ length: 20_000 }, (_, i) => ({ i, url: `http://h/f-${i}.bin` })) } };
  let longest = 0;
  let pieces = 0;
  for (const piece of prettyJsonPieces(many)) {
    longest = Math.max(longest, piece.length);
    pieces++;
  }
  assert.ok(pieces > 20_000);
  assert.ok(longest < 200, `longest piece ${longest} characters`);
});
