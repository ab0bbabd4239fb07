// `offgrid serve` as a user runs it: in the foreground, its printed environment pasted into
// a shell, stopped with a signal, leaving a ledger of what it served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, readValidLedger, runCli, tempDir } from '../helpers/cli.js';
import { startPypiIndex } from '../helpers/pypi-index.js';
import { runPip } from '../helpers/pip.js';

test('serve prints its address and env lines, serves pip, and writes a ledger on SIGTERM', async (t) => {
  const dir = tempDir(t);
  const index = await startPypiIndex({ packages: [{ name: 'delta', version: '4.0', deps: ['epsilon'] }, { name: 'epsilon', version: '1.2' }] });
  t.after(() => index.close());
  const server = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--cache-dir', join(dir, 'cache'), '--pypi-upstream', index.simpleUrl], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => server.kill('SIGKILL'));
  let out = '';
  server.stdout.setEncoding('utf8');
  while (!/export APT_CONFIG=.*\n/.test(out)) {
    const [chunk] = (await once(server.stdout, 'data')) as [string];
    out += chunk;
  }
  assert.match(out, /caching proxy at http:\/\/127\.0\.0\.1:\d+/);
  const env = Object.fromEntries([...out.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^'|'$/g, '')]));
  assert.match(env.PIP_INDEX_URL ?? '', /^http:\/\/127\.0\.0\.1:\d+\/pypi\/simple\/$/);
  assert.ok(env.http_proxy && env.APT_CONFIG && env.no_proxy);

  const pip = await runPip(['download', '--no-cache-dir', '-d', 'wheelhouse', 'delta'], {
    cwd: dir,
    env: { PIP_INDEX_URL: env.PIP_INDEX_URL!, PIP_TRUSTED_HOST: env.PIP_TRUSTED_HOST! },
  });
  assert.equal(pip.code, 0, pip.output);

  server.kill('SIGTERM');
  const [code] = (await once(server, 'close')) as [number];
  assert.equal(code, 0);
  const ledgers = readdirSync(join(dir, 'logs/build')).filter((n) => n.startsWith('downloads_'));
  assert.equal(ledgers.length, 1);
  const ledger = readValidLedger(join(dir, 'logs/build', ledgers[0]!));
  assert.deepEqual(ledger.downloads.wheels.map((w) => w.name).sort(), ['delta', 'epsilon']);
  assert.ok(ledger.downloads.wheels.every((w) => w.evidence === 'proxy' && w.cached === false));
});

test('serve refuses a non-loopback address without --allow-remote (exit 2)', async (t) => {
  const dir = tempDir(t);
  const r = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--cache-dir', join(dir, 'cache'), '--pypi-upstream', 'http://127.0.0.1:1/simple/'], { cwd: dir, timeoutMs: 20_000 });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0.*--allow-remote/);
});
