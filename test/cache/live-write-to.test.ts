// A flight's body written straight into a Writable (what the proxy does with a response):
// every byte in order for consumers of any speed, nothing ended when the download fails,
// and a consumer that goes away is let go at once, even while the upstream is silent.
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterEach, describe, it } from 'node:test';
import { SingleFlight, type UpstreamResponse } from '../../src/cache/index.js';
import { type TempCache, bytes, sha256, slowSource, tempCache } from './helpers.js';

const KEY = 'forward:GET http://mirror.invalid/pool/big_1.0_amd64.deb';

function upstreamOf(body: Readable, size: number): () => Promise<UpstreamResponse> {
  return async () => ({ body, expectedSize: size, expectedSha256: null, metadata: { kind: 'apt' } });
}

/** A sink that takes `delayMs` per write, keeping what it got. */
function sink(delayMs: number): { sink: Writable; received: () => Buffer } {
  const parts: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(Buffer.from(chunk));
      setTimeout(callback, delayMs);
    },
    writev(chunks, callback) {
      for (const { chunk } of chunks) parts.push(Buffer.from(chunk as Buffer));
      setTimeout(callback, delayMs);
    },
  });
  out.on('error', () => {});
  return { sink: out, received: () => Buffer.concat(parts) };
}

describe('single flight: writeTo', () => {
  let cache: TempCache;
  afterEach(() => cache.cleanup());

  it('gives a fast and a slow consumer every byte, in order, and ends both', async () => {
    cache = await tempCache();
    const flights = new SingleFlight(cache.store);
    // Larger than the in-memory window (8 MiB), so the slow consumer falls out of it and
    // reads the rest from the file (the temp file, or the content once committed).
    const data = bytes(12 * 1024 * 1024 + 7, 4);
    const open = upstreamOf(slowSource(data, 256 * 1024, 0), data.length);
    const fast = flights.fetch(KEY, open);
    const slow = flights.fetch(KEY, open);
    const a = sink(0);
    const b = sink(60);
    await Promise.all([(await fast.body({ endWhenVerified: true })).writeTo(a.sink), (await slow.body()).writeTo(b.sink)]);
    await Promise.all([finished(a.sink), finished(b.sink)]);
    assert.equal(sha256(a.received()), sha256(data));
    assert.equal(sha256(b.received()), sha256(data));
    assert.equal((await fast.done).size, data.length);
  });

  it('does not end the sink when the upstream fails before the last byte', async () => {
    cache = await tempCache();
    const flights = new SingleFlight(cache.store);
    const data = bytes(512 * 1024, 8);
    const flight = flights.fetch(KEY, upstreamOf(slowSource(data, 32 * 1024, 1, 256 * 1024), data.length));
    const out = sink(0);
    await assert.rejects((await flight.body({ endWhenVerified: true })).writeTo(out.sink), /connection reset/);
    assert.equal(out.sink.writableEnded, false, 'a short body must not look complete');
    assert.ok(out.received().length < data.length);
    assert.equal(await cache.store.get(KEY), null, 'nothing was stored');
  });

  it('lets go of a consumer that closes while the upstream sends nothing', async () => {
    cache = await tempCache();
    const flights = new SingleFlight(cache.store);
    let release!: () => void;
    const stalled = new Readable({ read() {} });
    stalled.push(Buffer.alloc(1000, 1));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const flight = flights.fetch(KEY, upstreamOf(stalled, 2000));
    const out = sink(0);
    const writing = (await flight.body({ endWhenVerified: true })).writeTo(out.sink);
    await new Promise((resolve) => setTimeout(resolve, 50));
    out.sink.destroy();
    await assert.rejects(writing, /closed/);
    // The download itself goes on for the cache when the upstream resumes.
    void gate.then(() => {
      stalled.push(Buffer.alloc(1000, 1));
      stalled.push(null);
    });
    release();
    assert.equal((await flight.done).size, 2000);
  });
});
