// Reads a download that is still being written, for single-flight followers: it tails the
// writer's temp file, so a consumer that joins late gets every byte from the start without
// the flight buffering anything in memory, and a slow consumer never slows the download.
//
// The last byte is released only after the writer committed (size and sha256 checked). If
// the download fails, every reader fails too, before its body is complete.
import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { CacheEntry } from './entry.js';
import { hasErrno } from './errors.js';
import { MAX_READ_CHUNK } from './reader.js';
import type { CacheWriter } from './writer.js';

/** Wakes every waiter at once; one shared promise, so 200 readers add no listeners. */
export class Signal {
  private wake!: () => void;
  private next = this.fresh();

  private fresh(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  notify(): void {
    const wake = this.wake;
    this.next = this.fresh();
    wake();
  }

  wait(): Promise<void> {
    return this.next;
  }
}

export interface LiveWrite {
  readonly writer: CacheWriter;
  /** Notified on every chunk the writer persists and after `outcome` is set. */
  readonly signal: Signal;
  /** Set by the owner when the writer settles, before it notifies. */
  readonly outcome: { entry: CacheEntry | null; error: Error | null };
  /** Opens the committed content (for readers that arrive after the temp file was renamed). */
  readonly openContent: (entry: CacheEntry) => Promise<FileHandle>;
}

export class LiveReader extends Readable {
  private handle: FileHandle | null = null;
  private position = 0;
  private pumping = false;

  constructor(private readonly live: LiveWrite) {
    super({ highWaterMark: MAX_READ_CHUNK });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.openSource().then((handle) => {
      this.handle = handle;
      callback();
    }, callback);
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
    if (this.pumping) return;
    this.pumping = true;
    this.pump().then(
      () => {
        this.pumping = false;
      },
      (error: Error) => {
        this.pumping = false;
        this.destroy(error);
      },
    );
  }

  private async pump(): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new Error('live reader used before open');
    for (;;) {
      const { entry: committed, error } = this.live.outcome;
      if (error) throw error;
      const end = committed ? committed.size : Math.max(0, this.live.writer.bytesWritten - 1);
      if (this.position < end) {
        const buffer = Buffer.allocUnsafe(Math.min(end - this.position, MAX_READ_CHUNK));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.position);
        if (bytesRead === 0) throw new Error(`cache temp file ${this.live.writer.tmpPath} is shorter than the bytes written to it`);
        this.position += bytesRead;
        this.push(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
        return;
      }
      if (committed) {
        this.push(null);
        return;
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
