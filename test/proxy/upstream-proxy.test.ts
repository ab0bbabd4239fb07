// offgrid behind a company's proxy: its own upstream requests (misses, revalidations, the
// mirrors' pages) and the clients' CONNECT tunnels go through the machine's http_proxy /
// https_proxy unless no_proxy says otherwise; hits never reach the proxy at all.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { basicAuthorization } from '../../src/capture/proxy/hosts.js';
import { proxyFor, proxySettingsFromEnv } from '../../src/capture/proxy/upstream-proxy.js';
import { CLI } from '../helpers/cli.js';
import { startCompanyProxy } from '../helpers/http-proxy.js';
import { bytes, sha256, startUpstream } from '../helpers/upstream.js';

describe('the machine proxy settings, read as curl reads them', () => {
  const via = (env: NodeJS.ProcessEnv, url: string): string | null => proxyFor(proxySettingsFromEnv(env), new URL(url))?.url.href ?? null;

  it('takes the lower-case name first, all_proxy for either scheme, a bare host:port as http', () => {
    assert.equal(via({ http_proxy: 'http://lower:3128', HTTP_PROXY: 'http://upper:3128' }, 'http://files.example/a'), 'http://lower:3128/');
    assert.equal(via({ HTTPS_PROXY: 'proxy.corp:8080' }, 'https://pypi.example/simple/'), 'http://proxy.corp:8080/');
    assert.equal(via({ ALL_PROXY: 'http://all:1' }, 'https://pypi.example/'), 'http://all:1/');
    assert.equal(via({ http_proxy: 'http://only-http:1' }, 'https://pypi.example/'), null);
  });
  it('reaches loopback and no_proxy hosts directly (suffixes, ports, *)', () => {
    const env = { https_proxy: 'http://p:1', http_proxy: 'http://p:1', no_proxy: 'internal.corp, .mirror.example,registry.example:8443' };
    assert.equal(via(env, 'https://127.0.0.1:9/x'), null);
    assert.equal(via(env, 'http://localhost/x'), null);
    assert.equal(via(env, 'http://[::1]:8/x'), null);
    assert.equal(via(env, 'https://pkgs.internal.corp/x'), null);
    assert.equal(via(env, 'https://internal.corp/x'), null);
    assert.equal(via(env, 'https://notinternal.corp/x'), 'http://p:1/');
    assert.equal(via(env, 'http://deb.mirror.example/x'), null);
    assert.equal(via(env, 'https://registry.example:8443/x'), null);
    assert.equal(via(env, 'https://registry.example/x'), 'http://p:1/');
    assert.equal(via({ ...env, NO_PROXY: '*' }, 'https://anything.example/'), 'http://p:1/', 'no_proxy (lower case) wins over NO_PROXY');
    assert.equal(via({ https_proxy: 'http://p:1', NO_PROXY: '*' }, 'https://anything.example/'), null);
  });
  it('names what it cannot use instead of failing later', () => {
    const settings = proxySettingsFromEnv({ https_proxy: 'socks5://127.0.0.1:1080', http_proxy: 'http://[bad' });
    assert.equal(settings.https, null);
    assert.equal(settings.http, null);
    assert.match(settings.ignored.join('\n'), /https_proxy names a socks5 proxy/);
    assert.match(settings.ignored.join('\n'), /http_proxy is not a URL/);
  });
  it('sends the proxy URL credentials as Basic, decoded', () => {
    assert.equal(basicAuthorization(new URL('http://us%40er:p%3Ass@p:1')), `Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
    assert.equal(basicAuthorization(new URL('http://p:1')), null);
  });
});

interface Serve {
  readonly url: string;
  readonly child: ChildProcess;
}

/**
 * A test's own directory. startServe removes it, after stopping serve: an after-hook that
 * removed it first would race serve's last cache commit (ENOTEMPTY), and a failed hook
 * skips the ones after it, which left serve running and the test process waiting on it.
 */
function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'offgrid-upstream-proxy-'));
}

/** `offgrid serve` in its own process, with the company's proxy in its environment. */
async function startServe(t: { after(fn: () => unknown): void }, dir: string, args: string[], env: NodeJS.ProcessEnv): Promise<Serve> {
  const clean: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, PIP_CONFIG_FILE: '/dev/null', npm_config_userconfig: join(dir, 'npmrc'), ...env };
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--cache-dir', join(dir, 'cache'), '--log-dir', join(dir, 'logs'), ...args], { cwd: dir, env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });
  let out = '';
  let errors = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (errors += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`offgrid serve printed no address in 30 s:\n${out}${errors}`)), 30_000);
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (/caching proxy at http:\/\/127\.0\.0\.1:\d+/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`offgrid serve exited (${code}):\n${out}${errors}`));
    });
  });
  return { url: /caching proxy at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!, child };
}

/** curl's answer: the last status line's code, its headers, the body as bytes (latin1). Run
 * asynchronously: the upstreams live in this process. */
async function curl(args: string[]): Promise<{ status: number; body: string; headers: string }> {
  const child = spawn('curl', ['-sS', '-D', '-', '--max-time', '30', ...args], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number];
  if (code !== 0) return { status: -1, body: `curl exited ${code}: ${stderr}`, headers: '' };
  const text = Buffer.concat(out).toString('latin1');
  // With -p, curl shows the tunnel's own "200 Connection Established" head first.
  const start = text.lastIndexOf('HTTP/1.1 ');
  const cut = text.indexOf('\r\n\r\n', start);
  return { status: Number(text.slice(start + 9, start + 12)), headers: text.slice(0, cut), body: text.slice(cut + 4) };
}

describe('offgrid serve behind a company proxy', () => {
  it('fetches a miss through http_proxy in absolute form, with the credentials of its URL; the hit stays local', async (t) => {
    const dir = workDir();
    const body = bytes(50_000, 7);
    const upstream = await startUpstream({ '/downloads/tool-1.2.3.tar.gz': { body } });
    t.after(() => upstream.close());
    const company = await startCompanyProxy({ credentials: 'builder:s3cret' });
    t.after(() => company.close());
    const host = `upstream.offgrid.test:${upstream.port}`;
    const serve = await startServe(t, dir, ['--allow-host', host], { http_proxy: company.url.replace('http://', 'http://builder:s3cret@') });

    const url = `http://${host}/downloads/tool-1.2.3.tar.gz`;
    const first = await curl(['-x', serve.url, url]);
    assert.equal(first.status, 200, first.body);
    assert.match(first.headers, /x-offgrid-cache: miss/i);
    assert.equal(sha256(Buffer.from(first.body, 'latin1')), sha256(body));
    const second = await curl(['-x', serve.url, url]);
    assert.match(second.headers, /x-offgrid-cache: hit/i);
    assert.deepEqual(company.requests, [{ method: 'GET', target: url, authorized: true }]);
    assert.equal(upstream.count('/downloads/tool-1.2.3.tar.gz'), 1);

    serve.child.kill('SIGTERM');
    await once(serve.child, 'close');
    const files = readdirSync(join(dir, 'logs'), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    assert.ok(files.length > 0);
    for (const file of files) assert.doesNotMatch(readFileSync(join(file.parentPath, file.name), 'utf8'), /s3cret/, `${file.name} holds the proxy's password`);
  });

  it('reaches an https mirror upstream through a CONNECT tunnel, TLS end to end', async (t) => {
    const dir = workDir();
    const name = 'upstream.offgrid.test';
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const wheel = bytes(20_000, 3);
    const wheelName = 'demo-1.0-py3-none-any.whl';
    const https = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      if (req.url === '/simple/demo/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<html><body><a href="../../files/${wheelName}#sha256=${sha256(wheel)}">${wheelName}</a></body></html>`);
      } else if (req.url === `/files/${wheelName}`) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(wheel.length) });
        res.end(wheel);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    t.after(() => https.close());
    const port = (https.address() as AddressInfo).port;
    const company = await startCompanyProxy();
    t.after(() => company.close());
    const serve = await startServe(t, dir, ['--pypi-upstream', `https://${name}:${port}/simple/`], {
      https_proxy: company.url,
      NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
    });

    const page = await curl([`${serve.url}/pypi/simple/demo/`]);
    assert.equal(page.status, 200, page.body);
    const link = /href="([^"#]+)/.exec(page.body)?.[1];
    assert.ok(link, page.body);
    const file = await curl([new URL(link, `${serve.url}/pypi/simple/demo/`).href]);
    assert.equal(file.status, 200, file.body);
    assert.equal(sha256(Buffer.from(file.body, 'latin1')), sha256(wheel));
    assert.ok(company.requests.length >= 1 && company.requests.every((r) => r.method === 'CONNECT' && r.target === `${name}:${port}`), JSON.stringify(company.requests));
  });

  it("chains a client's CONNECT tunnel through the company proxy", async (t) => {
    const dir = workDir();
    const body = Buffer.from('through two proxies\n');
    const upstream = await startUpstream({ '/hello.txt': { body } });
    t.after(() => upstream.close());
    const company = await startCompanyProxy();
    t.after(() => company.close());
    const host = `tunnel.offgrid.test:${upstream.port}`;
    const serve = await startServe(t, dir, ['--allow-host', host], { https_proxy: company.url });

    // -p: curl asks for a tunnel even for http, as it does for every https URL.
    const result = await curl(['-p', '-x', serve.url, `http://${host}/hello.txt`]);
    assert.equal(result.status, 200, result.body);
    assert.equal(result.body, body.toString());
    assert.deepEqual(company.requests, [{ method: 'CONNECT', target: host, authorized: true }]);
  });

  it('answers 502 naming the proxy when it wants credentials offgrid was not given', async (t) => {
    const dir = workDir();
    const upstream = await startUpstream({ '/a-1.0.bin': { body: Buffer.from('a') } });
    t.after(() => upstream.close());
    const company = await startCompanyProxy({ credentials: 'someone:else' });
    t.after(() => company.close());
    const host = `upstream.offgrid.test:${upstream.port}`;
    const serve = await startServe(t, dir, ['--allow-host', host], { http_proxy: company.url, https_proxy: company.url });

    const plain = await curl(['-x', serve.url, `http://${host}/a-1.0.bin`]);
    assert.equal(plain.status, 502);
    assert.match(plain.body, new RegExp(`the proxy ${company.url.replace(/[.]/g, '\\.')} wants credentials.*http_proxy`));
    const tunnel = await curl(['-p', '-x', serve.url, `http://${host}/a-1.0.bin`]);
    assert.equal(tunnel.status, -1, 'curl reports the refused tunnel');
    assert.match(tunnel.body, /CONNECT.*502/);
    assert.equal(upstream.count('/a-1.0.bin'), 0);
    assert.equal(serve.child.exitCode, null, 'offgrid is still running');
  });
});
