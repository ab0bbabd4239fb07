// Reading verifies as it streams: the bytes are hashed on their way out and the LAST chunk
// is held back until the hash matches. So a corrupted file makes the stream fail with
// EINTEGRITY before its final bytes leave, and a client behind the proxy sees a short body
// (never a complete-looking wrong one). Node has no sendfile: reads use a buffer of
// min(size, 1 MiB), and nothing buffers a whole artifact.
import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { CacheEntry } from './entry.js';
import { CacheError, hasErrno, integrityError } from './errors.js';
import { contentPath } from './layout.js';
import type { CacheContext } from './options.js';

export const MAX_READ_CHUNK = 1024 * 1024;

/** Called with the entry whose content failed verification (removes it). */
export type OnCorrupt = (entry: CacheEntry) => Promise<void>;

class VerifiedReader extends Readable {
  private position = 0;
  private readonly hash = createHash('sha256');
  private readonly chunkSize: number;

  constructor(
    private readonly handle: FileHandle,
    private readonly entry: CacheEntry,
    private readonly onCorrupt: OnCorrupt,
  ) {
    super({ highWaterMark: Math.max(1, Math.min(entry.size, MAX_READ_CHUNK)) });
    this.chunkSize = Math.max(1, Math.min(entry.size, MAX_READ_CHUNK));
  }

  override _read(): void {
    this.readChunk().catch((error: Error) => this.destroy(error));
  }

  private async readChunk(): Promise<void> {
    const remaining = this.entry.size - this.position;
    if (remaining === 0) {
      await this.finish(null);
      return;
    }
    const buffer = Buffer.allocUnsafe(Math.min(remaining, this.chunkSize));
    const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.position);
    if (bytesRead === 0) {
      // Truncated after we checked its size (someone is editing the cache by hand).
      await this.fail(new CacheError('EINTEGRITY', `cached content for ${this.entry.key} ended after ${this.position} of ${this.entry.size} bytes; the entry was removed`, { expected: this.entry.size, found: this.position }));
      return;
    }
    const chunk = bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    this.hash.update(chunk);
    this.position += bytesRead;
    if (this.position === this.entry.size) await this.finish(chunk);
    else this.push(chunk);
  }

  private async finish(lastChunk: Buffer | null): Promise<void> {
    const found = this.hash.digest('hex');
    if (found !== this.entry.sha256) {
      const error = integrityError(`cached content for ${this.entry.key} is corrupt (the entry was removed; the next request fetches it again)`, this.entry.sha256, found);
      await this.fail(error);
      return;
    }
    if (lastChunk) this.push(lastChunk);
    this.push(null);
  }

  private async fail(error: CacheError): Promise<void> {
    try {
      await this.onCorrupt(this.entry);
    } finally {
      this.destroy(error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.handle.close().then(() => callback(error), () => callback(error));
  }
}

/**
 * A stream of the entry's content that fails with EINTEGRITY if the bytes are not the
 * ones stored. Resolves null when the content is gone (pruned meanwhile: a miss).
 * Rejects with EINTEGRITY, after removing the entry, when the file has the wrong size.
 */
export async function openVerified(ctx: CacheContext, entry: CacheEntry, onCorrupt: OnCorrupt): Promise<Readable | null> {
  let handle: FileHandle;
  try {
    handle = await open(contentPath(ctx.root, entry.sha256), 'r');
  } catch (error) {
    if (hasErrno(error, 'ENOENT')) return null;
    throw error;
  }
  try {
    // Fast path: a wrong size is caught before a single byte is served.
    const { size } = await handle.stat();
    if (size !== entry.size) {
      await onCorrupt(entry);
      throw new CacheError('EINTEGRITY', `cached content for ${entry.key} has ${size} bytes, expected ${entry.size}; the entry was removed (the next request fetches it again)`, { expected: entry.size, found: size });
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
  return new VerifiedReader(handle, entry, onCorrupt);
}
