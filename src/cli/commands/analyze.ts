// `offgrid analyze [--service NAME] [--log-dir DIR] FILE…|-`: a ledger from logs captured
// elsewhere (a CI job's output, a saved BuildKit log), written like a `run` session.
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { resolve } from 'node:path';
import { createOutputCapture } from '../../capture/output-capture.js';
import { errorEvent } from '../../capture/events.js';
import { HEAD_BYTES, LogInputError, classifyLogHead, logText } from '../../capture/log-input.js';
import { OffgridError, describeSystemError } from '../../errors.js';
import { Session } from '../../session/session.js';
import { say, type CliIO } from '../io.js';
import { recoverQuietly, sessionSummaryLine } from './session-common.js';

export interface AnalyzeOptions {
  readonly logDir: string;
  readonly service: string | null;
  readonly files: readonly string[];
  readonly json: boolean;
}

export async function analyzeCommand(options: AnalyzeOptions, io: CliIO): Promise<number> {
  if (options.files.length === 0) throw new OffgridError('EUSAGE', 'give the log files to analyze, or - for standard input');
  // Check every input before a session is started, so a typo leaves no empty ledger behind.
  for (const file of options.files) if (file !== '-') checkReadable(resolve(io.cwd, file), file);
  await recoverQuietly(options.logDir, io);

  let refused: string | null = null;
  const session = Session.open({ logDir: options.logDir, command: ['offgrid', 'analyze', ...options.files], offline: false, clock: io.clock });
  for (const file of options.files) {
    // Events found in this input: binary input in which nothing is found is refused.
    let found = 0;
    let binary: string | null = null;
    const capture = createOutputCapture(
      { logLine: (line) => session.logLine(line), flushLog: () => session.flushLog(), record: (event) => (found++, session.record(event)) },
      options.service,
    );
    const sink = capture.stream();
    const input: Readable = file === '-' ? io.stdin : createReadStream(resolve(io.cwd, file), { highWaterMark: 1 << 20 });
    try {
      for await (const text of logText(input, file === '-' ? 'standard input' : file, (why) => (binary = why))) sink.write(text);
    } catch (error) {
      // Standard input is only seen now; a file was checked before the session started.
      if (error instanceof LogInputError) refused = error.message;
      else session.record(errorEvent({ message: `reading ${file} stopped: ${describeSystemError(error)}`, tool: 'offgrid' }));
    }
    sink.end();
    capture.end();
    if (binary !== null && found === 0) refused ??= binary;
  }
  if (refused !== null) session.record(errorEvent({ message: refused, tool: 'offgrid' }));
  const ledger = await session.finish(refused === null ? 0 : 2);
  if (refused !== null) throw new OffgridError('EINPUT', refused);
  if (options.json) say(io.stdout, JSON.stringify({ session_id: ledger.session_id, ledger: session.paths.ledger, summary: ledger.summary }, null, 2));
  else say(io.stdout, sessionSummaryLine(ledger, session.paths.ledger).replace(/^offgrid: /, ''));
  return 0;
}

function checkReadable(path: string, shown: string): void {
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    throw new OffgridError('EINPUT', `cannot read the log ${path}: ${describeSystemError(error)}`);
  }
  if (!stat.isFile() && !stat.isFIFO()) throw new OffgridError('EINPUT', `${path} is not a file`);
  if (!stat.isFile()) return;
  // What the file is, from its first bytes: a zip or binary file is refused before any session exists.
  const head = Buffer.alloc(Math.min(HEAD_BYTES, stat.size));
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const kind = classifyLogHead(head);
  if (kind.kind === 'refused') throw new OffgridError('EINPUT', `${shown} ${kind.why}`);
}
