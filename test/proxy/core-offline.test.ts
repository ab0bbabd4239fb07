// Offline mode: what is cached is served, a miss is a clear error and a network attempt,
// and the upstream sees not a single connection.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serveCached } from '../../src/capture/proxy/cached-fetch.js';
import type { ProxyRoute } from '../../src/capture/proxy/types.js';
import { type Upstream, bytes, startUpstream } from '../helpers/upstream.js';
import { eventually, fetchVia, startTestProxy } from '../helpers/upstream-proxy.js';

describe('offline mode', () => {
  let upstream: Upstream;
  let dir: string;
  const deb = bytes(20_000, 40);
  const route = (upstreamUrl: () => string): ProxyRoute => async (req, res, ctx) => {
    if (!req.url?.startsWith('/pypi/files/')) return false;
    const filename = req.url.slice('/pypi/files/'.length);
    await serveCached(ctx, ctx.cache!, { key: `test-pypi:${filename}`, url: `${upstreamUrl()}/files/${filename}`, kind: 'wheel', filename, immutable: true, req, res, errorStatus: 404 });
    return true;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'offgrid-offline-'));
    upstream = await startUpstream({
      '/debian/pool/main/t/tiny/tiny_1.0-1_all.deb': { body: deb },
      '/debian/dists/stable/InRelease': { body: Buffer.from('release\n') },
      '/files/cached-1.0-py3-none-any.whl': { body: Buffer.from('wheel bytes') },
    });
    // Fill the cache online.
    const online = await startTestProxy({ cacheDir: join(dir, 'cache'), routes: [route(() => upstream.url)] });
    await fetchVia(online.proxy.url, `${upstream.url}/debian/pool/main/t/tiny/tiny_1.0-1_all.deb`);
    await fetchVia(online.proxy.url, `${upstream.url}/debian/dists/stable/InRelease`);
    await fetchVia(online.proxy.url, '/pypi/files/cached-1.0-py3-none-any.whl');
    await online.close();
  });
  after(async () => {
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves hits (artifacts and index files), refuses misses with 503/404 and a network attempt, and never connects upstream', async () => {
    const t = await startTestProxy({ cacheDir: join(dir, 'cache'), offline: true, routes: [route(() => upstream.url)] });
    const connectionsBefore = upstream.connections;
    try {
      const hit = await fetchVia(t.proxy.url, `${upstream.url}/debian/pool/main/t/tiny/tiny_1.0-1_all.deb`);
      assert.equal(hit.headers['x-offgrid-cache'], 'hit');
      assert.ok(hit.body.equals(deb));

      const index = await fetchVia(t.proxy.url, `${upstream.url}/debian/dists/stable/InRelease`);
      assert.equal(index.headers['x-offgrid-cache'], 'hit');
      assert.equal(index.body.toString(), 'release\n');

      const wheel = await fetchVia(t.proxy.url, '/pypi/files/cached-1.0-py3-none-any.whl');
      assert.equal(wheel.body.toString(), 'wheel bytes');

      const missUrl = `${upstream.url}/debian/pool/main/o/other/other_2.0-1_amd64.deb`;
      const miss = await fetchVia(t.proxy.url, missUrl);
      assert.equal(miss.status, 503);
      assert.equal(miss.headers['x-offgrid-cache'], 'offline-miss');
      assert.match(miss.body.toString(), /offline mode and .* is not in the cache/);

      const pipMiss = await fetchVia(t.proxy.url, '/pypi/files/absent-1.0-py3-none-any.whl');
      assert.equal(pipMiss.status, 404, 'pip gets a 404 so it reports "no matching distribution"');
      assert.equal(pipMiss.headers['x-offgrid-cache'], 'offline-miss');

      const attempts = t.attempts();
      assert.ok(attempts.some((a) => a.url_or_host === missUrl && a.error === 'offline: not in the cache' && a.evidence === 'proxy'));
      assert.ok(attempts.some((a) => a.url_or_host === `${upstream.url}/files/absent-1.0-py3-none-any.whl`));

      // CONNECT is refused offline, and recorded.
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(t.proxy.port, '127.0.0.1', () => socket.write(`CONNECT 127.0.0.1:${upstream.port} HTTP/1.1\r\nHost: 127.0.0.1:${upstream.port}\r\n\r\n`));
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
      });
      assert.match(answer, /^HTTP\/1\.1 503/);
      assert.ok(t.attempts().some((a) => a.url_or_host === `https://127.0.0.1:${upstream.port}` && /offline/.test(a.error)));

      assert.equal(upstream.connections, connectionsBefore, 'no connection reached the upstream');
      await eventually(() => assert.equal(t.downloads().length, 3));
      const downloads = t.downloads();
      assert.ok(downloads.every((d) => d.cached && d.cache_status === 'hit'));
    } finally {
      await t.close();
    }
  });

  it('serves a cached index file when online but the upstream is down (stale beats failing the build)', async () => {
    const down = await startUpstream({ '/debian/dists/stable/Release': { body: Buffer.from('v1') } });
    const t = await startTestProxy({ cacheDir: join(dir, 'cache2') });
    try {
      const url = `${down.url}/debian/dists/stable/Release`;
      await fetchVia(t.proxy.url, url);
      await down.close();
      const stale = await fetchVia(t.proxy.url, url);
      assert.equal(stale.status, 200);
      assert.equal(stale.body.toString(), 'v1');
      assert.equal(stale.headers['x-offgrid-cache'], 'hit');
    } finally {
      await t.close();
    }
  });
});
