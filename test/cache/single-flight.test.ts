import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { SingleFlight, type Flight, type UpstreamResponse } from '../../src/cache/index.js';
import { type TempCache, bytes, collect, filesUnder, sha256, slowSource, tempCache } from './helpers.js';

const KEY = 'pypi:/packages/numpy-2.2.6-cp311-manylinux.whl';

/** An upstream that counts how often it is opened. */
function countingUpstream(data: Buffer, options: { failAfter?: number; declareSha?: string } = {}) {
  const upstream = {
    opened: 0,
    open: async (): Promise<UpstreamResponse> => {
      upstream.opened += 1;
      return {
        body: slowSource(data, 16 * 1024, 2, options.failAfter),
        expectedSize: data.length,
        expectedSha256: options.declareSha ?? null,
        metadata: { kind: 'wheel', content_type: 'application/octet-stream' },
      };
    },
  };
  return upstream;
}

async function consume(flight: Flight): Promise<Buffer> {
  await flight.response;
  return collect(await flight.body());
}

describe('single flight', () => {
  let cache: TempCache;
  afterEach(() => cache.cleanup());

  it('serves 200 concurrent consumers from one upstream fetch, late joiners included', async () => {
    cache = await tempCache();
    const flights = new SingleFlight(cache.store);
    const data = bytes(1024 * 1024 + 123, 5);
    const upstream = countingUpstream(data);

    const early = Array.from({ length: 150 }, () => flights.fetch(KEY, upstream.open));
    assert.equal(early.filter((f) => f.leader).length, 1);
    const earlyBodies = early.map(consume);
    // Join while bytes are already flowing: they must still get the body from byte 0.
    const first = await early[0]!.response;
    assert.equal(first.from, 'upstream');
    assert.equal(first.size, data.length);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(flights.inFlight, 1);
    const late = Array.from({ length: 50 }, () => flights.fetch(KEY, upstream.open));
    assert.ok(late.every((f) => !f.leader));
    const bodies = await Promise.all([...earlyBodies, ...late.map(consume)]);

    assert.equal(upstream.opened, 1);
    assert.equal(bodies.length, 200);
    const expected = sha256(data);
    for (const body of bodies) assert.equal(sha256(body), expected);
    assert.equal((await early[0]!.done).sha256, expected);
    assert.equal(flights.inFlight, 0);

    // After the flight: a hit from the store, still no second upstream fetch.
    const after = flights.fetch(KEY, upstream.open);
    assert.equal((await after.response).from, 'cache');
    assert.equal(sha256(await collect(await after.body())), expected);
    assert.equal(upstream.opened, 1);
    assert.deepEqual(await filesUnder(cache.root, 'tmp'), []);
  });

  it('holds back the last byte until the download is verified', async () => {
    cache = await tempCache();
    const flights = new SingleFlight(cache.store);
    const data = bytes(200 * 1024, 6);
    const upstream = countingUpstream(data, { declareSha: sha256('not these bytes') });
    const consumers = Array.from({ length: 20 }, () => flights.fetch(KEY, upstream.open));
    const received = consumers.map(() => 0);
    const results = await Promise.allSettled(
      consumers.map(async (flight, i) => {
        await flight.response;
        const body = await flight.body();
        body.on('data', (chunk: Buffer) => {
          received[i]! += chunk.length;
        });
        return collect(body);
      }),
    );
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.equal((result.reason as { code?: string }).code, 'EINTEGRITY');
    }
    for (const count of received) assert.ok(count < data.length, 'no consumer got a complete-looking body');
    assert.equal(await cache.store.get(KEY), null);
  });

  it('fails every consumer when the upstream fails, stores nothing, and retries on the next request', async () => {
    cache = await tempCache();
    const flights = new SingleFlight(cache.store);
    const data = bytes(256 * 1024, 8);
    const failing = countingUpstream(data, { failAfter: 64 * 1024 });
    const consumers = Array.from({ length: 200 }, () => flights.fetch(KEY, failing.open));
    const results = await Promise.allSettled(consumers.map(consume));
    assert.equal(failing.opened, 1);
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.match(String((result.reason as Error).message), /upstream connection reset/);
    }
    await assert.rejects(consumers[0]!.done, /upstream connection reset/);
    assert.equal(flights.inFlight, 0);
    assert.equal(await cache.store.get(KEY), null);
    assert.deepEqual(await filesUnder(cache.root, 'tmp'), []);
    assert.deepEqual(await filesUnder(cache.root, 'content-v1'), []);

    const healthy = countingUpstream(data);
    const retry = flights.fetch(KEY, healthy.open);
    assert.equal(retry.leader, true);
    assert.equal(sha256(await consume(retry)), sha256(data));
    assert.equal(healthy.opened, 1);
    assert.ok(await cache.store.get(KEY));
  });

  it('fails every consumer when the upstream cannot be opened', async () => {
    cache = await tempCache();
    const flights = new SingleFlight(cache.store);
    let opened = 0;
    const refuse = async (): Promise<UpstreamResponse> => {
      opened += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error('connect ECONNREFUSED 127.0.0.1:9');
    };
    const consumers = Array.from({ length: 10 }, () => flights.fetch(KEY, refuse));
    for (const flight of consumers) await assert.rejects(flight.response, /ECONNREFUSED/);
    assert.equal(opened, 1);
    assert.equal(flights.inFlight, 0);
  });

  it('looks the store up again only when a download was committed since the caller found nothing (missedAt)', async () => {
    cache = await tempCache();
    const flights = new SingleFlight(cache.store);
    const data = bytes(64 * 1024, 9);
    let lookups = 0;
    const get = cache.store.get.bind(cache.store);
    cache.store.get = (key: string) => {
      lookups += 1;
      return get(key);
    };
    // The caller's own lookup found nothing and nothing was committed since: the flight goes straight upstream.
    const missedAt = flights.commits;
    assert.equal(await cache.store.get(KEY), null);
    const first = flights.fetch(KEY, countingUpstream(data).open, { missedAt });
    assert.equal((await first.response).from, 'upstream');
    await consume(first);
    await first.done;
    assert.equal(lookups, 1, 'no second lookup by the flight');

    // A commit between the caller's lookup and its fetch (this one's): the flight looks again and finds it.
    const upstream = countingUpstream(data);
    const again = flights.fetch(KEY, upstream.open, { missedAt });
    assert.equal((await again.response).from, 'cache');
    assert.equal(sha256(await collect(await again.body())), sha256(data));
    assert.equal(upstream.opened, 0);
    assert.equal(lookups, 2);
  });
});

describe('a store whose tmp/ or writers/ directory was removed while it runs', () => {
  let cache: TempCache;
  afterEach(() => cache.cleanup());

  it('makes the directory again and stores the download', async () => {
    cache = await tempCache();
    await rm(join(cache.root, 'tmp'), { recursive: true });
    await rm(join(cache.root, 'writers'), { recursive: true });
    const flights = new SingleFlight(cache.store);
    const data = bytes(100 * 1024, 3);
    const flight = flights.fetch(KEY, countingUpstream(data).open);
    assert.equal(sha256(await consume(flight)), sha256(data));
    assert.equal((await flight.done).sha256, sha256(data));
    assert.equal((await cache.store.get(KEY))?.sha256, sha256(data));
    assert.deepEqual(await filesUnder(cache.root, 'tmp'), []);
  });
});
