import assert from 'node:assert/strict';
import { rename } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, it } from 'node:test';
import { CacheError, type CacheStore } from '../../src/cache/index.js';
import { type TempCache, bytes, filesUnder, sha256, slowSource, tempCache } from './helpers.js';

async function assertNothingStored(cache: TempCache, key: string): Promise<void> {
  assert.equal(await cache.store.get(key), null);
  assert.deepEqual(await filesUnder(cache.root, 'tmp'), [], 'tmp/ is empty');
  assert.deepEqual(await filesUnder(cache.root, 'content-v1'), [], 'no content');
  assert.deepEqual(await filesUnder(cache.root, 'index-v1'), [], 'no index entry');
}

async function write(store: CacheStore, key: string, data: Buffer, options: Parameters<CacheStore['writer']>[1]) {
  const writer = store.writer(key, options);
  const piped = pipeline(Readable.from([data.subarray(0, 10), data.subarray(10)]), writer);
  await assert.rejects(piped);
  return writer.done;
}

describe('cache writer: a failed write stores nothing', () => {
  let cache: TempCache;
  afterEach(() => cache.cleanup());

  it('rejects bytes whose sha256 differs from the declared one, with expected and found', async () => {
    cache = await tempCache();
    const data = bytes(4096);
    const declared = sha256('something else');
    await assert.rejects(write(cache.store, 'k', data, { expectedSha256: declared }), (error: unknown) => {
      assert.ok(error instanceof CacheError);
      assert.equal(error.code, 'EINTEGRITY');
      assert.deepEqual(error.details, { expected: declared, found: sha256(data) });
      assert.match(error.message, /retry/);
      return true;
    });
    await assertNothingStored(cache, 'k');
  });

  it('rejects a body shorter than declared', async () => {
    cache = await tempCache();
    await assert.rejects(write(cache.store, 'k', bytes(100), { expectedSize: 101 }), { code: 'ESIZE', details: { expected: 101, found: 100 } });
    await assertNothingStored(cache, 'k');
  });

  it('rejects a body longer than declared as soon as it overflows', async () => {
    cache = await tempCache();
    await assert.rejects(write(cache.store, 'k', bytes(100), { expectedSize: 50 }), { code: 'ESIZE', details: { expected: 50, found: 100 } });
    await assertNothingStored(cache, 'k');
  });

  it('stores nothing when the upstream fails midway (pipeline aborts the writer)', async () => {
    cache = await tempCache();
    const writer = cache.store.writer('k');
    await assert.rejects(pipeline(slowSource(bytes(64 * 1024), 4096, 1, 20_000), writer), /upstream connection reset/);
    await assert.rejects(writer.done, /upstream connection reset/);
    await assertNothingStored(cache, 'k');
  });

  it('stores nothing when the writer is aborted by hand', async () => {
    cache = await tempCache();
    const writer = cache.store.writer('k');
    writer.on('error', () => {});
    writer.write(bytes(1000));
    await new Promise((resolve) => writer.once('progress', resolve));
    assert.equal((await filesUnder(cache.root, 'tmp')).length, 1, 'the temp file exists while writing');
    writer.abort();
    await assert.rejects(writer.done, { code: 'EABORTED' });
    await assertNothingStored(cache, 'k');
  });

  for (const failing of ['content', 'index'] as const) {
    it(`cleans tmp/ when the ${failing} rename fails`, async () => {
      let calls = 0;
      cache = await tempCache({
        rename: async (from, to) => {
          calls += 1;
          const isIndex = to.includes('index-v1');
          if ((failing === 'index') === isIndex) throw Object.assign(new Error(`EIO: injected failure renaming ${from}`), { code: 'EIO' });
          await rename(from, to);
        },
      });
      const writer = cache.store.writer('k');
      await assert.rejects(pipeline(Readable.from([bytes(2048)]), writer), /injected failure/);
      await assert.rejects(writer.done, /injected failure/);
      assert.ok(calls >= 1);
      assert.equal(await cache.store.get('k'), null);
      assert.deepEqual(await filesUnder(cache.root, 'tmp'), []);
      assert.deepEqual(await filesUnder(cache.root, 'index-v1'), []);
      if (failing === 'index') {
        // Content landed but nothing points at it: verify collects the orphan.
        assert.equal((await filesUnder(cache.root, 'content-v1')).length, 1);
        assert.equal((await cache.store.verify()).orphanedContentRemoved, 1);
      }
      assert.deepEqual(await filesUnder(cache.root, 'content-v1'), []);
    });
  }
});
