import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyLogHead, logText, LogInputError } from '../../src/capture/log-input.js';
import { toUtf8 } from '../../src/capture/log-encoding.js';
import { FIXTURES } from '../helpers/cli.js';

const LOG = readFileSync(join(FIXTURES, 'pip/pip-download-fresh.txt'));

async function read(bytes: Buffer, chunk = 1000): Promise<{ text: string; binary: string | null }> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunk) pieces.push(bytes.subarray(at, at + chunk));
  let binary: string | null = null;
  const out: Buffer[] = [];
  for await (const text of logText(Readable.from(pieces), 'build.log', (why) => (binary = why))) out.push(text);
  return { text: Buffer.concat(out).toString('utf8'), binary };
}

test('a gzip-compressed log reads as the log, in any chunking; a plain one passes through', async () => {
  for (const size of [1, 7, 64 * 1024]) assert.equal((await read(gzipSync(LOG), size)).text, LOG.toString('utf8'));
  assert.equal((await read(LOG)).text, LOG.toString('utf8'));
});

test('a truncated gzip log gives what it holds, then zlib\'s error', async () => {
  const whole = gzipSync(Buffer.concat(Array.from({ length: 200 }, () => randomBytes(64).toString('hex') + '\n').map((l) => Buffer.from(l))));
  const out: Buffer[] = [];
  await assert.rejects(async () => {
    for await (const text of logText(Readable.from([whole.subarray(0, whole.length / 2)]), 'x.gz')) out.push(text);
  }, /unexpected end of file/);
  assert.ok(Buffer.concat(out).length > 0);
});

test('a zip, xz, zstd or bzip2 file is refused with what to do, before anything is read', async () => {
  const cases: [Buffer, RegExp][] = [
    [Buffer.from('PK\x03\x04rest of a zip', 'latin1'), /build\.log is a zip archive .*: unzip it and give the logs inside/],
    [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2]), /build\.log is xz-compressed: decompress it first \(xz -d\)/],
    [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2]), /is zstd-compressed/],
    [Buffer.from('BZh91AY&SY', 'latin1'), /is bzip2-compressed/],
  ];
  for (const [bytes, message] of cases) await assert.rejects(read(bytes), (e: unknown) => e instanceof LogInputError && message.test(e.message));
});

test('binary data is read, and said to be binary; a log with colour codes and \\r progress is text', async () => {
  const junk = await read(Buffer.concat([randomBytes(20_000), Buffer.from('\n'), LOG]));
  assert.match(junk.binary ?? '', /^build\.log holds binary data \(\d+% control bytes in its first 8192 bytes\)/);
  assert.ok(junk.text.endsWith(LOG.toString('utf8')), 'the real lines after the junk are kept');
  const coloured = Buffer.from(`\x1b[32m${LOG.toString('utf8').replace(/\n/g, '\r\n')}\x1b[0m Downloading 10%\r20%\r`);
  assert.equal(classifyLogHead(coloured).kind, 'text');
});

test('UTF-16 without a byte-order mark (.NET Encoding.Unicode) is read, little- and big-endian', () => {
  const text = 'Get:1 http://example.org/debian bookworm/main amd64 curl amd64 7.88.1 [315 kB]\r\n';
  const le = Buffer.from(text, 'utf16le');
  const be = Buffer.from(le).swap16();
  for (const bytes of [le, be]) {
    const utf8 = toUtf8();
    assert.equal(Buffer.concat([utf8.push(bytes.subarray(0, 3)), utf8.push(bytes.subarray(3)), utf8.end()]).toString('utf8'), text);
    assert.equal(classifyLogHead(bytes).kind, 'text');
  }
  // Short input decides at its end.
  const short = toUtf8();
  assert.equal(Buffer.concat([short.push(Buffer.from('ok\n')), short.end()]).toString('utf8'), 'ok\n');
});
