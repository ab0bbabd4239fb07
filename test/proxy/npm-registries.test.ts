// Real `npm install` / `npm ci` through the npm mirror in front of registries shaped like
// the ones people run (Verdaccio, GitHub Packages, GitLab, Artifactory, Nexus,
// CodeArtifact, a mirror whose tarballs sit on a CDN, very old packages): path prefixes,
// tokens from an .npmrc, tarball URLs of every layout, integrity in sha512 or only sha1.
// Each is a real local registry (test/helpers/npm-registry.ts) whose request counts show
// what reached it.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CaptureEvent, DownloadEvent } from '../../src/capture/events.js';
import { npmRoute } from '../../src/capture/proxy/npm.js';
import { npmRegistryAuthorization, parseNpmrc } from '../../src/capture/proxy/npmrc.js';
import { startProxy } from '../../src/capture/proxy/server.js';
import { systemClock } from '../../src/session/time.js';
import { npm, project } from '../helpers/npm-cli.js';
import { ACME_TREE, type NpmPackageSpec, type NpmRegistry, type NpmRegistryOptions, startNpmRegistry } from '../helpers/npm-registry.js';

const TOKEN = 'glpat-NotARealToken0123456789';

interface Shape {
  readonly registry: NpmRegistryOptions;
  /** The Authorization the registry demands. */
  readonly authorization?: string;
  /** The user's .npmrc, given the registry's `//host/path/` (where npm looks for its token). */
  readonly npmrc?: (key: string) => string;
  /** Tarballs served by a second server (a CDN) that the packuments point at. */
  readonly cdn?: boolean;
  /** Tarballs redirected to a second server (object storage) that refuses an Authorization. */
  readonly storage?: boolean;
}

const downloads = (events: CaptureEvent[]) => events.filter((e): e is DownloadEvent => e.type === 'download' && !e.index);
const installed = async (app: string, name: string): Promise<string> => (JSON.parse(await readFile(join(app, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

interface Mirror {
  readonly registry: NpmRegistry;
  /** Tarball bytes sent by the registry, its CDN or its storage. */
  tarballRequests(): number;
  readonly events: CaptureEvent[];
  readonly logs: string[];
  readonly work: string;
  /** A proxy on the shared cache (a new one is a restarted offgrid, which remembers no packument). */
  start(offline?: boolean): ReturnType<typeof startProxy>;
  close(): Promise<void>;
}

async function mirror(shape: Shape, packages: readonly NpmPackageSpec[] = ACME_TREE): Promise<Mirror> {
  const cdn = shape.cdn || shape.storage ? await startNpmRegistry(packages, { refuseAuthorization: shape.storage === true }) : null;
  const registry = await startNpmRegistry(packages, {
    ...shape.registry,
    ...(cdn && shape.cdn ? { tarballBase: () => cdn.url.slice(0, -1) } : {}),
    ...(cdn && shape.storage ? { redirectTarballs: true, redirectBase: () => cdn.url.slice(0, -1) } : {}),
    ...(shape.authorization ? { authorization: shape.authorization } : {}),
  });
  const prefix = shape.registry.prefix ?? '';
  const upstream = new URL(`${prefix.slice(1)}${prefix ? '/' : ''}`, registry.url);
  const authorization = shape.npmrc ? npmRegistryAuthorization(upstream, parseNpmrc(shape.npmrc(`//${upstream.host}${upstream.pathname}`), {})) : null;
  if (shape.authorization) assert.equal(authorization, shape.authorization, 'the .npmrc gives the token the registry wants');
  const work = await mkdtemp(join(tmpdir(), 'offgrid-npm-shape-'));
  const events: CaptureEvent[] = [];
  const logs: string[] = [];
  return {
    registry,
    tarballRequests: () => (shape.storage ? cdn!.storageRequests() : (cdn ?? registry).tarballRequests()),
    events,
    logs,
    work,
    start: (offline = false) =>
      startProxy({
        cacheDir: join(work, 'offgrid-cache'),
        offline,
        upstreams: { pypi: [], npm: upstream, npmAuthorization: authorization, allowedHosts: new Set() },
        record: (event) => events.push(event),
        clock: systemClock,
        log: { debug: (m) => logs.push(m), warn: (m) => logs.push(m) },
        routes: [npmRoute()],
      }),
    close: async () => {
      await registry.close();
      await cdn?.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

/**
 * npm install through the mirror; again with an empty npm cache (no tarball fetched
 * upstream); then npm ci from the lockfile through a restarted mirror, also from its cache;
 * then npm ci offline.
 */
async function installTwiceThenCi(shape: Shape): Promise<void> {
  const m = await mirror(shape);
  let proxy = await m.start();
  const cache = () => mkdtemp(join(m.work, 'npmcache-'));
  try {
    const app = await project(m.work, { 'top-level': '^3.0.0' });
    const first = await npm(['install'], app, proxy, await cache());
    assert.equal(first.code, 0, first.output);
    assert.equal(await installed(app, '@acme/core'), '2.0.0');
    assert.equal(await installed(app, 'left-part'), '1.2.0');
    assert.equal(m.tarballRequests(), 3);
    assert.deepEqual(downloads(m.events).map((e) => [e.name, e.version, e.cache_status]).sort(), [['@acme/core', '2.0.0', 'miss'], ['left-part', '1.2.0', 'miss'], ['top-level', '3.1.0', 'miss']]);

    const again = await npm(['install'], await project(m.work, { 'top-level': '^3.0.0' }), proxy, await cache());
    assert.equal(again.code, 0, again.output);
    assert.equal(m.tarballRequests(), 3, 'the second install is served from the cache');

    await proxy.close();
    proxy = await m.start();
    await rm(join(app, 'node_modules'), { recursive: true, force: true });
    const ci = await npm(['ci'], app, proxy, await cache());
    assert.equal(ci.code, 0, ci.output);
    assert.equal(await installed(app, '@acme/core'), '2.0.0');
    assert.equal(m.tarballRequests(), 3, 'npm ci through a restarted mirror is served from its cache');
    assert.deepEqual(downloads(m.events).slice(3).map((e) => e.cache_status), Array(6).fill('hit'));

    // Offline, the registry never asked: npm ci from the lockfile again.
    await proxy.close();
    proxy = await m.start(true);
    const asked = [...m.registry.requests.values()].reduce((a, b) => a + b, 0);
    await rm(join(app, 'node_modules'), { recursive: true, force: true });
    const offline = await npm(['ci'], app, proxy, await cache());
    assert.equal(offline.code, 0, offline.output);
    assert.equal(await installed(app, 'left-part'), '1.2.0');
    assert.equal([...m.registry.requests.values()].reduce((a, b) => a + b, 0), asked);

    for (const text of [JSON.stringify(m.events), m.logs.join('\n'), first.output, ci.output, await readFile(join(app, 'package-lock.json'), 'utf8')]) {
      assert.ok(!text.includes(TOKEN), 'the token is in no event, log line, npm output or lockfile');
    }
  } finally {
    await proxy.close();
    await m.close();
  }
}

const bearer = (key: string) => `${key}:_authToken=${TOKEN}\n`;
const manyTimes = (doc: Record<string, unknown>) => {
  const time: Record<string, string> = { created: '2015-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z' };
  for (let i = 0; i < 20_000; i++) time[`0.0.${i}`] = '2016-01-01T00:00:00.000Z';
  return { ...doc, time };
};

describe('npm mirror in front of real registry shapes, with real npm', { timeout: 600_000 }, () => {
  it('Verdaccio: routes on the path npm sends (`@scope%2fname`), token at //host/, `deprecated` and `_attachments` in the packument', () =>
    installTwiceThenCi({
      registry: {
        rawPaths: true,
        full: (doc) => ({ ...doc, _attachments: { 'core-2.0.0.tgz': { shasum: 'x', version: '2.0.0' } }, users: {}, _rev: '3-abc' }),
        dist: (dist, built) => (built.spec.version === '1.0.0' ? { ...dist, deprecated: 'use 1.2' } : dist),
      },
      authorization: `Bearer ${TOKEN}`,
      npmrc: bearer,
    }));

  it('GitHub Packages: tarballs at /download/<name>/<version>/<digest>, redirected to presigned storage on another host (which refuses the token), token at //host/', () =>
    installTwiceThenCi({
      registry: { tarballPath: (spec, shasum) => `/download/${spec.name}/${spec.version}/${shasum}` },
      storage: true,
      authorization: `Bearer ${TOKEN}`,
      npmrc: bearer,
    }));

  it('GitLab: a project endpoint (/api/v4/projects/7/packages/npm/), tarballs at @scope/pkg/-/@scope/pkg-1.0.0.tgz, the full document whatever the Accept, a huge `time`, tarballs sent `private`', () =>
    installTwiceThenCi({
      registry: {
        prefix: '/api/v4/projects/7/packages/npm',
        tarballPath: (spec) => `/${spec.name}/-/${spec.name}-${spec.version}.tgz`,
        ignoreAccept: true,
        full: manyTimes,
        // What Rails sends on an API response to an authenticated request.
        tarballCacheControl: 'max-age=0, private, must-revalidate',
      },
      authorization: `Bearer ${TOKEN}`,
      npmrc: bearer,
    }));

  it('Artifactory: a remote repository under /artifactory/api/npm/npm-remote/, Basic `_auth`, sha512 integrity only', () => {
    const basic = Buffer.from(`ci:${TOKEN}`).toString('base64');
    return installTwiceThenCi({
      registry: { prefix: '/artifactory/api/npm/npm-remote', dist: ({ shasum: _, ...dist }) => dist },
      authorization: `Basic ${basic}`,
      npmrc: (key) => `${key}:_auth=${basic}\n`,
    });
  });

  it('Nexus: a group repository under /repository/npm-group/ that routes on the raw path', () =>
    installTwiceThenCi({ registry: { prefix: '/repository/npm-group', rawPaths: true } }));

  it('CodeArtifact: /npm/<repo>/ with its token for that path only, `dist.signatures`', () =>
    installTwiceThenCi({
      registry: { prefix: '/npm/my-repo', dist: (dist) => ({ ...dist, signatures: [{ keyid: 'SHA256:test', sig: 'MEUCIQ' }] }) },
      authorization: `Bearer ${TOKEN}`,
      npmrc: (key) => `//${key.slice(2).split('/')[0]}/other/:_authToken=wrong\n${bearer(key)}`,
    }));

  it('a mirror whose tarballs are on another host (a CDN), with a query string', () =>
    installTwiceThenCi({ registry: { dist: (dist) => ({ ...dist, tarball: `${String(dist['tarball'])}?cache=1&via=cdn` }) }, cdn: true }));

  it('a registry behind a CDN that gzips packuments whatever the Accept-Encoding', () => installTwiceThenCi({ registry: { gzipPackuments: true } }));

  it('packuments that start with a byte-order mark (RFC 8259 lets a parser ignore it)', () => installTwiceThenCi({ registry: { bomPackuments: true } }));

  it('scoped tarball URLs with the scope %2f-encoded (`@scope%2fpkg/-/@scope%2fpkg-1.0.0.tgz`)', () =>
    installTwiceThenCi({ registry: { tarballPath: (spec) => `/${spec.name.replace('/', '%2f')}/-/${spec.name.replace('/', '%2f')}-${spec.version}.tgz` } }));

  it('very old packages: `shasum` (sha1) only, no `integrity`', () =>
    installTwiceThenCi({ registry: { dist: ({ integrity: _, ...dist }) => dist } }));

  it('Gitea: packages published before its standard URLs keep tarballs at <QueryEscape(name)>/-/<version>/<file> (routers/api/packages/npm/api.go), token at //host/api/packages/<owner>/npm/', () =>
    installTwiceThenCi({
      registry: {
        prefix: '/api/packages/org/npm',
        tarballPath: (spec) => `/${encodeURIComponent(spec.name)}/-/${spec.version}/${spec.name.split('/').pop()}-${spec.version}.tgz`,
      },
      authorization: `Bearer ${TOKEN}`,
      npmrc: bearer,
    }));

  it('a read-only mirror whose tarballs sit at <name>/<file>, without the /-/ segment (jbuck/npm-readonly-mirror#7)', () =>
    installTwiceThenCi({ registry: { tarballPath: (spec) => `/${spec.name}/${spec.name.split('/').pop()}-${spec.version}.tgz` } }));
});

describe('npm mirror: a tarball whose bytes are not what the packument declares', { timeout: 120_000 }, () => {
  for (const [title, dist] of [
    ['sha512 `integrity`', (d: Record<string, unknown>) => d],
    ['sha1 `shasum` only', ({ integrity: _, ...d }: Record<string, unknown>) => d],
  ] as const) {
    it(`is never served as good nor stored (${title})`, async () => {
      const m = await mirror({ registry: { corrupt: new Set(['left-part@1.2.0']), dist } });
      const proxy = await m.start();
      try {
        const app = await project(m.work, { 'top-level': '^3.0.0' });
        const install = await npm(['install'], app, proxy, await mkdtemp(join(m.work, 'npmcache-')));
        assert.notEqual(install.code, 0, install.output);
        const before = m.tarballRequests();
        for (let i = 0; i < 2; i++) {
          const response = await fetch(`${proxy.url}/npm/left-part/-/left-part-1.2.0.tgz`);
          const body = response.ok ? await response.arrayBuffer().catch(() => null) : null;
          assert.equal(body, null, 'the client sees a failed download, never a complete body');
        }
        assert.equal(m.tarballRequests(), before + 2, 'nothing was stored: each request goes upstream again');
        assert.ok(!downloads(m.events).some((e) => e.name === 'left-part'), JSON.stringify(downloads(m.events)));
      } finally {
        await proxy.close();
        await m.close();
      }
    });
  }
});

describe('npm mirror next to a scope on its own registry', { timeout: 120_000 }, () => {
  it('`@acme:registry=` with its own token: npm fetches @acme/* there, the rest through the mirror, which asks its upstream for no @acme package and never sees that token', async () => {
    const scopeToken = 'npm_ScopeOnlyToken0123456789';
    const scoped = await startNpmRegistry(ACME_TREE, { prefix: '/scope', authorization: `Bearer ${scopeToken}` });
    const m = await mirror({ registry: {} });
    const proxy = await m.start();
    // As with npm's own default for replace-registry-host (offgrid run leaves it), the scope's lockfile URLs stay the scope's.
    const settings = { 'npm_config_@acme:registry': `${scoped.url}scope/`, [`npm_config_//127.0.0.1:${scoped.port}/scope/:_authToken`]: scopeToken, npm_config_replace_registry_host: 'never' };
    try {
      const app = await project(m.work, { 'top-level': '^3.0.0' });
      const install = await npm(['install'], app, proxy, await mkdtemp(join(m.work, 'npmcache-')), settings);
      assert.equal(install.code, 0, install.output);
      assert.equal(await installed(app, '@acme/core'), '2.0.0');
      assert.equal(scoped.tarballRequests(), 1);
      assert.equal(m.tarballRequests(), 2);
      assert.deepEqual([...m.registry.requests.keys()].filter((p) => p.includes('@acme')), []);

      await rm(join(app, 'node_modules'), { recursive: true, force: true });
      const ci = await npm(['ci'], app, proxy, await mkdtemp(join(m.work, 'npmcache-')), settings);
      assert.equal(ci.code, 0, ci.output);
      assert.equal(m.tarballRequests(), 2, 'the mirror serves its packages from its cache');
      assert.deepEqual(downloads(m.events).map((e) => [e.name, e.cache_status]).sort(), [['left-part', 'hit'], ['left-part', 'miss'], ['top-level', 'hit'], ['top-level', 'miss']]);
      assert.ok(!JSON.stringify(m.events).includes(scopeToken) && !m.logs.join('\n').includes(scopeToken));
    } finally {
      await proxy.close();
      await m.close();
      await scoped.close();
    }
  });
});

describe('npm mirror: a version with SemVer build metadata', { timeout: 120_000 }, () => {
  it('`1.0.0+build.7` (Verdaccio keeps the `+…`: verdaccio/verdaccio#1399) installs through the mirror, then offline from its cache', async () => {
    const m = await mirror({ registry: { rawPaths: true } }, [{ name: 'meta-pkg', version: '1.0.0+build.7' }]);
    let proxy = await m.start();
    try {
      const app = await project(m.work, { 'meta-pkg': '^1.0.0' });
      const first = await npm(['install'], app, proxy, await mkdtemp(join(m.work, 'npmcache-')));
      assert.equal(first.code, 0, first.output);
      assert.equal(await installed(app, 'meta-pkg'), '1.0.0+build.7');
      assert.equal(m.tarballRequests(), 1);
      await proxy.close();
      proxy = await m.start(true);
      await rm(join(app, 'node_modules'), { recursive: true, force: true });
      const offline = await npm(['ci'], app, proxy, await mkdtemp(join(m.work, 'npmcache-')));
      assert.equal(offline.code, 0, offline.output);
      assert.equal(await installed(app, 'meta-pkg'), '1.0.0+build.7');
      assert.equal(m.tarballRequests(), 1, 'offline, from the cache');
    } finally {
      await proxy.close();
      await m.close();
    }
  });
});
