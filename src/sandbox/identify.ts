// What package a URL names, so a failed attempt can be matched with what the cache holds
// ("pip wanted foo 2.0; the cache has foo 1.0"). Pure: URLs in, names out.
import { classifyForwardUrl } from '../capture/proxy/forward.js';

export interface Identity {
  /** wheel (also sdists and simple pages), apt, npm, file. */
  readonly ecosystem: 'python' | 'apt' | 'npm' | 'file';
  /** The name as the URL spells it. */
  readonly name: string;
  /** The name compared across spellings (PEP 503 for Python, lower case otherwise). */
  readonly normalized: string;
  readonly version: string | null;
  readonly filename: string | null;
}

export function normalizePython(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** Identifies a package from a URL; null for a bare host or a URL that names no package. */
export function identifyUrl(text: string): Identity | null {
  const url = parseUrl(text);
  if (!url) return null;
  const page = /\/simple\/([^/]+)\/?$/.exec(url.pathname);
  if (page) {
    const name = decodeURIComponent(page[1]!);
    return { ecosystem: 'python', name, normalized: normalizePython(name), version: null, filename: null };
  }
  const what = classifyForwardUrl(url);
  if (what.index || !what.filename) return null;
  if (what.kind === 'wheel' || what.kind === 'sdist') {
    if (!what.name) return null;
    return { ecosystem: 'python', name: what.name, normalized: normalizePython(what.name), version: what.version, filename: what.filename };
  }
  if (what.kind === 'apt' && what.name) {
    return { ecosystem: 'apt', name: what.name, normalized: what.name.toLowerCase(), version: what.version, filename: what.filename };
  }
  if (what.kind === 'npm' && what.name) {
    return { ecosystem: 'npm', name: what.name, normalized: what.name.toLowerCase(), version: what.version, filename: what.filename };
  }
  return { ecosystem: 'file', name: what.filename, normalized: what.filename.toLowerCase(), version: null, filename: what.filename };
}

export interface CachedItem {
  readonly key: string;
  readonly url: string | null;
  readonly identity: Identity;
}

export type Relation = 'same-file' | 'other-version' | 'other-spelling';

export interface Alternative {
  readonly relation: Relation;
  readonly item: CachedItem;
}

/** Cached items that could stand in for what was asked: the same file, another version, another spelling. */
export function findAlternatives(wanted: Identity, cached: readonly CachedItem[]): Alternative[] {
  const found: Alternative[] = [];
  for (const item of cached) {
    const have = item.identity;
    if (have.ecosystem !== wanted.ecosystem || have.normalized !== wanted.normalized) continue;
    if (wanted.filename !== null && have.filename === wanted.filename) found.push({ relation: 'same-file', item });
    else if (have.version !== null && have.version !== wanted.version) found.push({ relation: 'other-version', item });
    else if (have.name !== wanted.name) found.push({ relation: 'other-spelling', item });
  }
  // One line per distinct file is enough for a person.
  const seen = new Set<string>();
  return found.filter((a) => {
    const id = `${a.relation} ${a.item.identity.filename ?? a.item.identity.name} ${a.item.identity.version}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
