// `offgrid run [options] -- CMD ARGS…`: run a build command with every tool pointed at
// offgrid's caching proxy, show its output live, and record the session.
import { errorEvent } from '../../capture/events.js';
import { ChildStartError, runChild } from '../../capture/run-child.js';
import { OffgridError } from '../../errors.js';
import { say, type CliIO } from '../io.js';
import { recoverQuietly, sessionSummaryLine, startRecordingOrExplain, type ProxyFlags } from './session-common.js';

export interface RunOptions extends ProxyFlags {
  readonly logDir: string;
  readonly service: string | null;
  readonly command: readonly string[];
}

export async function runCommand(options: RunOptions, io: CliIO): Promise<number> {
  const [file, ...args] = options.command;
  if (file === undefined) throw new OffgridError('EUSAGE', 'nothing to run: give the command after --, e.g. offgrid run -- make build');
  await recoverQuietly(options.logDir, io);
  const recording = await startRecordingOrExplain(options, options.command, io);
  let exitCode: number | null = null;
  try {
    exitCode = await runChild(file, args, {
      cwd: io.cwd,
      env: { ...io.env, ...recording.env },
      stdout: io.stdout,
      stderr: io.stderr,
      capture: recording.capture(options.service),
      inheritStdin: io.stdin === process.stdin,
    });
  } catch (error) {
    if (!(error instanceof ChildStartError)) throw error;
    recording.session.record(errorEvent({ message: error.message, tool: 'offgrid' }));
    await recording.finish(null);
    throw new OffgridError('ESPAWN', error.message);
  }
  const ledger = await recording.finish(exitCode);
  say(io.stderr, sessionSummaryLine(ledger, recording.session.paths.ledger));
  return exitCode;
}

