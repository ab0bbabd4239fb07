// The guide's "Log Analysis" questions, answered from ledgers. Pure.
import type { DownloadRecord, Kind, Ledger, NetworkAttempt, Summary } from '../ledger/schema.js';

export function artifacts(ledger: Ledger): DownloadRecord[] {
  const d = ledger.downloads;
  return [...d.wheels, ...d.apt, ...d.npm, ...d.other];
}

export interface SessionSummary extends Summary {
  readonly session_id: string;
  readonly duration_seconds: number;
  readonly exit_code: number | null;
  readonly complete: boolean;
  readonly offline: boolean;
}

export function sessionSummary(ledger: Ledger): SessionSummary {
  return {
    session_id: ledger.session_id,
    duration_seconds: ledger.duration_seconds,
    exit_code: ledger.exit_code,
    complete: ledger.complete,
    offline: ledger.offline,
    ...ledger.summary,
  };
}

/** What to add to the caches so the next build fetches nothing, and how. */
export interface ToCache {
  readonly items: { kind: Kind; name: string | null; version: string | null; filename: string | null; source: string | null; sessions: string[] }[];
  readonly network_attempts: (NetworkAttempt & { session_id: string })[];
  readonly advice: string[];
}

const ADVICE: Record<Kind, string> = {
  wheel: 'add the wheels to the wheelhouse: offgrid wheelhouse -r requirements.txt (or serve the build through offgrid run, which caches them)',
  sdist: 'build wheels from the sdists into the wheelhouse (pip wheel -w wheelhouse …), so the offline build does not compile',
  apt: 'keep the .deb files: run the build through offgrid run (its proxy caches them) or copy /var/cache/apt/archives into apt-archives/',
  npm: 'run npm ci through offgrid run once online, so its registry mirror caches the tarballs',
  file: 'fetch these through offgrid (http_proxy) once online, or vendor them into the build context',
};

export function toCache(ledgers: readonly Ledger[]): ToCache {
  const byKey = new Map<string, ToCache['items'][number]>();
  for (const ledger of ledgers) {
    for (const r of artifacts(ledger)) {
      if (r.cached) continue;
      const key = `${r.kind}\u0000${r.filename ?? r.source ?? `${r.name}@${r.version}`}`;
      const item = byKey.get(key) ?? { kind: r.kind, name: r.name, version: r.version, filename: r.filename, source: r.source, sessions: [] };
      if (!item.sessions.includes(ledger.session_id)) item.sessions.push(ledger.session_id);
      byKey.set(key, item);
    }
  }
  const items = [...byKey.values()];
  const kinds = new Set(items.map((i) => i.kind));
  const network_attempts = ledgers.flatMap((l) => l.network_attempts.map((a) => ({ ...a, session_id: l.session_id })));
  const advice = [...kinds].map((k) => `${k}: ${ADVICE[k]}`);
  if (network_attempts.length > 0) {
    advice.push('network attempts: each is a download the build tried and could not make; cache its source or remove the step');
  }
  return { items, network_attempts, advice };
}

export interface Comparison {
  readonly base: SessionSummary;
  readonly current: SessionSummary;
  /** Downloaded in the base session, taken from a cache in the current one. */
  readonly newly_cached: DownloadRecord[];
  /** Still fetched over the network in the current session. */
  readonly still_downloaded: DownloadRecord[];
  /** Positive when the current session was faster. */
  readonly time_saved_seconds: number;
  readonly bytes_no_longer_downloaded: number;
}

export function compare(base: Ledger, current: Ledger): Comparison {
  const identity = (r: DownloadRecord): string => `${r.kind}\u0000${r.filename ?? r.source ?? `${r.name}@${r.version}`}`;
  const downloadedBefore = new Set(artifacts(base).filter((r) => !r.cached).map(identity));
  const newlyCached = artifacts(current).filter((r) => r.cached && downloadedBefore.has(identity(r)));
  return {
    base: sessionSummary(base),
    current: sessionSummary(current),
    newly_cached: newlyCached,
    still_downloaded: artifacts(current).filter((r) => !r.cached),
    time_saved_seconds: round3(base.duration_seconds - current.duration_seconds),
    bytes_no_longer_downloaded: Math.max(0, base.summary.bytes_downloaded - current.summary.bytes_downloaded),
  };
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;
