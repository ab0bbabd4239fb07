// apt's own proxy settings, read from `apt-config dump` as apt 2.6.1 printed them for the
// APT_CONFIG files beside each fixture (test/fixtures/upstreams/apt-config-dump/README.md),
// and resolved for a URL the way apt's http method does (checked against apt-get itself:
// an https source through Acquire::http::Proxy, `Acquire::https::Proxy "false"` direct, a
// host's http setting over the general https one). Last, the one case offgrid does not
// follow apt: a configuration that names offgrid itself.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NO_APT_PROXY, aptProxyFor, aptProxyWarnings, clientProxyChoice, parseAptConfigDump, readAptProxyConfig } from '../../src/capture/proxy/apt-proxy.js';
import type { CommandRunner } from '../../src/capture/proxy/upstreams.js';
import { startProxy } from '../../src/capture/proxy/server.js';
import { proxySettingsFromEnv } from '../../src/capture/proxy/upstream-proxy.js';
import { FIXTURES, tempDir } from '../helpers/cli.js';
import { startUpstream } from '../helpers/upstream.js';
import { fetchVia } from '../helpers/upstream-proxy.js';

const DIR = join(FIXTURES, 'upstreams/apt-config-dump');
const dump = (name: string): string => readFileSync(join(DIR, `${name}.dump.txt`), 'utf8');

/** The proxy apt would use for `url` under `config`, with the environment `env`: its URL and setting, or null for directly. */
function via(config: ReturnType<typeof parseAptConfigDump>, url: string, env: NodeJS.ProcessEnv = {}): string | null {
  const chosen = aptProxyFor(config, proxySettingsFromEnv(env), new URL(url));
  return chosen === null ? null : `${chosen.url.href} (${chosen.setting})`;
}

describe("apt-config dump: apt's proxy settings", () => {
  const acng = parseAptConfigDump(dump('acng-bypass'));

  it('sends a host without a setting of its own through Acquire::http::Proxy, whatever the environment says', () => {
    assert.equal(via(acng, 'http://mirror.example/debian/dists/bookworm/InRelease', { http_proxy: 'http://env-proxy:1' }), "http://apt-cache.corp.example:3142/ (Acquire::http::Proxy in apt's configuration)");
    // apt has no loopback exception: a repository on this machine goes through its proxy too.
    assert.equal(via(acng, 'http://127.0.0.1:8080/debian/Release'), "http://apt-cache.corp.example:3142/ (Acquire::http::Proxy in apt's configuration)");
  });

  it('obeys a host\'s DIRECT (written Acquire::HTTP::…, matched in any case) and a host\'s own proxy with its credentials', () => {
    assert.equal(via(acng, 'http://get.docker.com/linux/debian/gpg', { http_proxy: 'http://env-proxy:1' }), null);
    assert.equal(via(acng, 'http://Download.VirtualBox.org/virtualbox/debian/Release'), null);
    assert.equal(via(acng, 'http://ppa.example/ubuntu/dists/jammy/InRelease'), "http://builder:s3cret@other-proxy.corp.example:3128/ (Acquire::http::Proxy::ppa.example in apt's configuration)");
  });

  it('looks an https URL up under https first, then http, the host\'s setting before the general one', () => {
    assert.equal(via(acng, 'https://packages.example/debian/InRelease'), "http://apt-cache.corp.example:3142/ (Acquire::https::Proxy in apt's configuration)");
    assert.equal(via(acng, 'https://get.docker.com/linux/debian/dists/bookworm/InRelease'), null, "the host's http DIRECT beats the general https proxy");
  });

  it('lets no_proxy send a host directly, as apt does after choosing', () => {
    assert.equal(via(acng, 'http://mirror.internal.example/debian/Release', { no_proxy: 'internal.example' }), null);
    assert.equal(via(acng, 'http://mirror.example/debian/Release', { no_proxy: 'internal.example' }), "http://apt-cache.corp.example:3142/ (Acquire::http::Proxy in apt's configuration)");
  });

  it('reads the block form, skips the empty parent lines, takes "false" for direct (no environment fallback)', () => {
    const block = parseAptConfigDump(dump('block-false-socks'));
    assert.deepEqual([...block.values.keys()], ['acquire::http::proxy', 'acquire::https::proxy', 'acquire::https::proxy::secure.example']);
    assert.equal(via(block, 'http://mirror.example/debian/Release'), "http://127.0.0.1:3142/ (Acquire::http::Proxy in apt's configuration)");
    assert.equal(via(block, 'https://mirror.example/debian/Release', { https_proxy: 'http://env-proxy:1' }), null);
  });

  it('warns about what offgrid cannot follow (an auto-detect script, a SOCKS proxy) without showing a credential', () => {
    assert.deepEqual(acng.autoDetect, ['Acquire::http::Proxy-Auto-Detect']);
    const block = parseAptConfigDump(dump('block-false-socks'));
    assert.deepEqual(block.autoDetect, ['Acquire::http::ProxyAutoDetect']);
    const warnings = aptProxyWarnings(block).join('\n');
    assert.match(warnings, /script \(Acquire::http::ProxyAutoDetect\); offgrid does not run it/);
    assert.match(warnings, /Acquire::https::Proxy::secure\.example in apt's configuration names a socks5h proxy/);
    assert.doesNotMatch(warnings, /pass/);
    assert.equal(via(block, 'https://secure.example/apt/InRelease'), null, 'fetched directly, as the warning says');
    assert.deepEqual(aptProxyWarnings(parseAptConfigDump(dump('acng-bypass'))).length, 1);
  });

  it('leaves other clients and machines without apt settings to the environment', () => {
    const env = proxySettingsFromEnv({ http_proxy: 'http://env-proxy:1' });
    assert.equal(clientProxyChoice('curl', acng, env)(new URL('http://mirror.example/x'))?.setting, 'http_proxy');
    assert.equal(clientProxyChoice('apt', NO_APT_PROXY, env)(new URL('http://mirror.example/x'))?.setting, 'http_proxy');
    assert.equal(clientProxyChoice('apt', acng, env)(new URL('http://mirror.example/x'))?.url.host, 'apt-cache.corp.example:3142');
  });
});

describe('reading the settings through the real apt-config', { skip: spawnSync('apt-config', ['--version']).status !== 0 && 'apt-config is not installed' }, () => {
  /** Runs commands with only APT_CONFIG (and PATH) set: the user's environment in the test. */
  const runnerWith = (aptConfig: string): CommandRunner => (command, args) =>
    new Promise((resolve) => {
      execFile(command, [...args], { env: { PATH: process.env.PATH, APT_CONFIG: aptConfig } }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
      );
    });

  it("honours the user's APT_CONFIG", async (t) => {
    const dir = tempDir(t, 'offgrid-apt-config-');
    const conf = join(dir, 'apt.conf');
    writeFileSync(conf, readFileSync(join(DIR, 'acng-bypass.conf'), 'utf8').replace('"PARTS"', JSON.stringify(dir)));
    const config = await readAptProxyConfig(runnerWith(conf));
    assert.equal(via(config, 'http://ppa.example/x'), "http://builder:s3cret@other-proxy.corp.example:3128/ (Acquire::http::Proxy::ppa.example in apt's configuration)");
    assert.equal(via(config, 'http://get.docker.com/x'), null);
  });

  it('names the error of a configuration apt cannot read', async (t) => {
    const dir = tempDir(t, 'offgrid-apt-config-');
    const conf = join(dir, 'apt.conf');
    writeFileSync(conf, 'Acquire::http::Proxy "http://apt-cache.corp.example:3142"\n'); // no ';'
    const config = await readAptProxyConfig(runnerWith(conf));
    assert.equal(config.values.size, 0);
    assert.match(aptProxyWarnings(config).join('\n'), /apt's configuration could not be read for its proxy settings \(E: Syntax error .*apt\.conf/);
  });
});

describe("apt's configuration naming offgrid itself", () => {
  it('(offgrid serve put where apt-cacher-ng was) is skipped with a warning instead of looping', { timeout: 30_000 }, async (t) => {
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const port = (free.address() as AddressInfo).port;
    await new Promise((resolve) => free.close(resolve));
    const upstream = await startUpstream({ '/debian/Release': { body: Buffer.from('Origin: offgrid tests\n') } });
    t.after(() => upstream.close());
    const warnings: string[] = [];
    const proxy = await startProxy({
      port,
      cacheDir: tempDir(t, 'offgrid-self-'),
      offline: false,
      upstreams: { pypi: [], npm: null, allowedHosts: new Set(['127.0.0.1']) },
      record: () => {},
      clock: { now: () => new Date() },
      log: { debug() {}, warn: (message) => warnings.push(message) },
      routes: [],
      aptProxies: async () => parseAptConfigDump(`Acquire::http::Proxy "http://localhost:${port}";\n`),
    });
    t.after(() => proxy.close());

    const answer = await fetchVia(proxy.url, `${upstream.url}/debian/Release`, { 'user-agent': 'Debian APT-HTTP/1.3 (2.6.1)' });
    assert.equal(answer.status, 200, answer.body.toString());
    assert.equal(upstream.count('/debian/Release'), 1);
    assert.deepEqual(warnings, [`Acquire::http::Proxy in apt's configuration names offgrid itself (localhost:${port}); offgrid fetches for apt without it`]);
  });
});
