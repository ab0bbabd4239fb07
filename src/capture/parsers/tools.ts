// Every tool parser, and a way to run them all over the same lines. A line reaches only
// the parsers whose declared first characters admit it (combineToolParsers), and each
// rejects lines that are not its own with a first-character check before any regex.
import type { Attribution, CaptureEvent } from '../events.js';
import { createApkParser } from './apk.js';
import { createAptParser } from './apt.js';
import { createCorepackParser } from './corepack.js';
import { createDockerPullParser } from './docker-pull.js';
import { createEasyInstallParser } from './easy-install.js';
import { createGradleWrapperParser } from './gradle-wrapper.js';
import { createNetClientParser } from './netclients.js';
import { createNodeGypParser } from './node-gyp.js';
import { createNpmParser } from './npm.js';
import { createPipParser } from './pip.js';
import { createPnpmParser } from './pnpm.js';
import { combineToolParsers, type ToolParser, type ToolParserFactory } from './tool-parser.js';
import { createUvParser } from './uv.js';
import { createYarnParser } from './yarn.js';
import { createYarnBerryParser } from './yarn-berry.js';

export { createApkParser, createAptParser, createCorepackParser, createDockerPullParser, createEasyInstallParser, createGradleWrapperParser, createNetClientParser, createNodeGypParser, createNpmParser, createPipParser, createPnpmParser, createUvParser, createYarnBerryParser, createYarnParser };

export const TOOL_PARSERS: readonly ToolParserFactory[] = [
  createPipParser,
  createUvParser,
  createAptParser,
  createApkParser,
  createNpmParser,
  createYarnParser,
  createYarnBerryParser,
  createNodeGypParser,
  createPnpmParser,
  createCorepackParser,
  createEasyInstallParser,
  createGradleWrapperParser,
  createNetClientParser,
  createDockerPullParser,
];

const NO_ATTRIBUTION: Attribution = { service: null, step: null };

/** One parser that hands each line to every tool parser that may want it. */
export function createAllToolParsers(
  emit: (event: CaptureEvent) => void,
  at: Attribution = NO_ATTRIBUTION,
  factories: readonly ToolParserFactory[] = TOOL_PARSERS,
): ToolParser {
  return combineToolParsers(factories, emit, at);
}

/** Runs every tool parser over already-clean lines and returns the events. */
export function parseToolLines(lines: Iterable<string>, at: Attribution = NO_ATTRIBUTION): CaptureEvent[] {
  const events: CaptureEvent[] = [];
  const parser = createAllToolParsers((event) => events.push(event), at);
  for (const line of lines) parser.line(line);
  parser.end();
  return events;
}
