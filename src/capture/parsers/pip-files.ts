// pip's file names, sizes and URLs: what a `Downloading`/`Saved`/`Processing` line names, read
// apart from the parser so that other tools' parsers (wget, curl, pnpm, uv) can share them.
import type { Kind } from '../../ledger/schema.js';
import { isDigit } from './char-codes.js';

export const SIZE_UNITS: Readonly<Record<string, number>> = {
  byte: 1, bytes: 1, b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3,
};

/** pip's sizes (`957 bytes`, `1.3 kB`, `16 kB`, `1.7 MB`, old pip's `1.7MB`): powers of 1000. */
export function parsePipSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]+)$/.exec(text.trim());
  if (m === null) return null;
  const unit = SIZE_UNITS[(m[2] ?? '').toLowerCase()];
  return unit === undefined ? null : Math.round(Number(m[1]) * unit);
}

/** PEP 503 normalised project name. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export const SDIST_SUFFIXES = ['.tar.gz', '.tar.bz2', '.tar.xz', '.tgz', '.zip'];

export interface DistributionFile {
  readonly kind: Kind;
  readonly name: string | null;
  readonly version: string | null;
}

/** Name, version and kind from a wheel (PEP 427) or sdist (`name-version.tar.gz`) file name. */
export function parseDistributionFilename(filename: string): DistributionFile {
  if (filename.endsWith('.whl')) {
    const parts = filename.slice(0, -4).split('-');
    if (parts.length !== 5 && parts.length !== 6) return { kind: 'wheel', name: null, version: null };
    return { kind: 'wheel', name: normalizeProjectName(parts[0] ?? ''), version: parts[1] ?? null };
  }
  const suffix = SDIST_SUFFIXES.find((s) => filename.endsWith(s));
  if (suffix === undefined) return { kind: 'file', name: null, version: null };
  const stem = filename.slice(0, -suffix.length);
  // The version starts after the last hyphen that is followed by a digit (`foo-bar-1.0`).
  for (let i = stem.length - 2; i > 0; i--) {
    if (stem.charCodeAt(i) === 45 && isDigit(stem.charCodeAt(i + 1))) {
      return { kind: 'sdist', name: normalizeProjectName(stem.slice(0, i)), version: stem.slice(i + 1) };
    }
  }
  return { kind: 'sdist', name: null, version: null };
}

/** The last path segment of a URL or file path (`/` or `\\`), without query or fragment, URL-decoded. */
export function baseName(location: string): string {
  let end = location.length;
  const hash = location.indexOf('#');
  if (hash !== -1) end = hash;
  const query = location.indexOf('?');
  if (query !== -1 && query < end) end = query;
  const path = location.slice(0, end);
  // pip on Windows prints local paths with backslashes (`Saved .\wheelhouse\x.whl`).
  const name = path.slice(Math.max(path.lastIndexOf('/'), isUrl(path) ? -1 : path.lastIndexOf('\\')) + 1);
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

export function pathOf(url: string): string | null {
  try {
    return new URL(url).pathname;
  } catch {
    return null;
  }
}

/** The http(s) URLs of pip's `Looking in indexes:`/`Looking in links:` list (local paths left out). */
export function httpUrls(list: string): URL[] {
  return list.split(/[ ,]+/).flatMap((url) => {
    if (!url.startsWith('http://') && !url.startsWith('https://')) return [];
    try {
      return [new URL(url)];
    } catch {
      return [];
    }
  });
}

export function isUrl(text: string): boolean {
  return text.startsWith('http://') || text.startsWith('https://') || text.startsWith('file://');
}
export function looksLikeDistribution(path: string): boolean {
  return path.endsWith('.whl') || SDIST_SUFFIXES.some((s) => path.endsWith(s));
}
