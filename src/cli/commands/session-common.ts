// Pieces shared by the commands that record a session.
import type { Ledger } from '../../ledger/schema.js';
import { formatBytes } from '../../report/format.js';
import { recoverAbandonedSessions } from '../../session/recover.js';
import { defaultCacheDir, startRecording, type ListenOptions, type Recording } from '../../session/recording.js';
import { OffgridError, isOffgridError } from '../../errors.js';
import type { ProxyLogger } from '../../capture/proxy/types.js';
import { ProxyConfigError } from '../../capture/proxy/server.js';
import { say, warn, type CliIO } from '../io.js';

/** The options every recording command shares. */
export interface ProxyFlags {
  readonly logDir: string;
  readonly offline: boolean;
  /** false: `--no-proxy`, record from the output only. */
  readonly proxy: boolean;
  readonly cacheDir: string | null;
  readonly pypiUpstream: readonly string[];
  /** PyPI indexes added after the chosen ones (a requirements file's extra indexes). */
  readonly pypiExtraUpstream?: readonly string[];
  readonly npmUpstream: string | null;
  readonly allowHost: readonly string[];
  readonly debug: boolean;
}

export function proxyLogger(io: CliIO, debug: boolean): ProxyLogger {
  return {
    debug: (m) => debug && say(io.stderr, `offgrid: debug: ${m}`),
    warn: (m) => warn(io, m),
  };
}

export async function startRecordingOrExplain(
  flags: ProxyFlags,
  command: readonly string[],
  io: CliIO,
  listen?: ListenOptions,
  hostTools = true,
): Promise<Recording> {
  try {
    const recording = await startRecording({
      logDir: flags.logDir,
      command,
      offline: flags.offline,
      cacheDir: flags.proxy ? (flags.cacheDir ?? defaultCacheDir(io.env)) : null,
      upstreams: { pypi: flags.pypiUpstream, pypiExtra: flags.pypiExtraUpstream ?? [], ...(flags.npmUpstream ? { npm: flags.npmUpstream } : {}) },
      clock: io.clock,
      log: proxyLogger(io, flags.debug),
      env: io.env,
      allowHosts: flags.allowHost,
      ...(listen ? { listen } : {}),
      hostTools,
    });
    if (flags.debug) for (const note of recording.notes) say(io.stderr, `offgrid: debug: ${note}`);
    return recording;
  } catch (error) {
    if (isOffgridError(error)) throw error;
    if (error instanceof ProxyConfigError) throw new OffgridError('EUSAGE', error.message);
    throw new OffgridError('EPROXY', `cannot start the caching proxy: ${error instanceof Error ? error.message : String(error)}`);
  }
}

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
