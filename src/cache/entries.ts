// Reading, listing and removing index entries; shared by the store and maintenance.
import { type FileHandle, open, readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { type CacheEntry, parseEntry } from './entry.js';
import { CacheError, hasErrno } from './errors.js';
import { CONTENT_DIR, INDEX_DIR, contentPath, indexPath } from './layout.js';
import { unlinkIfPresent } from './lock.js';
import { forgetKey } from './memory.js';
import { type CacheContext, isoTime } from './options.js';

export interface IndexFile {
  readonly path: string;
  /** The parsed entry, or the reason the file could not be read as one. */
  readonly entry: CacheEntry | CacheError;
  /** Milliseconds; the entry's last use (or its store time when never used). */
  readonly lastUsedMs: number;
}

export async function readIndexFile(path: string): Promise<IndexFile | null> {
  // One open for text and mtime alike: a key not in the cache (every download's first
  // look) costs one failed call, and the two are of the same file even if it is replaced.
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (hasErrno(error, 'ENOENT')) return null;
    throw error;
  }
  let text: string;
  let mtimeMs: number;
  try {
    [text, { mtimeMs }] = await Promise.all([handle.readFile('utf8'), handle.stat()]);
  } finally {
    await handle.close();
  }
  try {
    const parsed = parseEntry(text, path, null);
    const storedMs = Date.parse(parsed.stored_at);
    // Touching sets mtime from the injected clock, so equality means "never read".
    const lastUsed = Math.abs(mtimeMs - storedMs) < 1 ? null : isoTime(mtimeMs);
    return { path, entry: { ...parsed, last_used_at: lastUsed }, lastUsedMs: mtimeMs };
  } catch (error) {
    return { path, entry: error as CacheError, lastUsedMs: mtimeMs };
  }
}

/** The entry for a key, or null (missing, malformed, or a hash collision with another key). */
export async function getEntry(ctx: CacheContext, key: string): Promise<CacheEntry | null> {
  const file = await readIndexFile(indexPath(ctx.root, key));
  if (!file) return null;
  if (file.entry instanceof CacheError) {
    ctx.logger.warn(file.entry.message, { key });
    return null;
  }
  return file.entry.key === key ? file.entry : null;
}

/**
 * Marks an entry used now. A utimes cannot resurrect an entry prune just removed. At most
 * once a minute per key (memory.ts): prune orders by minutes, and a hot key would otherwise
 * cost a syscall per read.
 */
export async function touchEntry(ctx: CacheContext, key: string): Promise<void> {
  const nowMs = ctx.clock();
  if (!ctx.memory.touches.due(key, nowMs)) return;
  const now = new Date(nowMs);
  try {
    await utimes(indexPath(ctx.root, key), now, now);
  } catch (error) {
    if (!hasErrno(error, 'ENOENT')) ctx.logger.warn('cache: could not record a read', { key, error: String(error) });
  }
}

/** Removes the key's entry only if it still names this content (a newer write wins). */
export async function removeEntryIfPointsAt(ctx: CacheContext, key: string, sha256: string): Promise<boolean> {
  const current = await getEntry(ctx, key);
  if (!current || current.sha256 !== sha256) return false;
  forgetKey(ctx.memory, key);
  await unlinkIfPresent(indexPath(ctx.root, key));
  return true;
}

/** Drops an entry whose content failed verification, and the content itself. */
export async function removeCorrupt(ctx: CacheContext, entry: CacheEntry): Promise<void> {
  ctx.logger.warn('cache: removing corrupt content', { key: entry.key, sha256: entry.sha256 });
  ctx.memory.verified.forget(entry.sha256);
  ctx.memory.small.deleteContent(entry.sha256);
  await removeEntryIfPointsAt(ctx, entry.key, entry.sha256);
  await unlinkIfPresent(contentPath(ctx.root, entry.sha256));
}

async function subdirs(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).map((name) => join(path, name));
  } catch (error) {
    if (hasErrno(error, 'ENOENT') || hasErrno(error, 'ENOTDIR')) return [];
    throw error;
  }
}

/** Every file two fan-out levels below `base` (index-v1/ab/cd/x, content-v1/sha256/ab/cd/x). */
async function* fannedFiles(base: string): AsyncGenerator<string> {
  for (const first of await subdirs(base)) {
    for (const second of await subdirs(first)) {
      for (const file of await subdirs(second)) yield file;
    }
  }
}

export async function* indexFiles(ctx: CacheContext): AsyncGenerator<IndexFile> {
  for await (const path of fannedFiles(join(ctx.root, INDEX_DIR))) {
    const file = await readIndexFile(path);
    if (file) yield file;
  }
}

export function contentFiles(ctx: CacheContext): AsyncGenerator<string> {
  return fannedFiles(join(ctx.root, CONTENT_DIR, 'sha256'));
}
