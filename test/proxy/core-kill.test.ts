// A proxy killed with SIGKILL mid-download leaves no entry behind: after a restart the
// partial file is not served, and a fresh fetch succeeds.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { request } from 'node:http';
import { CacheStore } from '../../src/cache/index.js';
import { forwardKey } from '../../src/capture/proxy/forward.js';
import { bytes, sha256, startUpstream } from '../helpers/upstream.js';
import { fetchVia } from '../helpers/upstream-proxy.js';

const childScript = fileURLToPath(new URL('../helpers/upstream-proxy-child.js', import.meta.url));

function startChild(cacheDir: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, cacheDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve({ child, url: out.trim() });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`proxy child exited with ${code}`)));
  });
}

describe('SIGKILL mid-download', () => {
  it('serves no partial file after a restart; a fresh fetch succeeds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'offgrid-kill-'));
    const cacheDir = join(dir, 'cache');
    const body = bytes(4 * 1024 * 1024, 60);
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const upstream = await startUpstream({ '/big/kill-1.0.bin': { body, fault: { type: 'hold', after: 1024 * 1024, released } } });
    const url = `${upstream.url}/big/kill-1.0.bin`;
    try {
      const first = await startChild(cacheDir);
      const proxy = new URL(first.url);
      // Read until 512 KiB arrived (the download is under way), then kill the proxy.
      const cut = await new Promise<{ got: number; complete: boolean }>((resolve) => {
        const req = request({ host: proxy.hostname, port: proxy.port, path: url, agent: false }, (res) => {
          let got = 0;
          let killed = false;
          res.on('data', (chunk: Buffer) => {
            got += chunk.length;
            if (!killed && got >= 512 * 1024) {
              killed = true;
              first.child.kill('SIGKILL');
            }
          });
          res.on('close', () => resolve({ got, complete: res.complete }));
        });
        req.on('error', () => resolve({ got: 0, complete: false }));
        req.end();
      });
      assert.equal(cut.complete, false);
      assert.ok(cut.got < body.length);
      await new Promise((resolve) => (first.child.exitCode !== null || first.child.signalCode !== null ? resolve(null) : first.child.once('exit', resolve)));
      release();

      // The dead writer left a temp file at most, never an entry.
      const store = await CacheStore.open({ root: cacheDir });
      assert.equal(await store.get(forwardKey(new URL(url))), null);
      const leftovers = await readdir(join(cacheDir, 'tmp'));
      assert.ok(leftovers.length <= 1);

      upstream.set('/big/kill-1.0.bin', { body });
      const second = await startChild(cacheDir);
      try {
        const fresh = await fetchVia(second.url, url);
        assert.equal(fresh.headers['x-offgrid-cache'], 'miss', 'the partial download was not served as a hit');
        assert.equal(sha256(fresh.body), sha256(body));
        const hit = await fetchVia(second.url, url);
        assert.equal(hit.headers['x-offgrid-cache'], 'hit');
        assert.equal(sha256(hit.body), sha256(body));
        assert.equal(upstream.count('/big/kill-1.0.bin'), 2);
      } finally {
        second.child.removeAllListeners('exit');
        second.child.kill('SIGKILL');
      }
    } finally {
      await upstream.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
