// `offgrid analyze [--service NAME] [--log-dir DIR] FILE…|-`: a ledger from logs captured
// elsewhere (a CI job's output, a saved BuildKit log), written like a `run` session.
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { resolve } from 'node:path';
import { createOutputCapture } from '../../capture/output-capture.js';
import { errorEvent } from '../../capture/events.js';
import { toUtf8 } from '../../capture/log-encoding.js';
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
  for (const file of options.files) if (file !== '-') checkReadable(resolve(io.cwd, file));
  await recoverQuietly(options.logDir, io);

  const session = Session.open({ logDir: options.logDir, command: ['offgrid', 'analyze', ...options.files], offline: false, clock: io.clock });
  for (const file of options.files) {
    const capture = createOutputCapture(session, options.service);
    const sink = capture.stream();
    const input: Readable = file === '-' ? io.stdin : createReadStream(resolve(io.cwd, file), { highWaterMark: 1 << 20 });
    const utf8 = toUtf8();
    try {
      for await (const chunk of input) sink.write(utf8.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)));
    } catch (error) {
      session.record(errorEvent({ message: `reading ${file} stopped: ${describeSystemError(error)}`, tool: 'offgrid' }));
    }
    sink.write(utf8.end());
    sink.end();
    capture.end();
  }
  const ledger = await session.finish(0);
  if (options.json) say(io.stdout, JSON.stringify({ session_id: ledger.session_id, ledger: session.paths.ledger, summary: ledger.summary }, null, 2));
  else say(io.stdout, sessionSummaryLine(ledger, session.paths.ledger).replace(/^offgrid: /, ''));
  return 0;
}

function checkReadable(path: string): void {
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    throw new OffgridError('EINPUT', `cannot read the log ${path}: ${describeSystemError(error)}`);
  }
  if (!stat.isFile() && !stat.isFIFO()) throw new OffgridError('EINPUT', `${path} is not a file`);
}
