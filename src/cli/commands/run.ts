// `offgrid run [--log-dir DIR] [--service NAME] -- CMD ARGS…`: run a build command, show
// its output live, and record the session.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants as os } from 'node:os';
import { createOutputCapture } from '../../capture/output-capture.js';
import { errorEvent } from '../../capture/events.js';
import { EXIT_USAGE, OffgridError } from '../../errors.js';
import { Session } from '../../session/session.js';
import type { CliIO } from '../io.js';
import { recoverQuietly, sessionSummaryLine } from './session-common.js';
import { say } from '../io.js';

export interface RunOptions {
  readonly logDir: string;
  readonly service: string | null;
  readonly offline: boolean;
  readonly command: readonly string[];
}

export async function runCommand(options: RunOptions, io: CliIO): Promise<number> {
  const [file, ...args] = options.command;
  if (file === undefined) throw new OffgridError('EUSAGE', 'nothing to run: give the command after --, e.g. offgrid run -- make build');
  await recoverQuietly(options.logDir, io);
  const session = Session.open({ logDir: options.logDir, command: options.command, offline: options.offline, clock: io.clock });
  const capture = createOutputCapture(session, options.service);

  const child = spawn(file, args, { cwd: io.cwd, env: io.env, stdio: ['inherit', 'pipe', 'pipe'] });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  const streams = [pump(child.stdout, io.stdout, capture.stream()), pump(child.stderr, io.stderr, capture.stream())];
  let exitCode: number | null;
  try {
    const [code, signal] = (await Promise.race([
      once(child, 'close'),
      once(child, 'error').then(([error]) => Promise.reject(error)),
    ])) as [number | null, NodeJS.Signals | null];
    exitCode = code ?? (signal ? 128 + (os.signals[signal] ?? 0) : 1);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'command not found' : String((error as Error).message);
    session.record(errorEvent({ message: `cannot run ${file}: ${reason}`, tool: 'offgrid' }));
    await session.finish(null);
    throw new OffgridError('ESPAWN', `cannot run ${file}: ${reason}`, EXIT_USAGE);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  await Promise.all(streams);
  capture.end();
  const ledger = await session.finish(exitCode);
  say(io.stderr, sessionSummaryLine(ledger, session.paths.ledger));
  return exitCode;
}

async function pump(
  from: NodeJS.ReadableStream,
  to: NodeJS.WritableStream,
  sink: { write(chunk: Buffer): void; end(): void },
): Promise<void> {
  for await (const chunk of from) {
    const buffer = chunk as Buffer;
    to.write(buffer);
    sink.write(buffer);
  }
  sink.end();
}
