import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toUtf8 } from '../../src/capture/log-encoding.js';

function through(bytes: Buffer, chunkSize: number): string {
  const utf8 = toUtf8();
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) out.push(utf8.push(bytes.subarray(at, at + chunkSize)));
  out.push(utf8.end());
  return Buffer.concat(out).toString('utf8');
}

test('a UTF-16 log (PowerShell 5 `>`) becomes UTF-8, however its chunks fall', () => {
  const text = 'Get:1 http://example.org/debian bookworm/main amd64 curl amd64 7.88.1-10+deb12u5 [315 kB]\r\n‘é’ 🚀\r\n';
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const be = Buffer.from(le);
  be.swap16();
  for (const size of [1, 3, 64 * 1024]) {
    assert.equal(through(le, size), text, `LE, chunks of ${size}`);
    assert.equal(through(be, size), text, `BE, chunks of ${size}`);
  }
});

test('other input passes through byte for byte, a one-byte log included', () => {
  const bytes = Buffer.from('\xff\xfd plain\nlog', 'latin1');
  const utf8 = toUtf8();
  assert.deepEqual(Buffer.concat([utf8.push(bytes.subarray(0, 1)), utf8.push(bytes.subarray(1)), utf8.end()]), bytes);
  const one = toUtf8();
  assert.deepEqual(Buffer.concat([one.push(Buffer.from('x')), one.end()]), Buffer.from('x'));
});
