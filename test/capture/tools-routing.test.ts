// A tool parser whose factory names its lines' first characters (`firstChars`) is not called
// for other lines. That is only right if such lines leave it exactly as it was: checked here
// on real lines interleaved with random foreign ones, and for all the parsers together
// (tool-parser.test.ts checks each declaring parser on every captured log).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import type { CaptureEvent } from '../../src/capture/events.js';
import type { ToolParserFactory } from '../../src/capture/parsers/tool-parser.js';
import { TOOL_PARSERS, createAllToolParsers } from '../../src/capture/parsers/tools.js';
import { fixtureFiles, fixtureLines } from './tools-fixture.js';

const DIRS = readdirSync(new URL('../../../test/fixtures/', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const FIXTURES = DIRS.flatMap((dir) => fixtureFiles(dir));
const ALL_LINES = FIXTURES.flatMap((path) => fixtureLines(path));

function events(factory: ToolParserFactory, lines: readonly string[]): CaptureEvent[] {
  const out: CaptureEvent[] = [];
  const parser = factory((event) => out.push(event), { service: null, step: null });
  for (const line of lines) parser.line(line);
  parser.end();
  return out;
}

/** The lines the router hands a parser with these first characters (an empty or non-ASCII first one goes to all). */
function routed(firstChars: string, lines: readonly string[]): string[] {
  return lines.filter((line) => line === '' || line.charCodeAt(0) >= 128 || firstChars.includes(line[0]!));
}

const ROUTED = TOOL_PARSERS.flatMap((factory) => (factory.firstChars === undefined ? [] : [{ factory, firstChars: factory.firstChars }]));

test('routing: foreign lines between real ones change nothing for a routed parser', () => {
  assert.ok(ROUTED.length >= 2, 'npm and others name their first characters');
  const foreign = fc.oneof(fc.constantFrom(...ALL_LINES), fc.string({ maxLength: 80 }));
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(...ALL_LINES), foreign), { maxLength: 200 }), (pairs) => {
      const lines = pairs.flat();
      for (const { factory, firstChars } of ROUTED) assert.deepEqual(events(factory, routed(firstChars, lines)), events(factory, lines));
    }),
    { numRuns: 100 },
  );
});

test('routing: all tool parsers together give the same events routed as called for every line', () => {
  const everyLine = (lines: readonly string[]): CaptureEvent[] => {
    const out: CaptureEvent[] = [];
    const parsers = TOOL_PARSERS.map((factory) => factory((event) => out.push(event), { service: null, step: null }));
    for (const line of lines) for (const parser of parsers) parser.line(line);
    for (const parser of parsers) parser.end();
    return out;
  };
  for (const path of FIXTURES) {
    const lines = fixtureLines(path);
    const out: CaptureEvent[] = [];
    const all = createAllToolParsers((event) => out.push(event));
    for (const line of lines) all.line(line);
    all.end();
    assert.deepEqual(out, everyLine(lines), path);
  }
});
