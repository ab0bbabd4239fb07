// The content-addressed store: keys (normalised URLs) → entries → content by sha256.
// Layout and guarantees: see layout.ts, writer.ts, reader.ts, lock.ts.
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { CacheEntry } from './entry.js';
import { CacheError, hasErrno } from './errors.js';
import { getEntry, indexFiles, removeCorrupt, removeEntryIfPointsAt, touchEntry } from './entries.js';
import { CONTENT_DIR, INDEX_DIR, TMP_DIR, WRITERS_DIR, assertSha256, contentPath } from './layout.js';
import * as maintenance from './maintenance.js';
import { type CacheContext, type CacheStoreOptions, resolveOptions } from './options.js';
import { SMALL_CONTENT_MAX_BYTES, type SmallHit, forgetKey } from './memory.js';
import { type VerifiedReader, openVerified, readVerified } from './reader.js';
import { CacheWriter, type WriterOptions } from './writer.js';

export interface CacheHit {
  readonly entry: CacheEntry;
  /** Verifies as it streams; fails with EINTEGRITY (before its last bytes) on corrupt content. */
  readonly stream: Readable;
}

export class CacheStore {
  private constructor(private readonly ctx: CacheContext) {}

  static async open(options: CacheStoreOptions): Promise<CacheStore> {
    const ctx = resolveOptions(options);
    for (const dir of [CONTENT_DIR, INDEX_DIR, TMP_DIR, WRITERS_DIR]) await mkdir(join(ctx.root, dir), { recursive: true });
    return new CacheStore(ctx);
  }

  get root(): string {
    return this.ctx.root;
  }

  /**
   * A Writable that stores what is piped into it under `key`. Await `writer.done` for the
   * entry. Use stream.pipeline (or call `writer.abort(err)` when the source fails): an
   * unfinished write stores nothing.
   */
  writer(key: string, options: WriterOptions = {}): CacheWriter {
    if (typeof key !== 'string' || key.length === 0) throw new CacheError('EBADINPUT', 'a cache key must be a non-empty string');
    return new CacheWriter(this.ctx, key, options);
  }

  get(key: string): Promise<CacheEntry | null> {
    return getEntry(this.ctx, key);
  }

  /** The entry's content as a verifying stream; null when the content is gone (a miss). */
  async open(entry: CacheEntry): Promise<VerifiedReader | null> {
    const stream = await openVerified(this.ctx, entry, (bad) => removeCorrupt(this.ctx, bad));
    if (!stream) {
      // Index entry without content: pruned meanwhile, or removed by hand. Drop the entry.
      await removeEntryIfPointsAt(this.ctx, entry.key, entry.sha256);
      return null;
    }
    await touchEntry(this.ctx, entry.key);
    return stream;
  }

  /**
   * A small entry (≤ 64 KiB) this process has already read and verified, from memory: no
   * disk access. Null when it is not in memory (use `get`). Only as fresh as this process's
   * own writes and removals (see memory.ts).
   */
  remembered(key: string): SmallHit | null {
    // A peek: serving the hit (readSmall) is what marks it used.
    return this.ctx.memory.small.peek(key) ?? null;
  }

  /** True for entries small enough for `readSmall` (and the in-memory tier). */
  isSmall(entry: CacheEntry): boolean {
    return this.ctx.memory.small.fits(entry.size);
  }

  /**
   * The verified body of a small entry that memory holds, marked used; null when memory
   * does not hold this content (readSmall then reads it). It waits for nothing: a hot hit
   * is served within its request's turn, and a due last-use write runs behind it.
   */
  rememberedBody(entry: CacheEntry): Buffer | null {
    const known = this.ctx.memory.small.get(entry.key);
    if (!known || known.entry.sha256 !== entry.sha256) return null;
    void touchEntry(this.ctx, entry.key); // never rejects: a failed write is logged
    return known.body;
  }

  /**
   * The whole verified content of a small entry as one buffer, kept in memory for the next
   * read; null when the content is gone (a miss; the entry is dropped). EINTEGRITY when it
   * is corrupt (the entry is removed).
   */
  async readSmall(entry: CacheEntry): Promise<Buffer | null> {
    if (!this.isSmall(entry)) throw new CacheError('EBADINPUT', `readSmall is for entries up to ${SMALL_CONTENT_MAX_BYTES} bytes; ${entry.key} has ${entry.size}`);
    const remembered = this.rememberedBody(entry);
    if (remembered) return remembered;
    const body = await readVerified(this.ctx, entry, (bad) => removeCorrupt(this.ctx, bad));
    if (!body) {
      await removeEntryIfPointsAt(this.ctx, entry.key, entry.sha256);
      return null;
    }
    this.ctx.memory.small.set(entry, body);
    await touchEntry(this.ctx, entry.key);
    return body;
  }

  /** Entry + verifying stream for a key, or null on a miss. */
  async read(key: string): Promise<CacheHit | null> {
    const entry = await this.get(key);
    if (!entry) return null;
    const stream = await this.open(entry);
    return stream ? { entry, stream } : null;
  }

  async hasContent(sha256: string): Promise<boolean> {
    assertSha256(sha256, 'sha256');
    try {
      await access(contentPath(this.ctx.root, sha256));
      return true;
    } catch (error) {
      if (hasErrno(error, 'ENOENT')) return false;
      throw error;
    }
  }

  /** Every key whose entry names this content (a scan of the index). */
  async findBySha256(sha256: string): Promise<CacheEntry[]> {
    assertSha256(sha256, 'sha256');
    const found: CacheEntry[] = [];
    for await (const entry of this.list()) if (entry.sha256 === sha256) found.push(entry);
    return found;
  }

  /** Removes a key's entry (the content stays until prune/verify finds it unreferenced). */
  async remove(key: string): Promise<boolean> {
    forgetKey(this.ctx.memory, key);
    const entry = await this.get(key);
    return entry ? removeEntryIfPointsAt(this.ctx, key, entry.sha256) : false;
  }

  async *list(): AsyncGenerator<CacheEntry> {
    for await (const file of indexFiles(this.ctx)) {
      if (file.entry instanceof CacheError) this.ctx.logger.warn(file.entry.message);
      else yield file.entry;
    }
  }

  stats(): Promise<maintenance.CacheStats> {
    return maintenance.stats(this.ctx);
  }

  verify(): Promise<maintenance.VerifyReport> {
    return maintenance.verify(this.ctx);
  }

  prune(options: maintenance.PruneOptions): Promise<maintenance.PruneReport> {
    return maintenance.prune(this.ctx, options);
  }

  cleanTmp(options?: maintenance.CleanTmpOptions): Promise<{ removed: number; kept: number }> {
    return maintenance.cleanTmp(this.ctx, options);
  }

  /** Runs `work` holding the maintenance lock (writers wait to commit meanwhile). */
  withLock<T>(work: () => Promise<T>): Promise<T> {
    return maintenance.withMaintenanceLock(this.ctx, work);
  }
}
