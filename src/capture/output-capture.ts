// A running command's output, captured: every line goes to the session log and through
// the log parser, whose events the session records as they happen.
import type { EventSink } from './events.js';
import { LineSplitter } from './parsers/lines.js';
import { createLogParser } from './parsers/log-parser.js';
import { TOOL_PARSERS } from './parsers/tools.js';

export interface CaptureTarget {
  logLine(line: string): void;
  flushLog(): void;
  record: EventSink;
}

export interface OutputCapture {
  /** A splitter per output stream (stdout, stderr), so their partial lines never mix. */
  stream(): { write(chunk: Buffer): void; end(): void };
  /** All streams ended: flush what the parsers inferred from the whole output. */
  end(): void;
}

/** A capture of real output, which also knows the Docker build steps running now. */
export interface LiveCapture extends OutputCapture {
  /** Build steps begun and not ended that can reach the network, by label (see LogParser). */
  openNetworkSteps(): string[];
}

export function createOutputCapture(target: CaptureTarget, service: string | null): LiveCapture {
  const parser = createLogParser({ service, emit: (event) => target.record(event), tools: TOOL_PARSERS });
  const onLine = (line: string): void => {
    target.logLine(line);
    parser.line(line);
  };
  return {
    stream() {
      const splitter = new LineSplitter(onLine);
      return {
        write(chunk: Buffer) {
          splitter.write(chunk);
          target.flushLog();
        },
        end() {
          splitter.end();
          target.flushLog();
        },
      };
    },
    end() {
      parser.end();
      target.flushLog();
    },
    openNetworkSteps: () => parser.openNetworkSteps(),
  };
}
