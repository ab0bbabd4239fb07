// Real apt-get through the proxy, against the machine's configured Debian mirror (the one
// network target outside 127.0.0.1 in these tests; skipped when it is unreachable). apt runs
// with its own lists/cache dirs in a temp directory, so the machine's apt state is untouched,
// and with the APT_CONFIG from env.ts, so the proxy setting is the only change.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { DownloadEvent } from '../../src/capture/events.js';
import { MACHINE_APT_SOURCES, aptSourceHosts, parseDeb822Sources, parseOneLineSources } from '../../src/capture/proxy/allow-list.js';
import { proxyEnvironment } from '../../src/capture/proxy/env.js';
import { forwardKey } from '../../src/capture/proxy/forward.js';
import { startTestProxy } from '../helpers/upstream-proxy.js';
import { readFile, readdir as readDir } from 'node:fs/promises';

const PACKAGE = 'hello';

async function firstSourceUri(): Promise<string | null> {
  const uris: string[] = [];
  try {
    uris.push(...parseOneLineSources(await readFile(MACHINE_APT_SOURCES.sourcesList, 'utf8')));
  } catch {
    // no sources.list
  }
  try {
    for (const name of (await readDir(MACHINE_APT_SOURCES.sourcesDir)).sort()) {
      const text = await readFile(join(MACHINE_APT_SOURCES.sourcesDir, name), 'utf8');
      if (name.endsWith('.sources')) uris.push(...parseDeb822Sources(text));
      if (name.endsWith('.list')) uris.push(...parseOneLineSources(text));
    }
  } catch {
    // no sources.list.d
  }
  return uris.find((uri) => uri.startsWith('http://')) ?? null;
}

function reachable(uri: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(uri, { method: 'HEAD', timeout: 5000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

function run(args: string[], env: Record<string, string>, cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('apt-get', args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

describe('apt-get through the proxy', () => {
  it('apt-get update + download twice with fresh apt dirs: the second run comes from the cache, an offline third run works', { timeout: 600_000 }, async (t) => {
    const uri = await firstSourceUri();
    if (!uri) {
      t.skip('the machine has no http:// apt source configured');
      return;
    }
    if (!(await reachable(uri))) {
      t.skip("the machine's Debian mirror is unreachable from here; skipping the real apt-get test");
      return;
    }
    const hosts = await aptSourceHosts();
    const work = await mkdtemp(join(tmpdir(), 'offgrid-apt-'));
    const cacheDir = join(work, 'cache');
    let proxy = await startTestProxy({ allowedHosts: hosts, cacheDir });
    try {
      let env = await proxyEnvironment(proxy.proxy.url, { aptConfigDir: join(work, 'aptconf'), pypi: false, npm: false, tunnelHttps: false });
      const runOnce = async (n: number): Promise<DownloadEvent[]> => {
        const root = join(work, `run${n}`);
        for (const dir of ['lists/partial', 'cache/archives/partial', 'out']) await mkdir(join(root, dir), { recursive: true });
        const options = [
          '-o', `Dir::State::Lists=${join(root, 'lists')}`,
          '-o', `Dir::Cache=${join(root, 'cache')}`,
          '-o', `Dir::Cache::archives=${join(root, 'cache/archives')}`,
          '-o', 'APT::Sandbox::User=root',
          '-o', 'Debug::NoLocking=1',
          '-o', 'Acquire::Retries=0',
        ];
        const childEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', APT_CONFIG: env.APT_CONFIG!, LC_ALL: 'C' };
        const before = proxy.downloads().length;
        const update = await run([...options, 'update'], childEnv, root);
        assert.equal(update.status, 0, update.output);
        const download = await run([...options, 'download', PACKAGE], childEnv, join(root, 'out'));
        assert.equal(download.status, 0, download.output);
        const files = await readdir(join(root, 'out'));
        assert.ok(files.some((f) => f.startsWith(`${PACKAGE}_`) && f.endsWith('.deb')), `apt-get download wrote ${files.join(', ')}`);
        // apt has what it asked for; give the proxy a moment to record its last responses.
        await new Promise((resolve) => setTimeout(resolve, 200));
        return proxy.downloads().slice(before);
      };

      const first = await runOnce(1);
      assert.ok(first.length > 0, 'apt went through the proxy');
      assert.ok(first.every((e) => e.tool === 'apt'));
      assert.ok(first.some((e) => e.index && e.kind === 'apt'), 'index files were fetched');
      const deb = first.find((e) => !e.index && e.kind === 'apt' && e.name === PACKAGE);
      assert.ok(deb, 'the .deb was recorded with its name');
      assert.equal(deb.cache_status, 'miss');
      assert.ok(deb.version && deb.sha256 && (deb.size ?? 0) > 0);

      const second = await runOnce(2);
      assert.ok(second.length >= 2);
      // Mutable index files are revalidated; an upstream that sends neither ETag nor
      // Last-Modified cannot answer 304 (RFC 9111 §4.3.1 needs a validator), so those are
      // refetched — honestly recorded as misses. Everything else must come from the cache.
      const notFromCache = second.filter((e) => !e.cached);
      for (const event of notFromCache) {
        assert.equal(event.filename, 'InRelease', `${event.cache_status} for ${event.filename}: only validator-less InRelease files may be refetched`);
        const entry = await proxy.proxy.store.get(forwardKey(new URL(event.source!)));
        assert.ok(entry && !entry.metadata.etag && !entry.metadata.last_modified, 'the upstream gave no validator for it');
      }
      assert.ok(second.filter((e) => e.cached).length > notFromCache.length, 'most of the second run came from the cache');
      const deb2 = second.find((e) => !e.index && e.name === PACKAGE);
      assert.equal(deb2?.cache_status, 'hit');
      assert.equal(deb2?.sha256, deb.sha256);
      assert.deepEqual(proxy.attempts(), []);

      // Offline, same cache: apt-get update and download still work, and nothing leaves.
      await proxy.close();
      proxy = await startTestProxy({ allowedHosts: hosts, cacheDir, offline: true });
      env = await proxyEnvironment(proxy.proxy.url, { aptConfigDir: join(work, 'aptconf-offline'), pypi: false, npm: false, tunnelHttps: false });
      const third = await runOnce(3);
      assert.ok(third.length >= 2);
      assert.ok(third.every((e) => e.cached && e.cache_status === 'hit'));
      assert.deepEqual(proxy.attempts(), []);
    } finally {
      await proxy.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});
