// A cache write: bytes stream into a temp file inside the cache (opened 'wx') and are
// hashed as they pass; at the end the size and sha256 are checked against what upstream
// declared, the file is fsynced and renamed into content-v1/, and only THEN is the index
// entry written (itself temp + rename). So an index entry never points at partial content,
// and whatever fails, the temp file is removed and nothing enters the index.
//
// The proxy pipes upstream into this Writable while it also streams to its client; if
// upstream fails it calls `abort(err)` (stream.pipeline does this by destroying us).
import { createHash, getHashes, type Hash } from 'node:crypto';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { type CacheEntry, type EntryMetadata, serializeEntry } from './entry.js';
import { CacheError, integrityError, sizeError } from './errors.js';
import { TMP_DIR, assertSha256, contentPath, indexPath, tmpName } from './layout.js';
import { enterCommit, unlinkIfPresent } from './lock.js';
import { forgetKey } from './memory.js';
import { type CacheContext, isoTime } from './options.js';
import { inParentDir } from './parent-dir.js';
import { redact } from '../redact.js';

/**
 * A digest upstream declared in another algorithm than sha256 (npm's sha512 `integrity`, an
 * index link's `#md5=`/`#sha1=`), checked alongside sha256 before the last byte is released.
 */
export interface DeclaredDigest {
  /** A node crypto algorithm name (sha512, sha1, md5, …). */
  readonly algorithm: string;
  /** The digests accepted (any one of them), in `encoding`. */
  readonly digests: readonly string[];
  readonly encoding: 'hex' | 'base64';
}

export interface WriterOptions {
  /** The upstream's declared sha256 (lowercase hex), checked before anything is stored. */
  readonly expectedSha256?: string | null;
  /** Another digest upstream declared, checked as strictly as expectedSha256. */
  readonly declaredDigest?: DeclaredDigest | null;
  /** The upstream's declared length (Content-Length); more or fewer bytes fail with ESIZE. */
  readonly expectedSize?: number | null;
  readonly metadata?: EntryMetadata;
}

function validateOptions(options: WriterOptions): void {
  if (options.expectedSha256 != null) assertSha256(options.expectedSha256, 'expectedSha256');
  const declared = options.declaredDigest;
  if (declared != null && (!getHashes().includes(declared.algorithm) || declared.digests.length === 0)) {
    throw new CacheError('EBADINPUT', `declaredDigest must name a hash this machine has and at least one digest, got ${declared.algorithm}`);
  }
  const size = options.expectedSize;
  if (size != null && !(Number.isSafeInteger(size) && size >= 0)) {
    throw new CacheError('EBADINPUT', `expectedSize must be a non-negative integer, got ${size}`);
  }
}

/** One writev(2) for everything buffered (short writes resumed where they stopped). */
async function writeAll(handle: FileHandle, chunks: readonly Buffer[]): Promise<void> {
  let pending = chunks.filter((chunk) => chunk.length > 0);
  while (pending.length > 0) {
    let { bytesWritten } = await handle.writev(pending);
    let skip = 0;
    while (skip < pending.length && bytesWritten >= pending[skip]!.length) bytesWritten -= pending[skip++]!.length;
    pending = pending.slice(skip);
    if (pending.length > 0 && bytesWritten > 0) pending[0] = pending[0]!.subarray(bytesWritten);
  }
}

/** What a write proved about its bytes before committing them. */
export interface VerifiedContent {
  readonly size: number;
  readonly sha256: string;
}

export class CacheWriter extends Writable {
  /** Resolves with the stored entry; rejects (with a CacheError or the I/O error) if nothing was stored. */
  readonly done: Promise<CacheEntry>;
  /** The temp file being written; single-flight followers read it while it grows. */
  readonly tmpPath: string;
  /** Bytes durably handed to the temp file so far. */
  bytesWritten = 0;
  /** Resolves once the temp file exists (readers of a live write open it after this). */
  readonly opened: Promise<void>;
  /**
   * Resolves with size and sha256 once every byte is in the temp file and both matched
   * what upstream declared — before the fsync, rename and index write of `done`. Readers
   * of a live write release their last byte then (live-reader.ts).
   */
  readonly verified: Promise<VerifiedContent>;

  private readonly hash = createHash('sha256');
  /** The declared digest and its running hash, when upstream declared one. */
  private readonly declared: { readonly digest: DeclaredDigest; readonly hash: Hash } | null;
  private handle: FileHandle | null = null;
  /** The temp file became the content (nothing is left to remove). */
  private renamed = false;
  private settled = false;
  private resolveOpened!: () => void;
  private resolveVerified!: (content: VerifiedContent) => void;
  private rejectOpened!: (error: Error) => void;
  private resolveDone!: (entry: CacheEntry) => void;
  private rejectDone!: (error: Error) => void;
  private readonly expectedSha256: string | null;
  private readonly expectedSize: number | null;
  private readonly metadata: EntryMetadata;

  constructor(
    private readonly ctx: CacheContext,
    readonly key: string,
    options: WriterOptions = {},
  ) {
    // Validated before the stream exists: a Writable starts _construct as soon as it is built.
    super((validateOptions(options), { highWaterMark: 1024 * 1024 }));
    this.expectedSha256 = options.expectedSha256 ?? null;
    this.declared = options.declaredDigest ? { digest: options.declaredDigest, hash: createHash(options.declaredDigest.algorithm) } : null;
    this.expectedSize = options.expectedSize ?? null;
    const metadata = options.metadata ?? {};
    this.metadata = typeof metadata.url === 'string' ? { ...metadata, url: redact(metadata.url) } : metadata;
    this.tmpPath = join(ctx.root, TMP_DIR, tmpName(process.pid, 'content'));
    ctx.activeTmp.add(this.tmpPath);
    this.done = new Promise<CacheEntry>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.opened = new Promise<void>((resolve, reject) => {
      this.resolveOpened = resolve;
      this.rejectOpened = reject;
    });
    this.opened.catch(() => {});
    this.verified = new Promise<VerifiedContent>((resolve) => {
      this.resolveVerified = resolve;
    });
    // The failure is also emitted as 'error' on the stream; this only stops an unobserved
    // `done` from crashing the process as an unhandled rejection.
    this.done.catch(() => {});
  }

  /** Abandons the write (upstream failed or the client went away): nothing is stored. */
  abort(reason?: Error): void {
    this.destroy(reason ?? new CacheError('EABORTED', `cache write for ${this.key} was aborted before it finished; nothing was stored`, { key: this.key }));
  }

  override _construct(callback: (error?: Error | null) => void): void {
    inParentDir(this.tmpPath, () => open(this.tmpPath, 'wx')).then((handle) => {
      this.handle = handle;
      this.resolveOpened();
      callback();
    }, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeChunks([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.writeChunks(chunks.map((c) => c.chunk), callback);
  }

  private writeChunks(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    if (!handle) return callback(new Error('cache writer used after close'));
    const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    if (this.expectedSize !== null && this.bytesWritten + length > this.expectedSize) {
      // Fail as soon as upstream sends more than it declared, not after storing it all.
      return callback(sizeError(`download for ${this.key}`, this.expectedSize, this.bytesWritten + length));
    }
    for (const chunk of chunks) this.hash.update(chunk);
    if (this.declared !== null) for (const chunk of chunks) this.declared.hash.update(chunk);
    writeAll(handle, chunks).then(() => {
      this.bytesWritten += length;
      this.emit('progress', this.bytesWritten);
      callback();
    }, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.commit().then((entry) => {
      this.settled = true;
      this.resolveDone(entry);
      callback();
    }, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.rejectOpened(error ?? new CacheError('EABORTED', `cache write for ${this.key} was closed`, { key: this.key }));
    this.cleanUp().then(
      () => {
        if (!this.settled) {
          this.settled = true;
          this.rejectDone(error ?? new CacheError('EABORTED', `cache write for ${this.key} was closed before it finished; nothing was stored`, { key: this.key }));
        }
        callback(error);
      },
      (cleanupError: unknown) => {
        this.ctx.logger.warn('cache: could not remove a temp file', { path: this.tmpPath, error: String(cleanupError) });
        if (!this.settled) {
          this.settled = true;
          this.rejectDone(error ?? (cleanupError as Error));
        }
        callback(error ?? (cleanupError as Error));
      },
    );
  }

  private async cleanUp(): Promise<void> {
    try {
      await this.handle?.close();
    } catch {
      // Already closed by commit().
    } finally {
      this.handle = null;
      try {
        if (!this.renamed) await unlinkIfPresent(this.tmpPath);
      } finally {
        this.ctx.activeTmp.delete(this.tmpPath);
      }
    }
  }

  private async commit(): Promise<CacheEntry> {
    const handle = this.handle;
    if (!handle) throw new Error('cache writer finished without a temp file');
    const size = this.bytesWritten;
    const sha256 = this.hash.digest('hex');
    const what = `download for ${this.key}`;
    if (this.expectedSize !== null && size !== this.expectedSize) throw sizeError(what, this.expectedSize, size);
    if (this.expectedSha256 !== null && sha256 !== this.expectedSha256) throw integrityError(what, this.expectedSha256, sha256);
    if (this.declared !== null) {
      const { digest, hash } = this.declared;
      const found = hash.digest(digest.encoding);
      if (!digest.digests.includes(found)) throw integrityError(what, digest.digests[0]!, found, digest.algorithm);
    }
    this.resolveVerified({ size, sha256 });
    await handle.sync();
    await handle.close();
    this.handle = null;

    const release = await enterCommit(this.ctx);
    try {
      const target = contentPath(this.ctx.root, sha256);
      // A shard directory is most often new (65,536 of them): made first, not after a failed rename.
      await mkdir(dirname(target), { recursive: true });
      // Same content, same path: concurrent writers of one artifact replace it with identical bytes.
      await this.ctx.rename(this.tmpPath, target);
      this.renamed = true;
      const entry: CacheEntry = { key: this.key, sha256, size, stored_at: isoTime(this.ctx.clock()), last_used_at: null, metadata: this.metadata };
      await writeIndexEntry(this.ctx, entry);
      this.ctx.logger.debug('cache: stored', { key: this.key, sha256, size });
      return entry;
    } finally {
      await release();
    }
  }
}

/** Replaces the key's index entry atomically (last rename wins). */
export async function writeIndexEntry(ctx: CacheContext, entry: CacheEntry): Promise<void> {
  const target = indexPath(ctx.root, entry.key);
  const temp = join(ctx.root, TMP_DIR, tmpName(process.pid, 'index'));
  ctx.activeTmp.add(temp);
  try {
    const handle = await inParentDir(temp, () => open(temp, 'wx'));
    try {
      await handle.writeFile(serializeEntry(entry), 'utf8');
      // mtime is the entry's last use (see entry.ts); it starts equal to stored_at ("never read").
      const now = new Date(Date.parse(entry.stored_at));
      await handle.utimes(now, now);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await mkdir(dirname(target), { recursive: true });
    await ctx.rename(temp, target);
    forgetKey(ctx.memory, entry.key);
  } catch (error) {
    await unlinkIfPresent(temp);
    throw error;
  } finally {
    ctx.activeTmp.delete(temp);
  }
}
