import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { indexPath } from '../../src/cache/index.js';
import { type TempCache, collect, tempCache, walk } from './helpers.js';

// Pieces attackers use to escape a directory through a URL-derived name.
const hostilePiece = fc.constantFrom('..', '/', '\\', '%2F', '%2f', '..%2F', '%2e%2e', '%00', '\0', '.', '~', ':', '//', 'C:\\', '\n', '\r\n', ' ', 'é', '😀');
const hostileKey = fc.oneof(
  fc.array(fc.oneof(hostilePiece, fc.string({ maxLength: 8 })), { minLength: 1, maxLength: 30 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }),
  fc.integer({ min: 300, max: 100_000 }).map((n) => `../`.repeat(Math.ceil(n / 3)).slice(0, n)),
).filter((key) => key.length > 0);

describe('cache keys cannot escape the cache root', () => {
  let cache: TempCache;
  before(async () => {
    cache = await tempCache();
  });
  after(() => cache.cleanup());

  it('stores and reads any key, creating files only under index-v1/, content-v1/ (and nothing beside the root)', async () => {
    await fc.assert(
      fc.asyncProperty(hostileKey, fc.uint8Array({ maxLength: 64 }), async (key, body) => {
        const data = Buffer.from(body);
        const writer = cache.store.writer(key, { metadata: { url: key } });
        await pipeline(Readable.from([data]), writer);
        await writer.done;
        assert.ok(indexPath(cache.root, key).startsWith(`${cache.root}/index-v1/`));
        const hit = await cache.store.read(key);
        assert.ok(hit);
        assert.equal(hit.entry.key, key);
        assert.deepEqual(await collect(hit.stream), data);
        // The only thing in the temp dir is the cache root; the root holds only the layout.
        assert.deepEqual(await readdir(cache.dir), ['cache']);
        assert.deepEqual((await readdir(cache.root)).sort(), ['content-v1', 'index-v1', 'tmp', 'writers']);
        for (const file of await walk(cache.root)) {
          assert.match(file, /^(index-v1\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}|content-v1\/sha256\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64})$/);
        }
      }),
      { numRuns: 150 },
    );
  });
});
