// The one-line-per-item logs (`apt_downloads_*.log`, `wheel_downloads_*.log`): greppable,
// with the guide's `[CACHED]` marker on everything that did not come over the network.
import type { DownloadRecord } from '../ledger/schema.js';
import { formatBytes } from '../report/format.js';

export function itemLogLine(r: DownloadRecord): string {
  const marker = r.cached ? '[CACHED]' : '[DOWNLOADED]';
  const what = [r.name ?? r.filename ?? r.source ?? '?', r.version].filter(Boolean).join(' ');
  const parts = [r.timestamp, marker, what];
  if (r.filename && r.filename !== r.name) parts.push(r.filename);
  if (r.size !== null) parts.push(`(${formatBytes(r.size)})`);
  if (r.source) parts.push(`from ${r.source}`);
  if (r.destination) parts.push(`to ${r.destination}`);
  const where = [r.tool, r.service && `service=${r.service}`, r.step && `step=${JSON.stringify(r.step)}`]
    .filter(Boolean)
    .join(' ');
  parts.push(`[${where}]`);
  return parts.join(' ');
}

export function itemLog(records: readonly DownloadRecord[]): string {
  return records.map((r) => `${itemLogLine(r)}\n`).join('');
}
