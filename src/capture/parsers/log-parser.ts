// THE pipeline every caller feeds build output through: cleaned lines in (see lines.ts),
// CaptureEvents out. It recognises the framing of each line (BuildKit plain, BuildKit
// rawjson, the legacy builder, or none) and hands each command's output to the tool
// parsers with the step it belongs to; lines outside any Docker framing go to one default
// set of tool parsers with step null.
//
// Most lines of a big log are irrelevant; the framing test is a charCodeAt or two before
// any regex or JSON.parse.
import type { CaptureEvent } from '../events.js';
import type { ToolParser, ToolParserFactory } from './tool-parser.js';
import { BuildKitFramer } from './docker-buildkit.js';
import { LegacyFramer } from './docker-legacy.js';
import { RawJsonFramer } from './docker-rawjson.js';
import { StepTracker } from './docker-steps.js';

export interface LogParserOptions {
  /** The Docker Compose service (or image) being built; null outside a Docker build. */
  readonly service: string | null;
  readonly emit: (event: CaptureEvent) => void;
  readonly tools: readonly ToolParserFactory[];
}

export interface LogParser {
  line(text: string): void;
  /** The log ended: open steps and tool parsers report what they hold. */
  end(): void;
}

const HASH = 35; // #
const BRACE = 123; // {

export function createLogParser(options: LogParserOptions): LogParser {
  const steps = new StepTracker(options);
  const buildkit = new BuildKitFramer(steps);
  const rawjson = new RawJsonFramer(steps);
  const legacy = new LegacyFramer(steps);
  let plainTools: ToolParser[] | null = null;

  const plain = (text: string): void => {
    plainTools ??= options.tools.map((factory) => factory(options.emit, { service: options.service, step: null }));
    for (const parser of plainTools) parser.line(text);
  };

  return {
    line(text: string): void {
      const first = text.charCodeAt(0);
      if ((first === HASH || buildkit.active) && buildkit.line(text)) return;
      if (first === BRACE && rawjson.line(text)) return;
      if (legacy.line(text)) return;
      plain(text);
    },
    end(): void {
      rawjson.openSteps();
      steps.endAll();
      if (plainTools !== null) for (const parser of plainTools) parser.end();
      plainTools = null;
    },
  };
}
