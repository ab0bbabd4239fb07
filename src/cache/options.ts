// What the store takes from the outside world: a clock, a logger, and the one filesystem
// call tests need to fail on purpose (the rename that publishes content).
import { rename as fsRename } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type StoreMemory, memoryFor } from './memory.js';

export interface CacheLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: CacheLogger = { debug() {}, warn() {} };

export interface CacheStoreOptions {
  /** Cache root; created if missing. */
  readonly root: string;
  /** Milliseconds since the epoch. */
  readonly clock?: () => number;
  readonly logger?: CacheLogger;
  /** Replaces fs.rename for publishing content and index entries (failure injection). */
  readonly rename?: (from: string, to: string) => Promise<void>;
  /** How long a writer's commit or a maintenance run waits for the lock before ELOCKED. */
  readonly lockTimeoutMs?: number;
  readonly lockPollMs?: number;
}

/** Options with defaults filled in, shared by the store's modules. */
export interface CacheContext {
  readonly root: string;
  readonly clock: () => number;
  readonly logger: CacheLogger;
  readonly rename: (from: string, to: string) => Promise<void>;
  readonly lockTimeoutMs: number;
  readonly lockPollMs: number;
  /** Temp files this process is writing right now; `cleanTmp` never removes them. */
  readonly activeTmp: Set<string>;
  /** What this process remembers about the root (memory.ts); shared by every store on it. */
  readonly memory: StoreMemory;
}

// One set per process: two stores on one root must not clean each other's live temp files.
const activeTmpFiles = new Set<string>();

export function resolveOptions(options: CacheStoreOptions): CacheContext {
  return {
    root: options.root,
    clock: options.clock ?? Date.now,
    logger: options.logger ?? silentLogger,
    rename: options.rename ?? fsRename,
    lockTimeoutMs: options.lockTimeoutMs ?? 60_000,
    lockPollMs: options.lockPollMs ?? 25,
    activeTmp: activeTmpFiles,
    memory: memoryFor(resolve(options.root)),
  };
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
