// What a store remembers in memory, per process and per cache root, so repeated reads do
// not repeat work the first read already did:
//
//   - SmallContent: the verified bytes of small entries (≤ 64 KiB each, 64 MiB in all,
//     least recently used first out), keyed by cache key with the entry they belong to. A
//     hit on one is served without touching the disk (index files and simple pages are
//     small and asked for again and again).
//   - VerifiedFiles: content files this process hashed in full, with the identity fstat
//     gave for them. A later read whose fstat still matches is not hashed again (see
//     `isTrusted` for why an unchanged inode can be trusted, and when it cannot).
//   - Touches: when each key's "last used" time was last written, so a hot key costs one
//     utimes a minute instead of one per read (prune's LRU order needs minutes, not ms).
//
// Everything here is only as fresh as this process's own writes: the store drops what it
// knows on remove, rewrite, corrupt content, verify and prune. Another process's prune is
// seen when an entry falls out of memory (or on restart); what is served meanwhile was
// verified when it was read.
import type { Stats } from 'node:fs';
import type { CacheEntry } from './entry.js';

export const SMALL_CONTENT_MAX_BYTES = 64 * 1024;
export const SMALL_CONTENT_TOTAL_BYTES = 64 * 1024 * 1024;
/** A key's last-use time is written at most this often (prune orders by it). */
export const TOUCH_INTERVAL_MS = 60_000;
const MAX_VERIFIED_FILES = 100_000;
const MAX_TOUCHED_KEYS = 100_000;

export interface SmallHit {
  readonly entry: CacheEntry;
  readonly body: Buffer;
}

/** Least-recently-used map of small verified bodies, bounded by total bytes. */
export class SmallContent {
  private readonly items = new Map<string, SmallHit>();
  private bytes = 0;

  constructor(
    private readonly maxItemBytes = SMALL_CONTENT_MAX_BYTES,
    private readonly maxTotalBytes = SMALL_CONTENT_TOTAL_BYTES,
  ) {}

  get(key: string): SmallHit | undefined {
    const hit = this.items.get(key);
    if (hit) {
      // Map keeps insertion order: re-inserting marks it most recently used.
      this.items.delete(key);
      this.items.set(key, hit);
    }
    return hit;
  }

  /** The hit without marking it used. */
  peek(key: string): SmallHit | undefined {
    return this.items.get(key);
  }

  fits(size: number): boolean {
    return size <= this.maxItemBytes;
  }

  set(entry: CacheEntry, body: Buffer): void {
    if (!this.fits(body.length)) return;
    this.delete(entry.key);
    this.items.set(entry.key, { entry, body });
    this.bytes += body.length;
    for (const [key, old] of this.items) {
      if (this.bytes <= this.maxTotalBytes) break;
      this.items.delete(key);
      this.bytes -= old.body.length;
    }
  }

  delete(key: string): void {
    const old = this.items.get(key);
    if (!old) return;
    this.items.delete(key);
    this.bytes -= old.body.length;
  }

  deleteContent(sha256: string): void {
    for (const [key, hit] of this.items) if (hit.entry.sha256 === sha256) this.delete(key);
  }

  clear(): void {
    this.items.clear();
    this.bytes = 0;
  }

  get totalBytes(): number {
    return this.bytes;
  }
}

interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

interface Verified extends FileIdentity {
  /** When the read that hashed the file opened it (Date.now(), not the injected clock). */
  readonly verifiedAtMs: number;
}

function identity(stats: Stats): FileIdentity {
  return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
}

/**
 * How long after a file's last change its timestamps can still be the same after a further
 * change. Linux file systems stamp files from a coarse clock (one jiffy, ≤ 10 ms); file
 * systems that keep whole seconds (FAT keeps two) are told apart by their round stamps.
 */
function timestampGranularityMs(id: FileIdentity): number {
  return id.mtimeMs % 1000 === 0 && id.ctimeMs % 1000 === 0 ? 2000 : 20;
}

/** Content files hashed in full by this process, with the fstat identity they had. */
export class VerifiedFiles {
  private readonly files = new Map<string, Verified>();

  /**
   * True when `stats` (from fstat of a freshly opened fd) is the file this process already
   * hashed in full, unchanged since: same device, inode, size, mtime and ctime. Any write
   * moves mtime and ctime, a replaced file has a new inode, so an unchanged identity means
   * unchanged bytes — unless the change landed in the same timestamp tick as the write the
   * stamps record. As in git's "racy clean" check, that can only happen if the hashing read
   * started less than one tick after the file's last change; such a file is hashed again.
   * (Bit rot under an unchanged inode is not seen until the next process, or `cache verify`.)
   */
  isTrusted(sha256: string, stats: Stats): boolean {
    const known = this.files.get(sha256);
    if (!known) return false;
    const now = identity(stats);
    const same = known.dev === now.dev && known.ino === now.ino && known.size === now.size && known.mtimeMs === now.mtimeMs && known.ctimeMs === now.ctimeMs;
    if (!same) {
      this.files.delete(sha256);
      return false;
    }
    return known.verifiedAtMs >= Math.max(now.mtimeMs, now.ctimeMs) + timestampGranularityMs(now);
  }

  /** Records a complete, matching hash of the file whose fstat was `stats`, read from `openedAtMs` on. */
  remember(sha256: string, stats: Stats, openedAtMs: number): void {
    if (this.files.size >= MAX_VERIFIED_FILES) {
      const oldest = this.files.keys().next().value;
      if (oldest !== undefined) this.files.delete(oldest);
    }
    this.files.delete(sha256);
    this.files.set(sha256, { ...identity(stats), verifiedAtMs: openedAtMs });
  }

  forget(sha256: string): void {
    this.files.delete(sha256);
  }

  clear(): void {
    this.files.clear();
  }
}

/** When each key's last use was last written to its index file. */
export class Touches {
  private readonly last = new Map<string, number>();

  /** True (and noted) when the key's last use should be written now. */
  due(key: string, nowMs: number): boolean {
    const previous = this.last.get(key);
    if (previous !== undefined && nowMs - previous >= 0 && nowMs - previous < TOUCH_INTERVAL_MS) return false;
    if (this.last.size >= MAX_TOUCHED_KEYS) this.last.clear();
    this.last.set(key, nowMs);
    return true;
  }

  forget(key: string): void {
    this.last.delete(key);
  }

  clear(): void {
    this.last.clear();
  }
}

export interface StoreMemory {
  readonly small: SmallContent;
  readonly verified: VerifiedFiles;
  readonly touches: Touches;
}

// Per process and root: two stores on one root (the proxy's and a maintenance command's in
// the same process) see each other's removals.
const byRoot = new Map<string, StoreMemory>();

export function memoryFor(root: string): StoreMemory {
  let memory = byRoot.get(root);
  if (!memory) {
    memory = { small: new SmallContent(), verified: new VerifiedFiles(), touches: new Touches() };
    byRoot.set(root, memory);
  }
  return memory;
}

/** Forgets everything about one key (removed or rewritten). */
export function forgetKey(memory: StoreMemory, key: string): void {
  memory.small.delete(key);
  memory.touches.forget(key);
}

/** Forgets everything (after verify or prune changed the cache under us). */
export function forgetAll(memory: StoreMemory): void {
  memory.small.clear();
  memory.verified.clear();
  memory.touches.clear();
}
