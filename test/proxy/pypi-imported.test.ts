// A wheelhouse brought in with `offgrid cache import-dir` (keys `import:wheel:<file>`) serves
// pip offline: the PyPI mirror makes the project page from the cached files when no upstream
// page is at hand, with each file's sha256, and serves the files from the cache only.
// Real pip, real CLI; the wheels come from the local index fixture, which is then stopped.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CacheStore } from '../../src/cache/index.js';
import type { CaptureEvent, NetworkAttemptEvent } from '../../src/capture/events.js';
import { pypiRoute } from '../../src/capture/proxy/pypi.js';
import { parseJsonProjectPage, parseHtmlProjectPage } from '../../src/capture/proxy/pypi-rewrite.js';
import { startProxy, type RunningProxy } from '../../src/capture/proxy/server.js';
import { contentPath } from '../../src/cache/layout.js';
import { systemClock } from '../../src/session/time.js';
import { readValidLedger, runCli, tempDir } from '../helpers/cli.js';
import { isolatedPipEnv, pipCommand } from '../helpers/pip.js';
import { type BuiltFile, startPypiIndex } from '../helpers/pypi-index.js';

const ledgerPathOf = (stderr: string, dir: string) => resolve(dir, /ledger (\S+\.json)/.exec(stderr)?.[1] ?? 'no-ledger-named');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function fetchText(url: string, accept?: string): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: accept ? { accept } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('an imported wheelhouse serves pip offline (no upstream at all)', { timeout: 300_000 }, () => {
  let built: Map<string, BuiltFile>;
  let deadUpstream: string;

  before(async () => {
    const index = await startPypiIndex({
      packages: [
        { name: 'App_One', version: '1.0', deps: ['beta-lib>=1.0'] },
        { name: 'beta-lib', version: '1.0' },
        { name: 'beta-lib', version: '1.1' },
        { name: 'gamma', version: '2.0', sdist: true },
      ],
    });
    built = new Map(index.files);
    deadUpstream = index.simpleUrl;
    await index.close(); // from here on, nothing answers there
  });

  function wheelhouse(t: { after(fn: () => void): void }) {
    const dir = tempDir(t, 'offgrid-imported-');
    mkdirSync(join(dir, 'wheelhouse'));
    for (const file of built.values()) writeFileSync(join(dir, 'wheelhouse', file.filename), file.bytes);
    const env = isolatedPipEnv({ OFFGRID_CACHE_DIR: join(dir, 'cache') });
    return { dir, env };
  }

  async function importInto(dir: string, env: NodeJS.ProcessEnv) {
    const r = await runCli(['cache', 'import-dir', join(dir, 'wheelhouse')], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
  }

  for (const [label, upstreamFlags] of [
    ["with pip's default index configured (never contacted offline)", [] as string[]],
    ['with a stopped index as the upstream', ['--pypi-upstream', 'DEAD']],
  ] as const) {
    it(`real pip download through offgrid run --offline, ${label}`, async (t) => {
      const { dir, env } = wheelhouse(t);
      await importInto(dir, env);
      const flags = upstreamFlags.map((f) => (f === 'DEAD' ? deadUpstream : f));
      const r = await runCli(['run', '--offline', ...flags, '--', ...pipCommand(), 'download', '--no-cache-dir', '-d', 'out', 'app-one'], { cwd: dir, env });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const got = readdirSync(join(dir, 'out')).sort();
      assert.deepEqual(got, ['App_One-1.0-py3-none-any.whl', 'beta_lib-1.1-py3-none-any.whl']);
      for (const name of got) assert.deepEqual(readFileSync(join(dir, 'out', name)), built.get(name)!.bytes, `${name} byte-identical`);
      const ledger = readValidLedger(ledgerPathOf(r.stderr, dir));
      assert.equal(ledger.offline, true);
      assert.deepEqual(ledger.network_attempts, [], 'an imported wheelhouse needs no network');
      const beta = ledger.cached.find((d) => d.filename === 'beta_lib-1.1-py3-none-any.whl');
      assert.ok(beta, JSON.stringify(ledger.cached));
      assert.equal(beta.sha256, built.get('beta_lib-1.1-py3-none-any.whl')!.sha256);
    });
  }

  it('offgrid verify passes a pip install from the imported wheelhouse alone', async (t) => {
    const { dir, env } = wheelhouse(t);
    await importInto(dir, env);
    const r = await runCli(['verify', '--', ...pipCommand(), 'install', '--no-cache-dir', '--no-compile', '--target', 'site', 'app-one'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /offgrid verify: PASSED/);
  });

  it('a package that is not in the wheelhouse still fails offline, and is named', async (t) => {
    const { dir, env } = wheelhouse(t);
    await importInto(dir, env);
    const r = await runCli(['run', '--offline', '--', ...pipCommand(), 'download', '--no-cache-dir', '-d', 'out', 'app-one', 'not-imported'], { cwd: dir, env });
    assert.notEqual(r.code, 0);
    const ledger = readValidLedger(ledgerPathOf(r.stderr, dir));
    assert.ok(ledger.network_attempts.some((a) => a.url_or_host.endsWith('/simple/not-imported/')), JSON.stringify(ledger.network_attempts));
    assert.ok(!ledger.network_attempts.some((a) => a.url_or_host.includes('beta-lib')), 'imported projects are no attempt');
  });

  it('files cached under upstream URLs whose pages are gone are served too', async (t) => {
    const index = await startPypiIndex({ packages: [{ name: 'App_One', version: '1.0', deps: ['beta-lib'] }, { name: 'beta-lib', version: '1.0' }] });
    t.after(() => index.close());
    const dir = tempDir(t, 'offgrid-imported-');
    const env = isolatedPipEnv({ OFFGRID_CACHE_DIR: join(dir, 'cache') });
    const pip = [...pipCommand(), 'download', '--no-cache-dir'];
    const online = await runCli(['run', '--pypi-upstream', index.simpleUrl, '--', ...pip, '-d', 'warm', 'app-one'], { cwd: dir, env });
    assert.equal(online.code, 0, online.stderr);
    const store = await CacheStore.open({ root: join(dir, 'cache') });
    let removed = 0;
    for await (const entry of store.list()) if (entry.key.startsWith('pypi:page:') && (await store.remove(entry.key))) removed += 1;
    assert.equal(removed, 2);
    await index.close();
    const r = await runCli(['run', '--offline', '--pypi-upstream', index.simpleUrl, '--', ...pip, '-d', 'out', 'app-one'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(readdirSync(join(dir, 'out')).sort(), ['App_One-1.0-py3-none-any.whl', 'beta_lib-1.0-py3-none-any.whl']);
    assert.deepEqual(readValidLedger(ledgerPathOf(r.stderr, dir)).network_attempts, []);
  });
});

describe('pages made from the cache (in-process mirror)', { timeout: 120_000 }, () => {
  let built: Map<string, BuiltFile>;
  let upstream: { simpleUrl: string; close(): Promise<void>; requestCount(p?: string): number };

  before(async () => {
    // gamma's files exist only in the cache; the upstream knows only `other`.
    const builder = await startPypiIndex({ packages: [{ name: 'gamma', version: '2.0', sdist: true }] });
    built = new Map(builder.files);
    await builder.close();
    upstream = await startPypiIndex({ packages: [{ name: 'other', version: '1.0' }] });
  });
  after(() => upstream.close());

  async function mirror(t: { after(fn: () => void): void }, offline: boolean, pypi: string[]): Promise<{ proxy: RunningProxy; events: CaptureEvent[]; cacheDir: string }> {
    const dir = tempDir(t, 'offgrid-local-pages-');
    const cacheDir = join(dir, 'cache');
    const store = await CacheStore.open({ root: cacheDir });
    for (const file of built.values()) {
      const w = store.writer(`import:${file.kind}:${file.filename}`, { expectedSize: file.bytes.length, metadata: { kind: file.kind, filename: file.filename, url: null } });
      w.end(file.bytes);
      await w.done;
    }
    const events: CaptureEvent[] = [];
    const proxy = await startProxy({
      cacheDir,
      offline,
      upstreams: { pypi: pypi.map((u) => new URL(u)), npm: null, allowedHosts: new Set() },
      record: (e) => events.push(e),
      clock: systemClock,
      log: { debug: () => {}, warn: () => {} },
      routes: [pypiRoute()],
    });
    t.after(() => proxy.close());
    return { proxy, events, cacheDir };
  }

  it('lists every cached file of the project with its sha256, in HTML and JSON, and serves the bytes', async (t) => {
    const { proxy } = await mirror(t, true, []);
    const html = await fetchText(`${proxy.url}/pypi/simple/gamma/`);
    assert.equal(html.status, 200);
    const page = parseHtmlProjectPage(html.body.toString(), `${proxy.url}/pypi/simple/gamma/`, 'gamma');
    const json = await fetchText(`${proxy.url}/pypi/simple/gamma/`, 'application/vnd.pypi.simple.v1+json');
    const jsonPage = parseJsonProjectPage(json.body.toString(), `${proxy.url}/pypi/simple/gamma/`, 'gamma');
    for (const p of [page, jsonPage]) {
      assert.deepEqual(p.files.map((f) => f.filename).sort(), ['gamma-2.0-py3-none-any.whl', 'gamma-2.0.tar.gz']);
      for (const f of p.files) assert.equal(f.hashes['sha256'], built.get(f.filename)!.sha256);
    }
    for (const f of page.files) {
      const file = await fetchText(f.url);
      assert.equal(file.status, 200);
      assert.equal(file.headers['x-offgrid-cache'], 'hit');
      assert.equal(sha256(file.body), built.get(f.filename)!.sha256);
    }
    const other = await fetchText(`${proxy.url}/pypi/simple/other/`);
    assert.equal(other.status, 404, 'a project with no cached file is still missing');
  });

  it('online: an upstream without the project gets the cached files; an unreachable one too, and the failure is recorded', async (t) => {
    const absent = await mirror(t, false, [upstream.simpleUrl]);
    const before = upstream.requestCount('/simple/gamma/');
    const r = await fetchText(`${absent.proxy.url}/pypi/simple/gamma/`);
    assert.equal(r.status, 200);
    assert.match(r.body.toString(), /gamma-2\.0-py3-none-any\.whl/);
    assert.equal(upstream.requestCount('/simple/gamma/'), before + 1, 'online, the upstream is asked first (it answers 404)');
    const other = await fetchText(`${absent.proxy.url}/pypi/simple/other/`);
    assert.doesNotMatch(other.body.toString(), /gamma/, 'online, an upstream page is served as the upstream has it');

    const unreachable = await mirror(t, false, ['http://127.0.0.1:9/simple/']);
    const page = await fetchText(`${unreachable.proxy.url}/pypi/simple/gamma/`);
    assert.equal(page.status, 200);
    assert.match(page.body.toString(), /gamma-2\.0\.tar\.gz/);
    const attempts = unreachable.events.filter((e): e is NetworkAttemptEvent => e.type === 'network_attempt');
    assert.ok(attempts.some((a) => a.url_or_host === 'http://127.0.0.1:9/simple/gamma/'), JSON.stringify(attempts));
  });

  it('a corrupted cached file is refused, never served as complete', async (t) => {
    const { proxy, cacheDir } = await mirror(t, true, []);
    const page = parseHtmlProjectPage((await fetchText(`${proxy.url}/pypi/simple/gamma/`)).body.toString(), `${proxy.url}/pypi/simple/gamma/`, 'gamma');
    const wheel = page.files.find((f) => f.filename.endsWith('.whl'))!;
    const path = contentPath(cacheDir, wheel.hashes['sha256']!);
    const bytes = readFileSync(path);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    writeFileSync(path, bytes);
    const got = await fetchText(wheel.url).catch((e: Error) => ({ status: -1, body: Buffer.alloc(0), headers: {}, error: e }));
    assert.notEqual(sha256(got.body), wheel.hashes['sha256'], 'never the right bytes from corrupt content');
    assert.ok(got.status !== 200 || got.body.length < built.get(wheel.filename)!.bytes.length, 'a short body or an error');
    const again = await fetchText(wheel.url);
    assert.equal(again.status, 404, 'the corrupt entry is gone');
  });
});
