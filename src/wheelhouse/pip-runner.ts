// Runs the user's own pip (`PYTHON -m pip …`): its output goes to the run log and to
// the session's parsers, never to the terminal (offgrid shows progress instead), and
// the tail is kept for the error message.
import { Writable } from 'node:stream';
import { ChildStartError, runChild } from '../capture/run-child.js';
import type { OutputCapture } from '../capture/output-capture.js';
import { LineSplitter } from '../capture/parsers/lines.js';
import type { RunLog } from './run-log.js';

export interface PipRunner {
  run(args: readonly string[], options?: { onLine?: (line: string) => void; signal?: AbortSignal }): Promise<PipResult>;
}

export interface PipResult {
  readonly code: number;
  /** The last ~64 kB of stdout and stderr, interleaved by line. */
  readonly output: string;
}

export class PipStartError extends Error {}

const TAIL_BYTES = 64 * 1024;

export function pipRunner(o: {
  python: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: RunLog;
  capture: () => OutputCapture | null;
}): PipRunner {
  return {
    async run(args, options = {}) {
      let tail = '';
      const sink = (): Writable => {
        const log = o.log.toolOutput();
        const lines = new LineSplitter((line) => {
          tail += `${line}\n`;
          if (tail.length > TAIL_BYTES * 2) tail = tail.slice(-TAIL_BYTES);
          options.onLine?.(line);
        });
        return new Writable({
          write(chunk: Buffer, _enc, done) {
            log.write(chunk);
            lines.write(chunk);
            done();
          },
          final(done) {
            log.end();
            lines.end();
            done();
          },
        });
      };
      const out = sink();
      const err = sink();
      o.log.note(`running ${[o.python, '-m', 'pip', ...args].join(' ')}`);
      let code: number;
      try {
        code = await runChild(o.python, ['-m', 'pip', ...args], {
          cwd: o.cwd,
          env: o.env,
          stdout: out,
          stderr: err,
          capture: o.capture() ?? noCapture,
          inheritStdin: false,
          signal: options.signal,
        });
      } catch (error) {
        if (error instanceof ChildStartError) throw new PipStartError(`cannot run ${o.python} -m pip: ${error.reason}`);
        throw error;
      }
      out.end();
      err.end();
      o.log.note(`pip exited with ${code}`);
      return { code, output: tail };
    },
  };
}

const noCapture: OutputCapture = {
  stream: () => ({ write: () => undefined, end: () => undefined }),
  end: () => undefined,
};
