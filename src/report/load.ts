// Reads the ledgers a log directory holds (the edge of the report module).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OffgridError, describeSystemError } from '../errors.js';
import { Ledger } from '../ledger/schema.js';
import { LEDGER_FILE } from '../session/layout.js';

export interface LoadedLedger {
  readonly path: string;
  readonly ledger: Ledger;
}

export interface LedgerSet {
  /** Valid ledgers, oldest session first. */
  readonly ledgers: LoadedLedger[];
  /** Files named like ledgers that are not valid ones, with the reason. */
  readonly invalid: { path: string; reason: string }[];
}

export function loadLedgers(logDir: string): LedgerSet {
  const dir = join(logDir, 'build');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => LEDGER_FILE.test(n));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ledgers: [], invalid: [] };
    throw new OffgridError('EINPUT', `cannot read ${dir}: ${describeSystemError(error)}`);
  }
  const ledgers: LoadedLedger[] = [];
  const invalid: { path: string; reason: string }[] = [];
  for (const name of names.sort(bySessionId)) {
    const path = join(dir, name);
    const result = readLedger(path);
    if ('ledger' in result) ledgers.push({ path, ledger: result.ledger });
    else invalid.push({ path, reason: result.reason });
  }
  return { ledgers, invalid };
}

export function readLedger(path: string): { ledger: Ledger } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return { reason: error instanceof SyntaxError ? `not JSON (${error.message})` : describeSystemError(error) };
  }
  const parsed = Ledger.safeParse(value);
  if (parsed.success) return { ledger: parsed.data };
  const issue = parsed.error.issues[0];
  return { reason: `not an offgrid ledger: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}` };
}

/** Session ids sort by time, then by the `_N` suffix of sessions started in the same second. */
function bySessionId(a: string, b: string): number {
  const key = (name: string): [string, number] => {
    const id = LEDGER_FILE.exec(name)?.[1] ?? name;
    const [date = '', time = '', n = '1'] = id.split('_');
    return [`${date}_${time}`, Number(n)];
  };
  const [ta, na] = key(a);
  const [tb, nb] = key(b);
  return ta < tb ? -1 : ta > tb ? 1 : na - nb;
}

/** `latest`, `all`, `previous` or a session id (a unique prefix is enough). */
export function selectSessions(set: LedgerSet, selector: string): LoadedLedger[] {
  const { ledgers } = set;
  if (ledgers.length === 0) {
    throw new OffgridError('ENOSESSION', 'no recorded sessions yet: run a build with `offgrid run -- CMD` or read a log with `offgrid analyze FILE`');
  }
  if (selector === 'all') return ledgers;
  if (selector === 'latest') return [ledgers[ledgers.length - 1]!];
  if (selector === 'previous') {
    if (ledgers.length < 2) throw new OffgridError('ENOSESSION', 'there is only one recorded session');
    return [ledgers[ledgers.length - 2]!];
  }
  const exact = ledgers.filter((l) => l.ledger.session_id === selector);
  const matches = exact.length > 0 ? exact : ledgers.filter((l) => l.ledger.session_id.startsWith(selector));
  if (matches.length === 1) return matches;
  const known = ledgers.slice(-5).map((l) => l.ledger.session_id).join(', ');
  if (matches.length === 0) throw new OffgridError('ENOSESSION', `no session ${selector} (latest: ${known})`);
  throw new OffgridError('ENOSESSION', `${selector} matches ${matches.length} sessions; give more of the id`);
}
