// The guide's scripts source enhanced_build_logging.sh and call its functions; the same
// scripts eval offgrid's functions instead. Run them in a real bash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, readValidLedger, tempDir } from '../helpers/cli.js';
import { startPypiIndex } from '../helpers/pypi-index.js';
import { isolatedPipEnv } from '../helpers/pip.js';
import { DOCKER, BUSYBOX_IMAGE, dockerSkipReason } from '../helpers/docker.js';

const exec = promisify(execFile);

function bashWithOffgrid(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return exec('bash', ['-c', `set -e\neval "$(node ${JSON.stringify(CLI)} shell-init bash)"\n${script}`], { cwd, env, maxBuffer: 16 << 20 });
}

const ledgers = (dir: string): string[] =>
  readdirSync(join(dir, 'logs/build')).filter((n) => n.startsWith('downloads_')).map((n) => join(dir, 'logs/build', n));

test('shell-init defines the three functions of the guide', async (t) => {
  const dir = tempDir(t);
  const { stdout } = await bashWithOffgrid('type -t apt_get_with_logging pip_with_logging monitor_docker_build', dir, process.env);
  assert.deepEqual(stdout.trim().split('\n'), ['function', 'function', 'function']);
});

test('pip_with_logging records the downloads of a real pip run', async (t) => {
  const dir = tempDir(t);
  const index = await startPypiIndex({ packages: [{ name: 'gamma', version: '0.3' }] });
  t.after(() => index.close());
  const env = isolatedPipEnv({ OFFGRID_CACHE_DIR: join(dir, 'cache'), PATH: `${join(dir, 'bin')}:${process.env.PATH}` });
  // `pip` as the user has it: here the interpreter's module behind a wrapper on PATH.
  await exec('bash', ['-c', `mkdir -p bin && printf '#!/bin/sh\\nexec python3 -m pip "$@"\\n' > bin/pip && chmod +x bin/pip`], { cwd: dir });
  // offgrid mirrors the index pip is configured with (here PIP_INDEX_URL) through its proxy.
  await bashWithOffgrid('pip_with_logging download --no-cache-dir -d wheelhouse gamma', dir, { ...env, PIP_INDEX_URL: index.simpleUrl });
  const ledger = readValidLedger(ledgers(dir).at(-1)!);
  assert.equal(ledger.exit_code, 0);
  assert.deepEqual(ledger.downloads.wheels.map((w) => w.name), ['gamma']);
});

test('monitor_docker_build keeps the guide\'s build log and attributes steps to the service', async (t) => {
  const skip = await dockerSkipReason();
  if (skip) return t.skip(skip);
  const dir = tempDir(t);
  await exec('bash', ['-c', `printf 'FROM ${BUSYBOX_IMAGE}\\nRUN echo built-by-offgrid-test-$RANDOM > /stamp\\n' > Dockerfile`], { cwd: dir });
  // This engine runs without a bridge network (scripts/ci-docker.sh), hence --network=none.
  // Debian's client first: the BuildKit builds these tests rely on need it (see test/helpers/docker.ts).
  const env = { ...process.env, PATH: `/usr/bin:${process.env.PATH}` };
  await bashWithOffgrid(`monitor_docker_build api --no-cache --network=none -t offgrid-test/shell-init:latest .`, dir, { ...env, OFFGRID_CACHE_DIR: join(dir, 'cache') });
  t.after(() => exec(DOCKER, ['rmi', '-f', 'offgrid-test/shell-init:latest']).catch(() => undefined));
  assert.match(readFileSync(join(dir, 'logs/docker_build/build_api.log'), 'utf8'), /RUN echo built-by-offgrid-test/);
  const ledger = readValidLedger(ledgers(dir).at(-1)!);
  const run = ledger.steps.find((s) => s.name.startsWith('RUN echo'));
  assert.equal(run?.service, 'api');
  assert.equal(run?.status, 'done');
});
