// Progress for people: on a terminal one line redrawn in place (files done / total,
// bytes); otherwise plain lines, one per event, that read well in a CI log.
import type { Writable } from 'node:stream';
import { formatBytes } from '../report/format.js';

export interface Progress {
  /** A phase starts (resolving, downloading…). */
  phase(text: string): void;
  /** One file settled. */
  file(done: number, total: number, bytes: number, text: string): void;
  /** Clears a redrawn line before other output. */
  end(): void;
}

export function createProgress(stream: Writable & { isTTY?: boolean; columns?: number }, options: { quiet: boolean }): Progress {
  if (options.quiet) return { phase: () => undefined, file: () => undefined, end: () => undefined };
  if (stream.isTTY !== true) {
    return {
      phase: (text) => void stream.write(`offgrid: ${text}\n`),
      file: (done, total, _bytes, text) => void stream.write(`offgrid: [${done}/${total}] ${text}\n`),
      end: () => undefined,
    };
  }
  let drawn = false;
  const draw = (text: string): void => {
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    drawn = true;
  };
  const bar = (done: number, total: number): string => {
    const cells = 20;
    const full = total === 0 ? cells : Math.round((done / total) * cells);
    return `[${'#'.repeat(full)}${'.'.repeat(cells - full)}]`;
  };
  return {
    phase(text) {
      if (drawn) stream.write('\n');
      drawn = false;
      draw(`offgrid: ${text}`);
    },
    file: (done, total, bytes, text) => draw(`${bar(done, total)} ${done}/${total} ${formatBytes(bytes)}  ${text}`),
    end() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
