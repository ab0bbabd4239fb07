// apt index files from a mirror that sends no validators (no ETag, no Last-Modified):
// served from the cache for a while instead of downloaded again on every request
// (RFC 9111 §4.2.2 heuristic freshness), and only those.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HEURISTIC_FRESHNESS_MS } from '../../src/capture/proxy/cached-fetch.js';
import { type RunningProxy, startProxy } from '../../src/capture/proxy/server.js';
import { type Upstream, startUpstream } from '../helpers/upstream.js';
import { fetchVia } from '../helpers/upstream-proxy.js';

describe('heuristic freshness of apt index files without validators', () => {
  let upstream: Upstream;
  let proxy: RunningProxy;
  let dir: string;
  let offsetMs = 0; // the proxy's clock runs this far ahead of the real one
  before(async () => {
    upstream = await startUpstream();
    dir = await mkdtemp(join(tmpdir(), 'offgrid-fresh-'));
    proxy = await startProxy({
      cacheDir: dir,
      offline: false,
      upstreams: { pypi: [], npm: null, allowedHosts: new Set(['127.0.0.1']) },
      record: () => {},
      clock: { now: () => new Date(Date.now() + offsetMs) },
      log: { debug() {}, warn() {} },
      routes: [],
    });
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves InRelease without validators from the cache for 5 minutes, then fetches it again', async () => {
    const path = '/debian/dists/bookworm/InRelease';
    upstream.set(path, { body: Buffer.from('release one\n'), etag: false, contentType: 'text/plain' });
    const url = `${upstream.url}${path}`;
    assert.equal((await fetchVia(proxy.url, url)).headers['x-offgrid-cache'], 'miss');
    upstream.set(path, { body: Buffer.from('release two\n'), etag: false, contentType: 'text/plain' });
    const fresh = await fetchVia(proxy.url, url);
    assert.equal(fresh.headers['x-offgrid-cache'], 'hit');
    assert.equal(fresh.body.toString(), 'release one\n');
    assert.equal(upstream.count(path), 1, 'no request reached the upstream while fresh');

    offsetMs = HEURISTIC_FRESHNESS_MS + 1000;
    const stale = await fetchVia(proxy.url, url);
    assert.equal(stale.headers['x-offgrid-cache'], 'miss');
    assert.equal(stale.body.toString(), 'release two\n');
    assert.equal(upstream.count(path), 2);
    offsetMs = 0;
  });

  it('still revalidates index files that have validators or an explicit lifetime, and other files', async () => {
    const cases: [string, Parameters<Upstream['set']>[1]][] = [
      ['/debian/dists/bookworm/main/binary-amd64/Packages.xz', { body: Buffer.from('with etag') }],
      ['/debian/dists/bookworm/Release', { body: Buffer.from('with last-modified'), etag: false, lastModified: 'Tue, 01 Jul 2025 10:00:00 GMT' }],
      ['/debian/dists/bookworm/main/i18n/Translation-en', { body: Buffer.from('max-age=0'), etag: false, headers: { 'cache-control': 'max-age=0' } }],
      ['/downloads/latest.txt', { body: Buffer.from('not an apt index'), etag: false }],
    ];
    for (const [path, file] of cases) {
      upstream.set(path, file);
      const url = `${upstream.url}${path}`;
      await fetchVia(proxy.url, url);
      const second = await fetchVia(proxy.url, url);
      assert.notEqual(second.headers['x-offgrid-cache'], 'hit', path);
      assert.equal(upstream.count(path), 2, `${path} was asked for again`);
    }
  });
});
