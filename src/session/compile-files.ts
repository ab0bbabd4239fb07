// Journal → the guide's files: downloads_*.json and the per-item logs. Files are written
// to a temp name and renamed, so a reader never sees half a ledger; the journal is
// removed only once everything it fed is on disk.
import { closeSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { compileLedger } from '../ledger/compile.js';
import { prettyJsonPieces } from '../ledger/pretty-json.js';
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
  writeAtomic(paths.ledger, withNewline(prettyJsonPieces(ledger)));
  writeAtomic(paths.aptLog, itemLog([...ledger.downloads.apt, ...ledger.downloads.indexes.filter((r) => r.kind === 'apt')]));
  writeAtomic(paths.wheelLog, itemLog(ledger.downloads.wheels));
  rmSync(journalPath, { force: true });
  return ledger;
}

/** Writes `text` (or its pieces, when it may be longer than one string can be) under a temp name, then renames it into place. */
export function writeAtomic(path: string, text: string | Iterable<string>): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    if (typeof text === 'string') writeFileSync(tmp, text, { flag: 'w' });
    else writePieces(tmp, text);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

function* withNewline(pieces: Iterable<string>): Generator<string> {
  yield* pieces;
  yield '\n';
}

/** Joins pieces into writes of about a megabyte each. */
function writePieces(path: string, pieces: Iterable<string>): void {
  const fd = openSync(path, 'w');
  try {
    let batch: string[] = [];
    let length = 0;
    for (const piece of pieces) {
      batch.push(piece);
      length += piece.length;
      if (length >= 1 << 20) {
        writeAll(fd, batch.join(''));
        batch = [];
        length = 0;
      }
    }
    writeAll(fd, batch.join(''));
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
}
