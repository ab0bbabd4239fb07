// `offgrid wheelhouse` on `-r URL` and `-c URL` (pip fetches http(s) requirements and
// constraints files, and follows a relative `-r` inside one against its URL): offgrid
// fetches them through its proxy (recorded in the session, cached for --offline), with
// the URL's credentials sent but never written, and stops with exit 2 naming the status
// when a file cannot be fetched. Real pip, a real local index, a real HTTP server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readValidLedger, runCli, tempDir } from '../helpers/cli.js';
import { isolatedPipEnv } from '../helpers/pip.js';
import { startPypiIndex } from '../helpers/pypi-index.js';
import type { Manifest } from '../../src/wheelhouse/manifest.js';

const PIP_ENV = { ...isolatedPipEnv({ PIP_NO_CACHE_DIR: '1' }), PIP_FIND_LINKS: '' };
const AUTH = `Basic ${Buffer.from('deploy:s3cret').toString('base64')}`;

/** A team's requirements server: /team/ wants the deploy credentials, /open/ does not. */
async function filesServer(files: Record<string, string>) {
  const seen: { path: string; authorization: string | undefined }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    seen.push({ path, authorization: req.headers.authorization });
    if (path.startsWith('/team/') && req.headers.authorization !== AUTH) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="team"' }).end('credentials needed\n');
      return;
    }
    const body = files[path];
    if (body === undefined) res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>not here</h1>');
    else res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=0' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { port, url: `http://127.0.0.1:${port}`, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

test('wheelhouse: -r and -c URLs, nested -r relative to the fetched file, are fetched through the proxy with their credentials, which no file shows', async (t) => {
  const index = await startPypiIndex({ packages: [{ name: 'alpha', version: '1.0', deps: ['beta'] }, { name: 'beta', version: '1.0' }, { name: 'beta', version: '1.1' }, { name: 'gamma', version: '2.0' }] });
  const files = { '/team/base.txt': 'alpha\n-r extras/more.txt\n', '/team/extras/more.txt': 'gamma\n', '/team/constraints.txt': 'beta==1.0\n' };
  const server = await filesServer(files);
  t.after(() => Promise.all([index.close(), server.close()]));
  const dir = tempDir(t, 'offgrid-wheelhouse-url-');
  const team = `http://deploy:s3cret@127.0.0.1:${server.port}/team`;
  const shown = `http://***@127.0.0.1:${server.port}/team`;
  writeFileSync(join(dir, 'requirements.txt'), `-r ${team}/base.txt\n-c ${team}/constraints.txt\n`);

  const r = await runCli(['wheelhouse', '-r', 'requirements.txt', '--cache-dir', 'cache', '--pypi-upstream', index.simpleUrl], { cwd: dir, env: PIP_ENV, timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(readdirSync(join(dir, 'wheelhouse')).sort(), ['alpha-1.0-py3-none-any.whl', 'beta-1.0-py3-none-any.whl', 'gamma-2.0-py3-none-any.whl', 'wheelhouse_manifest.json']);
  const text = readFileSync(join(dir, 'wheelhouse/wheelhouse_manifest.json'), 'utf8');
  const m = JSON.parse(text) as Manifest;
  assert.deepEqual(m.requirement_files.map((f) => [f.path, f.kind, f.included_by, f.sha256]), [
    ['requirements.txt', 'requirements', null, sha(readFileSync(join(dir, 'requirements.txt'), 'utf8'))],
    [`${shown}/base.txt`, 'requirements', 'requirements.txt', sha(files['/team/base.txt'])],
    [`${shown}/extras/more.txt`, 'requirements', `${shown}/base.txt`, sha(files['/team/extras/more.txt'])],
    [`${shown}/constraints.txt`, 'constraints', 'requirements.txt', sha(files['/team/constraints.txt'])],
  ]);
  assert.deepEqual(m.requirements.map((q) => [q.file, q.line, q.name, q.version, q.status]), [
    [`${shown}/base.txt`, 1, 'alpha', '1.0', 'success'],
    [`${shown}/extras/more.txt`, 1, 'gamma', '2.0', 'success'],
  ]);
  // Each file was asked for once, with the credentials (the nested one's taken from its parent's URL, as pip joins them).
  assert.deepEqual(server.seen.map((s) => `${s.path} ${s.authorization === AUTH}`).sort(), ['/team/base.txt true', '/team/constraints.txt true', '/team/extras/more.txt true']);
  const log = readFileSync(join(dir, m.run!.log_file!), 'utf8');
  assert.match(log, /fetched http:\/\/\*\*\*@127\.0\.0\.1:\d+\/team\/base\.txt through the proxy/);
  const ledgerPath = join(dir, 'logs/build', `downloads_${m.run!.session_id}.json`);
  const ledger = readValidLedger(ledgerPath);
  assert.ok(ledger.downloads.other.some((d) => d.source?.endsWith('/team/base.txt')), 'the proxy did not record base.txt');
  for (const [what, content] of [['manifest', text], ['stdout', r.stdout], ['stderr', r.stderr], ['run log', log], ['ledger', readFileSync(ledgerPath, 'utf8')]]) {
    assert.ok(!content!.includes('s3cret'), `the password is in the ${what}`);
  }
  // verify reads no network: it installs the manifest's packages by name from the wheelhouse.
  const v = await runCli(['wheelhouse', 'verify'], { cwd: dir, env: PIP_ENV });
  assert.equal(v.code, 0, v.stdout + v.stderr);

  // The same file named on the command line: its credentials reach no file either (the ledger keeps the command).
  const top = await runCli(['wheelhouse', '-r', `${team}/base.txt`, '--cache-dir', 'cache', '--pypi-upstream', index.simpleUrl, '--dest', 'top-wh'], { cwd: dir, env: PIP_ENV, timeoutMs: 180_000 });
  assert.equal(top.code, 0, top.stderr + top.stdout);
  const topManifest = readFileSync(join(dir, 'top-wh/wheelhouse_manifest.json'), 'utf8');
  const tm = JSON.parse(topManifest) as Manifest;
  assert.deepEqual(tm.requirement_files.map((f) => f.path), [`${shown}/base.txt`, `${shown}/extras/more.txt`]);
  const topLedger = readFileSync(join(dir, 'logs/build', `downloads_${tm.run!.session_id}.json`), 'utf8');
  assert.match(topLedger, /"-r",\s*"http:\/\/\*\*\*@127\.0\.0\.1/);
  for (const content of [topManifest, top.stdout, top.stderr, readFileSync(join(dir, tm.run!.log_file!), 'utf8'), topLedger]) assert.ok(!content.includes('s3cret'));
});

test('wheelhouse: a top-level -r URL works with and without the proxy, and comes from the cache --offline once the server is gone', async (t) => {
  const index = await startPypiIndex({ packages: [{ name: 'alpha', version: '1.0' }] });
  const server = await filesServer({ '/open/reqs.txt': 'alpha\n' });
  t.after(() => index.close());
  const dir = tempDir(t, 'offgrid-wheelhouse-url-');
  const run = (args: string[]) => runCli(['wheelhouse', '-r', `${server.url}/open/reqs.txt`, '--cache-dir', 'cache', '--pypi-upstream', index.simpleUrl, ...args], { cwd: dir, env: PIP_ENV, timeoutMs: 180_000 });
  let r = await run([]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  r = await run(['--no-proxy', '--index-url', index.simpleUrl, '--dest', 'direct-wh']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(readdirSync(join(dir, 'direct-wh')).sort(), ['alpha-1.0-py3-none-any.whl', 'wheelhouse_manifest.json']);
  await server.close();
  r = await run(['--offline', '--dest', 'offline-wh']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(readdirSync(join(dir, 'offline-wh')).sort(), ['alpha-1.0-py3-none-any.whl', 'wheelhouse_manifest.json']);
});

test('wheelhouse: a file that cannot be fetched stops the run with exit 2, naming the URL (credentials redacted), where it was named and why', async (t) => {
  const server = await filesServer({ '/open/reqs.txt': 'alpha\n-r missing.txt\n' });
  t.after(() => server.close());
  const dir = tempDir(t, 'offgrid-wheelhouse-url-');
  const run = (file: string, content: string, args: string[] = []) => {
    writeFileSync(join(dir, file), content);
    return runCli(['wheelhouse', '-r', file, '--cache-dir', 'cache', '--pypi-upstream', 'http://127.0.0.1:1/simple/', ...args], { cwd: dir, env: PIP_ENV });
  };
  let r = await run('a.txt', `-c ${server.url}/gone.txt\n`);
  assert.equal(r.code, 2, r.stderr + r.stdout);
  assert.match(r.stderr, new RegExp(`cannot fetch the requirements file ${server.url}/gone\\.txt \\(named at a\\.txt:1\\): HTTP 404 Not Found`));
  // Nested: the missing file is joined to the fetched one's URL.
  r = await run('b.txt', `-r ${server.url}/open/reqs.txt\n`, ['--no-proxy']);
  assert.equal(r.code, 2, r.stderr + r.stdout);
  assert.match(r.stderr, new RegExp(`cannot fetch the requirements file ${server.url}/open/missing\\.txt \\(named at ${server.url}/open/reqs\\.txt:2\\): HTTP 404`));
  // A 401 says so; the proxy's own refusal of a closed port says why.
  r = await run('c.txt', `-r http://deploy:wrong@127.0.0.1:${server.port}/team/x.txt\n-r https://deploy:s3cret@127.0.0.1:1/more.txt\n`);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot fetch the requirements file http:\/\/\*\*\*@127\.0\.0\.1:\d+\/team\/x\.txt \(named at c\.txt:1\): HTTP 401 Unauthorized \(credentials needed\)/);
  r = await run('d.txt', '-r https://deploy:s3cret@127.0.0.1:1/more.txt\n');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot fetch the requirements file https:\/\/\*\*\*@127\.0\.0\.1:1\/more\.txt \(named at d\.txt:1\): /);
  for (const out of [r.stderr, r.stdout]) {
    assert.ok(!out.includes('s3cret'), out);
    assert.doesNotMatch(out, /\n\s+at /);
  }
});

test('wheelhouse: an index named inside a fetched file is read after the proxy started: pip reaches it directly, and the run log says so', async (t) => {
  const main = await startPypiIndex({ packages: [{ name: 'alpha', version: '1.0' }] });
  const extra = await startPypiIndex({ packages: [{ name: 'onlyextra', version: '2.0' }] });
  const server = await filesServer({ '/open/reqs.txt': `--extra-index-url ${extra.simpleUrl}\nonlyextra==2.0\n` });
  t.after(() => Promise.all([main.close(), extra.close(), server.close()]));
  const dir = tempDir(t, 'offgrid-wheelhouse-url-');
  writeFileSync(join(dir, 'requirements.txt'), `alpha\n-r ${server.url}/open/reqs.txt\n`);
  const r = await runCli(['wheelhouse', '-r', 'requirements.txt', '--cache-dir', 'cache', '--pypi-upstream', main.simpleUrl], { cwd: dir, env: PIP_ENV, timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(readdirSync(join(dir, 'wheelhouse')).sort(), ['alpha-1.0-py3-none-any.whl', 'onlyextra-2.0-py3-none-any.whl', 'wheelhouse_manifest.json']);
  const m = JSON.parse(readFileSync(join(dir, 'wheelhouse/wheelhouse_manifest.json'), 'utf8')) as Manifest;
  assert.match(readFileSync(join(dir, m.run!.log_file!), 'utf8'), new RegExp(`${server.url.replace(/[.]/g, '\\.')}/open/reqs\\.txt:1: the index ${extra.simpleUrl.replace(/[.]/g, '\\.')} is named in a fetched file, read after the proxy started: pip reaches it directly`));
  assert.ok(extra.requestCount('/files/') >= 1);
});
