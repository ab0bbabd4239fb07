// Both mirrors answer conditional requests the way clients and the proxies in front of
// offgrid send them: the upstream's 304 keeps the cached page or packument (revalidated,
// nothing re-sent), and a client's If-None-Match — exact, in a list, or weak (`W/"…"`, what
// a gzip'ing nginx in front of `offgrid serve` hands back) — gets a 304 with no body.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { npmRoute } from '../../src/capture/proxy/npm.js';
import { pypiRoute } from '../../src/capture/proxy/pypi.js';
import { startProxy } from '../../src/capture/proxy/server.js';
import type { ProxyRoute } from '../../src/capture/proxy/types.js';
import { systemClock } from '../../src/session/time.js';
import { ACME_TREE, startNpmRegistry } from '../helpers/npm-registry.js';

async function proxyFor(upstreams: { pypi: URL[]; npm: URL | null }, route: ProxyRoute) {
  const cacheDir = await mkdtemp(join(tmpdir(), 'offgrid-revalidation-'));
  const proxy = await startProxy({
    cacheDir,
    offline: false,
    upstreams: { ...upstreams, npmAuthorization: null, allowedHosts: new Set() },
    record: () => {},
    clock: systemClock,
    log: { debug: () => {}, warn: () => {} },
    routes: [route],
  });
  return { proxy, close: async () => (await proxy.close(), await rm(cacheDir, { recursive: true, force: true })) };
}

/** Asks for `url` as a client that holds `etag` would, in each spelling; every answer must be a bodiless 304. */
async function assertNotModified(url: string, accept: string, etag: string): Promise<void> {
  for (const held of [etag, `W/${etag}`, `"stale", ${etag}`]) {
    const again = await fetch(url, { headers: { accept, 'if-none-match': held } });
    assert.equal(again.status, 304, `If-None-Match: ${held}`);
    assert.equal(await again.text(), '');
  }
  const changed = await fetch(url, { headers: { accept, 'if-none-match': '"something-else"' } });
  assert.equal(changed.status, 200);
}

describe('mirrors and conditional requests', () => {
  it('npm: the registry\'s 304 revalidates the cached packument; a client\'s If-None-Match, weak or in a list, gets 304', async () => {
    const registry = await startNpmRegistry(ACME_TREE);
    const { proxy, close } = await proxyFor({ pypi: [], npm: new URL(registry.url) }, npmRoute());
    try {
      for (const accept of ['application/json', 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*']) {
        const url = `${proxy.url}/npm/@acme%2fcore`;
        const first = await fetch(url, { headers: { accept } });
        const body = await first.text();
        const second = await fetch(url, { headers: { accept } });
        assert.deepEqual([first.headers.get('x-offgrid-cache'), second.headers.get('x-offgrid-cache')], ['miss', 'revalidated']);
        assert.equal(await second.text(), body);
        assert.equal(second.headers.get('etag'), first.headers.get('etag'));
        await assertNotModified(url, accept, first.headers.get('etag')!);
      }
    } finally {
      await close();
      await registry.close();
    }
  });

  it('PyPI: the index\'s 304 revalidates the cached page; a client\'s If-None-Match, weak or in a list, gets 304', async () => {
    // An index that answers If-None-Match as PyPI's CDN does: the page's ETag, 304 when it matches.
    const page = '<a href="/packages/omega-1.0.tar.gz#sha256=' + 'a'.repeat(64) + '">omega-1.0.tar.gz</a>';
    const etag = `"${createHash('sha1').update(page).digest('hex')}"`;
    const answered: number[] = [];
    const index = createServer((req, res) => {
      const status = req.url !== '/simple/omega/' ? 404 : req.headers['if-none-match'] === etag ? 304 : 200;
      answered.push(status);
      res.writeHead(status, { 'content-type': 'text/html', etag }).end(status === 200 ? page : undefined);
    });
    await new Promise<void>((resolve) => index.listen(0, '127.0.0.1', resolve));
    const { proxy, close } = await proxyFor({ pypi: [new URL(`http://127.0.0.1:${(index.address() as AddressInfo).port}/simple/`)], npm: null }, pypiRoute());
    try {
      for (const accept of ['text/html', 'application/vnd.pypi.simple.v1+json']) {
        const url = `${proxy.url}/pypi/simple/omega/`;
        const first = await fetch(url, { headers: { accept } });
        const body = await first.text();
        const second = await fetch(url, { headers: { accept } });
        assert.equal(second.headers.get('x-offgrid-cache'), 'revalidated');
        assert.equal(await second.text(), body);
        await assertNotModified(url, accept, first.headers.get('etag')!);
      }
      assert.equal(answered.filter((s) => s === 200).length, 1, `the index sent the page once: ${answered.join(' ')}`);
    } finally {
      await close();
      await new Promise((resolve) => index.close(resolve));
    }
  });
});
