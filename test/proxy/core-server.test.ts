// The server's defences: malformed HTTP, huge heads, slow clients, CRLF injection, path
// traversal and remote binding. Raw sockets send what a well-behaved client never would.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProxyConfigError, startProxy, unsafePathReason } from '../../src/capture/proxy/server.js';
import type { ProxyRoute } from '../../src/capture/proxy/types.js';
import { type Upstream, startUpstream } from '../helpers/upstream.js';
import { type TestProxy, fetchVia, startTestProxy } from '../helpers/upstream-proxy.js';

/** Sends raw bytes and returns everything the server answers until it closes (or `waitMs`). */
function raw(port: number, data: string | Buffer, waitMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', done);
    socket.on('error', done);
    socket.write(data);
  });
}

const statusOf = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);

describe('proxy server defences', () => {
  let t: TestProxy;
  let upstream: Upstream;
  /** Every path a route was asked to serve: traversal must be stopped before this. */
  const seen: string[] = [];
  const echoRoute: ProxyRoute = async (req, res) => {
    if (!req.url?.startsWith('/pypi/')) return false;
    seen.push(req.url);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('route\n');
    return true;
  };
  before(async () => {
    upstream = await startUpstream({ '/ok': { body: Buffer.from('fine') } });
    t = await startTestProxy({ routes: [echoRoute], limits: { headersTimeout: 500, requestTimeout: 1000 } });
  });
  after(async () => {
    await t.close();
    await upstream.close();
  });

  const stillServes = async (): Promise<void> => {
    const ok = await fetchVia(t.proxy.url, `${upstream.url}/ok`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.toString(), 'fine');
  };

  it('answers garbage with 400 and keeps serving', async () => {
    for (const garbage of ['\x00\x01\x02garbage\r\n\r\n', 'NOT HTTP AT ALL\r\n\r\n', 'GET\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff])]) {
      const response = await raw(t.proxy.port, garbage);
      assert.equal(statusOf(response), 400, `for ${JSON.stringify(String(garbage))}: ${response.slice(0, 80)}`);
    }
    await stillServes();
  });

  it('answers a huge header block with 431 and keeps serving', async () => {
    const response = await raw(t.proxy.port, `GET /pypi/x HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    assert.equal(statusOf(response), 431);
    await stillServes();
  });

  it('closes a slow client that never finishes its headers (408)', async () => {
    const started = Date.now();
    const response = await raw(t.proxy.port, 'GET /pypi/x HTTP/1.1\r\nHost: a\r\n', 5000);
    assert.ok(Date.now() - started < 4500, 'closed by the server, not by the test');
    assert.ok(response === '' || statusOf(response) === 408, response.slice(0, 80));
    await stillServes();
  });

  it('does not let CRLF in the request target inject headers', async () => {
    const response = await raw(t.proxy.port, 'GET /nothing%0d%0aSet-Cookie:%20x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(response), 404);
    assert.doesNotMatch(response.split('\r\n\r\n')[0] ?? '', /set-cookie/i);
    const split = await raw(t.proxy.port, 'GET /pypi/a\rX-Injected: 1 HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal(statusOf(split), 400);
    await stillServes();
  });

  it('refuses dot segments, encoded or not, before any route sees them', async () => {
    const attempts = [
      '/pypi/../../etc/passwd',
      '/pypi/%2e%2e/%2e%2e/etc/passwd',
      '/pypi/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      '/pypi/..%2f..%2fetc/passwd',
      '/pypi/.%2e/etc/passwd',
      '//etc/passwd',
      '/pypi/a%00b',
      '/pypi/..\\..\\etc\\passwd',
    ];
    for (const path of attempts) {
      const response = await raw(t.proxy.port, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(response), 400, `${path}: ${response.slice(0, 60)}`);
      assert.doesNotMatch(response, /root:/);
    }
    assert.deepEqual(seen, []);
    // Through the proxy's own address in absolute form: normalised by URL parsing, then refused or 404.
    const self = await raw(t.proxy.port, `GET ${t.proxy.url}/pypi/../../etc/passwd HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    assert.doesNotMatch(self, /root:/);
    assert.ok([400, 404].includes(statusOf(self)));
    await stillServes();
  });

  it('passes a %2F-encoded or URL-looking path to the route as opaque text, never as a file path', async () => {
    for (const path of ['/pypi/%2F%2Fetc%2Fpasswd', '/pypi/http://evil.invalid/x']) {
      const result = await fetchVia(t.proxy.url, path);
      assert.equal(result.body.toString(), 'route\n');
    }
  });

  it('answers unknown paths with 404 and unsupported targets with 400', async () => {
    assert.equal((await fetchVia(t.proxy.url, '/nowhere')).status, 404);
    assert.equal(statusOf(await raw(t.proxy.port, 'OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')), 400);
    assert.equal((await fetchVia(t.proxy.url, `${upstream.url}/ok`, {}, 'POST')).status, 405);
  });

  it('unit: unsafePathReason', () => {
    assert.equal(unsafePathReason('/pypi/simple/requests/'), null);
    assert.equal(unsafePathReason('/npm/@scope%2fname'), null);
    assert.notEqual(unsafePathReason('/npm/@scope%2f..'), null);
    assert.notEqual(unsafePathReason('/a/%zz'), null);
  });
});

describe('binding', () => {
  it('refuses a non-loopback address unless allowRemote', async () => {
    await assert.rejects(
      startProxy({
        host: '0.0.0.0',
        cacheDir: '/nonexistent-never-created',
        offline: false,
        upstreams: { pypi: [], npm: null, allowedHosts: new Set() },
        record: () => {},
        clock: { now: () => new Date() },
        log: { debug() {}, warn() {} },
        routes: [],
      }),
      (error: unknown) => error instanceof ProxyConfigError && error.code === 'EREMOTEBIND' && /--allow-remote/.test(error.message),
    );
  });
});

describe('hosts read on first need (the machine apt sources)', () => {
  it('a request for a host not yet on the list waits for the read, and only a host still missing after it asks pip and npm', async () => {
    const upstream = await startUpstream({ '/ok': { body: Buffer.from('fine') } });
    const dir = await mkdtemp(join(tmpdir(), 'offgrid-proxy-'));
    const knownHosts = new Set<string>();
    let release!: () => void;
    const read = new Promise<void>((resolve) => (release = resolve));
    let waitedOn = false;
    let resolved = 0;
    const proxy = await startProxy({
      cacheDir: dir,
      offline: false,
      upstreams: {
        knownHosts,
        readKnownHosts: () => {
          waitedOn = true;
          return read;
        },
        resolve: async () => {
          resolved++;
          return { pypi: [], npm: null, allowedHosts: new Set(knownHosts) };
        },
      },
      record: () => {},
      clock: { now: () => new Date() },
      log: { debug() {}, warn() {} },
      routes: [],
    });
    try {
      const pending = fetchVia(proxy.url, `${upstream.url}/ok`);
      // The list is completed only once the proxy holds the request and asked for it (or after 2 s, when it never asks).
      for (let i = 0; i < 200 && !waitedOn; i++) await new Promise((r) => setTimeout(r, 10));
      knownHosts.add('127.0.0.1');
      release();
      const ok = await pending;
      assert.equal(ok.status, 200);
      assert.equal(ok.body.toString(), 'fine');
      assert.equal(resolved, 0, 'a host the read added needs no pip or npm lookup');
      const refused = await fetchVia(proxy.url, 'http://127.0.0.2:9/x');
      assert.equal(refused.status, 403);
      assert.equal(resolved, 1);
    } finally {
      await proxy.close();
      await upstream.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
