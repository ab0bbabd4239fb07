// The real pnpm (the devDependency, node_modules/.bin/pnpm) through the npm mirror, against
// a real local registry (test/helpers/npm-registry.ts) whose request counts show what
// reached the "upstream".
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { CaptureEvent, DownloadEvent } from '../../src/capture/events.js';
import { parseToolLines } from '../../src/capture/parsers/tools.js';
import { npmRoute } from '../../src/capture/proxy/npm.js';
import { startProxy, type RunningProxy } from '../../src/capture/proxy/server.js';
import { systemClock } from '../../src/session/time.js';
import { project } from '../helpers/npm-cli.js';
import { ACME_TREE, type NpmRegistry, startNpmRegistry } from '../helpers/npm-registry.js';

// Compiled tests live in dist/test/proxy.
const PNPM = fileURLToPath(new URL('../../../node_modules/.bin/pnpm', import.meta.url));

/** `pnpm <args>` in `cwd` with the proxy's `/npm/` as its registry and its own store and metadata cache under `home`. */
function pnpm(args: string[], cwd: string, proxy: RunningProxy, home: string): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_config_|pnpm_|xdg_)/i.test(k)) env[k] = v;
  Object.assign(env, {
    HOME: home,
    npm_config_registry: `${proxy.url}/npm/`,
    npm_config_userconfig: '/dev/null',
    npm_config_update_notifier: 'false',
    npm_config_fetch_retries: '0',
  });
  return new Promise((resolve, reject) => {
    const child = spawn(PNPM, [...args, '--store-dir', join(home, 'store'), '--cache-dir', join(home, 'cache')], { cwd, env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function proxyFor(registry: NpmRegistry, cacheDir: string, offline: boolean) {
  const events: CaptureEvent[] = [];
  const proxy = await startProxy({
    cacheDir,
    offline,
    upstreams: { pypi: [], npm: new URL(registry.url), allowedHosts: new Set() },
    record: (event) => events.push(event),
    clock: systemClock,
    log: { debug: () => {}, warn: () => {} },
    routes: [npmRoute()],
  });
  return { proxy, events };
}

const tarballs = (events: CaptureEvent[]) => events.filter((e): e is DownloadEvent => e.type === 'download' && !e.index);
const version = async (dir: string, pkg: string) => (JSON.parse(await readFile(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

describe('npm mirror with real pnpm', { timeout: 90_000 }, () => {
  let registry: NpmRegistry;
  let work: string;

  before(async () => {
    registry = await startNpmRegistry([...ACME_TREE, { name: 'never-fetched', version: '1.0.0' }]);
    work = await mkdtemp(join(tmpdir(), 'offgrid-pnpm-'));
  });
  after(async () => {
    await registry.close();
    await rm(work, { recursive: true, force: true });
  });

  it('pnpm install is recorded and cached; with the registry stopped, an empty pnpm store and an offline proxy it installs again from the cache', async () => {
    const cacheDir = join(work, 'offgrid-cache');
    const app = await project(work, { 'top-level': '^3.0.0' });
    const online = await proxyFor(registry, cacheDir, false);
    try {
      const first = await pnpm(['install', '--no-frozen-lockfile'], app, online.proxy, await mkdtemp(join(work, 'home-')));
      assert.equal(first.code, 0, first.output);
      assert.equal(await version(app, 'top-level'), '3.1.0');
      assert.equal(registry.tarballRequests(), 3);
      assert.deepEqual(tarballs(online.events).map((e) => [e.name, e.version, e.cached]).sort(), [['@acme/core', '2.0.0', false], ['left-part', '1.2.0', false], ['top-level', '3.1.0', false]]);
      // pnpm's lockfile holds integrity, not the mirror's URLs: it stays valid on another port.
      const lock = await readFile(join(app, 'pnpm-lock.yaml'), 'utf8');
      assert.ok(!lock.includes(online.proxy.url), lock);
      assert.deepEqual(parseToolLines(first.output.split('\n')), [], 'a successful pnpm install names no download');
    } finally {
      await online.proxy.close();
    }

    await registry.close();
    const offline = await proxyFor(registry, cacheDir, true);
    try {
      await rm(join(app, 'node_modules'), { recursive: true, force: true });
      const again = await pnpm(['install', '--frozen-lockfile'], app, offline.proxy, await mkdtemp(join(work, 'home-')));
      assert.equal(again.code, 0, again.output);
      assert.equal(await version(app, 'top-level'), '3.1.0');
      assert.deepEqual(tarballs(offline.events).map((e) => [e.name, e.cache_status]).sort(), [['@acme/core', 'hit'], ['left-part', 'hit'], ['top-level', 'hit']]);
      // Without a lockfile, the packuments come from the cache too.
      const fresh = await project(work, { 'top-level': '^3.0.0' });
      const resolved = await pnpm(['install', '--no-frozen-lockfile'], fresh, offline.proxy, await mkdtemp(join(work, 'home-')));
      assert.equal(resolved.code, 0, resolved.output);
      assert.ok(offline.events.every((e) => e.type !== 'download' || e.cached));
      assert.deepEqual(offline.events.filter((e) => e.type === 'network_attempt'), []);

      // A package never fetched: the proxy records the miss, pnpm's log the 404 it got.
      const missing = await pnpm(['install', '--no-frozen-lockfile'], await project(work, { 'never-fetched': '1.0.0' }), offline.proxy, await mkdtemp(join(work, 'home-')));
      assert.notEqual(missing.code, 0);
      assert.ok(offline.events.some((e) => e.type === 'network_attempt' && e.url_or_host.endsWith('/never-fetched')));
      const logged = parseToolLines(missing.output.split('\n'));
      assert.deepEqual(logged.map((e) => [e.type, e.type === 'error' ? e.message : null]), [['error', `ERR_PNPM_FETCH_404 GET ${offline.proxy.url}/npm/never-fetched: Not Found - 404`]]);
    } finally {
      await offline.proxy.close();
      await registry.restart();
    }
  });
});
