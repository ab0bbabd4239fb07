import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { afterEach, describe, it } from 'node:test';
import { CacheError, contentPath } from '../../src/cache/index.js';
import { type TempCache, bytes, tempCache } from './helpers.js';

async function store(cache: TempCache, key: string, data: Buffer) {
  const writer = cache.store.writer(key, { metadata: { kind: 'file' } });
  await pipeline(Readable.from([data]), writer);
  return writer.done;
}

/**
 * A sink that reads each chunk only when it completes the write, later, as a socket does
 * (the kernel takes the bytes some time after write() was called). A buffer refilled before
 * its write completed would show up here as wrong bytes.
 */
function lazySink(options: { failAfterBytes?: number } = {}): { sink: Writable; received: () => Buffer } {
  const parts: Buffer[] = [];
  let total = 0;
  const sink = new Writable({
    // Room for every chunk at once: only the reader's own bookkeeping keeps a buffer that is
    // still queued here from being filled again.
    highWaterMark: 64 * 1024 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      setTimeout(() => {
        parts.push(Buffer.from(chunk));
        total += chunk.length;
        if (options.failAfterBytes !== undefined && total >= options.failAfterBytes) sink.destroy(new Error('client went away'));
        callback();
      }, 2);
    },
  });
  sink.on('error', () => {});
  return { sink, received: () => Buffer.concat(parts) };
}

describe('cache: writeTo sends verified content through reused buffers', () => {
  let cache: TempCache;
  afterEach(() => cache.cleanup());

  it('delivers every byte in order to a sink that reads its chunks late, first read and trusted reads alike', async () => {
    cache = await tempCache();
    const data = bytes(7 * 1024 * 1024 + 333, 5); // more chunks than buffers
    const entry = await store(cache, 'k', data);
    for (let read = 0; read < 2; read++) {
      const stream = await cache.store.open(entry);
      assert.ok(stream);
      const { sink, received } = lazySink();
      await stream.writeTo(sink);
      assert.ok(sink.writableEnded, 'the sink is ended');
      await finished(sink);
      assert.ok(received().equals(data), `read ${read + 1}: the bytes arrived intact`);
    }
  });

  it('sends an empty entry as an ended, empty body', async () => {
    cache = await tempCache();
    const entry = await store(cache, 'empty', Buffer.alloc(0));
    const stream = await cache.store.open(entry);
    const { sink, received } = lazySink();
    await stream!.writeTo(sink);
    await finished(sink);
    assert.equal(received().length, 0);
  });

  it('fails with EINTEGRITY before the last chunk of corrupt content, and removes the entry', async () => {
    cache = await tempCache();
    const data = bytes(3 * 1024 * 1024 + 17, 9);
    const entry = await store(cache, 'bad', data);
    const handle = await open(contentPath(cache.root, entry.sha256), 'r+');
    await handle.write(Buffer.from([data[data.length - 5]! ^ 0xff]), 0, 1, data.length - 5);
    await handle.close();
    const stream = await cache.store.open(entry);
    const { sink, received } = lazySink();
    await assert.rejects(stream!.writeTo(sink), (error: unknown) => error instanceof CacheError && error.code === 'EINTEGRITY');
    assert.equal(sink.writableEnded, false, 'the sink is not ended: its reader sees a short body');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(received().length < data.length, `${received().length} of ${data.length} bytes were sent`);
    assert.equal(await cache.store.get('bad'), null);
  });

  it('gives up, without hanging, when the sink closes part way', async () => {
    cache = await tempCache();
    const data = bytes(6 * 1024 * 1024, 2);
    const entry = await store(cache, 'k', data);
    const stream = await cache.store.open(entry);
    const { sink } = lazySink({ failAfterBytes: 1024 * 1024 });
    await assert.rejects(stream!.writeTo(sink), /closed before the content was sent/);
    assert.ok(stream!.destroyed, 'the file is closed');
    assert.ok(await cache.store.get('k'), 'a client going away does not touch the entry');
  });
});
