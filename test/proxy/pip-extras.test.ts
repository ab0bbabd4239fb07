// A build pointed at the mirror must not also reach pip's configured extra indexes directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipExtraIndexOverride } from '../../src/capture/proxy/pip-extras.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { startPypiIndex } from '../helpers/pypi-index.js';
import { isolatedPipEnv, pipCommand } from '../helpers/pip.js';

const fakePip = (stdout: string) => async () => ({ code: 0, stdout, stderr: '' });

test('remote extras are dropped, local file:// extras kept, nothing set without extras', async (t) => {
  const dir = tempDir(t);
  const conf = join(dir, 'pip.conf');
  writeFileSync(conf, '[global]\n');
  const env = { HOME: dir, PIP_CONFIG_FILE: conf };
  assert.equal(await pipExtraIndexOverride(env, fakePip("global.extra-index-url='https://a.example/simple file:///srv/wheels/simple'\n")), 'file:///srv/wheels/simple');
  assert.equal(await pipExtraIndexOverride(env, fakePip("global.extra-index-url='https://a.example/simple'\n")), ' ');
  assert.equal(await pipExtraIndexOverride(env, fakePip("global.index-url='https://a.example/simple'\n")), null);
  // A local index-url (an air-gapped index) would be replaced by the mirror: it is kept as a local extra.
  assert.equal(await pipExtraIndexOverride(env, fakePip("global.extra-index-url='https://a.example/simple file:///srv/more'\nglobal.index-url='file:///srv/simple'\n")), 'file:///srv/simple file:///srv/more');
  assert.equal(await pipExtraIndexOverride({ PIP_INDEX_URL: 'file:///srv/simple' }, async () => ({ code: 1, stdout: '', stderr: 'no pip' }), []), 'file:///srv/simple');
  let asked = false;
  const noConfig = [join(dir, 'absent.conf')];
  const none = await pipExtraIndexOverride({}, async () => ((asked = true), { code: 0, stdout: '', stderr: '' }), noConfig);
  assert.equal(none, null);
  assert.equal(asked, false, 'pip is not started when it has no configuration at all');
});

test('offgrid run: pip never reaches an extra index from its own configuration', async (t) => {
  const dir = tempDir(t);
  const main = await startPypiIndex({ packages: [{ name: 'zeta', version: '1.0' }] });
  const extra = await startPypiIndex({ packages: [{ name: 'zeta', version: '2.0' }] });
  t.after(() => Promise.all([main.close(), extra.close()]));
  const conf = join(dir, 'pip.conf');
  writeFileSync(conf, `[global]\nextra-index-url = ${extra.simpleUrl}\n`);
  const env = isolatedPipEnv({ PIP_CONFIG_FILE: conf, OFFGRID_CACHE_DIR: join(dir, 'cache') });
  const r = await runCli(['run', '--pypi-upstream', main.simpleUrl, '--', ...pipCommand(), 'download', '--no-cache-dir', '-d', 'wh', 'zeta'], { cwd: dir, env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(extra.requestCount(), 0, 'pip went to the extra index directly');
  assert.match(r.stdout, /zeta-1\.0-py3-none-any\.whl/);
});

test('onceRunner runs a command line once and answers repeats from memory', async () => {
  const { onceRunner } = await import('../../src/capture/proxy/upstreams.js');
  let runs = 0;
  const runner = onceRunner(async () => ({ code: 0, stdout: String(++runs), stderr: '' }));
  const [a, b] = await Promise.all([runner('python3', ['-m', 'pip', 'config', 'list']), runner('python3', ['-m', 'pip', 'config', 'list'])]);
  const other = await runner('npm', ['config', 'get', 'registry']);
  assert.deepEqual([a.stdout, b.stdout, other.stdout, runs], ['1', '1', '2', 2]);
});
