// Builds real Python distributions (wheels and sdists) in memory, so pip can install them
// from a local index in tests. A wheel is a zip (PEP 427); an sdist is a ustar .tar.gz.
import { createCipheriv, createHash } from 'node:crypto';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';

export interface DistSpec {
  readonly name: string;
  readonly version: string;
  /** PEP 508 requirement strings, e.g. `dep>=1.0`, `extra-dep; extra == "fast"`. */
  readonly deps?: readonly string[];
  /** Wheel tags, one wheel per tag; default `py3-none-any`. An empty list builds no wheel. */
  readonly tags?: readonly string[];
  /** Also build `name-version.tar.gz`. */
  readonly sdist?: boolean;
  /** The `data-requires-python` / `Requires-Python` value. */
  readonly requiresPython?: string;
  /** Adds `pkg/blob.bin` of this many incompressible bytes (to get kB/MB sizes in pip output). */
  readonly padBytes?: number;
}

export interface BuiltFile {
  readonly filename: string;
  readonly project: string;
  readonly version: string;
  readonly kind: 'wheel' | 'sdist';
  readonly bytes: Buffer;
  readonly sha256: string;
  readonly requiresPython: string | undefined;
}

/** PEP 503 normalised project name. */
export function normalizeProject(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The name as it appears in wheel file names and `.dist-info` directories. */
function escapedName(name: string): string {
  return name.replace(/[-_.]+/g, '_');
}

/** A wheel file from disk, to serve as it is (`name-version-tags.whl`). */
export function realWheel(path: string, bytes: Buffer): BuiltFile {
  const filename = path.slice(path.lastIndexOf('/') + 1);
  const [name = '', version = ''] = filename.split('-');
  return { filename, project: normalizeProject(name), version, kind: 'wheel', bytes, sha256: createHash('sha256').update(bytes).digest('hex'), requiresPython: undefined };
}

export function buildDists(spec: DistSpec): BuiltFile[] {
  const tags = spec.tags ?? ['py3-none-any'];
  const files = tags.map((tag) => buildWheel(spec, tag));
  if (spec.sdist === true) files.push(buildSdist(spec));
  return files;
}

function metadata(spec: DistSpec): string {
  const deps = spec.deps ?? [];
  const extras = new Set<string>();
  for (const dep of deps) {
    for (const m of dep.matchAll(/extra\s*==\s*["']([^"']+)["']/g)) if (m[1] !== undefined) extras.add(m[1]);
  }
  const lines = ['Metadata-Version: 2.1', `Name: ${spec.name}`, `Version: ${spec.version}`];
  if (spec.requiresPython !== undefined) lines.push(`Requires-Python: ${spec.requiresPython}`);
  for (const extra of extras) lines.push(`Provides-Extra: ${extra}`);
  for (const dep of deps) lines.push(`Requires-Dist: ${dep}`);
  return lines.join('\n') + '\n\n';
}

function file(filename: string, spec: DistSpec, kind: BuiltFile['kind'], bytes: Buffer): BuiltFile {
  return {
    filename,
    project: normalizeProject(spec.name),
    version: spec.version,
    kind,
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    requiresPython: spec.requiresPython,
  };
}

export function buildWheel(spec: DistSpec, tag: string): BuiltFile {
  const base = `${escapedName(spec.name)}-${spec.version}`;
  const pkg = escapedName(spec.name).toLowerCase();
  const distInfo = `${base}.dist-info`;
  const purelib = tag.endsWith('-none-any');
  const entries: [string, Buffer][] = [
    [`${pkg}/__init__.py`, Buffer.from(`__version__ = ${JSON.stringify(spec.version)}\n`)],
    ...padding(spec, pkg),
    [`${distInfo}/METADATA`, Buffer.from(metadata(spec))],
    [
      `${distInfo}/WHEEL`,
      Buffer.from(`Wheel-Version: 1.0\nGenerator: offgrid-tests\nRoot-Is-Purelib: ${purelib}\nTag: ${tag}\n\n`),
    ],
  ];
  const record = entries.map(([path, data]) => {
    const digest = createHash('sha256').update(data).digest('base64url');
    return `${path},sha256=${digest},${data.length}`;
  });
  record.push(`${distInfo}/RECORD,,`);
  entries.push([`${distInfo}/RECORD`, Buffer.from(record.join('\n') + '\n')]);
  return file(`${base}-${tag}.whl`, spec, 'wheel', zip(entries));
}

export function buildSdist(spec: DistSpec): BuiltFile {
  const base = `${escapedName(spec.name).toLowerCase()}-${spec.version}`;
  const pkg = escapedName(spec.name).toLowerCase();
  const deps = (spec.deps ?? []).map((d) => JSON.stringify(d)).join(', ');
  const pyproject =
    `[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n` +
    `[project]\nname = ${JSON.stringify(spec.name)}\nversion = ${JSON.stringify(spec.version)}\ndependencies = [${deps}]\n`;
  const entries: [string, Buffer][] = [
    [`${base}/PKG-INFO`, Buffer.from(metadata(spec))],
    [`${base}/pyproject.toml`, Buffer.from(pyproject)],
    [`${base}/${pkg}/__init__.py`, Buffer.from(`__version__ = ${JSON.stringify(spec.version)}\n`)],
  ];
  return file(`${base}.tar.gz`, spec, 'sdist', gzipSync(tar(entries)));
}

function padding(spec: DistSpec, pkg: string): [string, Buffer][] {
  if (spec.padBytes === undefined || spec.padBytes <= 0) return [];
  // Deterministic but incompressible: an AES-CTR keystream keyed by the name.
  const key = createHash('sha256').update(`${spec.name}-${spec.version}`).digest().subarray(0, 16);
  const out = createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(spec.padBytes));
  return [[`${pkg}/blob.bin`, out]];
}

// 1980-01-01 00:00, the earliest DOS date: builds are byte-for-byte reproducible.
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;

/** A minimal zip writer: deflated entries, one central directory, no zip64. */
export function zip(entries: readonly (readonly [string, Buffer])[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [path, data] of entries) {
    const name = Buffer.from(path, 'utf8');
    const compressed = deflateRawSync(data);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(0x031e, 4); // made by: unix, spec 3.0
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0800, 8);
    header.writeUInt16LE(8, 10);
    header.writeUInt16LE(DOS_TIME, 12);
    header.writeUInt16LE(DOS_DATE, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(compressed.length, 20);
    header.writeUInt32LE(data.length, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    parts.push(local, name, compressed);
    offset += local.length + name.length + compressed.length;
  }
  const centralBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, centralBytes, end]);
}

/** A minimal ustar writer for regular files with short paths. */
export function tar(entries: readonly (readonly [string, Buffer])[]): Buffer {
  const blocks: Buffer[] = [];
  for (const [path, data] of entries) {
    if (Buffer.byteLength(path) > 100) throw new Error(`tar path too long: ${path}`);
    const header = Buffer.alloc(512);
    header.write(path, 0, 100, 'utf8');
    header.write('0000644\0', 100, 'ascii');
    header.write('0000000\0', 108, 'ascii');
    header.write('0000000\0', 116, 'ascii');
    header.write(data.length.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
    header.write('00000000000\0', 136, 'ascii');
    header.write('        ', 148, 'ascii'); // checksum counts as spaces while summing
    header.write('0', 156, 'ascii');
    header.write('ustar\0', 257, 'ascii');
    header.write('00', 263, 'ascii');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
