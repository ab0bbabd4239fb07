// A machine whose apt.conf.d sends some hosts around the general proxy (squid-deb-proxy's
// per-host DIRECT, auto-apt-proxy's detection script): under offgrid's APT_CONFIG the real
// apt-get still sends every request through offgrid. Fixtures: test/fixtures/upstreams/apt-conf/.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { proxyEnvironment } from '../../src/capture/proxy/env.js';
import { startTestProxy } from '../helpers/upstream-proxy.js';

const fixture = (name: string): string => readFileSync(new URL(`../../../test/fixtures/upstreams/apt-conf/${name}`, import.meta.url), 'utf8');

/** apt-get update against a repository on 127.0.0.1 with `part` in the machine's apt.conf.d; the URLs offgrid saw. */
async function aptUpdateThroughOffgrid(part: (dir: string) => Promise<string>): Promise<{ viaProxy: string[]; atOrigin: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'offgrid-apt-proxy-'));
  let atOrigin = 0;
  const origin = createServer((req, res) => {
    atOrigin++;
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const proxy = await startTestProxy({ allowedHosts: ['127.0.0.1'] });
  try {
    for (const sub of ['parts', 'sources.list.d', 'lists/partial', 'cache/archives/partial']) await mkdir(join(dir, sub), { recursive: true });
    await writeFile(join(dir, 'parts', '30proxy'), await part(dir));
    await writeFile(join(dir, 'sources.list'), `deb [trusted=yes] http://127.0.0.1:${(origin.address() as AddressInfo).port}/debian bookworm main\n`);
    // The "machine": its own APT_CONFIG moving apt's parts, sources and state into the temp directory.
    await writeFile(
      join(dir, 'machine.conf'),
      [
        `Dir::Etc::Parts "${join(dir, 'parts')}";`,
        `Dir::Etc::SourceList "${join(dir, 'sources.list')}";`,
        `Dir::Etc::SourceParts "${join(dir, 'sources.list.d')}";`,
        `Dir::State::Lists "${join(dir, 'lists')}";`,
        `Dir::Cache "${join(dir, 'cache')}";`,
        'APT::Sandbox::User "root";',
        'Debug::NoLocking "1";',
        'Acquire::Retries "0";',
        '',
      ].join('\n'),
    );
    const env = await proxyEnvironment(proxy.proxy.url, { aptConfigDir: join(dir, 'offgrid'), existingAptConfig: join(dir, 'machine.conf'), pypi: false, npm: false });
    // Not spawnSync: the proxy and the repository answer from this process. apt-get fails (the repository is empty).
    const update = spawn('apt-get', ['update'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', APT_CONFIG: env.APT_CONFIG!, LC_ALL: 'C' }, stdio: 'ignore' });
    await new Promise((resolve, reject) => update.on('error', reject).on('close', resolve));
    const viaProxy = proxy.events.map((event) => ('source' in event ? event.source : 'url_or_host' in event ? event.url_or_host : null)).filter((url): url is string => typeof url === 'string');
    return { viaProxy, atOrigin };
  } finally {
    await proxy.close();
    await new Promise((resolve) => origin.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
}

describe("apt's own proxy settings under offgrid", () => {
  const hasApt = spawnSync('apt-get', ['--version']).status === 0;

  it("a host the machine sends DIRECT (squid-deb-proxy's 30proxy) still goes through offgrid", { skip: !hasApt && 'apt-get is not installed' }, async () => {
    const seen = await aptUpdateThroughOffgrid(async () => fixture('30proxy.squid-deb-proxy').replace('ppa.example', '127.0.0.1'));
    assert.ok(seen.atOrigin > 0, 'apt asked the repository');
    assert.ok(seen.viaProxy.some((url) => url.includes('/debian/dists/bookworm/')), `offgrid saw: ${seen.viaProxy.join(', ')}`);
  });

  it("a proxy auto-detect script (auto-apt-proxy) answering DIRECT does not send apt around offgrid", { skip: !hasApt && 'apt-get is not installed' }, async () => {
    const seen = await aptUpdateThroughOffgrid(async (dir) => {
      const script = join(dir, 'auto-apt-proxy');
      await writeFile(script, '#!/bin/sh\necho DIRECT\n');
      await chmod(script, 0o755);
      return fixture('auto-apt-proxy.conf').replace('/usr/bin/auto-apt-proxy', script);
    });
    assert.ok(seen.atOrigin > 0, 'apt asked the repository');
    assert.ok(seen.viaProxy.some((url) => url.includes('/debian/dists/bookworm/')), `offgrid saw: ${seen.viaProxy.join(', ')}`);
  });
});
