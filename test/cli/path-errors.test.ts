// A path that cannot be used (a file where a directory belongs) is the user's to fix: a
// clear message naming the path, exit 2, and no "this is a bug" or stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';

test('a --cache-dir that is a file: the path and what is wrong with it, exit 2', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'not-a-dir'), 'x');
  for (const args of [['cache', 'ls', '--cache-dir', 'not-a-dir'], ['cache', 'stats', '--cache-dir', 'not-a-dir']]) {
    const r = await runCli(args, { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^offgrid: not a directory: \S*not-a-dir\/content-v1 \(mkdir\): check the path and its permissions\n$/);
    assert.doesNotMatch(r.stderr, /bug|\n\s+at /);
  }
});

test('a --cache-dir that does not exist: said, exit 2, and not created by a command that only looks', async (t) => {
  const dir = tempDir(t);
  for (const action of [['stats'], ['ls'], ['verify'], ['prune', '--max-size', '1G'], ['export', '--out', 'c.tgz']]) {
    const r = await runCli(['cache', ...action, '--cache-dir', 'typo'], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^offgrid: no cache at \S*typo: nothing was stored there yet/);
    assert.equal(existsSync(join(dir, 'typo')), false, `cache ${action[0]} created the directory`);
  }
});
