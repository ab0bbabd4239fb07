// Sessions that died (SIGKILL, a crashed CI runner) leave a journal behind. Any later
// offgrid command that reads the log directory compiles them into ledgers marked
// `"complete": false`, so nothing they recorded is lost.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Ledger } from '../ledger/schema.js';
import { readJournal } from './journal.js';
import { JOURNAL_FILE, journalDir } from './layout.js';
import { compileJournal } from './compile-files.js';
import type { Clock } from './time.js';

export interface Recovery {
  readonly recovered: Ledger[];
  /** Journals that could not be read at all, with the reason. */
  readonly unreadable: { path: string; reason: string }[];
}

export async function recoverAbandonedSessions(logDir: string, clock: Clock): Promise<Recovery> {
  const dir = journalDir(logDir);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => JOURNAL_FILE.test(n));
  } catch {
    return { recovered: [], unreadable: [] };
  }
  const recovered: Ledger[] = [];
  const unreadable: { path: string; reason: string }[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    try {
      const { start } = await readJournal(path);
      if (isAlive(start.pid)) continue;
      recovered.push(await compileJournal(logDir, path, clock));
    } catch (error) {
      unreadable.push({ path, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { recovered, unreadable };
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
