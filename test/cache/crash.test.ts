import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type TempCache, filesUnder, tempCache } from './helpers.js';

const cacheModule = pathToFileURL(fileURLToPath(new URL('../../src/cache/index.js', import.meta.url))).href;

// Writes 1 KiB every 20 ms forever and says "writing" once bytes are on disk.
const slowWriter = `
import { CacheStore } from ${JSON.stringify(cacheModule)};
const store = await CacheStore.open({ root: process.argv[2] });
const writer = store.writer('http://host.invalid/slow.bin', { metadata: { kind: 'file' } });
writer.once('progress', () => process.stdout.write('writing\\n'));
setInterval(() => writer.write(Buffer.alloc(1024, 7)), 20);
`;

describe('cache: a writer killed with SIGKILL', () => {
  let cache: TempCache;
  before(async () => {
    cache = await tempCache();
  });
  after(() => cache.cleanup());

  it('leaves only a temp file, which cleanTmp removes', async () => {
    const script = join(cache.dir, 'slow-writer.mjs');
    await writeFile(script, slowWriter);
    const child = spawn(process.execPath, [script, cache.root], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(child, 'exit');
    const lines = createInterface({ input: child.stdout });
    for await (const line of lines) if (line === 'writing') break;
    await new Promise((resolve) => setTimeout(resolve, 100)); // let a few more chunks land
    child.kill('SIGKILL');
    const [, signal] = await exited;
    assert.equal(signal, 'SIGKILL');

    const temps = await filesUnder(cache.root, 'tmp');
    assert.equal(temps.length, 1);
    assert.match(temps[0] ?? '', new RegExp(`^${child.pid}-[0-9a-f]+\\.content$`));
    assert.deepEqual(await filesUnder(cache.root, 'content-v1'), []);
    assert.deepEqual(await filesUnder(cache.root, 'index-v1'), []);
    assert.equal(await cache.store.get('http://host.invalid/slow.bin'), null);

    assert.deepEqual(await cache.store.cleanTmp(), { removed: 1, kept: 0 });
    assert.deepEqual(await filesUnder(cache.root, 'tmp'), []);
  });

  it('cleanTmp keeps the temp file of a write in progress', async () => {
    const writer = cache.store.writer('k');
    writer.write(Buffer.alloc(10));
    await writer.opened;
    assert.deepEqual(await cache.store.cleanTmp({ olderThanMs: 0 }), { removed: 0, kept: 1 });
    writer.end();
    await writer.done;
    assert.deepEqual(await filesUnder(cache.root, 'tmp'), []);
  });
});
