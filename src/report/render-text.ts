// Human-readable renderings of the report queries.
import type { DownloadRecord } from '../ledger/schema.js';
import { formatBytes, formatSeconds, table } from './format.js';
import type { Comparison, SessionSummary, ToCache } from './queries.js';

export function renderSummary(s: SessionSummary): string {
  const kinds = Object.entries(s.by_kind)
    .filter(([, c]) => c.downloaded + c.cached > 0)
    .map(([kind, c]) => [`  ${kind}`, `${c.downloaded} downloaded`, `${c.cached} cached`]);
  const state = s.complete ? `exit ${s.exit_code ?? '?'}` : 'INCOMPLETE (the session did not finish)';
  return [
    `session ${s.session_id}  ${formatSeconds(s.duration_seconds)}  ${state}${s.offline ? '  offline' : ''}`,
    `  downloaded: ${s.total_downloads} (${formatBytes(s.bytes_downloaded)})`,
    `  cached:     ${s.total_cached} (${formatBytes(s.bytes_cached)})`,
    `  network attempts: ${s.network_attempts}`,
    `  index files: ${s.index_files.downloaded} downloaded, ${s.index_files.cached} cached`,
    table(kinds),
  ]
    .filter((line) => line !== '')
    .join('\n');
}

export function renderItems(records: readonly DownloadRecord[]): string {
  if (records.length === 0) return '(none)';
  return table([
    ['KIND', 'NAME', 'VERSION', 'STATE', 'SIZE', 'WHERE', 'SOURCE'],
    ...records.map((r) => [
      r.kind,
      r.name ?? r.filename ?? '?',
      r.version ?? '',
      r.cached ? 'cached' : 'downloaded',
      r.size === null ? '' : formatBytes(r.size),
      [r.service, r.step].filter(Boolean).join(': ').slice(0, 60) || '-',
      r.source ?? r.destination ?? '',
    ]),
  ]);
}

export function renderToCache(t: ToCache): string {
  if (t.items.length === 0 && t.network_attempts.length === 0) return 'Nothing to cache: every item came from a cache and nothing tried the network.';
  const lines: string[] = [];
  if (t.items.length > 0) {
    lines.push(`${t.items.length} item(s) still fetched from the network:`);
    lines.push(table(t.items.map((i) => [`  ${i.kind}`, i.name ?? i.filename ?? '?', i.version ?? '', i.source ?? ''])));
  }
  if (t.network_attempts.length > 0) {
    lines.push(`${t.network_attempts.length} network attempt(s):`);
    lines.push(table(t.network_attempts.map((a) => [`  ${a.tool}`, a.url_or_host, a.step ?? '', a.error])));
  }
  lines.push('How to cache them:', ...t.advice.map((a) => `  - ${a}`));
  return lines.join('\n');
}

export function renderDuration(summaries: readonly SessionSummary[]): string {
  return table(summaries.map((s) => [s.session_id, formatSeconds(s.duration_seconds), s.complete ? '' : 'incomplete']));
}

export function renderComparison(c: Comparison): string {
  const row = (label: string, a: string | number, b: string | number): string[] => [`  ${label}`, String(a), String(b)];
  const saved = c.time_saved_seconds;
  return [
    table([
      ['', c.base.session_id, c.current.session_id],
      row('duration', formatSeconds(c.base.duration_seconds), formatSeconds(c.current.duration_seconds)),
      row('downloaded', c.base.total_downloads, c.current.total_downloads),
      row('cached', c.base.total_cached, c.current.total_cached),
      row('bytes downloaded', formatBytes(c.base.bytes_downloaded), formatBytes(c.current.bytes_downloaded)),
      row('network attempts', c.base.network_attempts, c.current.network_attempts),
    ]),
    `${c.newly_cached.length} item(s) downloaded before are cached now; ${c.still_downloaded.length} still downloaded.`,
    saved >= 0 ? `Time saved: ${formatSeconds(saved)}.` : `Slower by ${formatSeconds(-saved)}.`,
  ].join('\n');
}
