// Reads a download that is still being written, for every caller of a single flight (the
// leader's client included). Bytes come from memory while the reader keeps up with the
// download: the flight taps each upstream chunk into a `ChunkWindow` as it arrives, before
// the cache writer has put it on disk. A reader that falls behind the window (a slow
// client, or one that joins late) tails the writer's temp file instead, so a consumer gets
// every byte from the start, memory stays bounded, and a slow consumer never slows the
// download.
//
// The last byte is released only after the writer checked size and sha256 (its `verified`),
// not after the commit's fsyncs: the bytes are then known to be the right ones, and the
// entry still reaches the index only after its content (writer.ts). The stream itself ends
// after the commit. If the download fails before the check, every reader fails too, before
// its body is complete.
import { type FileHandle, open } from 'node:fs/promises';
import { Readable, Transform, type Writable } from 'node:stream';
import type { CacheEntry } from './entry.js';
import { hasErrno } from './errors.js';
import { MAX_READ_CHUNK } from './reader.js';
import type { Signal } from './signal.js';
import { SinkWatch } from './sink.js';
import type { CacheWriter } from './writer.js';

/** Bytes kept in memory behind what the writer has made durable (on top of what it has not). */
const WINDOW_BYTES = 8 * 1024 * 1024;

/**
 * The most recent chunks of a download, by offset. Every chunk the writer has not yet
 * written stays here (so a reader always finds a byte in memory or on disk), plus up to
 * WINDOW_BYTES of written ones.
 */
export class ChunkWindow {
  private chunks: { readonly offset: number; readonly chunk: Buffer }[] = [];
  private retained = 0;
  /** Bytes received from upstream so far (in memory, on disk, or both). */
  received = 0;

  add(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push({ offset: this.received, chunk });
    this.received += chunk.length;
    this.retained += chunk.length;
  }

  /** Drops written chunks beyond the window. */
  trim(durable: number): void {
    let drop = 0;
    while (drop < this.chunks.length) {
      const first = this.chunks[drop]!;
      if (first.offset + first.chunk.length > durable || this.retained - first.chunk.length < WINDOW_BYTES) break;
      this.retained -= first.chunk.length;
      drop++;
    }
    if (drop > 0) this.chunks = this.chunks.slice(drop);
  }

  /** Up to `max` bytes starting at `position`, from memory; null when they are not here. */
  slice(position: number, max: number): Buffer | null {
    const chunks = this.chunks;
    const first = chunks[0];
    if (!first || position < first.offset || position >= this.received) return null;
    // Chunks are contiguous and sorted: binary search for the one holding `position`.
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (chunks[mid]!.offset <= position) lo = mid;
      else hi = mid - 1;
    }
    const { offset, chunk } = chunks[lo]!;
    const start = position - offset;
    return chunk.subarray(start, Math.min(chunk.length, start + max));
  }
}

/** A pass-through that puts each chunk into the window (and wakes readers) as it arrives. */
export function tapInto(window: ChunkWindow, signal: Signal): Transform {
  return new Transform({
    // Keeps the upstream at most ~1 MiB ahead of the writer (whose own buffer is 1 MiB).
    readableHighWaterMark: 64 * 1024,
    transform(chunk: Buffer, _encoding, callback) {
      window.add(chunk);
      signal.notify();
      callback(null, chunk);
    },
  });
}

export interface LiveWrite {
  readonly writer: CacheWriter;
  readonly window: ChunkWindow;
  /** Notified on every chunk received and written, and after `outcome` changes. */
  readonly signal: Signal;
  /** Set by the owner: `size` once the writer verified size and sha256, `entry` once committed, `error` on failure. */
  readonly outcome: { size: number | null; entry: CacheEntry | null; error: Error | null };
  /** Opens the committed content (for readers that arrive after the temp file was renamed). */
  readonly openContent: (entry: CacheEntry) => Promise<FileHandle>;
}

/** Bytes a reader hands on at once: in-memory chunks are gathered up to this, without copying. */
const BATCH_BYTES = MAX_READ_CHUNK;

export class LiveReader extends Readable {
  private handle: FileHandle | null = null;
  private position = 0;
  private pumping = false;
  private wanted = false;

  /**
   * `endWhenVerified`: end right after the last byte (an HTTP response must end there, or
   * a client that has every byte by Content-Length may close first); otherwise the stream
   * ends once the commit settled, so whoever waits for its end finds the entry stored.
   */
  constructor(
    private readonly live: LiveWrite,
    private readonly endWhenVerified = false,
  ) {
    super({ highWaterMark: MAX_READ_CHUNK });
  }

  /** The temp file (or the committed content), opened only when memory no longer has the bytes. */
  private async file(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    const handle = await this.openSource();
    if (this.destroyed) {
      await handle.close();
      throw new Error('live reader closed while opening its file');
    }
    this.handle = handle;
    return handle;
  }

  private async openSource(): Promise<FileHandle> {
    await this.live.writer.opened;
    try {
      return await open(this.live.writer.tmpPath, 'r');
    } catch (error) {
      if (!hasErrno(error, 'ENOENT')) throw error;
      // Renamed into content-v1/ already (or removed because the write failed).
      return this.live.openContent(await this.live.writer.done);
    }
  }

  override _read(): void {
    // A _read that arrives while a pump is running (push() can call it synchronously) must
    // not be lost: Readable will not ask again until something is pushed.
    this.wanted = true;
    if (this.pumping) return;
    this.pumping = true;
    const loop = (): void => {
      if (!this.wanted || this.destroyed) {
        this.pumping = false;
        return;
      }
      this.wanted = false;
      this.nextBatch().then(
        (batch) => {
          if (batch === null) this.push(null);
          else for (const chunk of batch) this.push(chunk);
          loop();
        },
        (error: Error) => {
          this.pumping = false;
          this.destroy(error);
        },
      );
    };
    loop();
  }

  /**
   * Writes the rest of the download to `sink` and ends it. Whatever memory holds is written
   * in one corked batch (one writev for many upstream chunks, no copies); a stream's
   * chunk-by-chunk writes cost twice the CPU per byte at loopback speed. Rejects, the sink
   * left as it is for the caller to destroy, when the download fails before its last byte
   * or the sink closes early.
   */
  async writeTo(sink: Writable): Promise<void> {
    const watch = new SinkWatch(sink, () => {
      // A reader waiting for the download wakes, sees itself closed, and stops.
      this.destroy();
      this.live.signal.notify();
    });
    try {
      for (;;) {
        watch.check();
        const batch = await this.nextBatch();
        if (batch === null) break;
        await watch.room();
        sink.cork();
        for (const chunk of batch) sink.write(chunk);
        sink.uncork();
      }
      sink.end();
    } finally {
      watch.dispose();
      this.destroy();
    }
  }

  /** The next bytes, from memory where they still are, else from the file; null at the end. */
  private async nextBatch(): Promise<Buffer[] | null> {
    const { window, writer, outcome } = this.live;
    for (;;) {
      if (this.destroyed) throw new Error('the live reader was closed');
      // Once verified, the bytes are right even if the commit fails later (the open fd still reads them).
      if (outcome.error && outcome.size === null) throw outcome.error;
      const end = outcome.size ?? Math.max(0, window.received - 1);
      if (this.position < end) {
        const batch: Buffer[] = [];
        let bytes = 0;
        while (this.position < end && bytes < BATCH_BYTES) {
          const inMemory = window.slice(this.position, Math.min(end - this.position, BATCH_BYTES - bytes));
          if (!inMemory) break;
          batch.push(inMemory);
          this.position += inMemory.length;
          bytes += inMemory.length;
        }
        if (batch.length > 0) return batch;
        if (this.position < writer.bytesWritten || outcome.size !== null) {
          const want = Math.min(end - this.position, MAX_READ_CHUNK);
          const buffer = Buffer.allocUnsafe(Math.min(want, Math.max(0, (outcome.size ?? writer.bytesWritten) - this.position)));
          const { bytesRead } = await (await this.file()).read(buffer, 0, buffer.length, this.position);
          if (bytesRead === 0) throw new Error(`cache temp file ${writer.tmpPath} is shorter than the bytes written to it`);
          this.position += bytesRead;
          return [bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead)];
        }
      } else if (outcome.size !== null && (this.endWhenVerified || outcome.entry !== null || outcome.error !== null)) {
        return null;
      }
      await this.live.signal.wait();
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = null;
    if (!handle) return callback(error);
    handle.close().then(() => callback(error), () => callback(error));
  }
}
