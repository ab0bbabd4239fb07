// The append-only JSONL journal a session writes while it runs. A record is on disk
// before `append` returns, or — for `appendThisTurn` — before the event loop next waits
// for I/O: the records of one turn go out in one write(2), so a busy proxy pays one
// system call per turn instead of one per cache hit. Either way a session killed with
// SIGKILL loses at most what the turn it died in had not finished; a torn last line
// (power loss) or a corrupt line is skipped when read, and counted.
//
// The file is opened for appending, so other processes may write to it too: the hit workers
// of `offgrid serve --workers N` add their hits to the session's journal themselves. Each
// write(2) of an O_APPEND file lands whole at the end, so lines of one turn never tear
// another process's apart.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import type { JournalEntry, SessionEnd, SessionHeader } from '../ledger/compile.js';
import { LineSplitter } from '../capture/parsers/lines.js';
import { BuildStep, DownloadRecord, LedgerError, NetworkAttempt } from '../ledger/schema.js';

export interface JournalStart extends SessionHeader {
  readonly t: 'start';
  readonly pid: number;
  readonly offgrid_version: string;
}

export interface JournalFinish {
  readonly t: 'end';
  readonly ended_at: string;
  readonly exit_code: number | null;
}

export type JournalLine = JournalStart | JournalEntry | JournalFinish;

/** Writers still open: at exit (a crash included) each writes what its last turn queued. */
const openWriters = new Set<JournalWriter>();
let exitWatched = false;

function watchExit(writer: JournalWriter): void {
  openWriters.add(writer);
  if (exitWatched) return;
  exitWatched = true;
  process.on('exit', () => {
    for (const open of openWriters) open.flushQuietly();
  });
}

export class JournalWriter {
  private fd: number | null;
  /** Lines queued in this turn and not yet written, in order. */
  private pending = '';
  /** A write of the queued lines is scheduled for the end of this turn. */
  private scheduled = false;
  /** A failed deferred write keeps its lines queued: the next `append` or `close` retries and reports. */
  readonly flushQuietly = (): void => {
    try {
      this.flush();
    } catch {
      // retried (and thrown to a caller) by the next append or close
    }
  };

  private constructor(readonly path: string, flags: number) {
    this.fd = openSync(path, flags);
    watchExit(this);
  }

  /** Creates a session's journal, starting with its start record; fails if it exists. */
  static create(path: string, start: JournalStart): JournalWriter {
    const writer = new JournalWriter(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND);
    writer.append(start);
    return writer;
  }

  /** Adds to the journal another process of the session created (never creates one). */
  static join(path: string): JournalWriter {
    return new JournalWriter(path, constants.O_WRONLY | constants.O_APPEND);
  }

  /** Writes `line` now, after any lines still queued (order is kept). */
  append(line: JournalLine): void {
    this.pending += `${this.serialize(line)}\n`;
    this.flush();
  }

  /** Queues `line` for the one write that ends this turn (setImmediate runs before the next poll for I/O). */
  appendThisTurn(line: JournalLine): void {
    this.pending += `${this.serialize(line)}\n`;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flushQuietly();
    });
  }

  close(): void {
    this.flush();
    openWriters.delete(this);
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private serialize(line: JournalLine): string {
    if (this.fd === null) throw new Error(`journal ${this.path} is closed`);
    return JSON.stringify(line);
  }

  private flush(): void {
    if (this.pending === '' || this.fd === null) return;
    writeSync(this.fd, this.pending); // on failure the lines stay queued
    this.pending = '';
  }
}

export interface JournalContents {
  readonly start: JournalStart;
  readonly entries: JournalEntry[];
  readonly finish: JournalFinish | null;
  /** Lines that were not valid journal records (a torn write, garbage). */
  readonly skippedLines: number;
  /** Time of the last record that carried one: the best guess at when a dead session stopped. */
  readonly lastTimestamp: string | null;
}

export class JournalUnreadable extends Error {
  constructor(readonly path: string, reason: string) {
    super(`${path}: ${reason}`);
  }
}

export async function readJournal(path: string): Promise<JournalContents> {
  let start: JournalStart | null = null;
  let finish: JournalFinish | null = null;
  const entries: JournalEntry[] = [];
  let skippedLines = 0;
  let lastTimestamp: string | null = null;
  const splitter = new LineSplitter((text) => {
    if (text === '') return;
    const line = parseLine(text);
    if (line === null) {
      skippedLines++;
    } else if (line.t === 'start') {
      start ??= line;
    } else if (line.t === 'end') {
      finish = line;
      lastTimestamp = line.ended_at;
    } else {
      entries.push(line);
      if ('timestamp' in line.record && typeof line.record.timestamp === 'string') lastTimestamp = line.record.timestamp;
    }
  });
  for await (const chunk of createReadStream(path)) splitter.write(chunk as Buffer);
  splitter.end();
  if (start === null) throw new JournalUnreadable(path, 'no session start record (not an offgrid journal?)');
  return { start, entries, finish, skippedLines, lastTimestamp };
}

// A record that does not match its schema is dropped rather than allowed to make the
// whole ledger invalid.
const RECORD_SCHEMAS = {
  download: DownloadRecord,
  network_attempt: NetworkAttempt.omit({ count: true }),
  error: LedgerError,
  step: BuildStep,
} as const;

function parseLine(text: string): JournalLine | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object' || !('t' in value)) return null;
  const t = value.t;
  if (t === 'start') return isStart(value) ? value : null;
  if (t === 'end') return isFinish(value) ? value : null;
  if (typeof t !== 'string' || !(t in RECORD_SCHEMAS) || !('record' in value)) return null;
  const parsed = RECORD_SCHEMAS[t as keyof typeof RECORD_SCHEMAS].safeParse(value.record);
  return parsed.success ? ({ t, record: parsed.data } as JournalEntry) : null;
}

function isStart(v: object): v is JournalStart {
  const s = v as Partial<JournalStart>;
  return (
    typeof s.session_id === 'string' &&
    typeof s.started_at === 'string' &&
    Array.isArray(s.command) &&
    s.command.every((c) => typeof c === 'string') &&
    typeof s.offline === 'boolean' &&
    typeof s.pid === 'number'
  );
}

function isFinish(v: object): v is JournalFinish {
  const f = v as Partial<JournalFinish>;
  return typeof f.ended_at === 'string' && (f.exit_code === null || typeof f.exit_code === 'number');
}

export function endFromJournal(contents: JournalContents, fallbackEnd: string): SessionEnd {
  const finish = contents.finish;
  if (finish) return { ended_at: finish.ended_at, exit_code: finish.exit_code, complete: true };
  return { ended_at: contents.lastTimestamp ?? fallbackEnd, exit_code: null, complete: false };
}
