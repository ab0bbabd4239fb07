// A machine whose apt reaches its mirror only through the proxy its apt configuration names
// (`Acquire::http::Proxy` in apt.conf.d: a company's apt-cacher-ng or squid): the real
// apt-get through `offgrid run`, the user's APT_CONFIG naming the company proxy, a flat
// repository of a dpkg-deb built package on this machine. The company proxy is the Node
// forward proxy fixture of test/helpers/http-proxy.ts: like a real one it resolves names
// this machine cannot (every `*.offgrid.test`), so a repository under such a name is
// reachable through it and only through it, and it logs every request it is asked.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type RequestListener, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { DEMO_DEB, localAptRepository } from '../helpers/apt-repo.js';
import { readValidLedger, runCli, tempDir } from '../helpers/cli.js';
import { type CompanyProxy, startCompanyProxy } from '../helpers/http-proxy.js';

interface Repository {
  readonly port: number;
  /** Paths asked of it, each with the Host the request named. */
  readonly seen: string[];
  close(): Promise<void>;
}

/** Serves the files of `dir` by name under any path (`/debian/Packages`, `/other/Packages`), over TLS with `tls`. */
async function serveRepository(dir: string, tls?: { key: Buffer; cert: Buffer }): Promise<Repository> {
  const seen: string[] = [];
  const listener: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.headers.host ?? ''}${req.url ?? ''}`);
    const file = join(dir, basename(new URL(req.url ?? '/', 'http://x').pathname));
    if (!existsSync(file) || basename(file) === '') {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'content-length': String(body.length) }).end(req.method === 'HEAD' ? undefined : body);
  };
  const server = tls ? createHttpsServer(tls, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The user's own apt configuration: sources and state in `dir`, no apt.conf.d, and `proxy` lines. */
function userAptConfig(dir: string, sources: string[], proxy: string[]): string {
  for (const sub of ['parts', 'sources.list.d', 'lists/partial', 'cache/archives/partial']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'sources.list'), sources.map((uri) => `deb [trusted=yes] ${uri} ./\n`).join(''));
  writeFileSync(join(dir, 'status'), '');
  const conf = join(dir, 'apt.conf');
  writeFileSync(
    conf,
    [
      `Dir::Etc::Parts "${join(dir, 'parts')}";`,
      `Dir::Etc::SourceList "${join(dir, 'sources.list')}";`,
      `Dir::Etc::SourceParts "${join(dir, 'sources.list.d')}";`,
      `Dir::State::Lists "${join(dir, 'lists')}";`,
      `Dir::State::status "${join(dir, 'status')}";`,
      `Dir::Cache "${join(dir, 'cache')}";`,
      'APT::Sandbox::User "root";',
      'Debug::NoLocking "1";',
      'Acquire::Retries "0";',
      ...proxy,
      '',
    ].join('\n'),
  );
  return conf;
}

/** `offgrid run -- sh -c SCRIPT` with APT_CONFIG set and no proxy in the environment. */
function offgridRun(dir: string, aptConfig: string, script: string) {
  const none = { http_proxy: '', HTTP_PROXY: '', https_proxy: '', HTTPS_PROXY: '', all_proxy: '', ALL_PROXY: '', no_proxy: '', NO_PROXY: '' };
  return runCli(['run', '--cache-dir', join(dir, 'cache'), '--log-dir', join(dir, 'logs'), '--', 'sh', '-c', script], {
    cwd: dir,
    env: { ...none, APT_CONFIG: aptConfig, LC_ALL: 'C' },
  });
}

function onlyLedger(logs: string): string {
  const names = readdirSync(join(logs, 'build')).filter((name) => /^downloads_.*\.json$/.test(name));
  assert.equal(names.length, 1, names.join(', '));
  return join(logs, 'build', names[0]!);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

const hasApt = spawnSync('apt-get', ['--version']).status === 0 && spawnSync('dpkg-deb', ['--version']).status === 0;

describe("offgrid fetches for apt through the proxy apt's configuration names", { skip: !hasApt && 'apt-get or dpkg-deb is not installed' }, () => {
  const withRepository = async (t: { after(fn: () => unknown): void }): Promise<{ dir: string; repo: Repository }> => {
    const dir = tempDir(t, 'offgrid-apt-conf-');
    localAptRepository(t, join(dir, 'repo'));
    const repo = await serveRepository(join(dir, 'repo'));
    t.after(() => repo.close());
    return { dir, repo };
  };
  const company = async (t: { after(fn: () => unknown): void }, credentials?: string): Promise<CompanyProxy> => {
    const proxy = await startCompanyProxy(credentials ? { credentials } : {});
    t.after(() => proxy.close());
    return proxy;
  };

  it('a repository only the company proxy reaches: apt-get update and download succeed, the proxy carries every miss with its credentials, which no log holds', async (t) => {
    const { dir, repo } = await withRepository(t);
    const proxy = await company(t, 'builder:s3cret');
    const source = `http://repo.offgrid.test:${repo.port}/debian`;
    const conf = userAptConfig(dir, [source], [`Acquire::http::Proxy "${proxy.url.replace('http://', 'http://builder:s3cret@')}";`]);

    const first = await offgridRun(dir, conf, 'apt-get update && apt-get download offgrid-demo');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.ok(existsSync(join(dir, DEMO_DEB)), 'apt-get downloaded the package');
    const asked = proxy.requests.map((r) => `${r.method} ${r.target} ${r.authorized}`);
    assert.ok(asked.includes(`GET ${source}/Packages true`) || asked.includes(`GET ${source}/./Packages true`), asked.join('\n'));
    assert.ok(asked.some((line) => line.startsWith('GET') && line.includes(DEMO_DEB) && line.endsWith('true')), asked.join('\n'));
    assert.ok(proxy.requests.every((r) => r.authorized), 'every request carried the credentials of the apt.conf URL');
    const ledger = readValidLedger(onlyLedger(join(dir, 'logs')));
    const deb = ledger.downloads.apt.find((record) => record.name === 'offgrid-demo');
    assert.ok(deb && deb.cached === false && deb.evidence !== 'log', JSON.stringify(ledger.downloads.apt));
    for (const file of filesUnder(join(dir, 'logs'))) assert.doesNotMatch(readFileSync(file, 'utf8'), /s3cret/, `${file} holds the proxy's password`);

    // Again, from offgrid's cache: the .deb is not asked of the proxy a second time.
    const debAsked = (): number => proxy.requests.filter((r) => r.target.endsWith(DEMO_DEB)).length;
    const before = debAsked();
    const second = await offgridRun(dir, conf, `rm -f ${DEMO_DEB} && apt-get download offgrid-demo`);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.equal(debAsked(), before);
  });

  it("apt with its User-Agent changed (Acquire::http::User-Agent) is still apt: its misses go through apt's proxy and are recorded as apt's", async (t) => {
    const { dir, repo } = await withRepository(t);
    const proxy = await company(t);
    const source = `http://repo.offgrid.test:${repo.port}/debian`;
    const conf = userAptConfig(dir, [source], [`Acquire::http::Proxy "${proxy.url}";`, 'Acquire::http::User-Agent "corp-image-builder/2.1";']);

    const run = await offgridRun(dir, conf, 'apt-get update && apt-get download offgrid-demo');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.ok(proxy.requests.some((r) => r.target.endsWith(DEMO_DEB)), proxy.requests.map((r) => r.target).join('\n'));
    const deb = readValidLedger(onlyLedger(join(dir, 'logs'))).downloads.apt.find((record) => record.name === 'offgrid-demo');
    assert.equal(deb?.tool, 'apt', JSON.stringify(deb));
  });

  it('a host apt.conf sends DIRECT is fetched directly, the others still through the proxy', async (t) => {
    const { dir, repo } = await withRepository(t);
    const proxy = await company(t);
    const proxied = `http://repo.offgrid.test:${repo.port}/debian`;
    const direct = `http://127.0.0.1:${repo.port}/direct`;
    const conf = userAptConfig(dir, [proxied, direct], [`Acquire::http::Proxy "${proxy.url}";`, 'Acquire::http::Proxy::127.0.0.1 "DIRECT";']);

    const run = await offgridRun(dir, conf, 'apt-get update');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.ok(repo.seen.some((seen) => seen.startsWith(`127.0.0.1:${repo.port}/direct/`)), `the repository saw: ${repo.seen.join(', ')}`);
    assert.deepEqual(proxy.requests.filter((r) => r.target.includes('127.0.0.1')), [], 'nothing for the DIRECT host went through the proxy');
    assert.ok(proxy.requests.some((r) => r.target.startsWith(`${proxied}/`)), proxy.requests.map((r) => r.target).join('\n'));
  });

  it("an https source: apt's CONNECT goes on through the proxy Acquire::http::Proxy names (https falls back to it), TLS end to end", async (t) => {
    const dir = tempDir(t, 'offgrid-apt-conf-');
    const name = 'repo.offgrid.test';
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    localAptRepository(t, join(dir, 'repo'));
    const repo = await serveRepository(join(dir, 'repo'), { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) });
    t.after(() => repo.close());
    const proxy = await company(t);
    const conf = userAptConfig(dir, [`https://${name}:${repo.port}/debian`], [`Acquire::http::Proxy "${proxy.url}";`, `Acquire::https::CAInfo "${join(dir, 'cert.pem')}";`]);

    const run = await offgridRun(dir, conf, 'apt-get update && apt-get download offgrid-demo');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.ok(existsSync(join(dir, DEMO_DEB)), 'apt-get downloaded the package');
    assert.ok(proxy.requests.length > 0 && proxy.requests.every((r) => r.method === 'CONNECT' && r.target === `${name}:${repo.port}`), JSON.stringify(proxy.requests));
    const tunnels = readValidLedger(onlyLedger(join(dir, 'logs'))).downloads.other.filter((record) => record.source === `https://${name}:${repo.port}`);
    assert.ok(tunnels.length > 0 && tunnels.every((record) => record.tool === 'apt'), 'offgrid logged the tunnels as apt\'s');
  });

  it('with the proxy down, the failure names the proxy and the apt setting that chose it', async (t) => {
    const { dir, repo } = await withRepository(t);
    const proxy = await company(t);
    await proxy.close(); // its port now refuses connections
    const conf = userAptConfig(dir, [`http://repo.offgrid.test:${repo.port}/debian`], [`Acquire::http::Proxy "${proxy.url}";`]);

    const run = await offgridRun(dir, conf, 'apt-get update; apt-get download offgrid-demo');
    assert.notEqual(run.code, 0, 'apt-get could not download');
    const named = `(through the proxy ${proxy.url}, named by Acquire::http::Proxy in apt's configuration)`;
    assert.ok(run.stderr.includes(named), run.stderr);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    const attempts = readValidLedger(onlyLedger(join(dir, 'logs'))).network_attempts;
    assert.ok(attempts.some((attempt) => attempt.error.includes(named)), JSON.stringify(attempts));
    assert.equal(repo.seen.length, 0);
  });

  it('a proxy that wants credentials apt.conf does not give is named, with where to give them', async (t) => {
    const { dir, repo } = await withRepository(t);
    const proxy = await company(t, 'builder:s3cret');
    const conf = userAptConfig(dir, [`http://repo.offgrid.test:${repo.port}/debian`], [`Acquire::http::Proxy "${proxy.url}";`]);

    const run = await offgridRun(dir, conf, 'apt-get update');
    const wanted = `the proxy ${proxy.url} wants credentials (407 Proxy Authentication Required); give them in Acquire::http::Proxy in apt's configuration as http://USER:PASSWORD@${new URL(proxy.url).host}`;
    assert.ok(run.stderr.includes(wanted), run.stderr);
    assert.ok(proxy.requests.length > 0 && proxy.requests.every((r) => !r.authorized));
    assert.equal(repo.seen.length, 0);
  });
});
