import assert from 'node:assert/strict';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, it } from 'node:test';
import type { CacheStore } from '../../src/cache/index.js';
import { type TempCache, bytes, collect, deadPid, filesUnder, sha256, tempCache } from './helpers.js';

const MINUTE = 60_000;

async function put(store: CacheStore, key: string, data: Buffer, kind = 'file') {
  const writer = store.writer(key, { metadata: { kind } });
  await pipeline(Readable.from([data]), writer);
  return writer.done;
}

async function keys(store: CacheStore): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of store.list()) out.push(entry.key);
  return out.sort();
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

describe('cache maintenance', () => {
  let cache: TempCache;
  let now = Date.parse('2026-01-01T00:00:00Z');
  afterEach(() => cache.cleanup());

  it('prunes least-recently-used content first and never touches the keep set', async () => {
    cache = await tempCache({ clock: () => now });
    const a = await put(cache.store, 'a', bytes(1000, 1)); // t=0
    now += MINUTE;
    const b = await put(cache.store, 'b', bytes(1000, 2)); // t=1
    await put(cache.store, 'b-alias', bytes(1000, 2)); // same content, second key
    now += MINUTE;
    const c = await put(cache.store, 'c', bytes(1000, 3)); // t=2
    now += MINUTE;
    const d = await put(cache.store, 'd', bytes(1000, 4)); // t=3
    now += MINUTE;
    const hit = await cache.store.read('a'); // a used at t=4: now the most recent
    assert.ok(hit);
    await collect(hit.stream);
    assert.equal((await cache.store.get('a'))?.last_used_at, new Date(now).toISOString());
    assert.equal((await cache.store.get('c'))?.last_used_at, null);

    // Oldest is b (t=1), then c (t=2), d (t=3), a (t=4). Keep c. Fit in 2000 bytes.
    const report = await cache.store.prune({ maxSize: 2000, keep: new Set([c.sha256]) });
    assert.deepEqual(report, { removedEntries: 3, removedContent: 2, freedBytes: 2000, remainingEntries: 2, remainingBytes: 2000 });
    assert.deepEqual(await keys(cache.store), ['a', 'c']);
    assert.equal(await cache.store.hasContent(b.sha256), false);
    assert.equal(await cache.store.hasContent(d.sha256), false);
    assert.equal(await cache.store.hasContent(a.sha256), true);

    // Age-based: everything unused for over 1.5 minutes, except the keep set.
    now += MINUTE;
    const aged = await cache.store.prune({ olderThanMs: 1.5 * MINUTE, keep: new Set([c.sha256]) });
    assert.equal(aged.removedEntries, 0, 'a was used 1 minute ago');
    now += MINUTE;
    const aged2 = await cache.store.prune({ olderThanMs: 1.5 * MINUTE, keep: new Set([c.sha256]) });
    assert.equal(aged2.removedEntries, 1);
    assert.deepEqual(await keys(cache.store), ['c']);
    assert.equal(await exists(join(cache.root, 'lock')), false, 'the lock is released');
  });

  it('reports stats by kind, counting shared content once', async () => {
    cache = await tempCache();
    await put(cache.store, 'w1', bytes(100, 1), 'wheel');
    await put(cache.store, 'w2', bytes(100, 1), 'wheel');
    await put(cache.store, 'deb', bytes(50, 2), 'apt');
    const stats = await cache.store.stats();
    assert.equal(stats.entries, 3);
    assert.equal(stats.contentFiles, 2);
    assert.equal(stats.bytes, 150);
    assert.deepEqual(stats.byKind, { wheel: { entries: 2, bytes: 200 }, apt: { entries: 1, bytes: 50 } });
  });

  it('makes a writer wait to commit while maintenance holds the lock', async () => {
    cache = await tempCache({ lockPollMs: 5 });
    let releaseLock!: () => void;
    const lockHeld = new Promise<void>((resolve) => {
      void cache.store.withLock(
        () =>
          new Promise<void>((release) => {
            releaseLock = release;
            resolve();
          }),
      );
    });
    await lockHeld;
    const lock = JSON.parse(await readFile(join(cache.root, 'lock'), 'utf8')) as { pid: number };
    assert.equal(lock.pid, process.pid);

    const writer = cache.store.writer('k');
    let committed = false;
    void writer.done.then(() => {
      committed = true;
    });
    writer.end(bytes(5000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(committed, false, 'the writer waits for the lock');
    assert.equal(await cache.store.get('k'), null);
    assert.deepEqual(await filesUnder(cache.root, 'content-v1'), [], 'no content published under the lock');

    releaseLock();
    const entry = await writer.done;
    assert.equal(entry.sha256, sha256(bytes(5000)));
    assert.ok(await cache.store.get('k'));
  });

  it('makes maintenance wait for a writer that is committing, and gives up with ELOCKED', async () => {
    cache = await tempCache({ lockPollMs: 5, lockTimeoutMs: 150 });
    // A live writer's commit marker (this process) that never goes away.
    await writeFile(join(cache.root, 'writers', `${process.pid}-feedface.commit`), '');
    await assert.rejects(cache.store.prune({ maxSize: 0 }), (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'ELOCKED');
      assert.match((error as Error).message, /writer\(s\) to finish committing/);
      return true;
    });
    assert.equal(await exists(join(cache.root, 'lock')), false, 'a failed acquire leaves no lock behind');
  });

  it("takes over a dead process's lock and ignores its commit markers", async () => {
    cache = await tempCache({ lockPollMs: 5, lockTimeoutMs: 2000 });
    const dead = deadPid();
    await writeFile(join(cache.root, 'lock'), JSON.stringify({ pid: dead, token: 'old', since: '2026-01-01T00:00:00Z' }));
    await writeFile(join(cache.root, 'writers', `${dead}-0123.commit`), '');
    await put(cache.store, 'k', bytes(10)); // a stale lock does not block writers either
    const report = await cache.store.prune({ maxSize: 0 });
    assert.equal(report.removedEntries, 1);
    assert.deepEqual(await filesUnder(cache.root, 'writers'), []);
    assert.equal(await exists(join(cache.root, 'lock')), false);
  });

  it('times out a second maintenance run with ELOCKED while a live one holds the lock', async () => {
    cache = await tempCache({ lockPollMs: 5, lockTimeoutMs: 100 });
    await cache.store.withLock(async () => {
      await assert.rejects(cache.store.verify(), { code: 'ELOCKED' });
    });
    assert.equal((await cache.store.verify()).entriesChecked, 0);
  });
});
