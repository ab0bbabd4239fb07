// Captured Docker build logs (test/fixtures/docker/, see its README) and a recording tool
// parser, so framing tests see exactly which lines reach the tool parsers, with which step.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Attribution, CaptureEvent, StepEvent } from '../../src/capture/events.js';
import { networkAttemptEvent } from '../../src/capture/events.js';
import { LineSplitter } from '../../src/capture/parsers/lines.js';
import { createLogParser } from '../../src/capture/parsers/log-parser.js';
import type { ToolParserFactory } from '../../src/capture/parsers/tool-parser.js';

export const DOCKER_FIXTURES = fileURLToPath(new URL('../../../test/fixtures/docker/', import.meta.url));

export function dockerFixtureNames(): string[] {
  return readdirSync(DOCKER_FIXTURES).filter((name) => name.endsWith('.log')).sort();
}

export function fixtureBytes(name: string): Buffer {
  return readFileSync(join(DOCKER_FIXTURES, name));
}

/** The fixture as the pipeline sees it: split and cleaned by LineSplitter. */
export function fixtureLines(name: string): string[] {
  return splitLines(fixtureBytes(name));
}

export function splitLines(bytes: Buffer): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  splitter.write(bytes);
  splitter.end();
  return lines;
}

export interface SeenLine extends Attribution {
  readonly text: string;
}

export interface Recording {
  readonly lines: SeenLine[];
  /** Attributions whose parsers were ended, in order. */
  readonly ended: Attribution[];
  readonly events: CaptureEvent[];
  steps(): StepEvent[];
}

/**
 * A tool parser that records its lines and, standing in for the real network clients'
 * parsers, reports a network attempt for the failure texts apt-get and busybox wget print.
 */
export function recordingTools(recording: Recording): ToolParserFactory {
  return (emit, at) => ({
    line(text) {
      recording.lines.push({ ...at, text });
      const failure = /Temporary failure resolving '([^']+)'|wget: bad address '([^']+)'|wget: can't connect to remote host \(([^)]+)\)/.exec(text);
      if (failure !== null && !text.startsWith('W: ')) {
        const host = failure[1] ?? failure[2] ?? failure[3] ?? '';
        emit(networkAttemptEvent({ tool: 'recording', url_or_host: host, error: text.trim(), service: at.service, step: at.step }));
      }
    },
    end() {
      recording.ended.push(at);
    },
  });
}

export function newRecording(): Recording {
  const events: CaptureEvent[] = [];
  return {
    lines: [],
    ended: [],
    events,
    steps: () => events.filter((e): e is StepEvent => e.type === 'step'),
  };
}

/** Runs lines through createLogParser with the recording tools. */
export function record(lines: readonly string[], service: string | null = 'api'): Recording {
  const recording = newRecording();
  const parser = createLogParser({ service, emit: (e) => recording.events.push(e), tools: [recordingTools(recording)] });
  for (const line of lines) parser.line(line);
  parser.end();
  return recording;
}
