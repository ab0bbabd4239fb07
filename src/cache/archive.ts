// Portable cache archives: `offgrid cache export` writes a gzipped tar holding a manifest
// (every key, its sha256, size and metadata) and each content file once, named by its
// hash; `offgrid cache import` merges one into another machine's cache so the proxy there
// serves the same builds (keys are kept as they are).
//
//   offgrid-export.json        first: the manifest
//   sha256/<hex>               the content, in manifest order
//
// Import is two-phase. Phase 1 reads the whole archive into temp files inside the cache,
// checking every name, size and hash; any problem (tampering, a symlink, a traversal name,
// truncation) stops it with nothing merged, and a killed import leaves only temp files
// that `cleanTmp` removes (their writer's pid is dead). Phase 2, short, renames content
// into place and writes index entries, each one whole, under a commit marker maintenance
// respects. Importing the same archive twice changes nothing.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import * as z from 'zod';
import { type CacheEntry, EntryMetadata } from './entry.js';
import { hasErrno } from './errors.js';
import { getEntry } from './entries.js';
import { TMP_DIR, contentPath, isSha256, tmpName } from './layout.js';
import { enterCommit, unlinkIfPresent } from './lock.js';
import { type CacheContext, isoTime, resolveOptions } from './options.js';
import { MAX_READ_CHUNK } from './reader.js';
import { CacheStore } from './store.js';
import { END_OF_ARCHIVE, TarFormatError, fileHeader, padding, readTar } from './tar.js';
import { writeIndexEntry } from './writer.js';

export const MANIFEST_NAME = 'offgrid-export.json';
const CONTENT_NAME = /^sha256\/([0-9a-f]{64})$/;
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

const ArchiveEntry = z.object({
  key: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  stored_at: z.string(),
  metadata: EntryMetadata,
});
const Manifest = z.object({
  format: z.literal('offgrid-cache-export'),
  version: z.literal(1),
  created_at: z.string(),
  entries: z.array(ArchiveEntry),
});
export type ArchiveManifest = z.infer<typeof Manifest>;

export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
}

export interface ExportSelection {
  /** Only entries of this kind (wheel, sdist, apt, npm, file), or all. */
  readonly kind: string | null;
  /** Only entries whose content or URL a session used, or all. */
  readonly sha256s: ReadonlySet<string> | null;
  readonly urls: ReadonlySet<string> | null;
}

export interface ExportReport {
  readonly entries: number;
  readonly contentFiles: number;
  readonly bytes: number;
}

export function selectEntry(entry: CacheEntry, selection: ExportSelection): boolean {
  if (selection.kind !== null && (entry.metadata.kind ?? 'unknown') !== selection.kind) return false;
  if (selection.sha256s === null && selection.urls === null) return true;
  if (selection.sha256s?.has(entry.sha256)) return true;
  return typeof entry.metadata.url === 'string' && (selection.urls?.has(entry.metadata.url) ?? false);
}

/** Writes the archive to `out` (through a temp file renamed at the end: never half an archive). */
export async function exportCache(root: string, selection: ExportSelection, out: string, options: { clock?: () => number; level?: number } = {}): Promise<ExportReport> {
  const store = await CacheStore.open({ root });
  const now = options.clock?.() ?? Date.now();
  const entries: CacheEntry[] = [];
  for await (const entry of store.list()) if (selectEntry(entry, selection)) entries.push(entry);
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const contents = new Map<string, number>();
  for (const entry of entries) contents.set(entry.sha256, entry.size);
  const manifest: ArchiveManifest = {
    format: 'offgrid-cache-export',
    version: 1,
    created_at: isoTime(now),
    entries: entries.map(({ key, sha256, size, stored_at, metadata }) => ({ key, sha256, size, stored_at, metadata })),
  };
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest)}\n`);
  const mtime = now / 1000;
  async function* tarStream(): AsyncGenerator<Buffer> {
    yield fileHeader(MANIFEST_NAME, manifestBytes.length, mtime);
    yield manifestBytes;
    yield padding(manifestBytes.length);
    for (const [sha256, size] of contents) {
      yield fileHeader(`sha256/${sha256}`, size, mtime);
      const hash = createHash('sha256');
      let seen = 0;
      try {
        for await (const chunk of createReadStream(contentPath(root, sha256), { highWaterMark: MAX_READ_CHUNK })) {
          seen += (chunk as Buffer).length;
          if (seen > size) break;
          hash.update(chunk as Buffer);
          yield chunk as Buffer;
        }
      } catch (error) {
        if (hasErrno(error, 'ENOENT')) throw new ArchiveError(`content ${sha256} left the cache during the export (pruned meanwhile?); export again`);
        throw error;
      }
      if (seen !== size || hash.digest('hex') !== sha256) {
        throw new ArchiveError(`cached content ${sha256} is corrupt (its bytes no longer match their hash); run \`offgrid cache verify\`, then export again`);
      }
      yield padding(size);
    }
    yield END_OF_ARCHIVE;
  }
  await mkdir(dirname(out), { recursive: true });
  const temp = `${out}.${process.pid}.partial`;
  try {
    // Level 1 by default: a cache is wheels, .debs and tarballs, already compressed; level 6
    // (gzip's default) saves nothing on them (168 MB of .debs: 3 kB less) at about three times the CPU.
    await pipeline(Readable.from(tarStream()), createGzip({ level: options.level ?? 1, chunkSize: 256 * 1024 }), createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, out);
  } finally {
    await unlinkIfPresent(temp);
  }
  const bytes = [...contents.values()].reduce((a, b) => a + b, 0);
  return { entries: entries.length, contentFiles: contents.size, bytes };
}

export interface ImportReport {
  readonly entries: number;
  readonly added: number;
  /** Same key, same content: already there. */
  readonly unchanged: number;
  /** Same key, other content here: this machine's entry is kept. */
  readonly keptLocal: number;
  readonly contentFiles: number;
  readonly bytes: number;
}

async function readAll(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk);
  return Buffer.concat(parts);
}

function parseManifest(bytes: Buffer): ArchiveManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ArchiveError(`${MANIFEST_NAME} is not JSON`);
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArchiveError(`${MANIFEST_NAME} is not an offgrid cache manifest (${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'})`);
  }
  return parsed.data;
}

/** Verifies the whole archive, then merges it. Throws ArchiveError with nothing merged on any problem. */
export async function importCache(root: string, archive: string, options: { clock?: () => number } = {}): Promise<ImportReport> {
  await CacheStore.open({ root });
  const ctx = resolveOptions({ root, ...(options.clock ? { clock: options.clock } : {}) });
  const staged = new Map<string, string | null>(); // sha256 → temp path (null: already in the cache)
  try {
    const manifest = await readAndStage(ctx, archive, staged);
    await syncStaged(staged);
    return await commit(ctx, manifest, staged);
  } finally {
    for (const path of staged.values()) {
      if (path === null) continue;
      await unlinkIfPresent(path);
      ctx.activeTmp.delete(path);
    }
  }
}

async function readAndStage(ctx: CacheContext, archive: string, staged: Map<string, string | null>): Promise<ArchiveManifest> {
  let manifest: ArchiveManifest | null = null;
  let declared = new Map<string, number>();
  // Large chunks: gunzip's default 16 KiB makes hashing and writing per-chunk overhead-bound.
  const source = createReadStream(archive, { highWaterMark: MAX_READ_CHUNK }).pipe(createGunzip({ chunkSize: 256 * 1024 }));
  try {
    for await (const { header, body } of readTar(source)) {
      if (manifest === null) {
        if (header.name !== MANIFEST_NAME) throw new ArchiveError(`the first entry is ${JSON.stringify(header.name)}, not ${MANIFEST_NAME}: not an offgrid cache archive`);
        if (header.size > MAX_MANIFEST_BYTES) throw new ArchiveError(`${MANIFEST_NAME} is ${header.size} bytes, more than any manifest offgrid writes`);
        manifest = parseManifest(await readAll(body));
        declared = new Map();
        for (const entry of manifest.entries) {
          const size = declared.get(entry.sha256);
          if (size !== undefined && size !== entry.size) throw new ArchiveError(`the manifest gives content ${entry.sha256} two sizes`);
          declared.set(entry.sha256, entry.size);
        }
        continue;
      }
      const name = CONTENT_NAME.exec(header.name);
      if (!name) throw new ArchiveError(`entry ${JSON.stringify(header.name.slice(0, 200))} is not a name an offgrid archive holds (only ${MANIFEST_NAME} and sha256/<hash>)`);
      const sha256 = name[1]!;
      const size = declared.get(sha256);
      if (size === undefined) throw new ArchiveError(`entry ${header.name} is not in the manifest`);
      if (staged.has(sha256)) throw new ArchiveError(`entry ${header.name} appears twice`);
      if (header.size !== size) throw new ArchiveError(`entry ${header.name} holds ${header.size} bytes; the manifest declares ${size}`);
      staged.set(sha256, await stageContent(ctx, sha256, size, body));
    }
  } catch (error) {
    if (error instanceof ArchiveError) throw error;
    if (error instanceof TarFormatError) throw new ArchiveError(error.message);
    if (hasErrno(error, 'Z_BUF_ERROR') || hasErrno(error, 'Z_DATA_ERROR') || /unexpected end of file|incorrect header check|invalid/.test(String((error as Error).message))) {
      throw new ArchiveError(`the archive is not a complete gzip stream (${(error as Error).message}): truncated or damaged`);
    }
    throw error;
  }
  if (manifest === null) throw new ArchiveError('the archive is empty');
  for (const sha256 of declared.keys()) if (!staged.has(sha256)) throw new ArchiveError(`content ${sha256} named by the manifest is missing from the archive`);
  return manifest;
}

/** Staged files flushed to disk at once (several at a time), before any is renamed into place. */
const SYNC_CONCURRENCY = 4;

/**
 * Every staged file on disk before the commit, as the cache writer does for one download.
 * Flushed after the whole archive is read, several at once: a flush after each file made
 * the import wait for the disk file by file, while gunzip and hashing stood still.
 */
async function syncStaged(staged: ReadonlyMap<string, string | null>): Promise<void> {
  const paths = [...staged.values()].filter((p): p is string => p !== null);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const handle = await open(paths[next++]!, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SYNC_CONCURRENCY, paths.length) }, worker));
}

/** Streams one content file into a temp file, hashing; null when the cache already has it (flushed later, by syncStaged). */
async function stageContent(ctx: CacheContext, sha256: string, size: number, body: AsyncIterable<Buffer>): Promise<string | null> {
  const hash = createHash('sha256');
  const exists = await open(contentPath(ctx.root, sha256), 'r').then((h) => h.close().then(() => true), () => false);
  let path: string | null = null;
  let handle: FileHandle | null = null;
  if (!exists) {
    path = join(ctx.root, TMP_DIR, tmpName(process.pid, 'content'));
    ctx.activeTmp.add(path);
    handle = await open(path, 'wx');
  }
  let seen = 0;
  try {
    for await (const chunk of body) {
      seen += chunk.length;
      hash.update(chunk);
      if (handle) await handle.write(chunk);
    }
  } catch (error) {
    await handle?.close();
    handle = null;
    if (path) {
      await unlinkIfPresent(path);
      ctx.activeTmp.delete(path);
    }
    throw error;
  }
  await handle?.close();
  const found = hash.digest('hex');
  if (seen !== size || found !== sha256) {
    if (path) {
      await unlinkIfPresent(path);
      ctx.activeTmp.delete(path);
    }
    throw new ArchiveError(`entry sha256/${sha256} does not match its hash (found ${found}): the archive was altered or damaged`);
  }
  return path;
}

async function commit(ctx: CacheContext, manifest: ArchiveManifest, staged: Map<string, string | null>): Promise<ImportReport> {
  let added = 0;
  let unchanged = 0;
  let keptLocal = 0;
  const release = await enterCommit(ctx);
  try {
    for (const [sha256, temp] of staged) {
      if (temp === null) continue;
      const target = contentPath(ctx.root, sha256);
      await mkdir(dirname(target), { recursive: true });
      await ctx.rename(temp, target);
      staged.set(sha256, null);
      ctx.activeTmp.delete(temp);
    }
    const storedAt = isoTime(ctx.clock());
    for (const item of manifest.entries) {
      if (!isSha256(item.sha256)) continue;
      const current = await getEntry(ctx, item.key);
      if (current?.sha256 === item.sha256) unchanged += 1;
      else if (current) keptLocal += 1;
      else {
        await writeIndexEntry(ctx, { ...item, stored_at: storedAt, last_used_at: null });
        added += 1;
      }
    }
  } finally {
    await release();
  }
  const sizes = new Map(manifest.entries.map((e) => [e.sha256, e.size]));
  return { entries: manifest.entries.length, added, unchanged, keptLocal, contentFiles: sizes.size, bytes: [...sizes.values()].reduce((a, b) => a + b, 0) };
}

