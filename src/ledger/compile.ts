// Journal records in, ledger out. Pure: no clock, no files.
import type { BuildStep, DownloadRecord, Kind, Ledger, LedgerError, NetworkAttempt, Summary } from './schema.js';
import { KINDS } from './schema.js';
import { mergeEvidence } from './evidence.js';

export interface SessionHeader {
  readonly session_id: string;
  readonly started_at: string;
  readonly command: readonly string[];
  readonly offline: boolean;
}

export interface SessionEnd {
  readonly ended_at: string;
  readonly exit_code: number | null;
  /** false when the session died before it could record its own end. */
  readonly complete: boolean;
}

/** What a session journals, already redacted and time-stamped. */
export type JournalEntry =
  | { readonly t: 'download'; readonly record: DownloadRecord }
  | { readonly t: 'network_attempt'; readonly record: Omit<NetworkAttempt, 'count'> }
  | { readonly t: 'error'; readonly record: LedgerError }
  | { readonly t: 'step'; readonly record: BuildStep };

export function compileLedger(header: SessionHeader, entries: Iterable<JournalEntry>, end: SessionEnd): Ledger {
  const downloads: DownloadRecord[] = [];
  const attempts = new Map<string, NetworkAttempt>();
  const errors: LedgerError[] = [];
  const steps = new Map<string, BuildStep>();

  for (const entry of entries) {
    switch (entry.t) {
      case 'download':
        downloads.push(entry.record);
        break;
      case 'network_attempt': {
        const r = entry.record;
        const key = JSON.stringify([r.url_or_host, r.tool, r.error, r.service, r.step]);
        const seen = attempts.get(key);
        if (seen) seen.count++;
        else attempts.set(key, { ...r, count: 1 });
        break;
      }
      case 'error':
        errors.push(entry.record);
        break;
      case 'step': {
        const key = `${entry.record.service ?? ''}\u0000${entry.record.id}`;
        steps.set(key, mergeStep(steps.get(key), entry.record));
        break;
      }
    }
  }

  const merged = mergeEvidence(downloads);
  const artifacts = merged.filter((r) => !r.index);
  const indexes = merged.filter((r) => r.index);
  const networkAttempts = [...attempts.values()];
  const durationMs = Date.parse(end.ended_at) - Date.parse(header.started_at);

  return {
    schema_version: 1,
    session_id: header.session_id,
    started_at: header.started_at,
    ended_at: end.ended_at,
    duration_seconds: Number.isFinite(durationMs) ? Math.max(0, durationMs) / 1000 : 0,
    command: [...header.command],
    exit_code: end.exit_code,
    offline: header.offline,
    complete: end.complete,
    summary: summarize(artifacts, indexes, networkAttempts),
    downloads: {
      wheels: artifacts.filter((r) => r.kind === 'wheel' || r.kind === 'sdist'),
      apt: artifacts.filter((r) => r.kind === 'apt'),
      npm: artifacts.filter((r) => r.kind === 'npm'),
      other: artifacts.filter((r) => r.kind === 'file'),
      indexes,
    },
    cached: artifacts.filter((r) => r.cached),
    network_attempts: networkAttempts,
    errors,
    steps: [...steps.values()],
  };
}

function summarize(artifacts: DownloadRecord[], indexes: DownloadRecord[], attempts: NetworkAttempt[]): Summary {
  const byKind = Object.fromEntries(KINDS.map((k) => [k, { downloaded: 0, cached: 0 }])) as Record<
    Kind,
    { downloaded: number; cached: number }
  >;
  let bytesDownloaded = 0;
  let bytesCached = 0;
  for (const r of artifacts) {
    byKind[r.kind][r.cached ? 'cached' : 'downloaded']++;
    if (r.cached) bytesCached += r.size ?? 0;
    else bytesDownloaded += r.size ?? 0;
  }
  return {
    total_downloads: artifacts.filter((r) => !r.cached).length,
    total_cached: artifacts.filter((r) => r.cached).length,
    bytes_downloaded: bytesDownloaded,
    bytes_cached: bytesCached,
    network_attempts: attempts.reduce((n, a) => n + a.count, 0),
    by_kind: byKind,
    index_files: {
      downloaded: indexes.filter((r) => !r.cached).length,
      cached: indexes.filter((r) => r.cached).length,
      bytes: indexes.reduce((n, r) => n + (r.size ?? 0), 0),
    },
  };
}

const STATUS_RANK: Record<BuildStep['status'], number> = { running: 0, done: 1, cached: 2, error: 3 };

function mergeStep(previous: BuildStep | undefined, next: BuildStep): BuildStep {
  if (!previous) return next;
  const status = STATUS_RANK[next.status] >= STATUS_RANK[previous.status] ? next.status : previous.status;
  return {
    ...previous,
    ...next,
    name: next.name || previous.name,
    status,
    duration_seconds: next.duration_seconds ?? previous.duration_seconds,
    error: next.error ?? previous.error,
  };
}
