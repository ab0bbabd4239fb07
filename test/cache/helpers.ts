// Shared fixtures for the cache tests: a store in a fresh temp dir, byte sources, file walks.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CacheStore, type CacheStoreOptions } from '../../src/cache/index.js';
export { bytes, sha256 } from '../helpers/bytes.js';

export interface TempCache {
  readonly dir: string;
  readonly root: string;
  readonly store: CacheStore;
  cleanup(): Promise<void>;
}

export async function tempCache(options: Partial<CacheStoreOptions> = {}): Promise<TempCache> {
  const dir = await mkdtemp(join(tmpdir(), 'offgrid-cache-'));
  const root = join(dir, 'cache');
  const store = await CacheStore.open({ ...options, root });
  return { dir, root, store, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A stream of `data` in `chunkSize` pieces, one every `delayMs`. */
export function slowSource(data: Buffer, chunkSize: number, delayMs: number, failAfter?: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      setTimeout(() => {
        if (failAfter !== undefined && offset >= failAfter) {
          this.destroy(new Error('upstream connection reset'));
          return;
        }
        if (offset >= data.length) {
          this.push(null);
          return;
        }
        this.push(data.subarray(offset, offset + chunkSize));
        offset += chunkSize;
      }, delayMs);
    },
  });
}

export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Every file under `dir`, relative paths. */
export async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await walk(join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}

export async function filesUnder(root: string, sub: string): Promise<string[]> {
  return walk(join(root, sub));
}

/** A pid that belonged to a process that has exited. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}
