// An index whose password holds a '%' that starts no escape, written as pip users write it:
// `https://username:%password%@host/simple` works with pip ("Trying an unencoded password works
// fine", pypa/pip#7604; `password%`, python-poetry/poetry#1896), since pip unquotes leniently.
// The mirror must send the same credentials, not fail on a malformed escape.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { basicAuthorization } from '../../src/capture/proxy/hosts.js';
import { pypiRoute } from '../../src/capture/proxy/pypi.js';
import { startProxy } from '../../src/capture/proxy/server.js';
import { chooseUpstreams, parsePipConfigList } from '../../src/capture/proxy/upstreams.js';
import { systemClock } from '../../src/session/time.js';
import { runPip } from '../helpers/pip.js';
import { startPypiIndex } from '../helpers/pypi-index.js';

const basic = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`;

describe('index credentials as pip reads them', () => {
  it("a '%' that starts no escape is the character itself, as in pip; a valid escape is decoded", () => {
    assert.equal(basicAuthorization(new URL('https://username:%password%@idx.example/simple/')), basic('username:%password%'));
    assert.equal(basicAuthorization(new URL('https://username:password%@idx.example/simple/')), basic('username:password%'));
    assert.equal(basicAuthorization(new URL('https://user:he%2F%2Fo@idx.example/simple/')), basic('user:he//o'));
    assert.equal(basicAuthorization(new URL('https://us%er:p%C3%A4ss@idx.example/simple/')), basic('us%er:päss'));
  });

  it("pip downloads through the mirror from an index whose password is '%password%'", { timeout: 120_000 }, async () => {
    const index = await startPypiIndex({ packages: [{ name: 'alpha', version: '1.0' }] });
    const seen: (string | undefined)[] = [];
    const front = createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.headers.authorization !== basic('username:%password%')) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="pypi"' }).end();
        return;
      }
      void fetch(`${index.url}${req.url ?? '/'}`, { headers: { accept: 'text/html' } }).then(async (upstream) => {
        const body = Buffer.from(await upstream.arrayBuffer());
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/html', 'content-length': body.length }).end(body);
      });
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const work = await mkdtemp(join(tmpdir(), 'offgrid-pypi-credentials-'));
    // The index as `pip config list` prints a pip.conf line `index-url = http://username:%password%@HOST/simple/`.
    const host = `127.0.0.1:${(front.address() as AddressInfo).port}`;
    const choice = chooseUpstreams(parsePipConfigList(`global.index-url='http://username:%password%@${host}/simple/'\n`), null, {});
    const warnings: string[] = [];
    const proxy = await startProxy({
      cacheDir: join(work, 'cache'),
      offline: false,
      upstreams: { pypi: choice.pypi, npm: null, allowedHosts: new Set() },
      record: () => {},
      clock: systemClock,
      log: { debug: () => {}, warn: (message) => warnings.push(message) },
      routes: [pypiRoute()],
    });
    try {
      const run = await runPip(['download', '--isolated', '--no-cache-dir', '-d', join(work, 'dest'), '--index-url', `${proxy.url}/pypi/simple/`, 'alpha'], { cwd: work });
      assert.equal(run.code, 0, `${run.output}\n${warnings.join('\n')}`);
      assert.deepEqual(await readdir(join(work, 'dest')), [...index.files.keys()].filter((name) => name.startsWith('alpha')));
      assert.ok(seen.length > 0 && seen.every((authorization) => authorization === basic('username:%password%')));
    } finally {
      await proxy.close();
      await new Promise((resolve) => front.close(resolve));
      await index.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});
