// Project pages made from what the cache holds, for when no upstream page is there: offline
// with no cached page (a wheelhouse brought in with `cache import-dir`, stored under
// `import:wheel:<file>`), or an upstream that has no such project or cannot be reached.
// Every cached wheel and sdist counts, whatever key it is under (imported, or fetched from
// an upstream whose page is gone); each link carries the content's sha256, and the file is
// served by content hash through the verifying cache read path (serveCached).
import type { CacheEntry, CacheStore } from '../../cache/index.js';
import { type IndexFile, distFromFilename, normalizeProjectName } from './pypi-rewrite.js';

export interface LocalDist {
  /** PEP 503 normalised project name. */
  readonly project: string;
  readonly version: string | null;
  readonly kind: 'wheel' | 'sdist';
  readonly filename: string;
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
  readonly url: string | null;
}

/** Where the mirror serves a local file: by content, with the real file name last (pip uses it). */
export const LOCAL_FILES_PREFIX = '/pypi/local/';

export function localFilePath(dist: Pick<LocalDist, 'sha256' | 'filename'>): string {
  return `${LOCAL_FILES_PREFIX}${dist.sha256}/${encodeURIComponent(dist.filename)}`;
}

export function parseLocalFilePath(path: string): { sha256: string; filename: string } | null {
  const match = /^\/pypi\/local\/([0-9a-f]{64})\/([^/]+)$/.exec(path);
  if (!match) return null;
  try {
    return { sha256: match[1]!, filename: decodeURIComponent(match[2]!) };
  } catch {
    return null;
  }
}

function basename(url: string): string | null {
  try {
    const last = new URL(url).pathname.split('/').pop();
    return last ? decodeURIComponent(last) : null;
  } catch {
    return null;
  }
}

/** The wheel or sdist a cache entry holds, or null (pages, metadata files, npm, apt, ...). */
export function localDistOf(entry: CacheEntry): LocalDist | null {
  const kind = entry.metadata.kind;
  // The kind says it is Python's: an npm tarball `name-1.0.tgz` would parse as an sdist.
  if (kind !== 'wheel' && kind !== 'sdist') return null;
  const url = typeof entry.metadata.url === 'string' ? entry.metadata.url : null;
  const named = entry.metadata['filename'];
  const filename = typeof named === 'string' ? named : url ? basename(url) : null;
  if (!filename || filename.includes('/')) return null;
  const dist = distFromFilename(filename);
  if (!dist) return null;
  return { project: dist.name, version: dist.version, kind: dist.kind, filename, key: entry.key, sha256: entry.sha256, size: entry.size, url };
}

/** Local files by project; one per file name (keys sorted, so the choice is stable). */
export function groupByProject(dists: readonly LocalDist[]): Map<string, LocalDist[]> {
  const byProject = new Map<string, LocalDist[]>();
  const seen = new Set<string>();
  for (const dist of [...dists].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    if (seen.has(dist.filename)) continue;
    seen.add(dist.filename);
    const list = byProject.get(dist.project) ?? [];
    list.push(dist);
    byProject.set(dist.project, list);
  }
  for (const list of byProject.values()) list.sort((a, b) => (a.filename < b.filename ? -1 : 1));
  return byProject;
}

/** A page entry for a local file: its hash and size are the content's, nothing else is known. */
export function localIndexFile(dist: LocalDist, href: string): IndexFile {
  return { filename: dist.filename, url: href, hashes: { sha256: dist.sha256 }, requiresPython: null, yanked: false, coreMetadata: false, size: dist.size };
}

/** How long a scan of the cache's index is reused before a page request scans again. */
const RESCAN_AFTER_MS = 5_000;

/**
 * What the cache holds, by project. The index is scanned (one JSON file per entry) at most
 * once per RESCAN_AFTER_MS, and concurrent requests share a scan: a build asks for dozens
 * of pages in a row.
 */
export class LocalDists {
  private scanned: { at: number; byProject: Map<string, LocalDist[]> } | null = null;
  private scanning: Promise<Map<string, LocalDist[]>> | null = null;

  constructor(private readonly store: CacheStore, private readonly now: () => number = () => performance.now()) {}

  async forProject(name: string, fresh = false): Promise<LocalDist[]> {
    return (await this.snapshot(fresh)).get(normalizeProjectName(name)) ?? [];
  }

  /** The local file with this content and name; scans again once before saying no. */
  async find(sha256: string, filename: string): Promise<LocalDist | null> {
    const project = distFromFilename(filename)?.name;
    if (!project) return null;
    const match = (list: LocalDist[]) => list.find((d) => d.sha256 === sha256 && d.filename === filename) ?? null;
    return match(await this.forProject(project)) ?? match(await this.forProject(project, true));
  }

  private async snapshot(fresh: boolean): Promise<Map<string, LocalDist[]>> {
    if (!fresh && this.scanned && this.now() - this.scanned.at < RESCAN_AFTER_MS) return this.scanned.byProject;
    this.scanning ??= this.scan().finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private async scan(): Promise<Map<string, LocalDist[]>> {
    const at = this.now();
    const dists: LocalDist[] = [];
    for await (const entry of this.store.list()) {
      const dist = localDistOf(entry);
      if (dist) dists.push(dist);
    }
    const byProject = groupByProject(dists);
    this.scanned = { at, byProject };
    return byProject;
  }
}
