// A hit worker's share of the session's journal (`offgrid serve --workers N`): its hits are
// appended to the journal the main process created, each turn's in one write, as the main
// process's own are (journal.ts). Sending every hit to the main process to journal instead
// cost that process as much CPU per hit as the journal write itself, on a machine whose
// cores the workers need. The main process names the file once its session is open; hits
// before that wait here.
import type { CaptureEvent } from '../capture/events.js';
import type { JournalEntry } from '../ledger/compile.js';
import { JournalWriter } from './journal.js';
import { journalEntry } from './journal-entry.js';
import type { Clock } from './time.js';

export class JournalShare {
  private writer: JournalWriter | null = null;
  private waiting: JournalEntry[] = [];

  constructor(private readonly clock: Clock) {}

  record(event: CaptureEvent): void {
    const entry = journalEntry(event, this.clock);
    if (this.writer) this.writer.appendThisTurn(entry);
    else this.waiting.push(entry);
  }

  /** Starts writing to the session's journal at `path`; throws if it cannot be opened. */
  open(path: string): void {
    if (this.writer) return;
    this.writer = JournalWriter.join(path);
    for (const entry of this.waiting) this.writer.appendThisTurn(entry);
    this.waiting = [];
  }

  /** Writes what this turn queued; the session's main process then writes the end. */
  close(): void {
    this.writer?.close();
    this.writer = null;
  }
}
