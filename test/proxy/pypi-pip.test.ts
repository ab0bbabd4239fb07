// Real pip through the PyPI mirror, against a real local index (test/helpers/pypi-index.ts)
// serving real wheels with dependencies between them. The index counts the requests that
// reach it, so "served from offgrid's cache" is measured, not assumed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CaptureEvent, DownloadEvent, NetworkAttemptEvent } from '../../src/capture/events.js';
import { pypiRoute } from '../../src/capture/proxy/pypi.js';
import { parseHtmlProjectPage } from '../../src/capture/proxy/pypi-rewrite.js';
import { type RunningProxy, startProxy } from '../../src/capture/proxy/server.js';
import { systemClock } from '../../src/session/time.js';
import { runPip } from '../helpers/pip.js';
import { type PypiIndex, startPypiIndex } from '../helpers/pypi-index.js';

const SECRET = 's3cret-token-xyz';

interface Harness {
  readonly proxy: RunningProxy;
  readonly events: CaptureEvent[];
}

async function proxyFor(index: PypiIndex, cacheDir: string, offline: boolean): Promise<Harness> {
  const events: CaptureEvent[] = [];
  const upstream = new URL(index.simpleUrl);
  upstream.username = 'ci';
  upstream.password = SECRET;
  const proxy = await startProxy({
    cacheDir,
    offline,
    upstreams: { pypi: [upstream], npm: null, allowedHosts: new Set() },
    record: (event) => events.push(event),
    clock: systemClock,
    log: { debug: () => {}, warn: () => {} },
    routes: [pypiRoute()],
  });
  return { proxy, events };
}

async function pipDownload(proxy: RunningProxy, work: string, requirement: string[], extra: string[] = []) {
  const dest = await mkdtemp(join(work, 'dest-'));
  const result = await runPip(['download', '--isolated', '--no-cache-dir', '--disable-pip-version-check', '-d', dest, '--index-url', `${proxy.url}/pypi/simple/`, ...extra, ...requirement], { cwd: work });
  return { ...result, files: (await readdir(dest)).sort(), dest };
}

const downloads = (events: CaptureEvent[]) => events.filter((e): e is DownloadEvent => e.type === 'download');
const attempts = (events: CaptureEvent[]) => events.filter((e): e is NetworkAttemptEvent => e.type === 'network_attempt');

describe('PyPI mirror with real pip', { timeout: 180_000 }, () => {
  let index: PypiIndex;
  let work: string;
  let cacheDir: string;
  const expected = ['App_One-1.0-py3-none-any.whl', 'beta_lib-1.1-py3-none-any.whl', 'gamma-2.0-py3-none-any.whl'];

  before(async () => {
    index = await startPypiIndex({
      packages: [
        { name: 'App_One', version: '1.0', deps: ['beta-lib>=1.0', 'gamma'] },
        { name: 'beta-lib', version: '1.0' },
        { name: 'beta-lib', version: '1.1', requiresPython: '>=3.8' },
        { name: 'beta-lib', version: '9.0', requiresPython: '<3' },
        { name: 'gamma', version: '2.0', sdist: true },
        { name: 'never-fetched', version: '1.0' },
      ],
    });
    work = await mkdtemp(join(tmpdir(), 'offgrid-pypi-'));
    cacheDir = join(work, 'cache');
  });
  after(async () => {
    await index.close();
    await rm(work, { recursive: true, force: true });
  });

  it('first run fetches through the proxy; a second run with empty pip caches fetches no file upstream', async () => {
    const first = await proxyFor(index, cacheDir, false);
    try {
      const run1 = await pipDownload(first.proxy, work, ['app-one']);
      assert.equal(run1.code, 0, run1.output);
      assert.deepEqual(run1.files, expected);
      // Files are the upstream's bytes (pip also checked the #sha256 the page carried).
      for (const name of run1.files) {
        const bytes = await readFile(join(run1.dest, name));
        assert.equal(createHash('sha256').update(bytes).digest('hex'), index.files.get(name)!.sha256);
      }
      const filesAfterFirst = index.requestCount('/files/');
      assert.equal(filesAfterFirst, 3);
      assert.ok(run1.output.includes(`${first.proxy.url}/pypi/files/0/http/127.0.0.1%3A${index.port}/files/`), run1.output);
      const wheels1 = downloads(first.events).filter((e) => !e.index);
      assert.deepEqual(wheels1.map((e) => [e.filename, e.cached, e.cache_status, e.evidence]).sort(), expected.map((f) => [f, false, 'miss', 'proxy']));
      const app = wheels1.find((e) => e.filename === expected[0])!;
      assert.equal(app.name, 'app-one');
      assert.equal(app.version, '1.0');
      assert.equal(app.kind, 'wheel');
      assert.equal(app.sha256, index.files.get(expected[0]!)!.sha256);
      assert.ok(downloads(first.events).some((e) => e.index && e.name === 'beta-lib'));

      const run2 = await pipDownload(first.proxy, work, ['app-one']);
      assert.equal(run2.code, 0, run2.output);
      assert.deepEqual(run2.files, expected);
      assert.equal(index.requestCount('/files/'), filesAfterFirst, 'no file fetched upstream the second time');
      const wheels2 = downloads(first.events).filter((e) => !e.index).slice(3);
      assert.deepEqual(wheels2.map((e) => [e.cached, e.cache_status]), [[true, 'hit'], [true, 'hit'], [true, 'hit']]);
    } finally {
      await first.proxy.close();
    }
  });

  it('a restarted proxy finds the links again (no page served yet in this process) and serves files from the cache', async () => {
    const again = await proxyFor(index, cacheDir, false);
    try {
      const before = index.requestCount('/files/');
      const url = `${again.proxy.url}/pypi/files/0/http/127.0.0.1:${index.port}/files/gamma-2.0.tar.gz`;
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-offgrid-cache'), 'miss'); // the sdist was not downloaded by pip
      const bytes = Buffer.from(await response.arrayBuffer());
      assert.ok(bytes.equals(index.files.get('gamma-2.0.tar.gz')!.bytes));
      assert.equal(index.requestCount('/files/'), before + 1);
      const wheel = await fetch(`${again.proxy.url}/pypi/files/0/http/127.0.0.1:${index.port}/files/gamma-2.0-py3-none-any.whl`);
      assert.equal(wheel.headers.get('x-offgrid-cache'), 'hit');
      await wheel.arrayBuffer();
    } finally {
      await again.proxy.close();
    }
  });

  it('is not an open proxy: URLs no upstream page listed are refused', async () => {
    const h = await proxyFor(index, cacheDir, false);
    try {
      const filesBefore = index.requestCount('/files/');
      for (const path of [
        `/pypi/files/0/http/127.0.0.1:${index.port}/files/not-listed-1.0-py3-none-any.whl`,
        `/pypi/files/0/http/127.0.0.1:1/files/gamma-2.0-py3-none-any.whl`,
        `/pypi/files/0/http/example.invalid/files/gamma-2.0-py3-none-any.whl`,
        `/pypi/files/7/http/127.0.0.1:${index.port}/files/gamma-2.0-py3-none-any.whl`,
      ]) {
        const response = await fetch(`${h.proxy.url}${path}`);
        assert.equal(response.status, 404, path);
        await response.text();
      }
      // Only project pages were read (to look for the links); no file was fetched anywhere.
      assert.equal(index.requestCount('/files/'), filesBefore);
    } finally {
      await h.proxy.close();
    }
  });

  it('offline with the upstream stopped: the same install succeeds from the cache; an uncached package fails with the reason', async () => {
    await index.close();
    const off = await proxyFor(index, cacheDir, true);
    try {
      const run = await pipDownload(off.proxy, work, ['app-one']);
      assert.equal(run.code, 0, run.output);
      assert.deepEqual(run.files, expected);
      const target = await mkdtemp(join(work, 'target-'));
      const install = await runPip(['install', '--isolated', '--disable-pip-version-check', '--no-cache-dir', '--target', target, '--index-url', `${off.proxy.url}/pypi/simple/`, 'app-one'], { cwd: work });
      assert.equal(install.code, 0, install.output);
      assert.ok((await readdir(target)).includes('app_one'));
      assert.deepEqual(attempts(off.events), []);
      assert.ok(downloads(off.events).every((e) => e.cached && e.cache_status === 'hit'));

      const missing = await pipDownload(off.proxy, work, ['never-fetched']);
      assert.notEqual(missing.code, 0);
      assert.match(missing.output, /No matching distribution found for never-fetched/);
      // pip logs why an index page failed only at debug level (-vv); the reason phrase carries it.
      const verbose = await pipDownload(off.proxy, work, ['never-fetched'], ['-vv']);
      assert.notEqual(verbose.code, 0);
      assert.match(verbose.output, /404 Client Error: Not Found \(offgrid offline: no cached index page for never-fetched\)/);
      assert.ok(attempts(off.events).some((a) => a.url_or_host === `http://127.0.0.1:${index.port}/simple/never-fetched/` && /offline/.test(a.error)));

      // A file whose page is cached but the file is not (the 9.0 wheel pip never chose).
      const file = await fetch(`${off.proxy.url}/pypi/files/0/http/127.0.0.1:${index.port}/files/beta_lib-9.0-py3-none-any.whl`);
      assert.equal(file.status, 404);
      assert.equal(file.headers.get('x-offgrid-cache'), 'offline-miss');
      assert.match(await file.text(), /offline mode/);
    } finally {
      await off.proxy.close();
      await index.restart();
    }
  });

  it('serves HTML (PEP 503) and JSON (PEP 691) by Accept, with hashes kept and links through the proxy', async () => {
    const h = await proxyFor(index, cacheDir, false);
    try {
      const html = await fetch(`${h.proxy.url}/pypi/simple/beta-lib/`, { headers: { accept: 'text/html' } });
      assert.equal(html.headers.get('content-type'), 'text/html; charset=utf-8');
      const htmlText = await html.text();
      const page = parseHtmlProjectPage(htmlText, `${h.proxy.url}/pypi/simple/beta-lib/`, 'beta-lib');
      assert.deepEqual(page.files.map((f) => f.filename).sort(), ['beta_lib-1.0-py3-none-any.whl', 'beta_lib-1.1-py3-none-any.whl', 'beta_lib-9.0-py3-none-any.whl']);
      for (const f of page.files) {
        assert.equal(f.hashes['sha256'], index.files.get(f.filename)!.sha256);
        assert.ok(f.url.startsWith(`${h.proxy.url}/pypi/files/0/`));
      }
      assert.equal(page.files.find((f) => f.filename.includes('9.0'))!.requiresPython, '<3');
      assert.match(htmlText, /data-requires-python="&lt;3"/);

      const json = await fetch(`${h.proxy.url}/pypi/simple/beta-lib/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json, text/html;q=0.5' } });
      assert.equal(json.headers.get('content-type'), 'application/vnd.pypi.simple.v1+json');
      assert.equal(json.headers.get('vary'), 'Accept');
      const doc = (await json.json()) as { name: string; files: { filename: string; url: string; hashes: { sha256: string } }[] };
      assert.equal(doc.name, 'beta-lib');
      for (const f of doc.files) assert.equal(f.hashes.sha256, index.files.get(f.filename)!.sha256);

      // Non-normalised names redirect (PEP 503); pip follows.
      const redirect = await fetch(`${h.proxy.url}/pypi/simple/Beta_Lib`, { redirect: 'manual' });
      assert.equal(redirect.status, 301);
      assert.equal(redirect.headers.get('location'), '/pypi/simple/beta-lib/');
      const none = await fetch(`${h.proxy.url}/pypi/simple/beta-lib/`, { headers: { accept: 'image/png' } });
      assert.equal(none.status, 406);
      await none.text();
    } finally {
      await h.proxy.close();
    }
  });

  it('an upstream refusing the credentials (an expired token) is named as such, without showing them', async () => {
    const h = await proxyFor(index, cacheDir, false);
    index.faults.set('/simple/never-fetched/', { type: 'status', status: 401, times: 1 });
    try {
      const response = await fetch(`${h.proxy.url}/pypi/simple/never-fetched/`);
      assert.equal(response.status, 502);
      const body = await response.text();
      assert.match(body, /answered 401: it refused the credentials in the index URL/);
      // pip shows the reason phrase ("502 Server Error: <reason> for url").
      assert.match(response.statusText, /refused the credentials/);
      assert.ok(!body.includes(SECRET));
    } finally {
      index.faults.delete('/simple/never-fetched/');
      await h.proxy.close();
    }
  });

  it('upstream credentials never appear in what the proxy serves, records or stores', async () => {
    const h = await proxyFor(index, cacheDir, false);
    try {
      const served: string[] = [];
      for (const accept of ['text/html', 'application/vnd.pypi.simple.v1+json']) {
        served.push(await (await fetch(`${h.proxy.url}/pypi/simple/app-one/`, { headers: { accept } })).text());
      }
      served.push(await (await fetch(`${h.proxy.url}/pypi/files/0/http/127.0.0.1:${index.port}/files/nope-1.0-py3-none-any.whl`)).text());
      await index.close();
      served.push(await (await fetch(`${h.proxy.url}/pypi/simple/unknown-project/`)).text());
      await index.restart();
      const stored: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) await walk(path);
          else stored.push(path, await readFile(path, 'latin1'));
        }
      };
      await walk(cacheDir);
      for (const text of [...served, JSON.stringify(h.events), ...stored]) {
        assert.ok(!text.includes(SECRET), `credential leaked in: ${text.slice(0, 300)}`);
        assert.ok(!text.includes('ci:'), `user leaked in: ${text.slice(0, 300)}`);
      }
      assert.ok(served[3]!.includes('could not') || served[3]!.includes('no upstream answered'), served[3]);
    } finally {
      await h.proxy.close();
    }
  });
});
