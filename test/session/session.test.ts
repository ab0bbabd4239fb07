import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from '../../src/session/session.js';
import { recoverAbandonedSessions } from '../../src/session/recover.js';
import { downloadEvent, networkAttemptEvent } from '../../src/capture/events.js';
import { journalDir } from '../../src/session/layout.js';
import { systemClock, type Clock } from '../../src/session/time.js';
import { readValidLedger, tempDir, REPO_ROOT } from '../helpers/cli.js';

const fixedClock = (iso: string): Clock => ({ now: () => new Date(iso) });

test('a finished session writes the guide files, validated against the shipped schema, and removes its journal', async (t) => {
  const logDir = tempDir(t);
  const session = Session.open({ logDir, command: ['pip', 'download', '--index-url', 'https://bob:hunter2@idx.example/simple'], offline: false, clock: systemClock });
  session.logLine('Looking in indexes: https://bob:hunter2@idx.example/simple');
  session.record(downloadEvent({ kind: 'wheel', tool: 'pip', cached: false, name: 'six', version: '1.16.0', filename: 'six-1.16.0-py2.py3-none-any.whl', source: 'https://bob:hunter2@idx.example/f/six-1.16.0-py2.py3-none-any.whl?token=abc', size: 11053 }));
  session.record(downloadEvent({ kind: 'apt', tool: 'apt', cached: true, name: 'jq', version: '1.6-2.1', size: 135000 }));
  session.record(networkAttemptEvent({ tool: 'curl', url_or_host: 'no-such-host.invalid', error: 'Could not resolve host' }));
  const ledger = await session.finish(0);

  const paths = session.paths;
  const onDisk = readValidLedger(paths.ledger);
  assert.deepEqual(onDisk, ledger);
  assert.equal(onDisk.complete, true);
  assert.equal(onDisk.exit_code, 0);
  assert.equal(onDisk.summary.total_downloads, 1);
  assert.equal(onDisk.summary.total_cached, 1);
  assert.equal(onDisk.summary.network_attempts, 1);
  assert.match(onDisk.session_id, /^\d{8}_\d{6}$/);
  assert.match(paths.ledger, /downloads_\d{8}_\d{6}\.json$/);

  const everything = [paths.ledger, paths.sessionLog, paths.aptLog, paths.wheelLog].map((p) => readFileSync(p, 'utf8')).join('\n');
  assert.ok(!everything.includes('hunter2'), 'a password reached a file');
  assert.ok(!everything.includes('token=abc'), 'a token reached a file');
  assert.match(readFileSync(paths.aptLog, 'utf8'), /\[CACHED\] jq 1\.6-2\.1/);
  assert.match(readFileSync(paths.wheelLog, 'utf8'), /\[DOWNLOADED\] six 1\.16\.0/);
  assert.equal(existsSync(paths.journal), false);
});

test('timestamps: file names in local time, contents ISO 8601 with offset', async (t) => {
  const logDir = tempDir(t);
  const session = Session.open({ logDir, command: ['true'], offline: false, clock: fixedClock('2026-01-09T14:22:33.120Z') });
  const ledger = await session.finish(0);
  assert.match(ledger.started_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
  assert.equal(new Date(ledger.started_at).toISOString(), '2026-01-09T14:22:33.120Z');
});

test('two sessions in the same second get distinct ids', async (t) => {
  const logDir = tempDir(t);
  const clock = fixedClock('2026-01-09T14:22:33Z');
  const a = Session.open({ logDir, command: ['a'], offline: false, clock });
  const b = Session.open({ logDir, command: ['b'], offline: false, clock });
  assert.notEqual(a.id, b.id);
  await Promise.all([a.finish(0), b.finish(0)]);
  assert.equal(readdirSync(join(logDir, 'build')).filter((n) => n.startsWith('downloads_')).length, 2);
});

test('a session killed with SIGKILL is compiled later with complete:false and nothing lost', async (t) => {
  const logDir = tempDir(t);
  const script = `
    import { Session } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/session/session.js'))};
    import { downloadEvent } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/capture/events.js'))};
    import { systemClock } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/session/time.js'))};
    const s = Session.open({ logDir: process.argv[1], command: ['make', 'build'], offline: false, clock: systemClock });
    for (let i = 0; i < 3; i++) s.record(downloadEvent({ kind: 'wheel', tool: 'pip', cached: false, filename: 'p' + i + '-1.0-py3-none-any.whl', name: 'p' + i, version: '1.0' }));
    s.logLine('halfway');
    s.flushLog();
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, logDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout, 'data');
  child.kill('SIGKILL');
  await once(child, 'close');
  // A torn last line, as a crash mid-write would leave.
  const journal = readdirSync(journalDir(logDir))[0]!;
  appendFileSync(join(journalDir(logDir), journal), '{"t":"download","rec');

  const { recovered, unreadable } = await recoverAbandonedSessions(logDir, systemClock);
  assert.deepEqual(unreadable, []);
  assert.equal(recovered.length, 1);
  const ledger = recovered[0]!;
  assert.equal(ledger.complete, false);
  assert.equal(ledger.exit_code, null);
  assert.deepEqual(ledger.downloads.wheels.map((r) => r.name), ['p0', 'p1', 'p2']);
  assert.match(ledger.errors.map((e) => e.message).join('\n'), /1 unreadable line/);
  const file = join(logDir, 'build', `downloads_${ledger.session_id}.json`);
  assert.equal(readValidLedger(file).complete, false);
  assert.match(readFileSync(join(logDir, 'build', `build_session_${ledger.session_id}.log`), 'utf8'), /halfway/);
  // Compiled once: a second look finds nothing left to recover.
  assert.equal((await recoverAbandonedSessions(logDir, systemClock)).recovered.length, 0);
});

/** Runs `body` in a child process with a session `s` open in `logDir`; returns once the child has exited (killed when it prints ready). */
async function inChildSession(logDir: string, body: string): Promise<void> {
  const script = `
    import { Session } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/session/session.js'))};
    import { downloadEvent } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/capture/events.js'))};
    import { systemClock } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/session/time.js'))};
    const s = Session.open({ logDir: process.argv[1], command: ['serve'], offline: false, clock: systemClock });
    const hit = (name, durability) => s.record(downloadEvent({ kind: 'file', tool: 'curl', cached: true, cache_status: 'hit', name }), durability);
    ${body}
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, logDir], { stdio: ['ignore', 'pipe', 'ignore'] });
  child.stdout.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('ready')) child.kill('SIGKILL');
  });
  await once(child, 'close');
}

async function recoveredNames(logDir: string): Promise<(string | null)[]> {
  const { recovered } = await recoverAbandonedSessions(logDir, systemClock);
  assert.equal(recovered.length, 1);
  return recovered[0]!.downloads.other.map((r) => r.name);
}

test('events queued for the end of a turn are on disk before the next turn, in the order recorded', async (t) => {
  const logDir = tempDir(t);
  // Killed by SIGKILL in the turn after: nothing of the first turn may be missing or reordered.
  await inChildSession(logDir, `
    hit('a', 'this-turn'); hit('b', 'this-turn'); hit('c'); hit('d', 'this-turn');
    setImmediate(() => setImmediate(() => process.stdout.write('ready\\n')));
    setInterval(() => {}, 1000);
  `);
  assert.deepEqual(await recoveredNames(logDir), ['a', 'b', 'c', 'd']);
});

test('events queued for the end of a turn survive a crash in that turn', async (t) => {
  const logDir = tempDir(t);
  await inChildSession(logDir, `
    hit('a', 'this-turn'); hit('b', 'this-turn');
    throw new Error('crash before the turn ends');
  `);
  assert.deepEqual(await recoveredNames(logDir), ['a', 'b']);
});

test('a journal of a session that is still running is left alone', async (t) => {
  const logDir = tempDir(t);
  const session = Session.open({ logDir, command: ['sleep'], offline: false, clock: systemClock });
  assert.equal((await recoverAbandonedSessions(logDir, systemClock)).recovered.length, 0);
  await session.finish(0);
});
