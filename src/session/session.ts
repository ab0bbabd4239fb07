// One build session: journal every event as it happens, keep the full output, and at
// the end compile the journal into the guide's files. The journal is the only source
// of the ledger, so a session that finished and one that was killed are compiled by
// the same code (see recover.ts).
import { closeSync, mkdirSync, openSync, writeSync, existsSync } from 'node:fs';
import type { CaptureEvent, Durability } from '../capture/events.js';
import type { Ledger } from '../ledger/schema.js';
import { OffgridError, describeSystemError } from '../errors.js';
import { JournalWriter } from './journal.js';
import { sessionPaths, journalDir, type SessionPaths } from './layout.js';
import { redact } from '../redact.js';
import { journalEntry } from './journal-entry.js';
import { isoLocal, sessionStamp, type Clock } from './time.js';
import { compileJournal } from './compile-files.js';
import { OFFGRID_VERSION } from '../version.js';

export interface SessionOptions {
  readonly logDir: string;
  readonly command: readonly string[];
  readonly offline: boolean;
  readonly clock: Clock;
}

export class Session {
  private readonly journal: JournalWriter;
  private readonly logFd: number;
  private pendingLog: string[] = [];
  private pendingLogBytes = 0;
  private finished: Ledger | null = null;

  private constructor(
    readonly id: string,
    readonly paths: SessionPaths,
    private readonly options: SessionOptions,
  ) {
    const startedAt = isoLocal(options.clock.now());
    this.journal = JournalWriter.create(paths.journal, {
      t: 'start',
      session_id: id,
      started_at: startedAt,
      command: options.command.map(redact),
      offline: options.offline,
      pid: process.pid,
      offgrid_version: OFFGRID_VERSION,
    });
    this.logFd = openSync(paths.sessionLog, 'a');
  }

  static open(options: SessionOptions): Session {
    try {
      mkdirSync(journalDir(options.logDir), { recursive: true });
    } catch (error) {
      throw new OffgridError('ELOGDIR', `cannot create the log directory ${options.logDir}: ${describeSystemError(error)}`);
    }
    const stamp = sessionStamp(options.clock.now());
    // Two sessions started in the same second get distinct ids (…_2, …_3) instead of
    // sharing files; the journal is created with 'wx', so the check cannot race.
    for (let n = 1; n < 1000; n++) {
      const id = n === 1 ? stamp : `${stamp}_${n}`;
      const paths = sessionPaths(options.logDir, id);
      if (existsSync(paths.ledger) || existsSync(paths.sessionLog)) continue;
      try {
        return new Session(id, paths, options);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw new OffgridError('ELOGDIR', `cannot write the session files in ${paths.buildDir}: ${describeSystemError(error)}`);
      }
    }
    throw new OffgridError('ELOGDIR', `too many sessions started at ${stamp} in ${options.logDir}`);
  }

  /** Records one event, redacted and time-stamped, on disk when `durability` says (see Durability). */
  record(event: CaptureEvent, durability: Durability = 'now'): void {
    const entry = journalEntry(event, this.options.clock);
    if (durability === 'now') this.journal.append(entry);
    else this.journal.appendThisTurn(entry);
  }

  /** One line of the command's output, kept (redacted) in `build_session_*.log`. */
  logLine(line: string): void {
    const text = `${redact(line)}\n`;
    this.pendingLog.push(text);
    this.pendingLogBytes += text.length;
    if (this.pendingLogBytes >= 64 * 1024) this.flushLog();
  }

  /** Writes buffered output lines; callers flush after each chunk so a crash loses little. */
  flushLog(): void {
    if (this.pendingLog.length === 0) return;
    writeSync(this.logFd, this.pendingLog.join(''));
    this.pendingLog = [];
    this.pendingLogBytes = 0;
  }

  /** Ends the session and writes the ledger and item logs. Idempotent. */
  async finish(exitCode: number | null): Promise<Ledger> {
    if (this.finished) return this.finished;
    this.flushLog();
    closeSync(this.logFd);
    this.journal.append({ t: 'end', ended_at: isoLocal(this.options.clock.now()), exit_code: exitCode });
    this.journal.close();
    this.finished = await compileJournal(this.options.logDir, this.paths.journal, this.options.clock);
    return this.finished;
  }
}
