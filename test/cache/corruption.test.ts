import assert from 'node:assert/strict';
import { mkdir, open, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, it } from 'node:test';
import { CacheError, contentPath, indexPath } from '../../src/cache/index.js';
import { type TempCache, bytes, collect, tempCache } from './helpers.js';

async function store(cache: TempCache, key: string, data: Buffer) {
  const writer = cache.store.writer(key, { metadata: { kind: 'file' } });
  await pipeline(Readable.from([data]), writer);
  return writer.done;
}

async function flipByte(path: string, at: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const one = Buffer.alloc(1);
    await handle.read(one, 0, 1, at);
    one[0] = (one[0] ?? 0) ^ 0xff;
    await handle.write(one, 0, 1, at);
  } finally {
    await handle.close();
  }
}

describe('cache: corrupt content is never served as complete', () => {
  let cache: TempCache;
  afterEach(() => cache.cleanup());

  it('fails a read of a byte-flipped file with EINTEGRITY before the last bytes, and removes the entry', async () => {
    cache = await tempCache();
    const data = bytes(3 * 1024 * 1024 + 17, 3); // several 1 MiB read chunks
    const entry = await store(cache, 'http://host.invalid/a.deb', data);
    await flipByte(contentPath(cache.root, entry.sha256), 10);
    const hit = await cache.store.read('http://host.invalid/a.deb');
    assert.ok(hit, 'same size: the fast path cannot see it');
    let received = 0;
    hit.stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    await assert.rejects(collect(hit.stream), (error: unknown) => {
      assert.ok(error instanceof CacheError);
      assert.equal(error.code, 'EINTEGRITY');
      assert.equal(error.details.expected, entry.sha256);
      return true;
    });
    assert.ok(received < data.length, `only ${received} of ${data.length} bytes left before the failure`);
    assert.equal(await cache.store.get('http://host.invalid/a.deb'), null);
    assert.equal(await cache.store.hasContent(entry.sha256), false);
    assert.equal(await cache.store.read('http://host.invalid/a.deb'), null, 'the next read is a plain miss');
  });

  it('fails fast when the content has the wrong size', async () => {
    cache = await tempCache();
    const entry = await store(cache, 'k', bytes(1000));
    await truncate(contentPath(cache.root, entry.sha256), 999);
    await assert.rejects(cache.store.read('k'), { code: 'EINTEGRITY', details: { expected: 1000, found: 999 } });
    assert.equal(await cache.store.get('k'), null);
  });

  it('treats an entry whose content vanished as a miss', async () => {
    cache = await tempCache();
    const entry = await store(cache, 'k', bytes(1000));
    await unlink(contentPath(cache.root, entry.sha256));
    assert.equal(await cache.store.read('k'), null);
    assert.equal(await cache.store.get('k'), null, 'the dangling entry is dropped');
  });

  it('verify() re-hashes everything and removes corrupt, dangling and malformed entries', async () => {
    cache = await tempCache();
    const good = await store(cache, 'good', bytes(5000, 1));
    const corrupt = await store(cache, 'corrupt', bytes(5000, 2));
    await store(cache, 'corrupt-too', bytes(5000, 2)); // same content, second key
    const dangling = await store(cache, 'dangling', bytes(5000, 3));
    await store(cache, 'malformed', bytes(10, 4));
    await flipByte(contentPath(cache.root, corrupt.sha256), 4999);
    await unlink(contentPath(cache.root, dangling.sha256));
    await writeFile(indexPath(cache.root, 'malformed'), '{"version":1,"key":');

    const report = await cache.store.verify();
    assert.equal(report.entriesChecked, 5);
    const byKey = new Map(report.removed.map((p) => [p.key, p.reason]));
    assert.equal(byKey.get('corrupt'), 'corrupt-content');
    assert.equal(byKey.get('corrupt-too'), 'corrupt-content');
    assert.equal(byKey.get('dangling'), 'missing-content');
    assert.equal(byKey.get(null), 'bad-index-entry');
    assert.equal(report.removed.length, 4);
    assert.equal(report.orphanedContentRemoved, 1, "the malformed entry's content is now unreferenced");

    const keys: string[] = [];
    for await (const entry of cache.store.list()) keys.push(entry.key);
    assert.deepEqual(keys, ['good']);
    assert.equal(await cache.store.hasContent(corrupt.sha256), false);
    const hit = await cache.store.read('good');
    assert.ok(hit);
    assert.deepEqual(await collect(hit.stream), bytes(5000, 1));
    assert.equal(good.size, 5000);
    assert.deepEqual(await cache.store.verify(), { entriesChecked: 1, contentChecked: 1, bytesChecked: 5000, removed: [], orphanedContentRemoved: 0 });
  });

  it('ignores an index file that belongs to another key (hash collision or a hand copy)', async () => {
    cache = await tempCache();
    await store(cache, 'a', bytes(10));
    await mkdir(dirname(indexPath(cache.root, 'b')), { recursive: true });
    await writeFile(indexPath(cache.root, 'b'), await readFile(indexPath(cache.root, 'a')));
    assert.equal(await cache.store.get('b'), null);
  });
});
