// `offgrid cache export apt`: the cached .deb files as the guide's apt-archives/ directory
// (`COPY apt-archives /var/cache/apt/archives`) that is at the same time a flat apt
// repository (`deb [trusted=yes] file:/…/apt-archives ./`): Packages, Packages.gz and
// Release beside the .deb files. Files are named as apt names them in its archive cache
// (`name_version_arch.deb`, an epoch's colon as %3a) so apt finds them there too.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { gzipSync, createGzip } from 'node:zlib';
import type { CacheEntry } from './entry.js';
import { contentPath } from './layout.js';
import { unlinkIfPresent } from './lock.js';
import { MAX_READ_CHUNK } from './reader.js';
import { CacheStore } from './store.js';
import { END_OF_ARCHIVE, fileHeader, padding } from './tar.js';

const run = promisify(execFile);

/** A .deb's control paragraph; `dpkg-deb -f FILE` by default. */
export type ControlReader = (debPath: string) => Promise<string>;

export const dpkgControl: ControlReader = async (debPath) => {
  try {
    return (await run('dpkg-deb', ['-f', debPath], { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('dpkg-deb is not installed (apt-get install dpkg); it reads each .deb\'s control fields for the Packages index');
    throw new Error(`${debPath} is not a readable .deb: ${String((error as { stderr?: string }).stderr ?? error).trim()}`);
  }
};

export function debFilenameOf(entry: CacheEntry): string | null {
  const source = typeof entry.metadata['filename'] === 'string' ? entry.metadata['filename'] : typeof entry.metadata.url === 'string' ? entry.metadata.url : null;
  const name = source?.split('?')[0]?.split('/').pop() ?? null;
  return name && /\.u?deb$/.test(name) ? name : null;
}

/** The control fields as a map (continuation lines joined). */
export function controlFields(paragraph: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | null = null;
  for (const line of paragraph.split('\n')) {
    if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)}\n${line}`);
    else {
      const match = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (match) fields.set((last = match[1]!), match[2]!);
    }
  }
  return fields;
}

export interface AptExportReport {
  readonly packages: number;
  readonly bytes: number;
  /** The apt-archives directory (or, for a .tgz, the name inside it). */
  readonly directory: string;
}

interface Hashed {
  md5: string;
  sha1: string;
  sha256: string;
  size: number;
}

async function copyHashed(from: string, to: string): Promise<Hashed> {
  const md5 = createHash('md5');
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  let size = 0;
  await pipeline(
    createReadStream(from, { highWaterMark: MAX_READ_CHUNK }),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        md5.update(chunk);
        sha1.update(chunk);
        sha256.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(to, { flags: 'wx' }),
  );
  return { md5: md5.digest('hex'), sha1: sha1.digest('hex'), sha256: sha256.digest('hex'), size };
}

/** Writes DIR/apt-archives/ (or OUT.tgz holding apt-archives/). */
export async function exportApt(root: string, out: string, options: { control?: ControlReader; now?: Date } = {}): Promise<AptExportReport> {
  const control = options.control ?? dpkgControl;
  const store = await CacheStore.open({ root });
  const debs = new Map<string, CacheEntry>();
  for await (const entry of store.list()) if (debFilenameOf(entry) && !debs.has(entry.sha256)) debs.set(entry.sha256, entry);
  const toTgz = /\.(tgz|tar\.gz)$/.test(out);
  const base = toTgz ? await mkdtemp(`${out}.${process.pid}.`) : out;
  const dir = join(base, 'apt-archives');
  await mkdir(dir, { recursive: true });
  try {
    const paragraphs: string[] = [];
    const written = new Set<string>();
    let bytes = 0;
    for (const entry of [...debs.values()].sort((a, b) => (debFilenameOf(a)! < debFilenameOf(b)! ? -1 : 1))) {
      const temp = join(dir, `.incoming-${entry.sha256}.deb`);
      const hashed = await copyHashed(contentPath(root, entry.sha256), temp);
      if (hashed.sha256 !== entry.sha256) {
        await unlinkIfPresent(temp);
        throw new Error(`cached ${debFilenameOf(entry)} is corrupt (its bytes no longer match their hash); run \`offgrid cache verify\` and export again`);
      }
      const paragraph = (await control(temp)).trim();
      const fields = controlFields(paragraph);
      const pkg = fields.get('Package');
      const version = fields.get('Version');
      const arch = fields.get('Architecture');
      if (!pkg || !version || !arch) throw new Error(`${debFilenameOf(entry)} has no Package/Version/Architecture control fields`);
      const filename = `${pkg}_${version.replace(/:/g, '%3a')}_${arch}.deb`;
      if (written.has(filename)) {
        // Two different builds of one package version (two mirrors): apt can use one.
        await unlinkIfPresent(temp);
        continue;
      }
      written.add(filename);
      await rename(temp, join(dir, filename));
      bytes += hashed.size;
      paragraphs.push(
        `${paragraph.split('\n').filter((l) => !/^(Filename|Size|MD5sum|SHA1|SHA256):/.test(l)).join('\n')}\n` +
          `Filename: ./${filename}\nSize: ${hashed.size}\nMD5sum: ${hashed.md5}\nSHA1: ${hashed.sha1}\nSHA256: ${hashed.sha256}\n`,
      );
    }
    const packages = Buffer.from(paragraphs.join('\n'));
    const packagesGz = gzipSync(packages);
    await writeFile(join(dir, 'Packages'), packages);
    await writeFile(join(dir, 'Packages.gz'), packagesGz);
    await writeFile(join(dir, 'Release'), releaseFile({ Packages: packages, 'Packages.gz': packagesGz }, options.now ?? new Date()));
    if (toTgz) await tarDirectory(base, out);
    return { packages: paragraphs.length, bytes, directory: toTgz ? 'apt-archives/' : dir };
  } finally {
    if (toTgz) await rm(base, { recursive: true, force: true });
  }
}

function releaseFile(files: Record<string, Buffer>, now: Date): string {
  const sums = (algorithm: string) =>
    Object.entries(files)
      .map(([name, data]) => ` ${createHash(algorithm).update(data).digest('hex')} ${data.length} ${name}`)
      .join('\n');
  return [`Origin: offgrid`, `Label: offgrid apt-archives`, `Date: ${now.toUTCString()}`, `MD5Sum:`, sums('md5'), `SHA256:`, sums('sha256'), ''].join('\n');
}

/** Every regular file under `base` into a gzipped tar, named relative to `base`. */
async function tarDirectory(base: string, out: string): Promise<void> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const info = await stat(path);
      if (info.isDirectory()) await walk(path);
      else if (info.isFile()) files.push(path);
    }
  };
  await walk(base);
  const mtime = Date.now() / 1000;
  async function* stream(): AsyncGenerator<Buffer> {
    for (const path of files) {
      const { size } = await stat(path);
      yield fileHeader(relative(base, path), size, mtime);
      for await (const chunk of createReadStream(path, { highWaterMark: MAX_READ_CHUNK })) yield chunk as Buffer;
      yield padding(size);
    }
    yield END_OF_ARCHIVE;
  }
  const temp = `${out}.${process.pid}.partial`;
  try {
    await pipeline(Readable.from(stream()), createGzip(), createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, out);
  } finally {
    await unlinkIfPresent(temp);
  }
}
