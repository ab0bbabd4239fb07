// verify, prune, stats and cleanTmp. verify and prune hold the maintenance lock (lock.ts),
// so no writer commits while they decide what is referenced. They remove an index entry
// before its content, so a reader sees a whole entry or a miss, never half of one.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { CacheEntry } from './entry.js';
import { CacheError, hasErrno } from './errors.js';
import { contentFiles, indexFiles } from './entries.js';
import { TMP_DIR, contentPath, isSha256, pidOfTmpName } from './layout.js';
import { acquireMaintenanceLock, isPidAlive, unlinkIfPresent } from './lock.js';
import { forgetAll } from './memory.js';
import type { CacheContext } from './options.js';
import { MAX_READ_CHUNK } from './reader.js';

export async function withMaintenanceLock<T>(ctx: CacheContext, work: () => Promise<T>): Promise<T> {
  const release = await acquireMaintenanceLock(ctx);
  try {
    return await work();
  } finally {
    // verify and prune remove entries and content behind the store's back: forget what
    // this process remembered about them (memory.ts).
    forgetAll(ctx.memory);
    await release();
  }
}

async function hashFile(path: string): Promise<{ sha256: string; size: number } | null> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: MAX_READ_CHUNK })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (error) {
    if (hasErrno(error, 'ENOENT')) return null;
    throw error;
  }
  return { sha256: hash.digest('hex'), size };
}

export interface VerifyProblem {
  readonly key: string | null;
  readonly sha256: string | null;
  readonly path: string;
  readonly reason: 'corrupt-content' | 'missing-content' | 'size-mismatch' | 'bad-index-entry';
}

export interface VerifyReport {
  readonly entriesChecked: number;
  readonly contentChecked: number;
  readonly bytesChecked: number;
  /** Each removed index entry, and why. */
  readonly removed: VerifyProblem[];
  /** Content files no index entry references (left by a failed index write), removed. */
  readonly orphanedContentRemoved: number;
}

/** Re-hashes every content file; removes corrupt content, dangling and malformed entries, and orphans. */
export function verify(ctx: CacheContext): Promise<VerifyReport> {
  return withMaintenanceLock(ctx, async () => {
    const removed: VerifyProblem[] = [];
    const checked = new Map<string, { sha256: string; size: number } | null>();
    const referenced = new Set<string>();
    let entriesChecked = 0;
    let bytesChecked = 0;
    const checkContent = async (sha256: string) => {
      if (!checked.has(sha256)) {
        const found = await hashFile(contentPath(ctx.root, sha256));
        checked.set(sha256, found);
        if (found) bytesChecked += found.size;
        if (found && found.sha256 !== sha256) await unlinkIfPresent(contentPath(ctx.root, sha256));
      }
      return checked.get(sha256) ?? null;
    };
    for await (const file of indexFiles(ctx)) {
      entriesChecked += 1;
      const entry = file.entry;
      if (entry instanceof CacheError) {
        await unlinkIfPresent(file.path);
        removed.push({ key: null, sha256: null, path: file.path, reason: 'bad-index-entry' });
        continue;
      }
      const found = await checkContent(entry.sha256);
      const reason = !found ? 'missing-content' : found.sha256 !== entry.sha256 ? 'corrupt-content' : found.size !== entry.size ? 'size-mismatch' : null;
      if (reason) {
        await unlinkIfPresent(file.path);
        removed.push({ key: entry.key, sha256: entry.sha256, path: file.path, reason });
        ctx.logger.warn(`cache verify: removed entry (${reason})`, { key: entry.key, sha256: entry.sha256 });
      } else {
        referenced.add(entry.sha256);
      }
    }
    let orphanedContentRemoved = 0;
    for await (const path of contentFiles(ctx)) {
      const name = basename(path);
      if (isSha256(name) && referenced.has(name)) continue;
      await unlinkIfPresent(path);
      orphanedContentRemoved += 1;
    }
    return { entriesChecked, contentChecked: checked.size, bytesChecked, removed, orphanedContentRemoved };
  });
}

export interface PruneOptions {
  /** Remove least-recently-used content until the cache holds at most this many bytes. */
  readonly maxSize?: number;
  /** Remove content not used for longer than this many milliseconds. */
  readonly olderThanMs?: number;
  /** Content that is never removed (e.g. everything the last ledger references). */
  readonly keep?: ReadonlySet<string>;
}

export interface PruneReport {
  readonly removedEntries: number;
  readonly removedContent: number;
  readonly freedBytes: number;
  readonly remainingEntries: number;
  readonly remainingBytes: number;
}

interface ContentGroup {
  readonly sha256: string;
  size: number;
  lastUsedMs: number;
  readonly indexPaths: string[];
}

/** Removes content (and every key naming it) least-recently-used first, under the lock. */
export function prune(ctx: CacheContext, options: PruneOptions): Promise<PruneReport> {
  return withMaintenanceLock(ctx, async () => {
    const keep = options.keep ?? new Set<string>();
    const groups = new Map<string, ContentGroup>();
    for await (const file of indexFiles(ctx)) {
      if (file.entry instanceof CacheError) continue; // verify's job
      const group = groups.get(file.entry.sha256) ?? { sha256: file.entry.sha256, size: file.entry.size, lastUsedMs: 0, indexPaths: [] };
      group.lastUsedMs = Math.max(group.lastUsedMs, file.lastUsedMs);
      group.indexPaths.push(file.path);
      groups.set(group.sha256, group);
    }
    let removedEntries = 0;
    let removedContent = 0;
    let freedBytes = 0;
    const remove = async (group: ContentGroup) => {
      for (const path of group.indexPaths) await unlinkIfPresent(path);
      await unlinkIfPresent(contentPath(ctx.root, group.sha256));
      removedEntries += group.indexPaths.length;
      removedContent += 1;
      freedBytes += group.size;
      groups.delete(group.sha256);
    };
    // Content no entry names (a crash between content rename and index write) goes first.
    for await (const path of contentFiles(ctx)) {
      const name = basename(path);
      if (groups.has(name) || keep.has(name)) continue;
      const size = await stat(path).then((s) => s.size, () => 0);
      await unlinkIfPresent(path);
      removedContent += 1;
      freedBytes += size;
    }
    const now = ctx.clock();
    const oldestFirst = [...groups.values()].sort((a, b) => a.lastUsedMs - b.lastUsedMs);
    for (const group of oldestFirst) {
      if (keep.has(group.sha256)) continue;
      if (options.olderThanMs !== undefined && now - group.lastUsedMs > options.olderThanMs) await remove(group);
    }
    let total = [...groups.values()].reduce((sum, group) => sum + group.size, 0);
    if (options.maxSize !== undefined) {
      for (const group of oldestFirst) {
        if (total <= options.maxSize) break;
        if (keep.has(group.sha256) || !groups.has(group.sha256)) continue;
        total -= group.size;
        await remove(group);
      }
    }
    const remainingEntries = [...groups.values()].reduce((sum, group) => sum + group.indexPaths.length, 0);
    return { removedEntries, removedContent, freedBytes, remainingEntries, remainingBytes: total };
  });
}

export interface CacheStats {
  readonly entries: number;
  /** Distinct content files referenced by entries. */
  readonly contentFiles: number;
  /** Bytes of distinct content (two keys with one artifact count once). */
  readonly bytes: number;
  readonly byKind: Record<string, { entries: number; bytes: number }>;
  readonly badIndexEntries: number;
}

export async function stats(ctx: CacheContext): Promise<CacheStats> {
  const sizes = new Map<string, number>();
  const byKind: Record<string, { entries: number; bytes: number }> = {};
  let entries = 0;
  let badIndexEntries = 0;
  for await (const file of indexFiles(ctx)) {
    if (file.entry instanceof CacheError) {
      badIndexEntries += 1;
      continue;
    }
    const entry: CacheEntry = file.entry;
    entries += 1;
    sizes.set(entry.sha256, entry.size);
    const kind = entry.metadata.kind ?? 'unknown';
    const bucket = (byKind[kind] ??= { entries: 0, bytes: 0 });
    bucket.entries += 1;
    bucket.bytes += entry.size;
  }
  const bytes = [...sizes.values()].reduce((sum, size) => sum + size, 0);
  return { entries, contentFiles: sizes.size, bytes, byKind, badIndexEntries };
}

export interface CleanTmpOptions {
  /** A temp file of a live process other than this one is stale after this long untouched. */
  readonly olderThanMs?: number;
}

/** Removes temp files left by killed or crashed writers; never one this process is writing. */
export async function cleanTmp(ctx: CacheContext, options: CleanTmpOptions = {}): Promise<{ removed: number; kept: number }> {
  const olderThanMs = options.olderThanMs ?? 10 * 60_000;
  const dir = join(ctx.root, TMP_DIR);
  const names = await readdir(dir).catch((error: unknown) => {
    if (hasErrno(error, 'ENOENT')) return [] as string[];
    throw error;
  });
  let removed = 0;
  let kept = 0;
  for (const name of names) {
    const path = join(dir, name);
    if (ctx.activeTmp.has(path)) {
      kept += 1;
      continue;
    }
    const pid = pidOfTmpName(name);
    // A live writer's file grows (mtime moves); only an untouched one is abandoned.
    const stale =
      pid === null || pid === process.pid || !isPidAlive(pid) || (await stat(path).then((s) => ctx.clock() - s.mtimeMs > olderThanMs, () => true));
    if (stale) {
      await unlinkIfPresent(path);
      removed += 1;
    } else {
      kept += 1;
    }
  }
  return { removed, kept };
}
