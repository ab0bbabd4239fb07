// Everything a command touches outside itself, passed in so tests can call commands
// as functions: `(options, io) → Promise<exitCode>`.
import type { Readable, Writable } from 'node:stream';
import type { Clock } from '../session/time.js';

export interface CliIO {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
}

export function say(stream: Writable, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function warn(io: CliIO, text: string): void {
  say(io.stderr, `offgrid: warning: ${text}`);
}
