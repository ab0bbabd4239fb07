// Index servers whose file links redirect: GitLab's package registry (with object storage)
// answers a file URL with a 302 to a presigned storage URL on another host; Artifactory
// and CodeArtifact can do the same. The proxy follows the redirect itself (pip could not
// reach the target through it), stores the file, and keeps the index's credentials on
// the index's host.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CaptureEvent, DownloadEvent } from '../../src/capture/events.js';
import { pypiRoute } from '../../src/capture/proxy/pypi.js';
import { startProxy } from '../../src/capture/proxy/server.js';
import { systemClock } from '../../src/session/time.js';
import { runPip } from '../helpers/pip.js';
import { type PypiIndex, startPypiIndex } from '../helpers/pypi-index.js';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('PyPI mirror: file links that redirect to object storage on another host', { timeout: 120_000 }, () => {
  let index: PypiIndex;
  let storage: Server;
  let front: Server;
  let frontUrl: string;
  let work: string;
  const storageRequests: IncomingHttpHeaders[] = [];
  const frontFileRequests: IncomingHttpHeaders[] = [];

  before(async () => {
    index = await startPypiIndex({ packages: [{ name: 'App_One', version: '1.0', deps: ['gamma'] }, { name: 'gamma', version: '2.0' }] });
    // The storage host: serves the bytes at a presigned-looking URL.
    storage = createServer((req, res) => {
      storageRequests.push(req.headers);
      const url = new URL(req.url ?? '/', 'http://x');
      const file = index.files.get(decodeURIComponent(url.pathname.replace(/^\/bucket\//, '')));
      if (!file || url.searchParams.get('X-Amz-Signature') !== 'sig') {
        res.writeHead(403).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length }).end(file.bytes);
    });
    const storageUrl = await listen(storage);
    // The index host: pages from the test index (root-relative /files/ links), files by redirect.
    front = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path.startsWith('/files/')) {
        frontFileRequests.push(req.headers);
        res.writeHead(302, { location: `${storageUrl}/bucket/${path.slice(7)}?X-Amz-Signature=sig` }).end();
        return;
      }
      void fetch(`${index.url}${path}`, { headers: { accept: 'text/html' } }).then(async (upstream) => {
        const body = Buffer.from(await upstream.arrayBuffer());
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/html', 'content-length': body.length }).end(body);
      });
    });
    frontUrl = await listen(front);
    work = await mkdtemp(join(tmpdir(), 'offgrid-pypi-redirect-'));
  });
  after(async () => {
    await index.close();
    await new Promise((resolve) => storage.close(resolve));
    await new Promise((resolve) => front.close(resolve));
    await rm(work, { recursive: true, force: true });
  });

  it('pip downloads through the proxy; the files are stored, and the index credentials never reach the storage host', async () => {
    const events: CaptureEvent[] = [];
    const upstream = new URL(`${frontUrl}/simple/`);
    upstream.username = 'gitlab-ci-token';
    upstream.password = 'glpat-secret';
    const proxy = await startProxy({
      cacheDir: join(work, 'cache'),
      offline: false,
      upstreams: { pypi: [upstream], npm: null, allowedHosts: new Set() },
      record: (event) => events.push(event),
      clock: systemClock,
      log: { debug: () => {}, warn: () => {} },
      routes: [pypiRoute()],
    });
    try {
      const download = async () => {
        const dest = await mkdtemp(join(work, 'dest-'));
        const run = await runPip(['download', '--isolated', '--no-cache-dir', '-d', dest, '--index-url', `${proxy.url}/pypi/simple/`, 'app-one'], { cwd: work });
        assert.equal(run.code, 0, run.output);
        return (await readdir(dest)).sort();
      };
      assert.deepEqual(await download(), ['App_One-1.0-py3-none-any.whl', 'gamma-2.0-py3-none-any.whl']);
      assert.equal(storageRequests.length, 2);
      assert.ok(frontFileRequests.every((h) => h.authorization === `Basic ${Buffer.from('gitlab-ci-token:glpat-secret').toString('base64')}`));
      assert.ok(storageRequests.every((h) => h.authorization === undefined), 'credentials sent to the storage host');
      const files = events.filter((e): e is DownloadEvent => e.type === 'download' && !e.index);
      assert.deepEqual(files.map((e) => [e.filename, e.cache_status, e.sha256]), [
        ['App_One-1.0-py3-none-any.whl', 'miss', index.files.get('App_One-1.0-py3-none-any.whl')!.sha256],
        ['gamma-2.0-py3-none-any.whl', 'miss', index.files.get('gamma-2.0-py3-none-any.whl')!.sha256],
      ]);
      assert.ok(!JSON.stringify(events).includes('X-Amz-Signature'), 'the ledger records the index URL, not the presigned one');

      assert.deepEqual(await download(), ['App_One-1.0-py3-none-any.whl', 'gamma-2.0-py3-none-any.whl']);
      assert.equal(storageRequests.length, 2, 'the second run is served from the cache');
    } finally {
      await proxy.close();
    }
  });
});
