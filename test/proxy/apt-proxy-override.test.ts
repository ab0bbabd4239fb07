// A machine whose apt.conf.d sends some hosts around the general proxy (squid-deb-proxy's
// per-host DIRECT, auto-apt-proxy's detection script): under offgrid's APT_CONFIG the real
// apt-get still sends every request through offgrid. Fixtures: test/fixtures/upstreams/apt-conf/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { aptUpdateVia, type AptMachine } from '../helpers/apt-update.js';
import { startTestProxy } from '../helpers/upstream-proxy.js';

const fixture = (name: string): string => readFileSync(new URL(`../../../test/fixtures/upstreams/apt-conf/${name}`, import.meta.url), 'utf8');

/** apt-get update against an empty repository on 127.0.0.1 with the machine's `part`: the URLs offgrid saw, the requests the repository saw. */
async function aptUpdateThroughOffgrid(part: AptMachine['part']): Promise<{ viaProxy: string[]; atOrigin: number }> {
  let atOrigin = 0;
  const origin = createServer((req, res) => {
    atOrigin++;
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const proxy = await startTestProxy({ allowedHosts: ['127.0.0.1'] });
  try {
    const port = (origin.address() as AddressInfo).port;
    await aptUpdateVia(proxy.proxy.url, { sourcesList: `deb [trusted=yes] http://127.0.0.1:${port}/debian bookworm main\n`, ...(part ? { part } : {}) });
    const viaProxy = proxy.events.map((event) => ('source' in event ? event.source : 'url_or_host' in event ? event.url_or_host : null)).filter((url): url is string => typeof url === 'string');
    return { viaProxy, atOrigin };
  } finally {
    await proxy.close();
    await new Promise((resolve) => origin.close(resolve));
  }
}

describe("apt's own proxy settings under offgrid", () => {
  const hasApt = spawnSync('apt-get', ['--version']).status === 0;

  it("a host the machine sends DIRECT (squid-deb-proxy's 30proxy) still goes through offgrid", { skip: !hasApt && 'apt-get is not installed' }, async () => {
    const seen = await aptUpdateThroughOffgrid(async () => fixture('30proxy.squid-deb-proxy').replace('ppa.example', '127.0.0.1'));
    assert.ok(seen.atOrigin > 0, 'apt asked the repository');
    assert.ok(seen.viaProxy.some((url) => url.includes('/debian/dists/bookworm/')), `offgrid saw: ${seen.viaProxy.join(', ')}`);
  });

  it('a proxy auto-detect script (auto-apt-proxy) answering DIRECT does not send apt around offgrid', { skip: !hasApt && 'apt-get is not installed' }, async () => {
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
