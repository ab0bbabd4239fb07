// A minimal, strict ustar writer and reader for offgrid's own archives. Only regular files
// are written or accepted: no links, directories, device files, pax or GNU extensions, so
// a hostile archive cannot plant a symlink or a path outside the target. The caller
// decides which names are acceptable. Any standard `tar` reads what the writer produces.
import type { Readable } from 'node:stream';

const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777; // 11 octal digits: 8 GiB - 1

export class TarFormatError extends Error {}

function writeString(header: Buffer, text: string, offset: number, length: number): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > length) throw new TarFormatError(`tar: ${JSON.stringify(text)} is too long for its header field`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  writeString(header, `${value.toString(8).padStart(length - 1, '0')}\0`, offset, length);
}

/** A ustar header for a regular file (mode 0644, owner 0). Names up to 100 bytes. */
export function fileHeader(name: string, size: number, mtimeSeconds: number): Buffer {
  if (size > MAX_OCTAL_SIZE) throw new TarFormatError(`tar: ${name} is larger than 8 GiB, which this writer does not support`);
  const header = Buffer.alloc(BLOCK);
  writeString(header, name, 0, 100);
  writeOctal(header, 0o644, 100, 8);
  writeOctal(header, 0, 108, 8);
  writeOctal(header, 0, 116, 8);
  writeOctal(header, size, 124, 12);
  writeOctal(header, Math.max(0, Math.floor(mtimeSeconds)), 136, 12);
  header.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  header[156] = 0x30; // '0': regular file
  writeString(header, 'ustar\x0000', 257, 8);
  let sum = 0;
  for (const byte of header) sum += byte;
  writeString(header, `${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return header;
}

export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);

export interface TarHeader {
  readonly name: string;
  readonly size: number;
  /** The raw type flag: '0' (or NUL) for a regular file; anything else is refused by readers. */
  readonly type: string;
  readonly linkName: string;
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

function readOctal(block: Buffer, offset: number, length: number, what: string): number {
  if ((block[offset]! & 0x80) !== 0) throw new TarFormatError(`tar: base-256 ${what} fields are not accepted`);
  const text = readString(block, offset, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new TarFormatError(`tar: the ${what} field is not an octal number`);
  return text === '' ? 0 : parseInt(text, 8);
}

export function parseHeader(block: Buffer): TarHeader {
  const stored = readOctal(block, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  if (sum !== stored) throw new TarFormatError('tar: a header checksum is wrong (the archive is damaged or not a tar archive)');
  const prefix = readString(block, 345, 155);
  const name = readString(block, 0, 100);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    size: readOctal(block, 124, 12, 'size'),
    type: String.fromCharCode(block[156]!),
    linkName: readString(block, 157, 100),
  };
}

/** Reads exact byte counts from a stream of chunks (a gunzip output). */
export class ChunkReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private pending: Buffer = Buffer.alloc(0);

  constructor(source: Readable | AsyncIterable<Buffer>) {
    this.iterator = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  /** Exactly n bytes, or fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    for await (const chunk of this.chunks(n)) {
      parts.push(chunk);
      have += chunk.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, have);
  }

  /** Up to n bytes as they arrive (fewer only at the end of the stream). */
  async *chunks(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.pending.length === 0) {
        const next = await this.iterator.next();
        if (next.done) return;
        this.pending = next.value;
        continue;
      }
      const take = Math.min(left, this.pending.length);
      const out = this.pending.subarray(0, take);
      this.pending = this.pending.subarray(take);
      left -= take;
      yield out;
    }
  }
}

export interface TarEntry {
  readonly header: TarHeader;
  /** The entry's bytes; must be consumed before the next entry is read. */
  readonly body: AsyncGenerator<Buffer>;
}

/**
 * The entries of a tar stream, strictly: every entry must be a regular file whose bytes
 * are all present, and the archive must end with its end-of-archive blocks.
 */
export async function* readTar(source: Readable | AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const reader = new ChunkReader(source);
  for (;;) {
    const block = await reader.read(BLOCK);
    if (block.length < BLOCK) throw new TarFormatError('tar: the archive is truncated (it ends without its end-of-archive marker)');
    if (block.every((b) => b === 0)) return;
    const header = parseHeader(block);
    if (header.type !== '0' && header.type !== '\0') {
      const what = { '1': 'a hard link', '2': 'a symbolic link', '5': 'a directory', x: 'a pax header', g: 'a pax header', L: 'a GNU long name' }[header.type] ?? `an entry of type ${JSON.stringify(header.type)}`;
      throw new TarFormatError(`tar: ${JSON.stringify(header.name)} is ${what}${header.linkName ? ` to ${JSON.stringify(header.linkName)}` : ''}; only regular files are accepted`);
    }
    let delivered = 0;
    const body = async function* (): AsyncGenerator<Buffer> {
      for await (const chunk of reader.chunks(header.size)) {
        delivered += chunk.length;
        yield chunk;
      }
      if (delivered < header.size) throw new TarFormatError(`tar: the archive is truncated inside ${JSON.stringify(header.name)}`);
    };
    const entry = { header, body: body() };
    yield entry;
    // Whatever the consumer left unread is skipped, then the padding.
    for await (const chunk of reader.chunks(header.size - delivered)) delivered += chunk.length;
    if (delivered < header.size) throw new TarFormatError(`tar: the archive is truncated inside ${JSON.stringify(header.name)}`);
    const pad = padding(header.size).length;
    if (pad > 0 && (await reader.read(pad)).length < pad) throw new TarFormatError('tar: the archive is truncated');
  }
}
