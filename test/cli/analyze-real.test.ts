// `offgrid analyze` on logs pasted by users of Docker 23–28 (test/fixtures/docker/real/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, runCli, readValidLedger, tempDir } from '../helpers/cli.js';

async function analyze(t: Parameters<typeof tempDir>[0], name: string) {
  const dir = tempDir(t);
  const r = await runCli(['analyze', '--service', 'api', join(FIXTURES, 'docker/real', name)], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const build = join(dir, 'logs', 'build');
  const file = readdirSync(build).find((n) => n.startsWith('downloads_'));
  return readValidLedger(join(build, file ?? ''));
}

test('analyze: a buildx log with pip and apt-get steps', async (t) => {
  const ledger = await analyze(t, 'pip-apt.plain.log');
  assert.equal(ledger.downloads.wheels.length, 7);
  assert.ok(ledger.downloads.wheels.every((w) => w.service === 'api' && w.step === 'RUN pip install --no-cache-dir -r /tmp/requirements.common.txt'));
  assert.ok(ledger.downloads.apt.some((a) => a.name === 'curl'));
  assert.ok(ledger.steps.some((s) => s.status === 'cached'));
});

test('analyze: a failed compose build records the step, its exit code and the network attempt', async (t) => {
  const ledger = await analyze(t, 'compose-up-pip-fail.log');
  const step = ledger.steps.find((s) => s.status === 'error' && s.name.startsWith('RUN pip install'));
  assert.match(step?.error ?? '', /exit code: 2$/);
  assert.ok(ledger.network_attempts.length > 0);
  assert.equal(ledger.summary.total_downloads, 0);
});

test('analyze: the legacy builder of Docker 25+', async (t) => {
  const ledger = await analyze(t, 'legacy-pip.log');
  assert.equal(ledger.downloads.wheels.length, 8);
  assert.equal(ledger.steps.length, 7);
});
