// `deb mirror://HOST/mirrors.txt …` (Ubuntu's mirror list, common in Dockerfiles; the real
// lines in test/fixtures/upstreams/apt-sources/mirrors-ubuntu.list): apt fetches the list from
// HOST, on the allow-list, then the repository from a mirror the list names, which no source
// names. The real apt-get, through offgrid.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { aptSourceHosts } from '../../src/capture/proxy/allow-list.js';
import { aptUpdateVia } from '../helpers/apt-update.js';
import { fetchVia, startTestProxy } from '../helpers/upstream-proxy.js';

const fixture = (name: string): string => readFileSync(new URL(`../../../test/fixtures/upstreams/apt-sources/${name}`, import.meta.url), 'utf8');

async function listen(handler: (path: string) => { status: number; body?: string }): Promise<{ server: Server; port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const { status, body } = handler(req.url ?? '');
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, paths };
}

describe('apt mirror lists', () => {
  it("only apt's fetch of a file of nothing but http(s) URIs opens the hosts it names; any other file does not", async () => {
    const other = await listen(() => ({ status: 200, body: 'ok' }));
    const bodies: Record<string, string> = {
      '/mirrors.txt': `# mirrors\nhttp://localhost:${other.port}/debian/\tpriority:1\n`,
      '/readme.txt': `see http://localhost:${other.port}/debian/ for more\n`,
      '/links.txt': `http://localhost:${other.port}/debian/\nftp://localhost/debian/\n`,
    };
    const origin = await listen((path) => (bodies[path] ? { status: 200, body: bodies[path] } : { status: 404 }));
    const apt = { 'user-agent': 'Debian APT-HTTP/1.3 (2.6.1)' };
    const probe = `http://localhost:${other.port}/debian/dists/x/InRelease`;
    for (const [path, agent, opens] of [
      ['/readme.txt', apt, false],
      ['/links.txt', apt, false],
      ['/mirrors.txt', { 'user-agent': 'curl/7.88.1' }, false],
      ['/mirrors.txt', apt, true],
    ] as const) {
      const proxy = await startTestProxy({ allowedHosts: ['127.0.0.1'] });
      try {
        assert.equal((await fetchVia(proxy.proxy.url, `http://127.0.0.1:${origin.port}${path}`, agent)).status, 200);
        assert.equal((await fetchVia(proxy.proxy.url, probe, apt)).status, opens ? 200 : 403, `${path} for ${agent['user-agent']}`);
      } finally {
        await proxy.close();
      }
    }
    for (const server of [other.server, origin.server]) await new Promise((resolve) => server.close(resolve));
  });

  const hasApt = spawnSync('apt-get', ['--version']).status === 0;

  for (const scheme of ['mirror', 'mirror+http']) {
    it(`${scheme}://: the mirrors the list names are reachable through offgrid`, { skip: !hasApt && 'apt-get is not installed' }, async () => {
      const mirror = await listen(() => ({ status: 404 }));
      // The list names the mirror as `localhost`: a host no apt source names.
      const list = await listen((path) => (path === '/mirrors.txt' ? { status: 200, body: `http://localhost:${mirror.port}/ubuntu/\tpriority:1\n` } : { status: 404 }));
      const sourcesList = fixture('mirrors-ubuntu.list').replaceAll('deb mirror://mirror.example/', `deb [trusted=yes] ${scheme}://127.0.0.1:${list.port}/`);
      const dir = await mkdtemp(join(tmpdir(), 'offgrid-mirror-list-'));
      await writeFile(join(dir, 'sources.list'), sourcesList);
      const proxy = await startTestProxy({ allowedHosts: await aptSourceHosts({ sourcesList: join(dir, 'sources.list'), sourcesDir: join(dir, 'none') }) });
      try {
        await aptUpdateVia(proxy.proxy.url, { sourcesList });
        assert.deepEqual(list.paths, ['/mirrors.txt'], 'apt fetched the list through offgrid');
        assert.deepEqual(proxy.attempts().filter((a) => a.error === 'host not on the allow-list').map((a) => a.url_or_host), []);
        assert.ok(mirror.paths.some((path) => path.startsWith('/ubuntu/dists/bionic/')), `the mirror was asked: ${mirror.paths.join(', ')}`);
      } finally {
        await proxy.close();
        for (const server of [mirror.server, list.server]) await new Promise((resolve) => server.close(resolve));
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
