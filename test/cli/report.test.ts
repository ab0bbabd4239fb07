import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';

const pipLog = (lines: string[]): string => lines.join('\n') + '\n';

async function twoSessions(dir: string): Promise<void> {
  writeFileSync(join(dir, 'first.log'), pipLog([
    'Collecting six', '  Downloading six-1.16.0-py2.py3-none-any.whl (11 kB)',
    'Collecting idna', '  Downloading idna-3.7-py3-none-any.whl (66 kB)',
  ]));
  writeFileSync(join(dir, 'second.log'), pipLog([
    'Collecting six', '  Using cached six-1.16.0-py2.py3-none-any.whl (11 kB)',
    'Collecting idna', '  Downloading idna-3.7-py3-none-any.whl (66 kB)',
  ]));
  assert.equal((await runCli(['analyze', 'first.log'], { cwd: dir })).code, 0);
  // Session ids have a resolution of one second; keep the two apart.
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await runCli(['analyze', 'second.log'], { cwd: dir })).code, 0);
}

test('report before any session says how to record one (exit 2)', async (t) => {
  const dir = tempDir(t);
  const r = await runCli(['report', 'summary'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no recorded sessions yet: run a build with `offgrid run -- CMD`/);
});

test('summary, uncached, to-cache and compare answer the guide\'s questions', async (t) => {
  const dir = tempDir(t);
  await twoSessions(dir);

  const summary = JSON.parse((await runCli(['report', 'summary', '--json'], { cwd: dir })).stdout);
  assert.equal(summary.total_downloads, 1);
  assert.equal(summary.total_cached, 1);

  const all = JSON.parse((await runCli(['report', 'summary', '--session', 'all', '--json'], { cwd: dir })).stdout);
  assert.equal(all.length, 2);

  const uncached = JSON.parse((await runCli(['report', 'uncached', '--json'], { cwd: dir })).stdout);
  assert.deepEqual(uncached.map((r: { name: string }) => r.name), ['idna']);

  const toCache = await runCli(['report', 'to-cache'], { cwd: dir });
  assert.match(toCache.stdout, /idna/);
  assert.match(toCache.stdout, /wheelhouse/);

  const compare = JSON.parse((await runCli(['report', 'compare', '--json'], { cwd: dir })).stdout);
  assert.deepEqual(compare.newly_cached.map((r: { name: string }) => r.name), ['six']);
  assert.equal(compare.base.total_downloads, 2);
  assert.equal(compare.current.total_downloads, 1);
  const text = (await runCli(['report', 'compare'], { cwd: dir })).stdout;
  assert.match(text, /1 item\(s\) downloaded before are cached now; 1 still downloaded/);
});

test('a corrupt ledger file is skipped with a warning; an unknown session id is exit 2', async (t) => {
  const dir = tempDir(t);
  await twoSessions(dir);
  mkdirSync(join(dir, 'logs/build'), { recursive: true });
  writeFileSync(join(dir, 'logs/build/downloads_20990101_000000.json'), '{"schema_version": 1, "trunc');
  const r = await runCli(['report', 'summary', '--session', 'all', '--json'], { cwd: dir });
  assert.equal(r.code, 0);
  assert.equal(JSON.parse(r.stdout).length, 2);
  assert.match(r.stderr, /skipping .*downloads_20990101_000000\.json: not JSON/);
  const missing = await runCli(['report', 'summary', '--session', '19990101_000000'], { cwd: dir });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no session 19990101_000000/);
});
