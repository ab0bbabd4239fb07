// Runs one build process: its output is shown live and fed, line by line, to a capture.
import { spawn } from 'node:child_process';
import { constants as os } from 'node:os';
import type { Writable } from 'node:stream';
import type { OutputCapture } from './output-capture.js';

export interface ChildOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly capture: OutputCapture;
  /** Pass the terminal's stdin to the child (interactive use); otherwise it reads nothing. */
  readonly inheritStdin: boolean;
  /** Stops the child (SIGTERM) when aborted: its answer is no longer wanted. */
  readonly signal?: AbortSignal;
}

export class ChildStartError extends Error {
  constructor(readonly file: string, readonly reason: string) {
    super(`cannot run ${file}: ${reason}`);
  }
}

/**
 * Resolves with the child's exit code (128 + signal number when a signal ended it).
 * SIGINT and SIGTERM sent to offgrid are passed on, so the build stops the way it would
 * without offgrid, and the session still records how it ended.
 */
export async function runChild(file: string, args: readonly string[], options: ChildOptions): Promise<number> {
  const child = spawn(file, [...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: [options.inheritStdin ? 'inherit' : 'ignore', 'pipe', 'pipe'],
  });
  const forward = (signal: NodeJS.Signals) => (): void => void child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  options.signal?.addEventListener('abort', onTerm);
  if (options.signal?.aborted) onTerm();
  try {
    const streams = [pump(child.stdout, options.stdout, options.capture), pump(child.stderr, options.stderr, options.capture)];
    const exit = new Promise<number>((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(new ChildStartError(file, error.code === 'ENOENT' ? 'command not found' : error.code === 'EACCES' ? 'permission denied' : error.message)),
      );
      child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + (os.signals[signal] ?? 0) : 1)));
    });
    const code = await exit;
    await Promise.all(streams);
    options.capture.end();
    return code;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    options.signal?.removeEventListener('abort', onTerm);
  }
}

async function pump(from: NodeJS.ReadableStream, to: Writable, capture: OutputCapture): Promise<void> {
  const sink = capture.stream();
  for await (const chunk of from) {
    const buffer = chunk as Buffer;
    to.write(buffer);
    sink.write(buffer);
  }
  sink.end();
}
