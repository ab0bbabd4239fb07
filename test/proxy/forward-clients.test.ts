// Real curl and wget through the forward proxy: the second fetch is served from the cache,
// the upstream sees one request, and the ledger events name the tool.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { classifyForwardUrl, forwardKey, forwardTarget, parseDebFilename } from '../../src/capture/proxy/forward.js';
import { type Upstream, bytes, startUpstream } from '../helpers/upstream.js';
import { type TestProxy, eventually, startTestProxy } from '../helpers/upstream-proxy.js';

/** Runs a client asynchronously: the proxy lives in this process, so a sync spawn would deadlock. */
function run(command: string, args: string[], env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

/** Only what the client needs: no machine proxy settings or no_proxy leak in. */
const cleanEnv = (extra: Record<string, string> = {}): Record<string, string> => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', ...extra });

describe('forward proxy with real clients', () => {
  let upstream: Upstream;
  let t: TestProxy;
  let work: string;
  const body = bytes(123_456, 50);
  before(async () => {
    upstream = await startUpstream({
      '/downloads/tool-3.1.4.tar.gz': { body },
      '/downloads/latest.txt': { body: Buffer.from('latest\n') },
      '/redirector/tool-3.1.4.tar.gz': { body: Buffer.alloc(0), status: 302, headers: { location: '/downloads/tool-3.1.4.tar.gz' } },
    });
    t = await startTestProxy();
    work = await mkdtemp(join(tmpdir(), 'offgrid-clients-'));
  });
  after(async () => {
    await t.close();
    await upstream.close();
    await rm(work, { recursive: true, force: true });
  });

  it('curl -x: miss then hit, identical files, one upstream request', async () => {
    const url = `${upstream.url}/downloads/tool-3.1.4.tar.gz`;
    for (const n of [1, 2]) {
      const out = join(work, `curl-${n}`);
      const result = await run('curl', ['-sS', '-f', '-x', t.proxy.url, '-o', out, '-D', `${out}.headers`, url], cleanEnv());
      assert.equal(result.status, 0, result.stderr);
      assert.ok((await readFile(out)).equals(body));
      const headers = await readFile(`${out}.headers`, 'utf8');
      assert.match(headers, new RegExp(`x-offgrid-cache: ${n === 1 ? 'miss' : 'hit'}`, 'i'));
    }
    assert.equal(upstream.count('/downloads/tool-3.1.4.tar.gz'), 1);
    await eventually(() => assert.equal(t.downloads().filter((e) => e.source === url).length, 2));
    const events = t.downloads().filter((e) => e.source === url);
    assert.deepEqual(events.map((e) => [e.tool, e.cache_status, e.kind, e.size]), [
      ['curl', 'miss', 'file', body.length],
      ['curl', 'hit', 'file', body.length],
    ]);
  });

  it('wget with http_proxy in its environment: miss then hit', async () => {
    const url = `${upstream.url}/downloads/tool-3.1.4.tar.gz`;
    const before = upstream.count('/downloads/tool-3.1.4.tar.gz');
    for (const n of [1, 2]) {
      const out = join(work, `wget-${n}`);
      const result = await run('wget', ['--no-config', '-q', '-O', out, url], cleanEnv({ http_proxy: t.proxy.url }));
      assert.equal(result.status, 0, result.stderr);
      assert.ok((await readFile(out)).equals(body));
    }
    assert.equal(upstream.count('/downloads/tool-3.1.4.tar.gz'), before, 'already cached by the curl test: no new upstream request');
    await eventually(() => assert.equal(t.downloads().filter((e) => e.tool === 'wget').length, 2));
    const events = t.downloads().filter((e) => e.tool === 'wget');
    assert.ok(events.every((e) => e.cache_status === 'hit'));
  });

  it('a redirect reaches the client with its Location (a mirror redirector), and curl -L and wget follow it', async () => {
    const url = `${upstream.url}/redirector/tool-3.1.4.tar.gz`;
    const curl = await run('curl', ['-sS', '-f', '-L', '-x', t.proxy.url, '-o', join(work, 'redirected-curl'), url], cleanEnv());
    assert.equal(curl.status, 0, curl.stderr);
    assert.ok((await readFile(join(work, 'redirected-curl'))).equals(body));
    const wget = await run('wget', ['--no-config', '-q', '-O', join(work, 'redirected-wget'), url], cleanEnv({ http_proxy: t.proxy.url }));
    assert.equal(wget.status, 0, wget.stderr);
    assert.ok((await readFile(join(work, 'redirected-wget'))).equals(body));
  });

  it('curl to a host off the allow-list fails with 403', async () => {
    const result = await run('curl', ['-sS', '-f', '-x', t.proxy.url, '-o', '/dev/null', 'http://not-allowed.invalid/x'], cleanEnv());
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /403/);
  });

  it('an unversioned file is revalidated each time', async () => {
    const url = `${upstream.url}/downloads/latest.txt`;
    for (let i = 0; i < 2; i++) await run('curl', ['-sS', '-x', t.proxy.url, '-o', '/dev/null', url], cleanEnv());
    await eventually(() =>
      assert.deepEqual(
        t.downloads().filter((e) => e.source === url).map((e) => e.cache_status),
        ['miss', 'revalidated'],
      ),
    );
  });
});

describe('forward proxy and redirects to other hosts', () => {
  it('lets a client follow an allowed upstream to the host it redirected to, and only there', async (t) => {
    const body = bytes(70_000, 9);
    const cdn = await startUpstream({ '/files/tool-2.0.tar.gz': { body }, '/files/other-1.0.bin': { body: Buffer.from('x') } });
    t.after(() => cdn.close());
    const origin = await startUpstream({ '/get/tool-2.0.tar.gz': { body: Buffer.alloc(0), status: 302, headers: { location: `${cdn.url}/files/tool-2.0.tar.gz` } } });
    t.after(() => origin.close());
    const proxy = await startTestProxy({ allowedHosts: [`127.0.0.1:${origin.port}`] });
    t.after(() => proxy.close());
    const work = await mkdtemp(join(tmpdir(), 'offgrid-redirect-'));
    t.after(() => rm(work, { recursive: true, force: true }));

    const before = await run('curl', ['-sS', '-f', '-x', proxy.proxy.url, '-o', join(work, 'early'), `${cdn.url}/files/other-1.0.bin`], cleanEnv());
    assert.notEqual(before.status, 0, 'the CDN is not reachable before an allowed upstream sent a client there');
    assert.match(before.stderr, /403/);

    const followed = await run('curl', ['-sS', '-f', '-L', '-x', proxy.proxy.url, '-o', join(work, 'tool'), `${origin.url}/get/tool-2.0.tar.gz`], cleanEnv());
    assert.equal(followed.status, 0, followed.stderr);
    assert.ok((await readFile(join(work, 'tool'))).equals(body));
    assert.equal(cdn.count('/files/tool-2.0.tar.gz'), 1);

    const otherPort = `http://127.0.0.2:${cdn.port}/files/other-1.0.bin`;
    const elsewhere = await run('curl', ['-sS', '-f', '-x', proxy.proxy.url, '-o', join(work, 'elsewhere'), otherPort], cleanEnv());
    assert.notEqual(elsewhere.status, 0, 'a host the redirect did not name stays refused');
  });
});

describe('forward URL classification', () => {
  const at = (path: string) => classifyForwardUrl(new URL(`http://mirror.invalid${path}`));
  it('reads apt files', () => {
    assert.deepEqual(at('/debian/pool/main/c/curl/curl_7.88.1-10%2bdeb12u8_amd64.deb'), {
      kind: 'apt', name: 'curl', version: '7.88.1-10+deb12u8', filename: 'curl_7.88.1-10+deb12u8_amd64.deb', immutable: true, index: false,
    });
    assert.equal(parseDebFilename('tzdata_2024a-0%3a1_all.deb')?.version, '2024a-0:1');
    assert.deepEqual(at('/debian/dists/bookworm/InRelease'), { kind: 'apt', name: null, version: null, filename: 'InRelease', immutable: false, index: true });
    assert.equal(at('/debian/dists/bookworm/main/binary-amd64/Packages.xz').index, true);
    assert.equal(at('/debian/dists/bookworm/main/binary-amd64/Packages.xz').immutable, false);
    const byHash = at('/debian/dists/bookworm/main/binary-amd64/by-hash/SHA256/0123abcd');
    assert.equal(byHash.immutable, true);
    assert.equal(byHash.index, true);
  });
  it('reads python and npm files', () => {
    assert.deepEqual(at('/packages/ab/cd/requests-2.32.3-py3-none-any.whl'), {
      kind: 'wheel', name: 'requests', version: '2.32.3', filename: 'requests-2.32.3-py3-none-any.whl', immutable: true, index: false,
    });
    assert.equal(at('/packages/source/r/requests/requests-2.32.3.tar.gz').kind, 'sdist');
    assert.deepEqual(at('/@types/node/-/node-20.1.0.tgz'), { kind: 'npm', name: '@types/node', version: '20.1.0', filename: 'node-20.1.0.tgz', immutable: true, index: false });
  });
  it('treats other files as immutable only with a version in the name', () => {
    assert.equal(at('/downloads/tool-3.1.4.tar.gz').immutable, true);
    assert.equal(at('/downloads/latest.txt').immutable, false);
    assert.equal(at('/').immutable, false);
  });
  it('keys a URL without its fragment, host in lower case; an escaped # is part of the path', () => {
    const key = (url: string) => forwardKey(new URL(url));
    assert.equal(key('http://Mirror.INVALID/a/b.deb'), 'forward:GET http://mirror.invalid/a/b.deb');
    assert.equal(key('http://mirror.invalid/a/b.deb#part'), 'forward:GET http://mirror.invalid/a/b.deb');
    assert.equal(key('http://mirror.invalid/a/b.deb#'), 'forward:GET http://mirror.invalid/a/b.deb');
    assert.equal(key('http://mirror.invalid/a?x=1#f'), 'forward:GET http://mirror.invalid/a?x=1');
    assert.equal(key('http://mirror.invalid/a%23b'), 'forward:GET http://mirror.invalid/a%23b');
  });
  it('parses a request target once: the same text gives the same frozen target, bad text none', () => {
    const raw = 'http://Mirror.INVALID/debian/pool/main/c/curl/curl_7.88.1-10_amd64.deb#x';
    const target = forwardTarget(raw);
    assert.ok(target);
    assert.equal(forwardTarget(raw), target);
    assert.ok(Object.isFrozen(target) && Object.isFrozen(target.what));
    assert.equal(target.key, 'forward:GET http://mirror.invalid/debian/pool/main/c/curl/curl_7.88.1-10_amd64.deb');
    assert.deepEqual(target.what, classifyForwardUrl(new URL(raw)));
    assert.equal(forwardTarget('http://[not a host/'), null);
  });
});
