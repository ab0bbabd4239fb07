// offgrid cache export/import with the real npm client: `offgrid run -- npm install` from a
// local registry fills cache A; A is exported and imported into an empty cache B; with the
// registry stopped, `offgrid run --offline` installs the same tree from B alone (npm ci from
// the lockfile, and npm install resolving ranges from the imported packuments), every
// tarball recorded as cached and no network attempt. An archive without the packuments
// imports cleanly but cannot serve the same install: the check above can fail.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { END_OF_ARCHIVE, fileHeader, padding } from '../../src/cache/tar.js';
import type { DownloadRecord, Ledger } from '../../src/ledger/schema.js';
import { readValidLedger, runCli } from '../helpers/cli.js';
import { ACME_TREE, type NpmRegistry, startNpmRegistry } from '../helpers/npm-registry.js';

/** The tree `top-level@^3` resolves to, and what each installed package.json must say. */
const TREE = { 'top-level': '3.1.0', '@acme/core': '2.0.0', 'left-part': '1.2.0' };

/** The environment npm runs with under offgrid: its own empty cache, no user config, quiet. */
function npmEnv(npmCache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // runCli merges process.env first; undefined drops any npm_config_* inherited from `npm test`.
  for (const key of Object.keys(process.env)) if (/^npm_config_/i.test(key)) env[key] = undefined;
  return Object.assign(env, {
    npm_config_cache: npmCache,
    npm_config_userconfig: '/dev/null',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_fetch_retries: '0',
    npm_config_loglevel: 'warn',
  });
}

function onlyLedger(logDir: string): Ledger {
  const names = readdirSync(join(logDir, 'build')).filter((n) => /^downloads_\d{8}_\d{6}(_\d+)?\.json$/.test(n));
  assert.equal(names.length, 1, `expected one ledger in ${logDir}, found ${names.join(', ')}`);
  return readValidLedger(join(logDir, 'build', names[0]!));
}

function installedVersions(project: string): Record<string, string> {
  return Object.fromEntries(Object.keys(TREE).map((name) => [name, (JSON.parse(readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version]));
}

const tarballs = (ledger: Ledger): DownloadRecord[] => ledger.downloads.npm.filter((d) => !d.index);
const byName = (records: DownloadRecord[]) => [...records].sort((a, b) => String(a.name).localeCompare(String(b.name)));

/** The files of one of offgrid's archives (manifest first, then sha256/<hex>), in order. */
function untar(archive: string): { name: string; data: Buffer }[] {
  const tar = gunzipSync(readFileSync(archive));
  const files: { name: string; data: Buffer }[] = [];
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0; ) {
    const name = tar.subarray(at, at + 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(tar.subarray(at + 124, at + 136).toString('latin1').replace(/\0.*$/s, ''), 8);
    files.push({ name, data: tar.subarray(at + 512, at + 512 + size) });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function tarOf(files: { name: string; data: Buffer }[]): Buffer {
  return gzipSync(Buffer.concat([...files.flatMap((f) => [fileHeader(f.name, f.data.length, 0), f.data, padding(f.data.length)]), END_OF_ARCHIVE]));
}

interface ManifestEntry {
  key: string;
  sha256: string;
  metadata: Record<string, unknown>;
}

describe('cache export / import: the npm round trip', { timeout: 240_000 }, () => {
  let registry: NpmRegistry;
  let work: string;
  let archive: string;
  let lockedProject: string;
  let online: Ledger;

  const offgrid = (args: string[], cwd: string, npmCache: string) => runCli(args, { cwd, env: npmEnv(npmCache) });
  const newProject = (name: string, withLock: boolean): string => {
    const dir = join(work, name);
    mkdirSync(dir);
    copyFileSync(join(lockedProject, 'package.json'), join(dir, 'package.json'));
    if (withLock) copyFileSync(join(lockedProject, 'package-lock.json'), join(dir, 'package-lock.json'));
    return dir;
  };
  /** `offgrid run --offline --cache-dir <cache> -- npm <args>` in a fresh project, empty npm cache. */
  const offlineInstall = async (cache: string, project: string, npmArgs: string[]) => {
    const logs = join(work, `logs-${project.split('/').pop()}`);
    const r = await offgrid(['run', '--offline', '--cache-dir', cache, '--log-dir', logs, '--npm-upstream', registry.url, '--', 'npm', ...npmArgs], project, mkdtempSync(join(work, 'npmcache-')));
    return { ...r, ledger: onlyLedger(logs) };
  };

  before(async () => {
    registry = await startNpmRegistry(ACME_TREE);
    work = mkdtempSync(join(tmpdir(), 'offgrid-npm-export-'));
    archive = join(work, 'cache.tgz');
  });
  after(async () => {
    await registry.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('online: offgrid run -- npm install fills cache A from the registry', async () => {
    lockedProject = join(work, 'app-online');
    mkdirSync(lockedProject);
    writeFileSync(join(lockedProject, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { 'top-level': '^3.0.0' } }));
    const logs = join(work, 'logs-online');
    const r = await offgrid(['run', '--cache-dir', join(work, 'cache-a'), '--log-dir', logs, '--npm-upstream', registry.url, '--', 'npm', 'install'], lockedProject, mkdtempSync(join(work, 'npmcache-')));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(installedVersions(lockedProject), TREE);
    assert.equal(registry.tarballRequests(), 3, 'each tarball fetched from the registry once');
    online = onlyLedger(logs);
    assert.equal(online.exit_code, 0);
    assert.deepEqual(
      byName(tarballs(online)).map((d) => [d.name, d.version, d.cached, d.cache_status]),
      [['@acme/core', '2.0.0', false, 'miss'], ['left-part', '1.2.0', false, 'miss'], ['top-level', '3.1.0', false, 'miss']],
    );
  });

  it('export A, import into an empty cache B: the packuments and tarballs travel', async () => {
    const exported = await runCli(['cache', 'export', '--cache-dir', join(work, 'cache-a'), '--out', archive, '--json'], { cwd: work });
    assert.equal(exported.code, 0, exported.stderr);
    const manifest = JSON.parse(untar(archive)[0]!.data.toString('utf8')) as { entries: ManifestEntry[] };
    const base = registry.url.replace(/\/$/, '');
    // Each tarball is keyed by its registry URL; each packument by its URL and form (which
    // form, full or abbreviated, depends on what this npm version asks for).
    assert.deepEqual(manifest.entries.map((e) => e.key).filter((k) => k.startsWith('npm:tarball:')).sort(), [
      `npm:tarball:${base}/@acme/core/-/core-2.0.0.tgz`,
      `npm:tarball:${base}/left-part/-/left-part-1.2.0.tgz`,
      `npm:tarball:${base}/top-level/-/top-level-3.1.0.tgz`,
    ]);
    const packuments = manifest.entries.map((e) => e.key).filter((k) => k.startsWith('npm:packument:'));
    assert.equal(packuments.length, 3, packuments.join('\n'));
    assert.deepEqual(
      packuments.map((k) => decodeURIComponent(k.replace(/^npm:packument:v1:(full|abbreviated):/, '').slice(base.length + 1))).sort(),
      ['@acme/core', 'left-part', 'top-level'],
    );
    assert.equal(JSON.parse(exported.stdout).entries, 6);

    const imported = await runCli(['cache', 'import', '--cache-dir', join(work, 'cache-b'), archive, '--json'], { cwd: work });
    assert.equal(imported.code, 0, imported.stderr);
    assert.deepEqual([JSON.parse(imported.stdout).added, JSON.parse(imported.stdout).unchanged], [6, 0]);
  });

  it('registry stopped, --offline: npm ci and npm install from cache B alone install the same versions, all cached', async () => {
    const requestsBefore = [...registry.requests.values()].reduce((a, b) => a + b, 0);
    await registry.close();
    const cacheB = join(work, 'cache-b');
    const expected = byName(tarballs(online)).map((d) => [d.name, d.version, d.sha256, true, 'hit']);

    // From the lockfile: the proxy finds each tarball through its imported packument.
    const ci = await offlineInstall(cacheB, newProject('app-ci', true), ['ci']);
    assert.equal(ci.code, 0, ci.stderr);
    assert.deepEqual(installedVersions(join(work, 'app-ci')), TREE);
    assert.equal(ci.ledger.offline, true);
    assert.equal(ci.ledger.exit_code, 0);
    assert.deepEqual(byName(tarballs(ci.ledger)).map((d) => [d.name, d.version, d.sha256, d.cached, d.cache_status]), expected);
    assert.deepEqual(ci.ledger.network_attempts, []);
    assert.deepEqual(ci.ledger.errors, []);
    assert.equal(ci.ledger.summary.total_downloads, 0);
    assert.equal(ci.ledger.summary.total_cached, 3);

    // No lockfile: npm resolves ^3.0.0 and ^1.0.0 from the imported packuments.
    const install = await offlineInstall(cacheB, newProject('app-resolve', false), ['install']);
    assert.equal(install.code, 0, install.stderr);
    assert.deepEqual(installedVersions(join(work, 'app-resolve')), TREE);
    assert.deepEqual(byName(tarballs(install.ledger)).map((d) => [d.name, d.version, d.sha256, d.cached, d.cache_status]), expected);
    const packuments = install.ledger.downloads.indexes.filter((d) => d.kind === 'npm');
    assert.deepEqual(packuments.map((d) => [d.name, d.cached, d.cache_status]).sort(), [['@acme/core', true, 'hit'], ['left-part', true, 'hit'], ['top-level', true, 'hit']]);
    assert.deepEqual(install.ledger.network_attempts, []);
    assert.equal(install.ledger.summary.total_downloads, 0);

    assert.equal([...registry.requests.values()].reduce((a, b) => a + b, 0), requestsBefore, 'nothing reached the registry');
  });

  it('control: an archive without the packuments imports, but the same offline npm ci fails and records the misses', async () => {
    const files = untar(archive);
    const manifest = JSON.parse(files[0]!.data.toString('utf8')) as { entries: ManifestEntry[] };
    const kept = manifest.entries.filter((e) => !e.key.startsWith('npm:packument:'));
    const keptFiles = new Set(kept.map((e) => `sha256/${e.sha256}`));
    const stripped = join(work, 'no-packuments.tgz');
    writeFileSync(stripped, tarOf([{ name: files[0]!.name, data: Buffer.from(JSON.stringify({ ...manifest, entries: kept })) }, ...files.slice(1).filter((f) => keptFiles.has(f.name))]));
    assert.equal(execFileSync('tar', ['tzf', stripped], { encoding: 'utf8' }).trim().split('\n').length, 4); // manifest + 3 tarballs
    const cacheC = join(work, 'cache-c');
    const imported = await runCli(['cache', 'import', '--cache-dir', cacheC, stripped, '--json'], { cwd: work });
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(JSON.parse(imported.stdout).added, 3);

    const ci = await offlineInstall(cacheC, newProject('app-control', true), ['ci']);
    assert.notEqual(ci.code, 0, 'npm ci cannot succeed offline without the packuments');
    assert.match(ci.stderr, /404/);
    // The tarballs are in cache C, but the proxy serves a tarball only once a packument lists it.
    assert.deepEqual(
      ci.ledger.network_attempts.map((a) => [a.url_or_host, a.error]).sort(),
      [['@acme/core/-/core-2.0.0.tgz', 'offline: not in the cache'], ['left-part/-/left-part-1.2.0.tgz', 'offline: not in the cache'], ['top-level/-/top-level-3.1.0.tgz', 'offline: not in the cache']],
    );
    assert.deepEqual(tarballs(ci.ledger), []);
  });
});
