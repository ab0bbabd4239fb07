// One build session: journal every event as it happens, keep the full output, and at
// the end compile the journal into the guide's files. The journal is the only source
// of the ledger, so a session that finished and one that was killed are compiled by
// the same code (see recover.ts).
import { closeSync, mkdirSync, openSync, writeSync, existsSync } from 'node:fs';
import type { CaptureEvent, Durability } from '../capture/events.js';
import type { JournalEntry } from '../ledger/compile.js';
import type { Ledger } from '../ledger/schema.js';
import { OffgridError, describeSystemError } from '../errors.js';
import { JournalWriter } from './journal.js';
import { sessionPaths, journalDir, type SessionPaths } from './layout.js';
import { BoundedMap } from '../bounded-map.js';
import { redact, redactNullable } from '../redact.js';
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
    this.journal = new JournalWriter(paths.journal, {
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
    const timestamp = (event.type !== 'step' ? event.timestamp : null) ?? isoLocal(this.options.clock.now());
    const entry = toJournalEntry(event, timestamp);
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

/** Sources recur (each cache hit names its URL again), so their redaction is remembered. */
const redactedSources = new BoundedMap<string, string>(10_000);

function redactSource(source: string | null): string | null {
  if (source === null) return null;
  let redacted = redactedSources.get(source);
  if (redacted === undefined) {
    redacted = redact(source);
    redactedSources.set(source, redacted);
  }
  return redacted;
}

function toJournalEntry(event: CaptureEvent, timestamp: string): JournalEntry {
  switch (event.type) {
    case 'download': {
      const { type: _type, ...record } = event;
      return {
        t: 'download',
        record: { ...record, source: redactSource(record.source), step: redactNullable(record.step), timestamp },
      };
    }
    case 'network_attempt': {
      const { type: _type, ...record } = event;
      return {
        t: 'network_attempt',
        record: {
          ...record,
          url_or_host: redact(record.url_or_host),
          error: redact(record.error),
          step: redactNullable(record.step),
          timestamp,
        },
      };
    }
    case 'error': {
      const { type: _type, ...record } = event;
      return { t: 'error', record: { ...record, message: redact(record.message), step: redactNullable(record.step), timestamp } };
    }
    case 'step': {
      const { type: _type, ...record } = event;
      return { t: 'step', record: { ...record, name: redact(record.name), error: redactNullable(record.error) } };
    }
  }
}
