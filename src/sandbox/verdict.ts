// The verdict of `offgrid verify`: pure, from the ledger of the offline session, the
// command's exit code and what the cache holds. A command passes only when it succeeded
// AND tried no network; a swallowed failure (`curl … || true`) still fails.
import type { Ledger, NetworkAttempt } from '../ledger/schema.js';
import { type Alternative, type CachedItem, findAlternatives, identifyUrl } from './identify.js';

export interface AttemptFinding {
  readonly tool: string;
  readonly url_or_host: string;
  readonly error: string;
  readonly count: number;
  readonly service: string | null;
  readonly step: string | null;
  /** What the cache holds under another URL, version or spelling of the same package. */
  readonly alternatives: readonly Alternative[];
}

export interface Verdict {
  readonly passed: boolean;
  readonly exitCode: number | null;
  readonly attempts: readonly AttemptFinding[];
  /** Items served from offgrid's cache during the run. */
  readonly servedFromCache: number;
  /** One line per reason it failed (empty when it passed). */
  readonly reasons: readonly string[];
}

export function judge(ledger: Ledger, exitCode: number | null, spawnError: string | null, cached: readonly CachedItem[]): Verdict {
  const attempts = ledger.network_attempts.map((attempt: NetworkAttempt): AttemptFinding => {
    const wanted = identifyUrl(attempt.url_or_host);
    return {
      tool: attempt.tool,
      url_or_host: attempt.url_or_host,
      error: attempt.error,
      count: attempt.count,
      service: attempt.service,
      step: attempt.step,
      alternatives: wanted ? findAlternatives(wanted, cached) : [],
    };
  });
  const reasons: string[] = [];
  if (spawnError) reasons.push(spawnError);
  else if (exitCode !== 0) reasons.push(`the command failed (exit code ${exitCode ?? 'unknown: killed'})`);
  if (attempts.length > 0) {
    const total = attempts.reduce((n, a) => n + a.count, 0);
    reasons.push(`the command tried to reach the network ${total} time(s)${exitCode === 0 ? ' and carried on (a swallowed error or a fallback)' : ''}`);
  }
  const servedFromCache = ledger.cached.length;
  return { passed: reasons.length === 0, exitCode, attempts, servedFromCache, reasons };
}

export function describeAlternative(a: Alternative): string {
  const id = a.item.identity;
  const what = id.filename ?? `${id.name}${id.version ? ` ${id.version}` : ''}`;
  switch (a.relation) {
    case 'same-file':
      return `the same file is cached under another URL: ${a.item.url ?? a.item.key}`;
    case 'other-version':
      return `cached in another version: ${id.name} ${id.version ?? ''} (${what})`.replace(/ \(\)$/, '');
    case 'other-spelling':
      return `cached under another spelling of the name: ${what}`;
  }
}
