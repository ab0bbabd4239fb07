import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FIXTURES, runCli, readValidLedger, tempDir } from '../helpers/cli.js';

function ledgers(logDir: string): string[] {
  return readdirSync(join(logDir, 'build')).filter((n) => n.startsWith('downloads_')).map((n) => join(logDir, 'build', n));
}

test('analyze builds a ledger from a captured apt-get log', async (t) => {
  const dir = tempDir(t);
  const r = await runCli(['analyze', join(FIXTURES, 'apt/apt-install.txt')], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const [file] = ledgers(join(dir, 'logs'));
  const ledger = readValidLedger(file!);
  assert.ok(ledger.downloads.apt.length > 0, 'apt packages recorded');
  assert.ok(ledger.downloads.apt.every((a) => a.tool === 'apt' && a.name));
  assert.match(r.stdout, /session \d{8}_\d{6}/);
});

test('analyze attributes a BuildKit log to its service and steps', async (t) => {
  const dir = tempDir(t);
  const r = await runCli(['analyze', '--service', 'api', '--json', join(FIXTURES, 'docker/apt.plain.log')], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const ledger = readValidLedger(ledgers(join(dir, 'logs'))[0]!);
  assert.ok(ledger.downloads.apt.length > 0);
  for (const item of ledger.downloads.apt) {
    assert.equal(item.service, 'api');
    assert.match(item.step ?? '', /RUN/);
  }
  assert.ok(ledger.steps.length > 0);
  assert.equal(JSON.parse(r.stdout).summary.total_downloads, ledger.summary.total_downloads);
});

test('analyze reads standard input with -', async (t) => {
  const dir = tempDir(t);
  const input = readFileSync(join(FIXTURES, 'apt/apt-install.txt'));
  const r = await runCli(['analyze', '-'], { cwd: dir, input });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readValidLedger(ledgers(join(dir, 'logs'))[0]!).downloads.apt.length > 0);
});

test('a missing input file is exit 2 with a clear message, and no session is started', async (t) => {
  const dir = tempDir(t);
  const r = await runCli(['analyze', 'nope.log'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read the log .*nope\.log: no such file or directory/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('garbage, a 10 MB line, invalid UTF-8, CRLF and ANSI colour are read without a crash', async (t) => {
  const dir = tempDir(t);
  const apt = readFileSync(join(FIXTURES, 'apt/apt-install.txt'), 'utf8');
  const hostile = Buffer.concat([
    randomBytes(200_000),
    Buffer.from('\n'),
    Buffer.alloc(10 * 1024 * 1024, 'x'),
    Buffer.from('\n\xff\xfe\xc3(\n', 'latin1'),
    Buffer.from(`\x1b[32m${apt.replace(/\n/g, '\r\n')}\x1b[0m`),
    Buffer.from('Collecting truncated-line-without-newline'),
  ]);
  writeFileSync(join(dir, 'hostile.log'), hostile);
  const r = await runCli(['analyze', 'hostile.log'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const ledger = readValidLedger(ledgers(join(dir, 'logs'))[0]!);
  assert.ok(ledger.downloads.apt.length > 0, 'the real lines inside the garbage were still found');
});

test('analyze reads a log PowerShell 5 saved as UTF-16', async (t) => {
  const dir = tempDir(t);
  const text = readFileSync(join(FIXTURES, 'apt/apt-install.txt'), 'utf8').replace(/\n/g, '\r\n');
  const file = join(dir, 'build.log');
  writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
  const r = await runCli(['analyze', file], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const ledger = readValidLedger(ledgers(join(dir, 'logs'))[0]!);
  assert.deepEqual(ledger.downloads.apt.filter((a) => !a.cached).map((a) => a.name).sort(), ['cowsay', 'libtext-charwidth-perl', 'sl']);
});

test('analyze reads a gzip-compressed log as the log, and refuses a zip before any session exists', async (t) => {
  const dir = tempDir(t);
  const { gzipSync } = await import('node:zlib');
  writeFileSync(join(dir, 'build.log.gz'), gzipSync(readFileSync(join(FIXTURES, 'apt/apt-install.txt'))));
  const r = await runCli(['analyze', 'build.log.gz'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const ledger = readValidLedger(ledgers(join(dir, 'logs'))[0]!);
  assert.deepEqual(ledger.downloads.apt.filter((a) => !a.cached).map((a) => a.name).sort(), ['cowsay', 'libtext-charwidth-perl', 'sl']);

  const other = tempDir(t);
  writeFileSync(join(other, 'logs.zip'), Buffer.from('PK\x03\x04\x14\x00\x00\x00', 'latin1'));
  const zip = await runCli(['analyze', 'logs.zip'], { cwd: other });
  assert.equal(zip.code, 2);
  assert.equal(zip.stderr, "offgrid: logs.zip is a zip archive (a CI system's log download is often one): unzip it and give the logs inside\n");
  assert.equal(readdirSync(other).includes('logs'), false, 'no session was started');
});

test('binary input in which nothing is found is exit 2 with what it is, from a file or standard input', async (t) => {
  const dir = tempDir(t);
  const junk = randomBytes(50_000);
  writeFileSync(join(dir, 'image.bin'), junk);
  for (const [args, input, name] of [[['analyze', 'image.bin'], '', 'image.bin'], [['analyze', '-'], junk, 'standard input']] as const) {
    const r = await runCli(args, { cwd: dir, input });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^offgrid: ${name} holds binary data \\(\\d+% control bytes in its first 8192 bytes\\) and no tool output offgrid reads`));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
