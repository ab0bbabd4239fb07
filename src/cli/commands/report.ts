// `offgrid report summary|downloads|cached|uncached|to-cache|duration|compare`: the guide's
// "Log Analysis" without jq.
import { OffgridError } from '../../errors.js';
import { loadLedgers, selectSessions, type LedgerSet } from '../../report/load.js';
import { artifacts, compare, sessionSummary, toCache } from '../../report/queries.js';
import { renderComparison, renderDuration, renderItems, renderSummary, renderToCache } from '../../report/render-text.js';
import { say, warn, type CliIO } from '../io.js';
import { recoverQuietly } from './session-common.js';

import { REPORTS, type ReportName } from './report-names.js';

export interface ReportOptions {
  readonly logDir: string;
  readonly report: string;
  /** `latest`, `all` or a session id; for compare, the newer session. */
  readonly session: string;
  /** For compare: the older session (default: the one before --session). */
  readonly base: string | null;
  readonly json: boolean;
}

export async function reportCommand(options: ReportOptions, io: CliIO): Promise<number> {
  if (!(REPORTS as readonly string[]).includes(options.report)) {
    throw new OffgridError('EUSAGE', `unknown report ${options.report}; choose one of ${REPORTS.join(', ')}`);
  }
  await recoverQuietly(options.logDir, io);
  const set = loadLedgers(options.logDir);
  for (const { path, reason } of set.invalid) warn(io, `skipping ${path}: ${reason}`);
  const { json, text } = produce(options.report as ReportName, set, options);
  say(io.stdout, options.json ? JSON.stringify(json, null, 2) : text);
  return 0;
}

function produce(report: ReportName, set: LedgerSet, options: ReportOptions): { json: unknown; text: string } {
  if (report === 'compare') {
    const current = selectSessions(set, options.session)[0]!;
    const index = set.ledgers.indexOf(current);
    const base = options.base ? selectSessions(set, options.base)[0]! : set.ledgers[index - 1];
    if (!base) throw new OffgridError('ENOSESSION', `no session before ${current.ledger.session_id} to compare with; give one with --base ID`);
    const comparison = compare(base.ledger, current.ledger);
    return { json: comparison, text: renderComparison(comparison) };
  }
  const ledgers = selectSessions(set, options.session).map((l) => l.ledger);
  const one = <T>(values: T[]): T | T[] => (values.length === 1 ? values[0]! : values);
  switch (report) {
    case 'summary': {
      const summaries = ledgers.map(sessionSummary);
      return { json: one(summaries), text: summaries.map(renderSummary).join('\n\n') };
    }
    case 'downloads':
    case 'cached':
    case 'uncached': {
      const keep = report === 'downloads' ? () => true : report === 'cached' ? (c: boolean) => c : (c: boolean) => !c;
      const records = ledgers.flatMap((l) => artifacts(l).filter((r) => keep(r.cached)));
      return { json: records, text: renderItems(records) };
    }
    case 'to-cache': {
      const result = toCache(ledgers);
      return { json: result, text: renderToCache(result) };
    }
    case 'duration': {
      const summaries = ledgers.map(sessionSummary);
      return {
        json: one(summaries.map((s) => ({ session_id: s.session_id, duration_seconds: s.duration_seconds, complete: s.complete }))),
        text: renderDuration(summaries),
      };
    }
  }
}
