// One download, two witnesses: offgrid's proxy saw it go over the wire, and a parsed log
// saw the tool report it. Pure: records in, records out.
import type { DownloadRecord } from './schema.js';

/**
 * The proxy and a parsed log often report the same download. Each log record is paired
 * with one proxy record of the same artifact (first come, first paired) and the two
 * become one record with evidence "both": what went over the wire (size, hash, cached)
 * from the proxy, where it went in the build (destination, service, step) from the log.
 *
 * An index file the log and the proxy name differently is paired afterwards: apt prints
 * `bookworm/main amd64 Packages [8790 kB]` but fetches `Packages.xz`, or the file by its
 * hash (`…/binary-amd64/by-hash/SHA256/9e0b…`, Debian's Release files ask for that).
 */
export function mergeEvidence(records: readonly DownloadRecord[]): DownloadRecord[] {
  const out: (DownloadRecord | null)[] = [...records];
  const byKey = new Map<string, number[]>();
  const indexesByDirectory = new Map<string, number[]>();
  records.forEach((r, i) => {
    if (r.evidence !== 'proxy') return;
    const key = artifactKey(r);
    if (key !== null) listAt(byKey, key).push(i);
    const fetched = r.index && r.source ? fetchedIndex(r.source) : null;
    if (fetched) listAt(indexesByDirectory, fetched.dir).push(i);
  });
  const paired = new Set<number>();
  const pair = (logIndex: number, proxyIndex: number): void => {
    paired.add(proxyIndex);
    out[proxyIndex] = null;
    out[logIndex] = combine(records[logIndex]!, records[proxyIndex]!);
  };

  const indexesByOtherName: number[] = [];
  records.forEach((r, i) => {
    if (r.evidence !== 'log') return;
    const key = artifactKey(r);
    const candidates = key === null ? undefined : byKey.get(key);
    let proxyIndex = candidates?.shift();
    while (proxyIndex !== undefined && paired.has(proxyIndex)) proxyIndex = candidates?.shift();
    if (proxyIndex !== undefined) pair(i, proxyIndex);
    else if (r.index) indexesByOtherName.push(i);
  });
  for (const i of indexesByOtherName) {
    const log = records[i]!;
    const wanted = log.source ? splitPath(log.source) : null;
    const inDirectory = wanted ? indexesByDirectory.get(wanted.dir) ?? [] : [];
    const proxyIndex = sameIndexFetchedAs(log, wanted?.name ?? '', inDirectory.filter((p) => !paired.has(p)), records);
    if (proxyIndex !== undefined) pair(i, proxyIndex);
  }
  return out.filter((r): r is DownloadRecord => r !== null);
}

function listAt<K, V>(map: Map<K, V[]>, key: K): V[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}

function combine(log: DownloadRecord, proxy: DownloadRecord): DownloadRecord {
  return {
    ...log,
    ...proxy,
    name: proxy.name ?? log.name,
    // apt prints a package's version whole; the pool's file name leaves out its epoch.
    version: log.kind === 'apt' ? (log.version ?? proxy.version) : (proxy.version ?? log.version),
    destination: log.destination ?? proxy.destination,
    size: proxy.size ?? log.size,
    service: log.service ?? proxy.service,
    step: log.step ?? proxy.step,
    tool: log.tool,
    timestamp: earlier(log.timestamp, proxy.timestamp),
    evidence: 'both',
  };
}

const COMPRESSED = /\.(xz|gz|bz2|lzma|lz4|zst)$/i;
const BY_HASH = /\/by-hash\/[A-Za-z0-9]+\/[0-9a-f]+$/i;

/**
 * Of the proxy's index files in the directory a log record names, the one it names by its
 * uncompressed name: fetched compressed or by hash, and of the size the log printed (apt
 * rounds it to three or four digits). With no size in the log, only a single candidate counts.
 */
function sameIndexFetchedAs(log: DownloadRecord, name: string, inDirectory: number[], records: readonly DownloadRecord[]): number | undefined {
  const candidates = inDirectory.filter((p) => {
    const fetched = fetchedIndex(records[p]!.source!)!;
    return fetched.byHash || fetched.name.replace(COMPRESSED, '').toLowerCase() === name.toLowerCase();
  });
  if (log.size === null) return candidates.length === 1 ? candidates[0] : undefined;
  return candidates.find((p) => sizeAsPrinted(log.size!, records[p]!.size));
}

/** The directory an index file was fetched in: `…/by-hash/SHA256/<hash>` counts as the directory above by-hash. */
function fetchedIndex(url: string): { dir: string; name: string; byHash: boolean } | null {
  const path = splitPath(url);
  if (!path) return null;
  if (!BY_HASH.test(path.full)) return { ...path, byHash: false };
  return { dir: path.full.replace(BY_HASH, ''), name: path.name, byHash: true };
}

function sizeAsPrinted(printed: number, actual: number | null): boolean {
  return actual !== null && Math.abs(actual - printed) <= Math.max(printed * 0.01, 600);
}

function splitPath(url: string): { full: string; dir: string; name: string } | null {
  const full = url.split(/[?#]/, 1)[0] ?? '';
  const slash = full.lastIndexOf('/');
  if (slash < 0 || slash === full.length - 1) return null;
  return { full, dir: full.slice(0, slash), name: full.slice(slash + 1) };
}

/**
 * The earlier of two event times. They may come in different forms — the session's local
 * time with its offset, a CI log's UTC `Z` time — so they are compared as instants; a time
 * that does not parse loses to one that does.
 */
function earlier(a: string, b: string): string {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (Number.isNaN(ta)) return Number.isNaN(tb) ? (a < b ? a : b) : b;
  return Number.isNaN(tb) || ta <= tb ? a : b;
}

function artifactKey(r: DownloadRecord): string | null {
  const file = r.filename ?? (r.source ? basename(r.source) : null);
  return file ? `${r.index ? 'i' : 'a'}:${withoutEpoch(file.toLowerCase())}` : null;
}

/**
 * A .deb's name as the archive's pool has it. apt's log names the file it keeps in
 * /var/cache/apt/archives, whose version carries the epoch (`file_1%3a5.44-3_amd64.deb`);
 * the pool's file, which the proxy fetched, never does (`file_5.44-3_amd64.deb`).
 */
function withoutEpoch(file: string): string {
  return file.endsWith('deb') ? file.replace(/^([^_]+_)\d+(?:%3a|:)/, '$1') : file;
}

function basename(url: string): string | null {
  const path = url.split(/[?#]/, 1)[0] ?? '';
  const last = path.slice(path.lastIndexOf('/') + 1);
  return last === '' ? null : decodeURIComponentSafe(last);
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
