// Reads a captured tool output from test/fixtures/ through the real line splitter and
// runs parsers over it.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Attribution, CaptureEvent, DownloadEvent, ErrorEvent, NetworkAttemptEvent } from '../../src/capture/events.js';
import { LineSplitter } from '../../src/capture/parsers/lines.js';
import type { ToolParserFactory } from '../../src/capture/parsers/tool-parser.js';
import { createLogParser } from '../../src/capture/parsers/log-parser.js';
import { TOOL_PARSERS, createAllToolParsers } from '../../src/capture/parsers/tools.js';

// Compiled tests live in dist/test/capture; the fixtures stay in the source tree.
const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);

export function fixtureBytes(path: string): Buffer {
  return readFileSync(new URL(path, FIXTURES));
}

/** Every captured output under fixtures/`dir` (`.txt`, `.log`), subfolders such as `real/` included, as paths for fixtureLines. */
export function fixtureFiles(dir: string): string[] {
  const root = fileURLToPath(FIXTURES);
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(txt|log)$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

export function fixtureLines(path: string): string[] {
  return splitLines(fixtureBytes(path));
}

export function splitLines(bytes: Buffer, chunkSize = bytes.length || 1): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (let at = 0; at < bytes.length; at += chunkSize) splitter.write(bytes.subarray(at, at + chunkSize));
  splitter.end();
  return lines;
}

/** Parses a fixture with the given parsers (default: all tool parsers). */
export function parseFixture(
  path: string,
  factories?: readonly ToolParserFactory[],
  at: Attribution = { service: null, step: null },
): CaptureEvent[] {
  return parseLines(fixtureLines(path), factories, at);
}

export function parseLines(
  lines: Iterable<string>,
  factories?: readonly ToolParserFactory[],
  at: Attribution = { service: null, step: null },
): CaptureEvent[] {
  const events: CaptureEvent[] = [];
  const parser = createAllToolParsers((event) => events.push(event), at, factories);
  for (const line of lines) parser.line(line);
  parser.end();
  return events;
}

export const downloads = (events: CaptureEvent[]): DownloadEvent[] =>
  events.filter((e): e is DownloadEvent => e.type === 'download');
export const attempts = (events: CaptureEvent[]): NetworkAttemptEvent[] =>
  events.filter((e): e is NetworkAttemptEvent => e.type === 'network_attempt');
export const errors = (events: CaptureEvent[]): ErrorEvent[] => events.filter((e): e is ErrorEvent => e.type === 'error');

/** Runs the whole pipeline (CI prefixes, Docker framing, every tool parser) over clean lines. */
export function analyzeLines(lines: Iterable<string>): CaptureEvent[] {
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service: null, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of lines) parser.line(line);
  parser.end();
  return events;
}

export function byName(events: DownloadEvent[]): Map<string | null, DownloadEvent> {
  return new Map(events.map((e) => [e.name, e]));
}
