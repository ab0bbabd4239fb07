// Journal → the guide's files: downloads_*.json and the per-item logs. Files are written
// to a temp name and renamed, so a reader never sees half a ledger; the journal is
// removed only once everything it fed is on disk.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { compileLedger } from '../ledger/compile.js';
import { Ledger } from '../ledger/schema.js';
import { endFromJournal, readJournal } from './journal.js';
import { itemLog } from './item-log.js';
import { sessionPaths } from './layout.js';
import { isoLocal, type Clock } from './time.js';

export async function compileJournal(logDir: string, journalPath: string, clock: Clock): Promise<Ledger> {
  const contents = await readJournal(journalPath);
  const end = endFromJournal(contents, isoLocal(clock.now()));
  const ledger = Ledger.parse(compileLedger(contents.start, contents.entries, end));
  if (contents.skippedLines > 0) {
    ledger.errors.push({
      message: `${contents.skippedLines} unreadable line(s) in the session journal were skipped`,
      timestamp: end.ended_at,
      tool: 'offgrid',
      service: null,
      step: null,
    });
  }
  const paths = sessionPaths(logDir, contents.start.session_id);
  writeAtomic(paths.ledger, `${JSON.stringify(ledger, null, 2)}\n`);
  writeAtomic(paths.aptLog, itemLog([...ledger.downloads.apt, ...ledger.downloads.indexes.filter((r) => r.kind === 'apt')]));
  writeAtomic(paths.wheelLog, itemLog(ledger.downloads.wheels));
  rmSync(journalPath, { force: true });
  return ledger;
}

export function writeAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { flag: 'w' });
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}
