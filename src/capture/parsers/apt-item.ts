// One item line of apt (`Get:N …`, `Err:N …` after apt-status.ts took its label): a .deb or an
// index file, with its size as apt printed it and, for an index, the URL apt fetched it from.
import { isDigit } from './char-codes.js';

const APT_UNITS: Readonly<Record<string, number>> = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/**
 * apt's sizes (`1,234 B`, `8,786 kB`, `1.2 MB`): powers of 1000. apt prints them with the
 * locale's separators (`%'.1f` under 100, `%'.0f` up to 9999), so `55,4 kB` and `8.684 kB`
 * (it_IT, de_DE) mean 55.4 and 8684: one digit after the mark is a decimal, three a group.
 * French groups with a (no-break) space: `7 178 B`, `1 122 kB`.
 */
export function parseAptSize(text: string): number | null {
  const m = /^(\d+(?:[.,]\d+|[ \u00a0\u202f]\d{3})*) ?([kMGT]?B)$/.exec(text.trim());
  if (m === null) return null;
  const unit = APT_UNITS[m[2] ?? ''];
  if (unit === undefined) return null;
  const digits = m[1] ?? '';
  const decimal = /^\d+[.,]\d$/.test(digits);
  const value = decimal ? Number(digits.replace(',', '.')) : Number(digits.replace(/[ \u00a0\u202f]/g, '').replace(/[.,](?=\d{3}(?:[.,]|$))/g, ''));
  return Number.isFinite(value) ? Math.round(value * unit) : null;
}

/** The name of a .deb as it sits in /var/cache/apt/archives (epoch `:` written `%3a`). */
export function debFilename(name: string, version: string, arch: string): string {
  return `${name}_${version.replace(/:/g, '%3a')}_${arch}.deb`;
}

export const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
const ARCH = /^[a-z0-9-]+$/;

export interface AptItem {
  /** Repository base URL as printed (`http://host/debian`). */
  readonly base: string;
  readonly size: number | null;
  readonly deb: { readonly name: string; readonly version: string; readonly arch: string | null } | null;
  /** For an index file: its URL (without the compression suffix apt picked), or null if apt's description does not say. */
  readonly indexUrl: string | null;
}

/**
 * Parses the part after `Get:N `/`Hit:N `/`Err:N `: `URL SUITE[/COMP] [ARCH] WHAT [SIZE]`.
 * A package is `ARCH NAME ARCH VERSION` after the suite (apt ≥ 1.1), `NAME ARCH VERSION`
 * (apt 1.0, Ubuntu 14.04 and Debian 8) or `NAME VERSION` (a flat `./` repository, apt ≤ 0.7);
 * anything else is an index file.
 */
export function parseAptItem(rest: string): AptItem | null {
  const tokens = rest.trim().split(/\s+/);
  let size: number | null = null;
  const last = tokens[tokens.length - 1];
  if (last !== undefined && last.endsWith(']')) {
    const open = tokens.findIndex((t) => t.startsWith('['));
    if (open !== -1) {
      size = parseAptSize(tokens.slice(open).join(' ').slice(1, -1));
      tokens.length = open;
    }
  }
  const [base, suite, ...what] = tokens;
  if (base === undefined || suite === undefined || !base.includes('://') || what.length === 0) return null;
  const flat = suite.endsWith('/');
  if (!flat && what.length === 4) {
    const [arch = '', name = '', pkgArch = '', version = ''] = what;
    if (ARCH.test(arch) && PACKAGE_NAME.test(name) && ARCH.test(pkgArch) && isDigit(version.charCodeAt(0))) {
      // Ubuntu's architecture variants (`amd64v3 nginx amd64 …`) name the file after the variant: nginx_…_amd64v3.deb.
      const fileArch = pkgArch !== 'all' && arch !== pkgArch && arch.startsWith(pkgArch) ? arch : pkgArch;
      return { base, size, deb: { name, version, arch: fileArch }, indexUrl: null };
    }
  }
  if (!flat && what.length === 3) {
    // Index files of three words (`amd64 DEP-11 Metadata`, `DEP-11 48x48 Icons`) end in a word.
    const [name = '', pkgArch = '', version = ''] = what;
    if (PACKAGE_NAME.test(name) && ARCH.test(pkgArch) && isDigit(version.charCodeAt(0))) {
      return { base, size, deb: { name, version, arch: pkgArch }, indexUrl: null };
    }
  }
  if (what.length === 2) {
    // A flat `./` repository, or apt ≤ 0.7 (Ubuntu ≤ 10.04), which printed no architecture.
    // Two-word index files (`amd64 Packages`) end in a word.
    const [name = '', version = ''] = what;
    if (PACKAGE_NAME.test(name) && isDigit(version.charCodeAt(0))) {
      return { base, size, deb: { name, version, arch: null }, indexUrl: null };
    }
  }
  return { base, size, deb: null, indexUrl: indexUrl(base, suite, what) };
}

/** `http://h/debian bookworm/main amd64 Packages` → `http://h/debian/dists/bookworm/main/binary-amd64/Packages`. */
function indexUrl(base: string, suite: string, what: readonly string[]): string | null {
  const root = base.endsWith('/') ? base.slice(0, -1) : base;
  if (suite.endsWith('/')) {
    const dir = suite === './' ? '' : suite;
    return what.length === 1 ? `${root}/${dir}${what[0]}` : null;
  }
  const path = indexPath(what);
  return path === null ? null : `${root}/dists/${suite}/${path}`;
}

/**
 * Where under `dists/SUITE[/COMPONENT]/` apt keeps the index file it describes (apt's
 * `acquire-item.cc` descriptions; the .yml and .tar are fetched compressed too).
 */
function indexPath(what: readonly string[]): string | null {
  const [first = '', second = '', third] = what;
  if (what.length === 1) {
    if (/^(In)?Release(\.gpg)?$/.test(first)) return first;
    if (first.startsWith('Translation-')) return `i18n/${first}`;
    if (first === 'Sources') return 'source/Sources';
    return null;
  }
  if (what.length === 2) {
    if (second === 'Packages') return `binary-${first}/Packages`;
    if (second === 'Components') return `dep11/Components-${first}.yml`;
    return null;
  }
  if (what.length === 3) {
    if (second === 'DEP-11' && third === 'Metadata') return `dep11/Components-${first}.yml`;
    if (first === 'DEP-11' && third === 'Icons') return `dep11/icons-${second}.tar`;
    if (second === 'c-n-f' && third === 'Metadata') return `cnf/Commands-${first}`;
    if (second === 'Contents' && third === '(deb)') return `Contents-${first}`;
  }
  return null;
}
