// `--archive wheelhouse.tgz`: a reproducible tar.gz of the wheelhouse. The same files
// give the same bytes: entries sorted by name, one fixed mtime, mode 0644/0755, owner
// 0:0 with no owner names, and a gzip header without a time stamp (node's zlib writes
// MTIME 0). Written as ustar, with a PAX `path` record for names over 100 bytes, which
// long platform tags make common. Bodies are streamed, never held whole.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';

/** 1980-01-01T00:00:00Z: the fixed mtime of every entry. */
export const ARCHIVE_MTIME = 315532800;

export interface ArchiveEntry {
  /** Name inside the archive, below the top directory. */
  readonly name: string;
  /** A file on disk, or the bytes themselves. */
  readonly source: { readonly path: string } | { readonly bytes: Buffer };
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** One 512-byte ustar header. Pure. */
export function tarHeader(name: string, size: number, type: '0' | '5' | 'x', mode: number): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(mode, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(ARCHIVE_MTIME, 12), 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write(type, 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

/** A PAX extended header record (`LEN path=NAME\n`, LEN counting itself). Pure. */
export function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return Buffer.from(`${length}${body}`, 'utf8');
}

const padding = (size: number): Buffer => Buffer.alloc((512 - (size % 512)) % 512);

/** The header blocks for one entry: a PAX header first when the name does not fit. */
export function entryHeaders(name: string, size: number, type: '0' | '5', mode: number): Buffer[] {
  if (Buffer.byteLength(name) <= 100) return [tarHeader(name, size, type, mode)];
  const pax = paxRecord('path', name);
  const shortName = Buffer.from(name).subarray(0, 90).toString('utf8').replace(/\uFFFD+$/, '');
  return [tarHeader(`PaxHeader/${shortName}`.slice(0, 100), pax.length, 'x', 0o644), pax, padding(pax.length), tarHeader(shortName, size, type, mode)];
}

async function put(gzip: Gzip, chunk: Buffer): Promise<void> {
  if (!gzip.write(chunk)) await once(gzip, 'drain');
}

/** Writes `out` (atomically: a temp file renamed) holding `top/` and the entries, sorted. */
export async function writeReproducibleArchive(out: string, top: string, entries: readonly ArchiveEntry[]): Promise<void> {
  const temp = `${out}.tmp-${process.pid}`;
  const file = createWriteStream(temp, { flags: 'wx' });
  const gzip = createGzip({ level: 9 });
  gzip.pipe(file);
  try {
    for (const block of entryHeaders(`${top}/`, 0, '5', 0o755)) await put(gzip, block);
    const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of sorted) {
      const name = `${top}/${entry.name}`;
      if ('bytes' in entry.source) {
        for (const block of entryHeaders(name, entry.source.bytes.length, '0', 0o644)) await put(gzip, block);
        await put(gzip, entry.source.bytes);
        await put(gzip, padding(entry.source.bytes.length));
        continue;
      }
      const size = (await stat(entry.source.path)).size;
      for (const block of entryHeaders(name, size, '0', 0o644)) await put(gzip, block);
      let written = 0;
      for await (const chunk of createReadStream(entry.source.path, { highWaterMark: 1024 * 1024 })) {
        const buffer = chunk as Buffer;
        written += buffer.length;
        if (written > size) break;
        await put(gzip, buffer);
      }
      if (written !== size) throw new Error(`${entry.source.path} changed size while it was archived`);
      await put(gzip, padding(size));
    }
    await put(gzip, Buffer.alloc(1024));
    gzip.end();
    await finished(file);
    await rename(temp, out);
  } catch (error) {
    gzip.destroy();
    file.destroy();
    await rm(temp, { force: true });
    throw error;
  }
}
