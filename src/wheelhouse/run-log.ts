// `logs/wheelhouse/download_YYYYMMDD_HHMMSS.log`: pip's full output and offgrid's own
// lines, in order, credentials redacted. Lines are written synchronously so a killed run
// keeps everything up to its last line.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { LineSplitter } from '../capture/parsers/lines.js';
import { redact } from '../redact.js';
import { isoLocal, type Clock } from '../session/time.js';

export interface RunLog {
  readonly path: string | null;
  /** One of offgrid's lines, time-stamped. */
  note(text: string): void;
  /** A sink for a tool's raw output. */
  toolOutput(): { write(chunk: Buffer): void; end(): void };
  close(): void;
}

export function openRunLog(path: string, clock: Clock): RunLog {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a');
  const line = (text: string): void => void writeSync(fd, `${redact(text)}\n`);
  let closed = false;
  return {
    path,
    note: (text) => !closed && line(`[${isoLocal(clock.now())}] offgrid: ${text}`),
    toolOutput() {
      const splitter = new LineSplitter((l) => !closed && line(l));
      return { write: (chunk) => splitter.write(chunk), end: () => splitter.end() };
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}

/** A log that keeps nothing (tests of the core). */
export const nullRunLog: RunLog = {
  path: null,
  note: () => undefined,
  toolOutput: () => ({ write: () => undefined, end: () => undefined }),
  close: () => undefined,
};
