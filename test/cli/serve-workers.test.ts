// `offgrid serve --workers N`: N processes share the port and answer cache hits; the main
// process serves the rest and keeps one ledger. Shown with real clients (pip, raw HTTP
// through http_proxy, a CONNECT tunnel) on fresh connections, so both workers take turns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { type IncomingHttpHeaders, type Server, createServer, request } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import { CLI, readValidLedger, runCli, tempDir } from '../helpers/cli.js';
import { startPypiIndex } from '../helpers/pypi-index.js';
import { runPip } from '../helpers/pip.js';

interface Serving {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  readonly env: Record<string, string>;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

async function startServe(dir: string, args: readonly string[]): Promise<Serving> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--cache-dir', join(dir, 'cache'), ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  child.stdout.setEncoding('utf8');
  while (!/export APT_CONFIG=.*\n/.test(out)) {
    const [chunk] = (await Promise.race([once(child.stdout, 'data'), once(child, 'exit').then(() => assert.fail(`serve exited: ${err}`))])) as [string];
    out += chunk;
  }
  const port = Number(/caching proxy at http:\/\/127\.0\.0\.1:(\d+)( \(offline: cache only\))? \(2 processes answer hits\)/.exec(out)?.[1]);
  assert.ok(port > 0, out);
  const env = Object.fromEntries([...out.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^'|'$/g, '')]));
  return {
    child,
    port,
    env,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      const [code] = (await once(child, 'close')) as [number];
      return code;
    },
  };
}

/** A GET through the proxy on a connection of its own (so the kernel may hand it to either worker). */
function viaProxy(proxyPort: number, url: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxyPort, path: url, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function fileServer(files: Record<string, Buffer>): Promise<{ server: Server; port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = files[req.url ?? ''];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, requests };
}

function children(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

test('serve --workers 2: hits from the workers, misses, mirrors, refusals and tunnels from the main process, one ledger', async (t) => {
  const dir = tempDir(t);
  const blob = randomBytes(4096);
  const upstream = await fileServer({ '/pkg-1.0.tar': blob });
  t.after(() => upstream.server.close());
  const index = await startPypiIndex({ packages: [{ name: 'delta', version: '4.0', deps: ['epsilon'] }, { name: 'epsilon', version: '1.2' }] });
  t.after(() => index.close());
  const serving = await startServe(dir, ['--workers', '2', '--pypi-upstream', index.simpleUrl, '--allow-host', `127.0.0.1:${upstream.port}`]);
  t.after(() => serving.child.kill('SIGKILL'));
  const workers = children(serving.child.pid!);
  assert.equal(workers.length, 2, 'two worker processes');

  const url = `http://127.0.0.1:${upstream.port}/pkg-1.0.tar`;
  const statuses: string[] = [];
  for (let i = 0; i < 30; i++) {
    const r = await viaProxy(serving.port, url);
    assert.equal(r.status, 200);
    assert.ok(r.body.equals(blob), 'the same bytes every time');
    statuses.push(String(r.headers['x-offgrid-cache']));
  }
  assert.deepEqual(statuses, ['miss', ...Array<string>(29).fill('hit')]);
  assert.equal(upstream.requests.length, 1, 'one upstream fetch');

  // Refused by the main process, through a worker.
  const refused = await viaProxy(serving.port, 'http://forbidden.invalid/x-1.0.tar');
  assert.equal(refused.status, 403);

  // The PyPI mirror (pages rewritten with the public address, files stored) through the workers.
  const pip = await runPip(['download', '--no-cache-dir', '-d', 'wheelhouse', 'delta'], { cwd: dir, env: { PIP_INDEX_URL: serving.env.PIP_INDEX_URL!, PIP_TRUSTED_HOST: serving.env.PIP_TRUSTED_HOST! } });
  assert.equal(pip.code, 0, pip.output);

  // A CONNECT tunnel, relayed whole: the bytes come back from the upstream through it.
  const tunnelBody = await new Promise<string>((resolve, reject) => {
    const socket = connect(serving.port, '127.0.0.1');
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      got += chunk;
      if (got.includes('\r\n\r\n') && !got.includes('GET-SENT')) {
        got += 'GET-SENT';
        socket.write(`GET /pkg-1.0.tar HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      }
    });
    socket.on('end', () => resolve(got));
    socket.on('error', reject);
    socket.write(`CONNECT 127.0.0.1:${upstream.port} HTTP/1.1\r\nHost: 127.0.0.1:${upstream.port}\r\n\r\n`);
  });
  assert.match(tunnelBody, /^HTTP\/1\.1 200 /);
  assert.match(tunnelBody, /GET-SENTHTTP\/1\.1 200 OK/);

  // A worker that dies is replaced; the port keeps answering. (A connection Node's cluster
  // hands to a worker in the instant it dies is lost with it: the requests wait until the
  // main process has seen the death, as later clients would.)
  process.kill(workers[0]!, 'SIGKILL');
  await waitFor(() => /hit worker \d+ died \(SIGKILL\); starting another/.test(serving.stderr()));
  for (let i = 0; i < 10; i++) assert.equal((await viaProxy(serving.port, url)).headers['x-offgrid-cache'], 'hit');
  await waitFor(() => children(serving.child.pid!).length === 2);

  assert.equal(await serving.stop(), 0);
  for (const pid of [...workers, ...children(serving.child.pid!)]) assert.ok(!existsSync(`/proc/${pid}/cmdline`) || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('serve'), `worker ${pid} still runs`);
  const [name] = readdirSync(join(dir, 'logs/build')).filter((n) => n.startsWith('downloads_'));
  const ledger = readValidLedger(join(dir, 'logs/build', name!));
  const blobs = ledger.downloads.other.filter((d) => d.filename === 'pkg-1.0.tar');
  // 40 answers: 1 miss and 39 hits, the hits of both workers included (each journals its own).
  assert.equal(blobs.length, 40);
  assert.equal(blobs.filter((d) => d.cached).length, 39);
  assert.ok(blobs.every((d) => d.sha256 === createHash('sha256').update(blob).digest('hex')));
  assert.deepEqual(ledger.downloads.wheels.map((w) => w.name).sort(), ['delta', 'epsilon']);
  assert.ok(ledger.network_attempts.some((a) => a.url_or_host === 'http://forbidden.invalid/x-1.0.tar' && /allow-list/.test(a.error)));
  assert.ok(ledger.downloads.other.some((d) => d.source === `https://127.0.0.1:${upstream.port}` && /tunnel/.test(d.destination ?? '')));
});

test('serve --workers 2 killed with SIGKILL, workers and all: their hits were already in the session journal, and the next session recovers them', async (t) => {
  const dir = tempDir(t);
  const blob = randomBytes(1024);
  const upstream = await fileServer({ '/lib-3.0.tar': blob });
  t.after(() => upstream.server.close());
  const serving = await startServe(dir, ['--workers', '2', '--allow-host', `127.0.0.1:${upstream.port}`]);
  t.after(() => serving.child.kill('SIGKILL'));
  const url = `http://127.0.0.1:${upstream.port}/lib-3.0.tar`;
  for (let i = 0; i < 20; i++) assert.equal((await viaProxy(serving.port, url)).status, 200);
  // Written at the end of the turn that served them, by whichever process served them.
  const journalDir = join(dir, 'logs/build/.journal');
  const journaled = (): number => readdirSync(journalDir).filter((f) => f.endsWith('.jsonl')).reduce((n, f) => n + readFileSync(join(journalDir, f), 'utf8').split('\n').filter((line) => line.includes('"filename":"lib-3.0.tar"')).length, 0);
  await waitFor(() => journaled() === 20);
  const workers = children(serving.child.pid!);
  for (const pid of [serving.child.pid!, ...workers]) process.kill(pid, 'SIGKILL');
  await once(serving.child, 'close');
  await waitFor(() => workers.every((pid) => !existsSync(`/proc/${pid}`)));

  const next = await runCli(['run', '--', 'true'], { cwd: dir, timeoutMs: 30_000 });
  assert.equal(next.code, 0, next.stderr);
  const ledgers = readdirSync(join(dir, 'logs/build')).filter((n) => n.startsWith('downloads_')).map((n) => readValidLedger(join(dir, 'logs/build', n)));
  const recovered = ledgers.find((l) => l.command.includes('serve'));
  assert.equal(recovered?.complete, false);
  const answers = recovered!.downloads.other.filter((d) => d.filename === 'lib-3.0.tar');
  assert.deepEqual([answers.length, answers.filter((d) => d.cached).length], [20, 19]);
});

test('serve --workers 2 --offline: cached files are served, others get the offline answer', async (t) => {
  const dir = tempDir(t);
  const blob = randomBytes(2048);
  const upstream = await fileServer({ '/tool-2.1.bin': blob });
  const allow = ['--allow-host', `127.0.0.1:${upstream.port}`];
  const online = await startServe(dir, ['--workers', '2', ...allow]);
  t.after(() => online.child.kill('SIGKILL'));
  assert.equal((await viaProxy(online.port, `http://127.0.0.1:${upstream.port}/tool-2.1.bin`)).headers['x-offgrid-cache'], 'miss');
  assert.equal(await online.stop(), 0);
  upstream.server.close();

  const offline = await startServe(dir, ['--workers', '2', '--offline', ...allow]);
  t.after(() => offline.child.kill('SIGKILL'));
  for (let i = 0; i < 6; i++) {
    const r = await viaProxy(offline.port, `http://127.0.0.1:${upstream.port}/tool-2.1.bin`);
    assert.equal(r.headers['x-offgrid-cache'], 'hit');
    assert.ok(r.body.equals(blob));
  }
  const miss = await viaProxy(offline.port, `http://127.0.0.1:${upstream.port}/other-1.0.bin`);
  assert.equal(miss.status, 503);
  assert.equal(miss.headers['x-offgrid-cache'], 'offline-miss');
  assert.equal(await offline.stop(), 0);
});

test('serve --workers takes a whole number from 1 to 64 (exit 2 otherwise)', async (t) => {
  const dir = tempDir(t);
  for (const value of ['0', 'two', '65']) {
    const r = await runCli(['serve', '--workers', value, '--port', '0', '--cache-dir', join(dir, 'cache')], { cwd: dir, timeoutMs: 20_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--workers must be a whole number from 1 to 64, not ${value}`));
  }
  const remote = await runCli(['serve', '--workers', '2', '--host', '0.0.0.0', '--port', '0', '--cache-dir', join(dir, 'cache')], { cwd: dir, timeoutMs: 20_000 });
  assert.equal(remote.code, 2);
  assert.match(remote.stderr, /refusing to listen on 0\.0\.0\.0.*--allow-remote/);
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.ok(condition(), 'condition not reached within 5 s');
}
