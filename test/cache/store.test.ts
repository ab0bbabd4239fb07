import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { type TempCache, bytes, collect, filesUnder, sha256, tempCache } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap + buffers still reachable after a full collection. */
function retainedBytes(): number {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe('cache store: write and read', () => {
  let cache: TempCache;
  before(async () => {
    cache = await tempCache({ clock: () => Date.parse('2026-01-09T14:22:33.000Z') });
  });
  after(() => cache.cleanup());

  it('stores bytes under a key and reads them back verified', async () => {
    const data = bytes(300_000, 7);
    const writer = cache.store.writer('pypi:/simple/numpy/', {
      expectedSize: data.length,
      expectedSha256: sha256(data),
      metadata: { kind: 'wheel', content_type: 'application/octet-stream', etag: '"x"', url: 'https://user:secret@files.example.invalid/numpy.whl?token=abc&v=1' },
    });
    await pipeline(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), writer);
    const stored = await writer.done;
    assert.equal(stored.sha256, sha256(data));
    assert.equal(stored.size, data.length);
    assert.equal(stored.stored_at, '2026-01-09T14:22:33.000Z');
    assert.doesNotMatch(String(stored.metadata.url), /secret|abc/);
    assert.match(String(stored.metadata.url), /v=1/);

    const entry = await cache.store.get('pypi:/simple/numpy/');
    assert.deepEqual(entry, { ...stored, last_used_at: null });
    const hit = await cache.store.read('pypi:/simple/numpy/');
    assert.ok(hit);
    assert.deepEqual(await collect(hit.stream), data);
    assert.equal(await cache.store.hasContent(stored.sha256), true);
    assert.equal(await cache.store.hasContent(sha256('nothing')), false);
    assert.deepEqual((await cache.store.findBySha256(stored.sha256)).map((e) => e.key), ['pypi:/simple/numpy/']);
    assert.equal(await cache.store.get('pypi:/simple/scipy/'), null);
    assert.equal(await cache.store.read('pypi:/simple/scipy/'), null);
    assert.deepEqual(await filesUnder(cache.root, 'tmp'), []);
    assert.deepEqual(await filesUnder(cache.root, 'content-v1'), [`sha256/${stored.sha256.slice(0, 2)}/${stored.sha256.slice(2, 4)}/${stored.sha256}`]);
  });

  it('stores an empty body', async () => {
    const writer = cache.store.writer('http://host.invalid/empty', { expectedSize: 0 });
    writer.end();
    const entry = await writer.done;
    assert.equal(entry.size, 0);
    const hit = await cache.store.read('http://host.invalid/empty');
    assert.ok(hit);
    assert.equal((await collect(hit.stream)).length, 0);
  });

  it('keeps one content file for two keys with the same bytes, and the last write of a key wins', async () => {
    const a = bytes(5000, 1);
    const b = bytes(5000, 2);
    const write = async (key: string, data: Buffer) => {
      const w = cache.store.writer(key);
      await pipeline(Readable.from([data]), w);
      return w.done;
    };
    await Promise.all([write('k1', a), write('k2', a)]);
    // Many concurrent writers of one key: each commit is atomic, so the entry is one of them, whole.
    const racers = await Promise.all(Array.from({ length: 20 }, (_, i) => write('k3', i % 2 ? a : b)));
    assert.equal(racers.length, 20);
    const hit = await cache.store.read('k3');
    assert.ok(hit);
    const body = await collect(hit.stream);
    assert.ok(body.equals(a) || body.equals(b));
    assert.equal((await cache.store.findBySha256(sha256(a))).length >= 2, true);
    assert.deepEqual(await filesUnder(cache.root, 'tmp'), []);
  });

  it('streams 50 MB in and out without holding it in memory', async () => {
    const total = 50 * 1024 * 1024;
    const chunk = bytes(64 * 1024, 9);
    const baseline = retainedBytes();
    const retained: number[] = [];
    let produced = 0;
    const source = new Readable({
      read() {
        if (produced === 40 * 1024 * 1024) retained.push(retainedBytes() - baseline);
        if (produced >= total) return void this.push(null);
        produced += chunk.length;
        this.push(chunk);
      },
    });
    const writer = cache.store.writer('http://host.invalid/big.bin', { expectedSize: total });
    await pipeline(source, writer);
    assert.equal((await writer.done).size, total);
    const hit = await cache.store.read('http://host.invalid/big.bin');
    assert.ok(hit);
    let read = 0;
    let measured = false;
    hit.stream.on('data', (c: Buffer) => {
      read += c.length;
      if (!measured && read >= 40 * 1024 * 1024) {
        measured = true;
        retained.push(retainedBytes() - baseline);
      }
    });
    await once(hit.stream, 'end');
    assert.equal(read, total);
    assert.equal(retained.length, 2);
    // Buffering the artifact would retain at least the 40 MiB seen so far. The margin is wide
    // because V8 frees ArrayBuffer memory on a background thread, after gc() returns.
    for (const grown of retained) assert.ok(grown < 32 * 1024 * 1024, `retained ${Math.round(grown / 1024 / 1024)} MiB after 40 MiB streamed`);
  });

  it('lists entries and reports stats by kind', async () => {
    const keys: string[] = [];
    for await (const entry of cache.store.list()) keys.push(entry.key);
    assert.ok(keys.includes('pypi:/simple/numpy/'));
    const stats = await cache.store.stats();
    assert.equal(stats.entries, keys.length);
    assert.equal(stats.byKind.wheel?.entries, 1);
    assert.equal(stats.byKind.wheel?.bytes, 300_000);
    assert.equal(stats.badIndexEntries, 0);
  });

  it('checks a digest declared in another algorithm (npm\'s sha512 integrity) before anything is verified or stored', async () => {
    const data = bytes(200_000, 9);
    const sha512 = createHash('sha512').update(data).digest('base64');
    const declared = { algorithm: 'sha512', digests: ['b3RoZXI=', sha512], encoding: 'base64' as const };
    const good = cache.store.writer('npm:good', { declaredDigest: declared });
    await pipeline(Readable.from([data]), good);
    assert.equal((await good.done).size, data.length);

    const damaged = Buffer.from(data);
    damaged[100] = damaged[100]! ^ 1;
    const bad = cache.store.writer('npm:bad', { declaredDigest: declared });
    let verified = false;
    void bad.verified.then(() => (verified = true));
    await assert.rejects(pipeline(Readable.from([damaged]), bad), { code: 'EINTEGRITY', message: /expected sha512 b3RoZXI= but the bytes hash to/ });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(verified, false, 'a live reader is never told the bytes are good, so its last byte is never released');
    assert.equal(await cache.store.get('npm:bad'), null);
    assert.deepEqual(await filesUnder(cache.root, 'tmp'), []);
  });

  it('rejects a malformed expected hash before writing anything', () => {
    assert.throws(() => cache.store.writer('k', { expectedSha256: 'ABC' }), { code: 'EBADINPUT' });
    assert.throws(() => cache.store.writer('k', { declaredDigest: { algorithm: 'no-such-hash', digests: ['x'], encoding: 'hex' } }), { code: 'EBADINPUT' });
    assert.throws(() => cache.store.writer('', {}), { code: 'EBADINPUT' });
  });
});
