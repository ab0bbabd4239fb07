// The shared cached fetch, through a real proxy server and a real origin server on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'node:http';
import { ifNoneMatchHolds, serveCached, unstorableReason } from '../../src/capture/proxy/cached-fetch.js';
import { forwardKey } from '../../src/capture/proxy/forward.js';
import type { ProxyRoute } from '../../src/capture/proxy/types.js';
import { type Upstream, bytes, sha256, startUpstream } from '../helpers/upstream.js';
import { type TestProxy, eventually, fetchVia, sleep, startTestProxy } from '../helpers/upstream-proxy.js';

describe('cached fetch through the forward proxy', () => {
  let upstream: Upstream;
  let t: TestProxy;
  before(async () => {
    upstream = await startUpstream();
    t = await startTestProxy();
  });
  after(async () => {
    await t.close();
    await upstream.close();
  });

  it('fetches a miss once, then serves hits from the cache with cache headers', async () => {
    const body = bytes(300_000, 2);
    upstream.set('/pool/main/h/hello/hello_2.10-3_amd64.deb', { body });
    const url = `${upstream.url}/pool/main/h/hello/hello_2.10-3_amd64.deb`;
    const first = await fetchVia(t.proxy.url, url);
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-offgrid-cache'], 'miss');
    assert.ok(first.body.equals(body));
    const second = await fetchVia(t.proxy.url, url);
    assert.equal(second.headers['x-offgrid-cache'], 'hit');
    assert.ok(second.body.equals(body));
    assert.equal(second.headers['content-length'], String(body.length));
    assert.match(String(second.headers['cache-control']), /max-age=31536000/);
    assert.ok(second.headers.etag);
    assert.equal(upstream.count('/pool/main/h/hello/hello_2.10-3_amd64.deb'), 1);

    await eventually(() => assert.equal(t.downloads().filter((e) => e.source === url).length, 2));
    const events = t.downloads().filter((e) => e.source === url);
    assert.deepEqual(
      events.map((e) => [e.cache_status, e.cached, e.kind, e.name, e.version, e.size, e.sha256, e.evidence]),
      [
        ['miss', false, 'apt', 'hello', '2.10-3', body.length, sha256(body), 'proxy'],
        ['hit', true, 'apt', 'hello', '2.10-3', body.length, sha256(body), 'proxy'],
      ],
    );
  });

  it('answers a client revalidation of a cached file with 304', async () => {
    const body = bytes(1000, 3);
    upstream.set('/files/tool-1.2.3.tar.xz', { body });
    const url = `${upstream.url}/files/tool-1.2.3.tar.xz`;
    const first = await fetchVia(t.proxy.url, url);
    const again = await fetchVia(t.proxy.url, url, { 'if-none-match': String(first.headers.etag) });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
  });

  it('serves 200 concurrent clients of one uncached 5 MB file from ONE upstream fetch, identical bytes to all', async () => {
    const body = bytes(5 * 1024 * 1024, 4);
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    upstream.set('/big/data-5.0.bin', { body, fault: { type: 'hold', after: 1024 * 1024, released } });
    const url = `${upstream.url}/big/data-5.0.bin`;
    const all = Promise.all(Array.from({ length: 200 }, () => fetchVia(t.proxy.url, url)));
    await sleep(400);
    release();
    const results = await all;
    assert.equal(upstream.count('/big/data-5.0.bin'), 1);
    const expected = sha256(body);
    for (const result of results) {
      assert.equal(result.status, 200);
      assert.ok(result.complete);
      assert.equal(sha256(result.body), expected);
    }
    const statuses = results.map((r) => r.headers['x-offgrid-cache']);
    assert.equal(statuses.filter((s) => s === 'miss').length, 1, 'one leader fetched it');
  });

  it('sends the first bytes to the client before the upstream has sent the last', async () => {
    const body = bytes(2 * 1024 * 1024, 5);
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    upstream.set('/big/stream-1.0.bin', { body, fault: { type: 'hold', after: 512 * 1024, released } });
    const proxy = new URL(t.proxy.url);
    const received = await new Promise<number>((resolve, reject) => {
      const req = request({ host: proxy.hostname, port: proxy.port, path: `${upstream.url}/big/stream-1.0.bin`, agent: false }, (res) => {
        let got = 0;
        res.on('data', (chunk: Buffer) => {
          got += chunk.length;
          if (got >= 256 * 1024) {
            res.destroy();
            resolve(got);
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    assert.ok(received >= 256 * 1024);
    release();
    // The flight goes on without its client and fills the cache.
    for (let i = 0; i < 100 && !(await t.proxy.store.get(forwardKey(new URL(`${upstream.url}/big/stream-1.0.bin`)))); i++) await sleep(20);
    const hit = await fetchVia(t.proxy.url, `${upstream.url}/big/stream-1.0.bin`);
    assert.equal(hit.headers['x-offgrid-cache'], 'hit');
    assert.ok(hit.body.equals(body));
  });

  for (const [name, fault] of [
    ['resets the connection mid-body', { type: 'reset-mid-body', after: 100_000 }],
    ['declares more bytes than it sends', { type: 'lie-length', declared: 500_000 }],
  ] as const) {
    it(`never stores nor completes a response when the upstream ${name}; the next request refetches`, async () => {
      const path = `/faulty/${fault.type}-1.0.bin`;
      const body = bytes(300_000, 6);
      upstream.set(path, { body, fault });
      const url = `${upstream.url}${path}`;
      // Either a cut-short body or a connection reset before any byte: never a complete file.
      const bad = await fetchVia(t.proxy.url, url).catch(() => ({ status: 0, complete: false, body: Buffer.alloc(0) }));
      assert.equal(bad.complete && bad.status === 200 && bad.body.equals(body), false, 'the client must not see a complete-looking file');
      assert.ok(bad.status !== 200 || !bad.complete, 'a 200 must be cut short');
      assert.equal(await t.proxy.store.get(forwardKey(new URL(url))), null);
      upstream.set(path, { body });
      const good = await fetchVia(t.proxy.url, url);
      assert.equal(good.headers['x-offgrid-cache'], 'miss');
      assert.ok(good.body.equals(body));
      assert.equal(upstream.count(path), 2);
      assert.ok(t.attempts().some((a) => a.url_or_host === url && /nothing stored|failed/.test(a.error)));
    });
  }

  it('streams from a slow (trickling) upstream and stores the result', async () => {
    const body = bytes(64 * 1024, 7);
    upstream.set('/slow/slow-2.0.bin', { body, fault: { type: 'trickle', chunk: 8 * 1024, delayMs: 30 } });
    const url = `${upstream.url}/slow/slow-2.0.bin`;
    const result = await fetchVia(t.proxy.url, url);
    assert.ok(result.body.equals(body));
    assert.equal((await fetchVia(t.proxy.url, url)).headers['x-offgrid-cache'], 'hit');
  });

  it('stores a chunked (no Content-Length) response after checking it ended properly', async () => {
    const body = bytes(50_000, 8);
    upstream.set('/chunked/c-1.0.bin', { body, fault: { type: 'chunked' } });
    const url = `${upstream.url}/chunked/c-1.0.bin`;
    assert.ok((await fetchVia(t.proxy.url, url)).body.equals(body));
    const hit = await fetchVia(t.proxy.url, url);
    assert.equal(hit.headers['x-offgrid-cache'], 'hit');
    assert.ok(hit.body.equals(body));
  });

  it('revalidates a mutable index file with the upstream (304 → revalidated; changed → miss)', async () => {
    const path = '/debian/dists/stable/InRelease';
    upstream.set(path, { body: Buffer.from('release one\n'), contentType: 'text/plain' });
    const url = `${upstream.url}${path}`;
    assert.equal((await fetchVia(t.proxy.url, url)).headers['x-offgrid-cache'], 'miss');
    const second = await fetchVia(t.proxy.url, url);
    assert.equal(second.headers['x-offgrid-cache'], 'revalidated');
    assert.equal(second.body.toString(), 'release one\n');
    const conditional = upstream.requests.filter((r) => r.path === path)[1];
    assert.ok(conditional?.headers['if-none-match'], 'the proxy sent If-None-Match');
    upstream.set(path, { body: Buffer.from('release two\n') });
    const third = await fetchVia(t.proxy.url, url);
    assert.equal(third.headers['x-offgrid-cache'], 'miss');
    assert.equal(third.body.toString(), 'release two\n');
    const fourth = await fetchVia(t.proxy.url, url);
    assert.equal(fourth.headers['x-offgrid-cache'], 'revalidated');
    assert.equal(fourth.body.toString(), 'release two\n');
    await eventually(() => assert.equal(t.downloads().filter((e) => e.source === url).length, 4));
    const events = t.downloads().filter((e) => e.source === url);
    assert.ok(events.every((e) => e.index && e.kind === 'apt'));
    assert.deepEqual(events.map((e) => e.cached), [false, true, false, true]);
  });

  it('revalidates with If-Modified-Since when there is no ETag', async () => {
    const path = '/debian/dists/stable/main/binary-amd64/Packages.xz';
    const lastModified = 'Tue, 01 Jul 2025 10:00:00 GMT';
    upstream.set(path, { body: Buffer.from('packages'), etag: false, lastModified });
    const url = `${upstream.url}${path}`;
    await fetchVia(t.proxy.url, url);
    assert.equal((await fetchVia(t.proxy.url, url)).headers['x-offgrid-cache'], 'revalidated');
    assert.equal(upstream.requests.filter((r) => r.path === path)[1]?.headers['if-modified-since'], lastModified);
  });

  it('does not store no-store, private or Vary: * responses (RFC 9111)', async () => {
    for (const [i, headers] of ([{ 'cache-control': 'no-store' }, { 'cache-control': 'private, max-age=60' }, { vary: '*' }] as Record<string, string>[]).entries()) {
      const path = `/nostore/f-${i}.1.0.bin`;
      const body = bytes(1000, 10 + i);
      upstream.set(path, { body, headers });
      const url = `${upstream.url}${path}`;
      const first = await fetchVia(t.proxy.url, url);
      const second = await fetchVia(t.proxy.url, url);
      assert.ok(first.body.equals(body) && second.body.equals(body));
      assert.equal(second.headers['x-offgrid-cache'], 'miss');
      assert.equal(upstream.count(path), 2, `not stored with ${JSON.stringify(headers)}`);
    }
  });

  it('does not store a response to a request with Authorization unless it is public', async () => {
    upstream.set('/auth/secret-1.0.bin', { body: Buffer.from('secret') });
    const url = `${upstream.url}/auth/secret-1.0.bin`;
    await fetchVia(t.proxy.url, url, { authorization: 'Bearer x' });
    await fetchVia(t.proxy.url, url, { authorization: 'Bearer x' });
    assert.equal(upstream.count('/auth/secret-1.0.bin'), 2);
    assert.equal(await t.proxy.store.get(forwardKey(new URL(url))), null);
  });

  it('passes Range requests through without storing the partial content', async () => {
    const body = bytes(10_000, 20);
    upstream.set('/range/r-1.0.bin', { body });
    const url = `${upstream.url}/range/r-1.0.bin`;
    const part = await fetchVia(t.proxy.url, url, { range: 'bytes=100-199' });
    assert.equal(part.status, 206);
    assert.ok(part.body.equals(body.subarray(100, 200)));
    assert.equal(await t.proxy.store.get(forwardKey(new URL(url))), null);
  });

  it('relays an upstream 404 and records the attempt', async () => {
    const url = `${upstream.url}/missing/nothing-1.0.bin`;
    const result = await fetchVia(t.proxy.url, url);
    assert.equal(result.status, 404);
    assert.ok(t.attempts().some((a) => a.url_or_host === url && a.error.includes('404')));
  });

  it('refuses a host that is not on the allow-list with 403 and records it (not an open proxy)', async () => {
    const before = upstream.connections;
    const result = await fetchVia(t.proxy.url, 'http://not-allowed.invalid/file-1.0.bin');
    assert.equal(result.status, 403);
    assert.match(result.body.toString(), /not-allowed\.invalid is not on the proxy's allow-list .*pass --allow-host not-allowed\.invalid$/m);
    assert.ok(t.attempts().some((a) => a.url_or_host === 'http://not-allowed.invalid/file-1.0.bin' && a.error === 'host not on the allow-list'));
    assert.equal(upstream.connections, before);
  });
});

describe('cached fetch from a route with a declared sha256', () => {
  it('refuses bytes that do not match the declared hash: client sees an error, nothing stored, refetched next time', async () => {
    const good = bytes(200_000, 30);
    const evil = bytes(200_000, 31);
    const upstream = await startUpstream({ '/packages/pkg-1.0-py3-none-any.whl': { body: evil } });
    const route: ProxyRoute = async (req, res, ctx) => {
      if (!req.url?.startsWith('/test/')) return false;
      await serveCached(ctx, ctx.cache!, {
        key: 'test:pkg-1.0-py3-none-any.whl',
        url: `${upstream.url}/packages/pkg-1.0-py3-none-any.whl`,
        kind: 'wheel',
        name: 'pkg',
        version: '1.0',
        filename: 'pkg-1.0-py3-none-any.whl',
        expectedSha256: sha256(good),
        immutable: true,
        req,
        res,
        errorStatus: 404,
      });
      return true;
    };
    const t = await startTestProxy({ routes: [route] });
    try {
      const bad = await fetchVia(t.proxy.url, '/test/pkg');
      assert.equal(bad.complete && bad.body.equals(evil), false);
      assert.ok(!bad.complete || bad.status !== 200);
      assert.equal(await t.proxy.store.get('test:pkg-1.0-py3-none-any.whl'), null);
      upstream.set('/packages/pkg-1.0-py3-none-any.whl', { body: good });
      const ok = await fetchVia(t.proxy.url, '/test/pkg');
      assert.ok(ok.body.equals(good));
      assert.equal(upstream.count('/packages/pkg-1.0-py3-none-any.whl'), 2);
      const hit = await fetchVia(t.proxy.url, '/test/pkg');
      assert.equal(hit.headers['x-offgrid-cache'], 'hit');
      await eventually(() => assert.equal(t.downloads().at(-1)?.cache_status, 'hit'));
      assert.equal(t.downloads().at(-1)?.kind, 'wheel');
    } finally {
      await t.close();
      await upstream.close();
    }
  });
});

describe('what a shared cache may store (RFC 9111)', () => {
  it('`private` only when the caller allows it (a digest-pinned file fetched with the user\'s own credentials); `no-store` never', () => {
    const priv = { 'cache-control': 'max-age=0, private, must-revalidate' };
    assert.equal(unstorableReason(priv, false), 'Cache-Control: private');
    assert.equal(unstorableReason(priv, false, true), null);
    assert.equal(unstorableReason({ 'cache-control': 'private, no-store' }, false, true), 'Cache-Control: no-store');
    assert.match(unstorableReason({ 'cache-control': 'private' }, true, true) ?? '', /Authorization/);
  });
});

describe('a client\'s If-None-Match (RFC 9110 §13.1.2)', () => {
  it('holds for the tag, for it in a list, for `*`, and weakly: a W/ tag (as a gzip\'ing nginx in front hands back) names the same', () => {
    const etag = '"6a13ed69"';
    assert.equal(ifNoneMatchHolds(etag, etag), true);
    assert.equal(ifNoneMatchHolds('W/"6a13ed69"', etag), true);
    assert.equal(ifNoneMatchHolds('"x", W/"6a13ed69" ', etag), true);
    assert.equal(ifNoneMatchHolds('*', etag), true);
    assert.equal(ifNoneMatchHolds(etag, 'W/"6a13ed69"'), true);
    assert.equal(ifNoneMatchHolds('"6a13ed6"', etag), false);
    assert.equal(ifNoneMatchHolds('W/"x"', etag), false);
    assert.equal(ifNoneMatchHolds(undefined, etag), false);
  });
});
