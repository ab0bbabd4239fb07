import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, readValidLedger, tempDir } from '../helpers/cli.js';

function onlyLedger(logDir: string): string {
  const names = readdirSync(join(logDir, 'build')).filter((n) => /^downloads_\d{8}_\d{6}(_\d+)?\.json$/.test(n));
  assert.equal(names.length, 1, `expected one ledger, found ${names.join(', ')}`);
  return join(logDir, 'build', names[0]!);
}

test('run shows the output live, keeps it in the session log, and exits with the command\'s code', async (t) => {
  const dir = tempDir(t);
  const r = await runCli(['run', '--', 'sh', '-c', 'echo hello; echo oops >&2; exit 3'], { cwd: dir });
  assert.equal(r.code, 3);
  assert.match(r.stdout, /hello/);
  assert.match(r.stderr, /oops/);
  assert.match(r.stderr, /offgrid: session \d{8}_\d{6}: 0 downloaded/);
  const ledger = readValidLedger(onlyLedger(join(dir, 'logs')));
  assert.equal(ledger.exit_code, 3);
  assert.deepEqual(ledger.command, ['sh', '-c', 'echo hello; echo oops >&2; exit 3']);
  const log = readFileSync(join(dir, 'logs/build', `build_session_${ledger.session_id}.log`), 'utf8');
  assert.match(log, /hello/);
  assert.match(log, /oops/);
});

test('run records what the tool output says (a captured pip run replayed by the command)', async (t) => {
  const dir = tempDir(t);
  const r = await runCli(['run', '--log-dir', 'out', '--', 'sh', '-c', 'printf "Collecting six\\n  Downloading six-1.16.0-py2.py3-none-any.whl (11 kB)\\nUsing cached idna-3.7-py3-none-any.whl (66 kB)\\n"'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const ledger = readValidLedger(onlyLedger(join(dir, 'out')));
  const byName = Object.fromEntries(ledger.downloads.wheels.map((w) => [w.name, w]));
  assert.equal(byName.six?.cached, false);
  assert.equal(byName.six?.size, 11000);
  assert.equal(byName.idna?.cached, true);
  assert.equal(ledger.summary.total_downloads, 1);
  assert.equal(ledger.summary.total_cached, 1);
});

test('a command that does not exist is a clear usage error, not a stack trace', async (t) => {
  const dir = tempDir(t);
  const r = await runCli(['run', '--', 'no-such-command-offgrid'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot run no-such-command-offgrid: command not found/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('run without a command, or with an unknown option, exits 2', async (t) => {
  const dir = tempDir(t);
  assert.equal((await runCli(['run'], { cwd: dir })).code, 2);
  assert.equal((await runCli(['run', '--frobnicate', '--', 'true'], { cwd: dir })).code, 2);
  assert.equal((await runCli(['no-such-subcommand'], { cwd: dir })).code, 2);
});

test('an unwritable log directory is a clear error (exit 2)', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'logs'), 'a file where the log directory should be');
  const r = await runCli(['run', '--', 'true'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot create the log directory logs/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('credentials on the command line never reach the ledger or the session log', async (t) => {
  const dir = tempDir(t);
  const r = await runCli(['run', '--', 'sh', '-c', 'echo "Looking in indexes: https://user:tok3n@idx.example/simple"', 'https://user:tok3n@idx.example/simple'], { cwd: dir });
  assert.equal(r.code, 0);
  const files = readdirSync(join(dir, 'logs/build')).filter((n) => !n.startsWith('.')).map((n) => readFileSync(join(dir, 'logs/build', n), 'utf8'));
  assert.ok(files.length >= 4);
  for (const text of files) assert.ok(!text.includes('tok3n'));
});
