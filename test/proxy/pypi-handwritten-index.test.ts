// Real pip through the mirror against an in-house index whose pages are written by hand or
// by a small template that escapes nothing: uppercase tags, unquoted attributes, md5
// fragments, a commented-out link and `data-requires-python=">=3.99"` with a raw `>`. pip
// reads such a page by HTML rules; the mirror must hand pip the same files and attributes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CaptureEvent } from '../../src/capture/events.js';
import { pypiRoute } from '../../src/capture/proxy/pypi.js';
import { startProxy } from '../../src/capture/proxy/server.js';
import { systemClock } from '../../src/session/time.js';
import { runPip } from '../helpers/pip.js';
import { type BuiltFile, buildDists } from '../helpers/pypi-dist.js';

describe('PyPI mirror with real pip: a hand-written index page', { timeout: 120_000 }, () => {
  let server: Server;
  let indexUrl: string;
  let work: string;
  const requests: string[] = [];
  const files = new Map<string, BuiltFile>();
  let corruptNext = false;

  before(async () => {
    for (const spec of [{ name: 'beta-lib', version: '1.0' }, { name: 'beta-lib', version: '2.0', requiresPython: '>=3.99' }, { name: 'beta-lib', version: '0.1' }, { name: 'gamma', version: '1.0' }]) {
      for (const built of buildDists(spec)) files.set(built.filename, built);
    }
    const sha1 = (name: string) => createHash('sha1').update(files.get(name)!.bytes).digest('hex');
    const md5 = (name: string) => createHash('md5').update(files.get(name)!.bytes).digest('hex').toUpperCase();
    const page = `<HTML><HEAD><TITLE>Links for beta-lib</TITLE></HEAD><BODY>
<!-- withdrawn: <a href="../../packages/beta_lib-0.1-py3-none-any.whl">beta_lib-0.1-py3-none-any.whl</a> -->
<A HREF=../../packages/beta_lib-1.0-py3-none-any.whl#md5=${md5('beta_lib-1.0-py3-none-any.whl')}>beta_lib-1.0-py3-none-any.whl</A><BR>
<a href="../../packages/beta_lib-2.0-py3-none-any.whl#sha256=${files.get('beta_lib-2.0-py3-none-any.whl')!.sha256}"
   data-requires-python=">=3.99">beta_lib-2.0-py3-none-any.whl</a><br/>
</BODY></HTML>`;
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      requests.push(path);
      const file = path.startsWith('/packages/') ? files.get(path.slice('/packages/'.length)) : undefined;
      if (path === '/simple/beta-lib/') res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      else if (path === '/simple/gamma/') res.writeHead(200, { 'content-type': 'text/html' }).end(`<a href="../../packages/gamma-1.0-py3-none-any.whl#sha1=${sha1('gamma-1.0-py3-none-any.whl')}">gamma-1.0-py3-none-any.whl</a>`);
      else if (file) {
        // A damaged copy of the same length: only the declared digest can tell.
        const bytes = corruptNext ? Buffer.from(file.bytes).fill(0x20, 100, 110) : file.bytes;
        corruptNext = false;
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length }).end(bytes);
      }
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    indexUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`;
    work = await mkdtemp(join(tmpdir(), 'offgrid-handwritten-'));
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(work, { recursive: true, force: true });
  });

  it('pip gets the release for its Python (Requires-Python kept), checked by md5, and never the commented-out one', async () => {
    const proxy = await startProxy({
      cacheDir: join(work, 'cache'),
      offline: false,
      upstreams: { pypi: [new URL(indexUrl)], npm: null, allowedHosts: new Set() },
      record: () => {},
      clock: systemClock,
      log: { debug: () => {}, warn: () => {} },
      routes: [pypiRoute()],
    });
    try {
      const dest = await mkdtemp(join(work, 'dest-'));
      const run = await runPip(['download', '--isolated', '--no-cache-dir', '-d', dest, '--index-url', `${proxy.url}/pypi/simple/`, 'beta-lib'], { cwd: work });
      assert.equal(run.code, 0, run.output);
      assert.deepEqual(await readdir(dest), ['beta_lib-1.0-py3-none-any.whl']);
      assert.ok((await readFile(join(dest, 'beta_lib-1.0-py3-none-any.whl'))).equals(files.get('beta_lib-1.0-py3-none-any.whl')!.bytes));
      assert.deepEqual(requests.filter((p) => p.startsWith('/packages/')), ['/packages/beta_lib-1.0-py3-none-any.whl']);

      const html = await (await fetch(`${proxy.url}/pypi/simple/beta-lib/`, { headers: { accept: 'text/html' } })).text();
      assert.match(html, /data-requires-python="&gt;=3\.99">beta_lib-2\.0-py3-none-any\.whl</);
      assert.match(html, /beta_lib-1\.0-py3-none-any\.whl#md5=[0-9a-f]{32}"/);
      assert.doesNotMatch(html, /beta_lib-0\.1/);
    } finally {
      await proxy.close();
    }
  });

  it('a file whose link declares only sha1 (or md5) and arrives damaged is never served complete, nor stored', async () => {
    const events: CaptureEvent[] = [];
    const proxy = await startProxy({
      cacheDir: join(work, 'cache-digest'),
      offline: false,
      upstreams: { pypi: [new URL(indexUrl)], npm: null, allowedHosts: new Set() },
      record: (event) => events.push(event),
      clock: systemClock,
      log: { debug: () => {}, warn: () => {} },
      routes: [pypiRoute()],
    });
    try {
      const page = await (await fetch(`${proxy.url}/pypi/simple/gamma/`, { headers: { accept: 'text/html' } })).text();
      const href = /href="([^"#]+)#sha1=/.exec(page)![1]!;
      corruptNext = true;
      const damaged = await fetch(`${proxy.url}${href}`);
      assert.equal(damaged.headers.get('x-offgrid-cache'), 'miss');
      // The sha1 is checked before the last byte goes out: the client sees the transfer break.
      await assert.rejects(damaged.arrayBuffer());
      assert.ok(
        events.some((e) => e.type === 'network_attempt' && /nothing stored: .*expected sha1 [0-9a-f]{40} but the bytes hash to/.test(e.error)),
        JSON.stringify(events),
      );

      const again = await fetch(`${proxy.url}${href}`);
      assert.equal(again.headers.get('x-offgrid-cache'), 'miss', 'the damaged copy was not kept');
      assert.ok(Buffer.from(await again.arrayBuffer()).equals(files.get('gamma-1.0-py3-none-any.whl')!.bytes));
      const third = await fetch(`${proxy.url}${href}`);
      assert.equal(third.headers.get('x-offgrid-cache'), 'hit');
      await third.arrayBuffer();
    } finally {
      await proxy.close();
    }
  });
});
