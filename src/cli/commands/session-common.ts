// Pieces shared by the commands that record a session.
import type { Ledger } from '../../ledger/schema.js';
import { formatBytes } from '../../report/format.js';
import { recoverAbandonedSessions } from '../../session/recover.js';
import { warn, type CliIO } from '../io.js';

/** Compiles journals that dead sessions left behind, and says so. */
export async function recoverQuietly(logDir: string, io: CliIO): Promise<void> {
  const { recovered, unreadable } = await recoverAbandonedSessions(logDir, io.clock);
  for (const ledger of recovered) {
    warn(io, `session ${ledger.session_id} did not finish; its journal was compiled into a ledger marked "complete": false`);
  }
  for (const { path, reason } of unreadable) warn(io, `cannot read the session journal ${path}: ${reason}`);
}

export function sessionSummaryLine(ledger: Ledger, ledgerPath: string): string {
  const s = ledger.summary;
  const parts = [
    `${s.total_downloads} downloaded (${formatBytes(s.bytes_downloaded)})`,
    `${s.total_cached} cached (${formatBytes(s.bytes_cached)})`,
  ];
  if (s.network_attempts > 0) parts.push(`${s.network_attempts} network attempt(s)`);
  if (ledger.errors.length > 0) parts.push(`${ledger.errors.length} error(s)`);
  return `offgrid: session ${ledger.session_id}: ${parts.join(', ')}; ledger ${ledgerPath}`;
}
