// Reading verifies as it streams: the bytes are hashed on their way out and the LAST chunk
// is held back until the hash matches. So a corrupted file makes the stream fail with
// EINTEGRITY before its final bytes leave, and a client behind the proxy sees a short body
// (never a complete-looking wrong one). Node has no sendfile: reads use a buffer of
// min(size, 1 MiB), and nothing buffers a whole artifact.
//
// The first read of a content file in a process hashes it; later reads whose fstat shows
// the same unchanged inode skip the hash (memory.ts `VerifiedFiles.isTrusted` says when
// that is sound). Hashing costs as much CPU as serving: re-hashing a 500 MB file on every
// hit halved cached throughput. A changed file (size, mtime, ctime, inode) is hashed again.
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import type { CacheEntry } from './entry.js';
import { CacheError, hasErrno, integrityError } from './errors.js';
import { contentPath } from './layout.js';
import { SinkWatch } from './sink.js';
import type { CacheContext } from './options.js';

export const MAX_READ_CHUNK = 1024 * 1024;

/** Called with the entry whose content failed verification (removes it). */
export type OnCorrupt = (entry: CacheEntry) => Promise<void>;

/** Buffers a `writeTo` cycles through: one being read while the others are being sent. */
const WRITE_BUFFERS = 3;

/**
 * The verified content of a cache entry. Read it as a stream, or hand it a Writable with
 * `writeTo`: that reuses a few buffers (each goes back to the pool when the sink has
 * written it), so serving a large file makes no garbage. Allocating a fresh 1 MiB buffer
 * per chunk made the proxy spend as long collecting them as sending them.
 */
export class VerifiedReader extends Readable {
  private position = 0;
  /** null: the file was already verified by this process and is unchanged (no hashing). */
  private readonly hash: ReturnType<typeof createHash> | null;
  private readonly chunkSize: number;

  constructor(
    private readonly handle: FileHandle,
    private readonly entry: CacheEntry,
    private readonly onCorrupt: OnCorrupt,
    private readonly onVerified: (() => void) | null,
  ) {
    super({ highWaterMark: Math.max(1, Math.min(entry.size, MAX_READ_CHUNK)) });
    this.chunkSize = Math.max(1, Math.min(entry.size, MAX_READ_CHUNK));
    this.hash = onVerified ? createHash('sha256') : null;
  }

  override _read(): void {
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(this.entry.size - this.position, this.chunkSize)));
    this.nextChunk(buffer).then(
      (chunk) => this.push(chunk),
      (error: Error) => this.destroy(error),
    );
  }

  /**
   * Writes the whole content to `sink` and ends it, through WRITE_BUFFERS reused buffers.
   * Rejects (the sink left as it is, for the caller to destroy) when the content is corrupt
   * (EINTEGRITY, before its last chunk was written) or the sink closes early.
   */
  async writeTo(sink: Writable): Promise<void> {
    const free = Array.from({ length: WRITE_BUFFERS }, () => Buffer.allocUnsafe(this.chunkSize));
    const watch = new SinkWatch(sink);
    try {
      for (;;) {
        await watch.until(() => free.length > 0);
        const buffer = free.pop()!;
        // Read while the previous chunks are still on their way out, then wait for room.
        const chunk = await this.nextChunk(buffer);
        if (chunk === null) break;
        await watch.room();
        sink.write(chunk, () => {
          // Written (or dropped with the sink): the buffer may be filled again.
          free.push(buffer);
          watch.changed.notify();
        });
      }
      sink.end();
    } finally {
      watch.dispose();
      this.destroy();
    }
  }

  /** The next chunk, read into `buffer` and hashed; the last one only once the whole file matched. null at the end. */
  private async nextChunk(buffer: Buffer): Promise<Buffer | null> {
    const remaining = this.entry.size - this.position;
    if (remaining === 0) {
      if (this.position === 0) await this.verify(); // an empty file still has a hash to match
      return null;
    }
    const { bytesRead } = await this.handle.read(buffer, 0, Math.min(remaining, buffer.length), this.position);
    if (bytesRead === 0) {
      // Truncated after we checked its size (someone is editing the cache by hand).
      await this.fail(new CacheError('EINTEGRITY', `cached content for ${this.entry.key} ended after ${this.position} of ${this.entry.size} bytes; the entry was removed`, { expected: this.entry.size, found: this.position }));
    }
    const chunk = bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    this.hash?.update(chunk);
    this.position += bytesRead;
    if (this.position === this.entry.size) await this.verify();
    return chunk;
  }

  private async verify(): Promise<void> {
    if (!this.hash) return;
    const found = this.hash.digest('hex');
    if (found !== this.entry.sha256) await this.fail(corruptError(this.entry, found));
    this.onVerified?.();
  }

  /** Removes the corrupt entry and throws `error` (a failed removal must not hide the corruption). */
  private async fail(error: CacheError): Promise<never> {
    await this.onCorrupt(this.entry).catch(() => {});
    throw error;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.handle.close().then(() => callback(error), () => callback(error));
  }
}

function corruptError(entry: CacheEntry, found: string): CacheError {
  return integrityError(`cached content for ${entry.key} is corrupt (the entry was removed; the next request fetches it again)`, entry.sha256, found);
}

/** Opens the content file and checks its size (a wrong size is caught before a byte is served). */
async function openChecked(ctx: CacheContext, entry: CacheEntry, onCorrupt: OnCorrupt): Promise<{ handle: FileHandle; stats: Stats; openedAtMs: number } | null> {
  // Wall time, not the injected clock: it is compared with the file's own timestamps.
  const openedAtMs = Date.now();
  let handle: FileHandle;
  try {
    handle = await open(contentPath(ctx.root, entry.sha256), 'r');
  } catch (error) {
    if (hasErrno(error, 'ENOENT')) return null;
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (stats.size !== entry.size) {
      await onCorrupt(entry);
      throw new CacheError('EINTEGRITY', `cached content for ${entry.key} has ${stats.size} bytes, expected ${entry.size}; the entry was removed (the next request fetches it again)`, { expected: entry.size, found: stats.size });
    }
    return { handle, stats, openedAtMs };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * A stream of the entry's content that fails with EINTEGRITY if the bytes are not the
 * ones stored. Resolves null when the content is gone (pruned meanwhile: a miss).
 * Rejects with EINTEGRITY, after removing the entry, when the file has the wrong size.
 */
export async function openVerified(ctx: CacheContext, entry: CacheEntry, onCorrupt: OnCorrupt): Promise<VerifiedReader | null> {
  const opened = await openChecked(ctx, entry, onCorrupt);
  if (!opened) return null;
  const { handle, stats, openedAtMs } = opened;
  const verified = ctx.memory.verified;
  const onVerified = verified.isTrusted(entry.sha256, stats) ? null : () => verified.remember(entry.sha256, stats, openedAtMs);
  return new VerifiedReader(handle, entry, onCorrupt, onVerified);
}

/**
 * The whole content of a small entry, hashed and checked, in one buffer (for the store's
 * in-memory tier). Null when the content is gone; EINTEGRITY (entry removed) when corrupt.
 */
export async function readVerified(ctx: CacheContext, entry: CacheEntry, onCorrupt: OnCorrupt): Promise<Buffer | null> {
  const opened = await openChecked(ctx, entry, onCorrupt);
  if (!opened) return null;
  const { handle } = opened;
  const body = Buffer.allocUnsafe(entry.size);
  let filled = 0;
  try {
    while (filled < entry.size) {
      const { bytesRead } = await handle.read(body, filled, entry.size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
  } finally {
    await handle.close();
  }
  const found = createHash('sha256').update(body.subarray(0, filled)).digest('hex');
  if (filled !== entry.size || found !== entry.sha256) {
    await onCorrupt(entry);
    throw corruptError(entry, found);
  }
  return body;
}
