// `offgrid cache import-dir DIR`: bring caches made without offgrid in: an apt archives
// directory (/var/cache/apt/archives), a pip wheelhouse (wheels and sdists). Files are
// stored under `import:<kind>:<file name>` (the URL they came from is unknown), which is
// what `cache export apt` and `cache ls` read; the file name is kept in the metadata.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { MAX_READ_CHUNK } from './reader.js';
import { CacheStore } from './store.js';

export type ImportedKind = 'apt' | 'wheel' | 'sdist';

export function kindOfFile(name: string): ImportedKind | null {
  if (/^[a-z0-9][a-z0-9+.-]*_[^_]+_[a-z0-9-]+\.u?deb$/i.test(name)) return 'apt';
  if (/^[^-]+-[^-]+(-[^-]+)?-[^-]+-[^-]+-[^-]+\.whl$/.test(name)) return 'wheel';
  if (/^[A-Za-z0-9._]+-\d[^-]*\.(tar\.gz|zip|tar\.bz2)$/.test(name)) return 'sdist';
  return null;
}

export interface ImportDirReport {
  readonly added: number;
  readonly unchanged: number;
  /** The cache already had this file name with other bytes: the cache's copy is kept. */
  readonly keptLocal: string[];
  readonly byKind: Record<string, number>;
  /** Files that are not a .deb, wheel or sdist (pip's HTTP cache, partial downloads, ...). */
  readonly skipped: number;
  readonly bytes: number;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MAX_READ_CHUNK })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function importDirectory(root: string, dir: string): Promise<ImportDirReport> {
  const store = await CacheStore.open({ root });
  let added = 0;
  let unchanged = 0;
  let skipped = 0;
  let bytes = 0;
  const keptLocal: string[] = [];
  const byKind: Record<string, number> = {};
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const info = await lstat(path);
    const kind = info.isFile() ? kindOfFile(name) : null;
    if (!kind) {
      skipped += 1;
      continue;
    }
    const key = `import:${kind}:${name}`;
    const existing = await store.get(key);
    if (existing) {
      if (existing.size === info.size && (await sha256Of(path)) === existing.sha256) unchanged += 1;
      else keptLocal.push(name);
      continue;
    }
    const writer = store.writer(key, { expectedSize: info.size, metadata: { kind, filename: name, url: null } });
    await pipeline(createReadStream(path, { highWaterMark: MAX_READ_CHUNK }), writer);
    await writer.done;
    added += 1;
    bytes += info.size;
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  return { added, unchanged, keptLocal, byKind, skipped, bytes };
}
