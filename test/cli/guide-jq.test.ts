// The guide's jq commands are a contract: each runs verbatim, with the real jq, against
// ledgers offgrid wrote for a real pip run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runCli, tempDir } from '../helpers/cli.js';
import { startPypiIndex } from '../helpers/pypi-index.js';
import { isolatedPipEnv, pipCommand } from '../helpers/pip.js';

// Copied from ../shared/reference/offline-build-logging-guide.md; the first test checks
// the copy still matches the guide wherever the guide is present.
const GUIDE_COMMANDS = [
  "cat logs/build/downloads_*.json | jq '.summary'",
  "cat logs/build/downloads_*.json | jq '.downloads'",
  "cat logs/build/downloads_*.json | jq '.cached'",
  "cat logs/build/downloads_*.json | jq '.downloads.wheels[] | select(.cached == false)'",
  "cat logs/build/downloads_*.json | jq '.downloads.wheels[] | select(.cached == false) | .source'",
  "cat logs/build/downloads_*.json | jq '.duration_seconds'",
];

const GUIDE = join(REPO_ROOT, '../shared/reference/offline-build-logging-guide.md');

test('the copied commands are exactly the guide\'s jq commands', { skip: !existsSync(GUIDE) && 'the guide is not beside this checkout' }, () => {
  const inGuide = new Set(readFileSync(GUIDE, 'utf8').split('\n').filter((l) => l.includes('| jq ')).map((l) => l.trim()));
  assert.deepEqual([...inGuide].sort(), [...GUIDE_COMMANDS].sort());
});

test('every jq command of the guide answers on ledgers of a real pip run', async (t) => {
  const dir = tempDir(t);
  const index = await startPypiIndex({
    packages: [
      { name: 'alpha', version: '1.0', deps: ['beta>=2'], padBytes: 20_000 },
      { name: 'beta', version: '2.1' },
    ],
  });
  t.after(() => index.close());
  const env = isolatedPipEnv({ PIP_CACHE_DIR: join(dir, 'pip-cache') });
  const pip = [...pipCommand(), 'download', '--index-url', index.simpleUrl, '-d', 'wheelhouse', 'alpha'];

  const first = await runCli(['run', '--', ...pip], { cwd: dir, env });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  await new Promise((r) => setTimeout(r, 1100)); // a distinct session id
  const second = await runCli(['run', '--', ...pip], { cwd: dir, env });
  assert.equal(second.code, 0, second.stdout + second.stderr);

  const jq = (command: string): string => execFileSync('bash', ['-c', command], { cwd: dir, encoding: 'utf8' });
  const docs = (out: string): unknown[] => JSON.parse(`[${out.trim().replace(/\n(?=[{\[\d"n])/g, ',\n')}]`) as unknown[];

  const summaries = docs(jq(GUIDE_COMMANDS[0]!)) as { total_downloads: number; total_cached: number }[];
  assert.equal(summaries.length, 2);
  assert.equal(summaries[0]!.total_downloads, 2, 'first run downloads alpha and beta');
  assert.equal(summaries[1]!.total_downloads, 0, 'second run finds both already downloaded');
  assert.equal(summaries[1]!.total_cached, 2);

  const downloads = docs(jq(GUIDE_COMMANDS[1]!)) as { wheels: unknown[] }[];
  assert.equal(downloads[0]!.wheels.length, 2);
  assert.equal((docs(jq(GUIDE_COMMANDS[2]!)) as unknown[][])[1]!.length, 2);

  const uncached = jq(GUIDE_COMMANDS[3]!);
  assert.match(uncached, /"name": "alpha"/);
  assert.match(uncached, /"name": "beta"/);
  const sources = jq(GUIDE_COMMANDS[4]!).trim().split('\n');
  assert.equal(sources.length, 2);
  for (const s of sources) assert.match(s, /^"(http:\/\/127\.0\.0\.1:\d+\/.*\.whl|[^"]+\.whl)"$/);

  const durations = jq(GUIDE_COMMANDS[5]!).trim().split('\n').map(Number);
  assert.equal(durations.length, 2);
  for (const d of durations) assert.ok(d > 0 && d < 120);
});
