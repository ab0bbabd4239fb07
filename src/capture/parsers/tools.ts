// Every tool parser, and a way to run them all over the same lines. A parser that names
// the first characters of its lines (`firstChars`) is not called for the others; the rest
// reject foreign lines with a first-character check of their own.
import type { Attribution, CaptureEvent } from '../events.js';
import { createAptParser } from './apt.js';
import { createNetClientParser } from './netclients.js';
import { createNpmParser } from './npm.js';
import { createPipParser } from './pip.js';
import type { ToolParser, ToolParserFactory } from './tool-parser.js';

export { createAptParser, createNetClientParser, createNpmParser, createPipParser };

export const TOOL_PARSERS: readonly ToolParserFactory[] = [
  createPipParser,
  createAptParser,
  createNpmParser,
  createNetClientParser,
];

const NO_ATTRIBUTION: Attribution = { service: null, step: null };

/** Lines whose first character is below this are routed by a table; the rest go to every parser. */
const ROUTED_CODES = 128;

/**
 * One parser that hands each line to every tool parser that may read it: those without
 * `firstChars` always, the others only for a line starting with one of theirs (in the order
 * of `factories`). A line starting with a non-ASCII character goes to all of them.
 */
export function createAllToolParsers(
  emit: (event: CaptureEvent) => void,
  at: Attribution = NO_ATTRIBUTION,
  factories: readonly ToolParserFactory[] = TOOL_PARSERS,
): ToolParser {
  const parsers = factories.map((factory) => factory(emit, at));
  const readers = (code: number): ToolParser[] =>
    parsers.filter((p) => p.firstChars === undefined || p.firstChars.includes(String.fromCharCode(code)));
  const byFirst = Array.from({ length: ROUTED_CODES }, (_, code) => readers(code));
  // An empty line has no first character: only the parsers that read every line see it.
  const everyLine = parsers.filter((p) => p.firstChars === undefined);
  return {
    line(text) {
      const code = text.charCodeAt(0);
      const targets = code < ROUTED_CODES ? byFirst[code]! : code >= ROUTED_CODES ? parsers : everyLine;
      for (const parser of targets) parser.line(text);
    },
    end() {
      for (const parser of parsers) parser.end();
    },
  };
}

/** Runs every tool parser over already-clean lines and returns the events. */
export function parseToolLines(lines: Iterable<string>, at: Attribution = NO_ATTRIBUTION): CaptureEvent[] {
  const events: CaptureEvent[] = [];
  const parser = createAllToolParsers((event) => events.push(event), at);
  for (const line of lines) parser.line(line);
  parser.end();
  return events;
}
