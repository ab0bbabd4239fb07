// Real `npm install` / `npm ci` through the npm mirror, against a real local registry
// (test/helpers/npm-registry.ts) whose request counts show what reached the "upstream".
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CaptureEvent, DownloadEvent } from '../../src/capture/events.js';
import { npmRoute } from '../../src/capture/proxy/npm.js';
import { startProxy } from '../../src/capture/proxy/server.js';
import { systemClock } from '../../src/session/time.js';
import { npm, project } from '../helpers/npm-cli.js';
import { ACME_TREE, type NpmRegistry, startNpmRegistry } from '../helpers/npm-registry.js';

const SECRET = 'npm-s3cret-token';

async function proxyFor(registry: NpmRegistry, cacheDir: string, offline: boolean) {
  const events: CaptureEvent[] = [];
  const upstream = new URL(registry.url);
  upstream.username = 'ci';
  upstream.password = SECRET;
  const proxy = await startProxy({
    cacheDir,
    offline,
    upstreams: { pypi: [], npm: upstream, allowedHosts: new Set() },
    record: (event) => events.push(event),
    clock: systemClock,
    log: { debug: () => {}, warn: () => {} },
    routes: [npmRoute()],
  });
  return { proxy, events };
}

const downloads = (events: CaptureEvent[]) => events.filter((e): e is DownloadEvent => e.type === 'download');

describe('npm mirror with real npm', { timeout: 240_000 }, () => {
  let registry: NpmRegistry;
  let work: string;
  let cacheDir: string;
  let lockedApp: string;

  before(async () => {
    registry = await startNpmRegistry([...ACME_TREE, { name: 'never-fetched', version: '1.0.0' }]);
    work = await mkdtemp(join(tmpdir(), 'offgrid-npm-'));
    cacheDir = join(work, 'offgrid-cache');
  });
  after(async () => {
    await registry.close();
    await rm(work, { recursive: true, force: true });
  });

  it('npm install fetches through the proxy; a second install with an empty npm cache fetches no tarball upstream', async () => {
    const { proxy, events } = await proxyFor(registry, cacheDir, false);
    try {
      lockedApp = await project(work, { 'top-level': '^3.0.0' });
      const first = await npm(['install'], lockedApp, proxy, await mkdtemp(join(work, 'npmcache-')));
      assert.equal(first.code, 0, first.output);
      const installed = JSON.parse(await readFile(join(lockedApp, 'node_modules/@acme/core/package.json'), 'utf8')) as { version: string };
      assert.equal(installed.version, '2.0.0');
      assert.equal(JSON.parse(await readFile(join(lockedApp, 'node_modules/left-part/package.json'), 'utf8')).version, '1.2.0');
      assert.equal(registry.tarballRequests(), 3);
      const tarballs = downloads(events).filter((e) => !e.index);
      assert.deepEqual(tarballs.map((e) => [e.name, e.version, e.cached, e.kind]).sort(), [['@acme/core', '2.0.0', false, 'npm'], ['left-part', '1.2.0', false, 'npm'], ['top-level', '3.1.0', false, 'npm']]);
      const lock = await readFile(join(lockedApp, 'package-lock.json'), 'utf8');
      assert.ok(lock.includes(`${proxy.url}/npm/@acme/core/-/core-2.0.0.tgz`), lock);
      assert.ok(lock.includes(registry.tarballs.get('/@acme/core/-/core-2.0.0.tgz')!.integrity));

      const second = await project(work, { 'top-level': '^3.0.0' });
      const run2 = await npm(['install'], second, proxy, await mkdtemp(join(work, 'npmcache-')));
      assert.equal(run2.code, 0, run2.output);
      assert.equal(registry.tarballRequests(), 3, 'no tarball fetched upstream the second time');
      assert.deepEqual(downloads(events).filter((e) => !e.index).slice(3).map((e) => e.cache_status), ['hit', 'hit', 'hit']);
    } finally {
      await proxy.close();
    }
  });

  it("a private registry: the token of the user's .npmrc (//host/:_authToken) goes with the mirror's packument and tarball requests", async () => {
    const token = 'npm_PrivateRegistryToken0123456789';
    const privateRegistry = await startNpmRegistry(ACME_TREE, { authorization: `Bearer ${token}` });
    const events: CaptureEvent[] = [];
    const proxy = await startProxy({
      cacheDir: join(work, 'private-cache'),
      offline: false,
      upstreams: { pypi: [], npm: new URL(privateRegistry.url), npmAuthorization: `Bearer ${token}`, allowedHosts: new Set() },
      record: (event) => events.push(event),
      clock: systemClock,
      log: { debug: () => {}, warn: () => {} },
      routes: [npmRoute()],
    });
    try {
      const app = await project(work, { 'top-level': '^3.0.0' });
      const result = await npm(['install'], app, proxy, await mkdtemp(join(work, 'npmcache-')));
      assert.equal(result.code, 0, result.output);
      assert.equal(privateRegistry.tarballRequests(), 3);
      assert.ok(!JSON.stringify(events).includes(token));
    } finally {
      await proxy.close();
      await privateRegistry.close();
    }
  });

  it('offline, registry stopped: npm ci from the lockfile succeeds (new proxy port); an uncached package fails', async () => {
    await registry.close();
    const { proxy, events } = await proxyFor(registry, cacheDir, true);
    try {
      await rm(join(lockedApp, 'node_modules'), { recursive: true, force: true });
      const ci = await npm(['ci'], lockedApp, proxy, await mkdtemp(join(work, 'npmcache-')));
      assert.equal(ci.code, 0, ci.output);
      assert.ok((await readdir(join(lockedApp, 'node_modules'))).includes('top-level'));
      const fresh = await project(work, { 'top-level': '^3.0.0' });
      const install = await npm(['install'], fresh, proxy, await mkdtemp(join(work, 'npmcache-')));
      assert.equal(install.code, 0, install.output);
      assert.ok(downloads(events).every((e) => e.cached));
      assert.deepEqual(events.filter((e) => e.type === 'network_attempt'), []);

      const missing = await npm(['install'], await project(work, { 'never-fetched': '1.0.0' }), proxy, await mkdtemp(join(work, 'npmcache-')));
      assert.notEqual(missing.code, 0);
      assert.match(missing.output, /404/);
      assert.match(missing.output, /never-fetched/);
      assert.ok(events.some((e) => e.type === 'network_attempt' && e.url_or_host.endsWith('/never-fetched')));
      for (const text of [JSON.stringify(events)]) assert.ok(!text.includes(SECRET));
    } finally {
      await proxy.close();
      await registry.restart();
    }
  });

  it('packuments: abbreviated and full, scoped names both ways, tarball URLs rewritten, credentials never shown', async () => {
    const { proxy } = await proxyFor(registry, cacheDir, false);
    try {
      for (const path of ['/npm/@acme%2fcore', '/npm/@acme/core']) {
        const full = await fetch(`${proxy.url}${path}`, { headers: { accept: 'application/json' } });
        assert.equal(full.status, 200);
        const text = await full.text();
        assert.ok(!text.includes(SECRET) && !text.includes(`127.0.0.1:${registry.port}`), text);
        const doc = JSON.parse(text) as { _id?: string; versions: Record<string, { dist: { tarball: string; integrity: string } }> };
        assert.equal(doc._id, '@acme/core');
        assert.equal(doc.versions['2.0.0']!.dist.tarball, `${proxy.url}/npm/@acme/core/-/core-2.0.0.tgz`);
      }
      const abbreviated = await fetch(`${proxy.url}/npm/left-part`, { headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*' } });
      assert.equal(abbreviated.headers.get('content-type'), 'application/vnd.npm.install-v1+json');
      const corgi = (await abbreviated.json()) as { versions: Record<string, unknown>; _id?: string };
      assert.equal(corgi._id, undefined);
      assert.deepEqual(Object.keys(corgi.versions), ['1.0.0', '1.2.0']);
      const refused = await fetch(`${proxy.url}/npm/left-part/-/evil-1.0.0.tgz`);
      assert.equal(refused.status, 404);
      await refused.text();
    } finally {
      await proxy.close();
    }
  });
});

describe('npm mirror with real npm: tarball URLs that are not `<name>/-/<file>.tgz`', { timeout: 120_000 }, () => {
  it('GitHub Packages style `/download/<name>/<version>/<digest>` tarballs (redirected to storage) install through the proxy and come from its cache after', async () => {
    const registry = await startNpmRegistry(ACME_TREE, { tarballPath: (spec, shasum) => `/download/${spec.name}/${spec.version}/${shasum}`, redirectTarballs: true });
    const work = await mkdtemp(join(tmpdir(), 'offgrid-npm-gh-'));
    const cacheDir = join(work, 'offgrid-cache');
    const { proxy, events } = await proxyFor(registry, cacheDir, false);
    try {
      const app = await project(work, { 'top-level': '^3.0.0' });
      const first = await npm(['install'], app, proxy, await mkdtemp(join(work, 'npmcache-')));
      assert.equal(first.code, 0, first.output);
      assert.equal(JSON.parse(await readFile(join(app, 'node_modules/@acme/core/package.json'), 'utf8')).version, '2.0.0');
      assert.equal(registry.tarballRequests(), 3);
      const lock = await readFile(join(app, 'package-lock.json'), 'utf8');
      assert.ok(lock.includes(`${proxy.url}/npm/@acme/core/-/core-2.0.0.tgz`), lock);
      assert.deepEqual(downloads(events).filter((e) => !e.index).map((e) => e.filename).sort(), ['core-2.0.0.tgz', 'left-part-1.2.0.tgz', 'top-level-3.1.0.tgz']);

      const again = await npm(['install'], await project(work, { 'top-level': '^3.0.0' }), proxy, await mkdtemp(join(work, 'npmcache-')));
      assert.equal(again.code, 0, again.output);
      assert.equal(registry.tarballRequests(), 3, 'the second install is served from the cache');
    } finally {
      await proxy.close();
      await registry.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});

describe('npm mirror with real npm: a lockfile made with a registry under a path prefix', { timeout: 120_000 }, () => {
  it('npm ci maps the lockfile\'s tarball URLs onto the proxy with their registry prefix kept; they are served', async () => {
    const registry = await startNpmRegistry(ACME_TREE);
    const work = await mkdtemp(join(tmpdir(), 'offgrid-npm-prefix-'));
    const { proxy, events } = await proxyFor(registry, join(work, 'offgrid-cache'), false);
    try {
      const app = await project(work, { 'top-level': '^3.0.0' });
      const install = await npm(['install', '--package-lock-only'], app, proxy, await mkdtemp(join(work, 'npmcache-')));
      assert.equal(install.code, 0, install.output);
      // The same lockfile as a team on a Nexus npm group repository commits it.
      const lockPath = join(app, 'package-lock.json');
      const lock = (await readFile(lockPath, 'utf8')).replaceAll(`${proxy.url}/npm/`, 'https://nexus.example/repository/npm-group/');
      assert.ok(lock.includes('https://nexus.example/repository/npm-group/@acme/core/-/core-2.0.0.tgz'), lock);
      await writeFile(lockPath, lock);
      const ci = await npm(['ci'], app, proxy, await mkdtemp(join(work, 'npmcache-')));
      assert.equal(ci.code, 0, ci.output);
      assert.equal(JSON.parse(await readFile(join(app, 'node_modules/@acme/core/package.json'), 'utf8')).version, '2.0.0');
      assert.equal(registry.tarballRequests(), 3);
      assert.deepEqual(downloads(events).filter((e) => !e.index).map((e) => e.name).sort(), ['@acme/core', 'left-part', 'top-level']);
    } finally {
      await proxy.close();
      await registry.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});
