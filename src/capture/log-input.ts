// A log file as `offgrid analyze` is given it, made into UTF-8 text for the parsers: a
// gzip-compressed log is read decompressed (CI systems archive logs as .gz), UTF-16 is
// re-encoded (log-encoding.ts), and what cannot be a text log (a zip of logs, another
// compressed format) is refused with what to do. Binary data is read like text (a build may
// print binary junk before its real output) but said to be binary, so that input in which
// nothing is found is refused rather than reported as a build that downloaded nothing.
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { toUtf8, utf16Encoding } from './log-encoding.js';

/** Bytes read to decide what the input is. */
export const HEAD_BYTES = 8192;

export type LogHead = { readonly kind: 'text' | 'gzip' } | { readonly kind: 'binary' | 'refused'; readonly why: string };

/** Control bytes no text log holds (not tab, newline, carriage return, escape, backspace or form feed). */
function isBinaryByte(byte: number): boolean {
  return (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x1b && byte !== 0x08 && byte !== 0x0c) || byte === 0x7f;
}

/** What the first bytes of an input say it is. */
export function classifyLogHead(head: Buffer): LogHead {
  const starts = (...bytes: number[]): boolean => bytes.every((b, i) => head[i] === b);
  if (starts(0x1f, 0x8b)) return { kind: 'gzip' };
  if (starts(0x50, 0x4b, 0x03, 0x04)) return { kind: 'refused', why: 'is a zip archive (a CI system\'s log download is often one): unzip it and give the logs inside' };
  for (const [magic, name, tool] of [[[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz', 'xz -d'], [[0x28, 0xb5, 0x2f, 0xfd], 'zstd', 'zstd -d'], [[0x42, 0x5a, 0x68], 'bzip2', 'bunzip2']] as const) {
    if (starts(...magic)) return { kind: 'refused', why: `is ${name}-compressed: decompress it first (${tool}), or give it on standard input (${tool} -c FILE | offgrid analyze -)` };
  }
  if (utf16Encoding(head) !== null || head.length < 64) return { kind: 'text' };
  let binary = 0;
  for (const byte of head) if (isBinaryByte(byte)) binary++;
  // Random bytes are ~10% such bytes; a build log, even with colour codes and \r progress, ~0%.
  if (binary * 20 >= head.length) {
    return { kind: 'binary', why: `holds binary data (${Math.round((binary * 100) / head.length)}% control bytes in its first ${head.length} bytes) and no tool output offgrid reads: give the saved text output of the build` };
  }
  return { kind: 'text' };
}

export class LogInputError extends Error {}

const asBuffer = (chunk: unknown): Buffer => (typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));

/**
 * The input's text as UTF-8 chunks. Throws LogInputError (before yielding anything) for
 * input that cannot be a text log; a damaged gzip stream fails with zlib's error after what
 * it held was read. `onBinary` hears why input whose start is binary looks so.
 */
export async function* logText(input: Readable, name: string, onBinary: (why: string) => void = () => {}): AsyncGenerator<Buffer> {
  const iterator = (input as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const held: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < HEAD_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = asBuffer(next.value);
    held.push(chunk);
    size += chunk.length;
  }
  const head = Buffer.concat(held);
  const kind = classifyLogHead(head.subarray(0, HEAD_BYTES));
  if (kind.kind === 'refused') throw new LogInputError(`${name} ${kind.why}`);
  if (kind.kind === 'binary') onBinary(`${name} ${kind.why}`);
  async function* raw(): AsyncGenerator<Buffer> {
    yield head;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield asBuffer(next.value);
    }
  }
  let source: AsyncIterable<unknown> = raw();
  if (kind.kind === 'gzip') {
    const gunzip = createGunzip();
    // A read error or a damaged stream destroys gunzip with the error, which the loop below throws.
    pipeline(Readable.from(raw()), gunzip, () => {});
    source = gunzip;
  }
  const utf8 = toUtf8();
  for await (const chunk of source) yield utf8.push(asBuffer(chunk));
  yield utf8.end();
}
