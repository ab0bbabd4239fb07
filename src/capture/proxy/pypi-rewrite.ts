// The PyPI simple API, pure: parse an upstream project page (PEP 503 HTML or PEP 691
// JSON) into one neutral shape, and render that shape back in either format with every
// file link pointing at the proxy. Hashes, Requires-Python, yanked and the PEP 658/714
// metadata attributes pass through unchanged: they are the client's integrity check.

export interface IndexFile {
  readonly filename: string;
  /** Absolute upstream URL, no fragment. May carry credentials of the upstream; never rendered. */
  readonly url: string;
  readonly hashes: Readonly<Record<string, string>>;
  readonly requiresPython: string | null;
  /**
   * false, true (no reason given) or the reason. A JSON page's `"yanked": ""` stays '':
   * PEP 691 asks for a non-empty reason, and clients disagree on an empty one (pip reads it
   * as not yanked, uv as yanked), so each reads offgrid's JSON as it read the upstream's.
   */
  readonly yanked: boolean | string;
  /** PEP 658/714: false, true, or the hashes of the `.metadata` file. */
  readonly coreMetadata: boolean | Readonly<Record<string, string>>;
  /**
   * PEP 700 (JSON pages, api-version 1.1): the size in bytes and the ISO 8601 upload time,
   * when the upstream said. Installers filter on the upload time (uv --exclude-newer).
   * Absent in HTML pages and in pages cached before offgrid kept them.
   */
  readonly size?: number;
  readonly uploadTime?: string;
}

export interface ProjectPage {
  readonly name: string;
  readonly files: readonly IndexFile[];
}

export const PEP691_JSON = 'application/vnd.pypi.simple.v1+json';
export const PEP691_HTML = 'application/vnd.pypi.simple.v1+html';

/** PEP 503 normalised project name. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Project name and version from a wheel or sdist file name (null when it is neither). */
export function distFromFilename(filename: string): { name: string; version: string | null; kind: 'wheel' | 'sdist' } | null {
  if (filename.endsWith('.whl')) {
    const parts = filename.slice(0, -4).split('-');
    if (parts.length < 5 || !parts[0]) return null;
    return { name: normalizeProjectName(parts[0]), version: parts[1] ?? null, kind: 'wheel' };
  }
  const sdist = /^(.+?)-(\d[^-]*)\.(?:tar\.gz|tar\.bz2|tar\.xz|tgz|zip|tar)$/i.exec(filename);
  if (sdist?.[1] && sdist[2]) return { name: normalizeProjectName(sdist[1]), version: sdist[2], kind: 'sdist' };
  return null;
}

// ---------------------------------------------------------------- content negotiation

export type PageFormat = { readonly format: 'json' | 'html'; readonly contentType: string };

interface MediaRange {
  readonly type: string;
  readonly q: number;
}

function mediaRanges(accept: string): MediaRange[] {
  return accept.split(',').flatMap((part) => {
    const [type = '', ...params] = part.split(';').map((p) => p.trim());
    if (!type) return [];
    const qParam = params.find((p) => /^q\s*=/i.test(p));
    const q = qParam === undefined ? 1 : Number(qParam.split('=')[1]);
    return [{ type: type.toLowerCase(), q: Number.isFinite(q) ? q : 0 }];
  });
}

/** The q of the most specific range that matches `candidate` (RFC 9110 §12.5.1), or -1. */
function qualityOf(ranges: readonly MediaRange[], candidate: string): { q: number; specific: boolean } {
  const [major] = candidate.split('/');
  const exact = ranges.filter((r) => r.type === candidate);
  if (exact.length > 0) return { q: Math.max(...exact.map((r) => r.q)), specific: true };
  const partial = ranges.filter((r) => r.type === `${major}/*`);
  if (partial.length > 0) return { q: Math.max(...partial.map((r) => r.q)), specific: false };
  const any = ranges.filter((r) => r.type === '*/*');
  return any.length > 0 ? { q: Math.max(...any.map((r) => r.q)), specific: false } : { q: -1, specific: false };
}

/**
 * PEP 691 content negotiation. No Accept header means HTML (what PEP 503 clients expect);
 * null means nothing acceptable (the route answers 406).
 */
export function negotiatePageFormat(accept: string | undefined): PageFormat | null {
  if (accept === undefined || accept.trim() === '') return { format: 'html', contentType: 'text/html; charset=utf-8' };
  const ranges = mediaRanges(accept);
  const candidates = [
    { format: 'json' as const, contentType: PEP691_JSON, ...qualityOf(ranges, PEP691_JSON) },
    { format: 'json' as const, contentType: PEP691_JSON, ...qualityOf(ranges, 'application/vnd.pypi.simple.latest+json') },
    { format: 'html' as const, contentType: PEP691_HTML, ...qualityOf(ranges, PEP691_HTML) },
    { format: 'html' as const, contentType: PEP691_HTML, ...qualityOf(ranges, 'application/vnd.pypi.simple.latest+html') },
    { format: 'html' as const, contentType: 'text/html; charset=utf-8', ...qualityOf(ranges, 'text/html') },
  ].filter((c) => c.q > 0);
  if (candidates.length === 0) return null;
  // Highest q wins; then a type the client named over one it only matched by wildcard;
  // then HTML, the format every client understands.
  candidates.sort((a, b) => b.q - a.q || Number(b.specific) - Number(a.specific) || (a.format === 'html' ? -1 : 1));
  const best = candidates[0]!;
  return { format: best.format, contentType: best.contentType };
}

// ---------------------------------------------------------------- parsing

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function decodeHtmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function attributes(tag: string): Map<string, string> {
  const found = new Map<string, string>();
  // Unquoted values run to whitespace or `>`, `=` included (`href=x.tar.gz#md5=ab`,
  // `data-requires-python=&gt;=3.8`), as in browsers and pip's HTMLParser.
  const pattern = /([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`][^\s<>`]*)))?/g;
  for (const match of tag.matchAll(pattern)) {
    const name = match[1]!.toLowerCase();
    if (!found.has(name)) found.set(name, decodeHtmlEntities(match[2] ?? match[3] ?? match[4] ?? ''));
  }
  return found;
}

const TAG_SYNTAX = /[>="']/g;

/** The index of the `>` that ends the tag whose attributes start at `from`, or -1 when the input ends first. */
function tagEnd(html: string, from: number): number {
  let equalsAt = -1;
  TAG_SYNTAX.lastIndex = from;
  for (let match = TAG_SYNTAX.exec(html); match; match = TAG_SYNTAX.exec(html)) {
    const at = match.index;
    const c = match[0];
    if (c === '>') return at;
    if (c === '=') {
      equalsAt = at;
      continue;
    }
    // A quote opens a value only right after `=`, blanks between allowed.
    if (equalsAt >= 0 && html.slice(equalsAt + 1, at).trim() === '') {
      const close = html.indexOf(c, at + 1);
      if (close < 0) return -1;
      TAG_SYNTAX.lastIndex = close + 1;
    }
    equalsAt = -1;
  }
  return -1;
}

/**
 * The attributes of every `<name …>` start tag, in document order, read the way an HTML
 * parser (pip's HTMLParser) reads them: a quoted value may hold a raw `>`
 * (`data-requires-python=">=3.8"` from templates that do not escape it), comments hold no
 * tags, and a tag cut off by the end of the page is no tag. One pass: a malformed page
 * costs no more than a well-formed one.
 */
function startTags(html: string, name: string): Map<string, string>[] {
  const found: Map<string, string>[] = [];
  for (let lt = html.indexOf('<'); lt >= 0; lt = html.indexOf('<', lt + 1)) {
    if (html.startsWith('<!--', lt)) {
      const close = html.indexOf('-->', lt + 4);
      if (close < 0) break;
      lt = close + 2;
      continue;
    }
    if (!/[a-z/!?]/i.test(html[lt + 1] ?? '')) continue; // `a < b` in text is no tag
    const nameEnd = lt + 1 + name.length;
    const matches = html.slice(lt + 1, nameEnd).toLowerCase() === name && /[\s/>]/.test(html[nameEnd] ?? '');
    const end = tagEnd(html, lt + 1);
    if (end < 0) break;
    if (matches) found.push(attributes(html.slice(nameEnd, end)));
    lt = end;
  }
  return found;
}

function hashFromFragment(url: URL): Record<string, string> {
  let fragment = url.hash;
  try {
    // JetBrains Space writes the `=` escaped (`#sha256%3D<hex>`, astral-sh/uv#3654); pip
    // would read no hash there and check nothing, so the hash is read in either spelling.
    fragment = decodeURIComponent(fragment);
  } catch {
    // a stray `%` is no escape: the fragment is read as written
  }
  const match = /^#([a-z0-9_]+)=([0-9a-f]+)$/i.exec(fragment);
  return match ? { [match[1]!.toLowerCase()]: match[2]!.toLowerCase() } : {};
}

function metadataAttribute(value: string | undefined): boolean | Record<string, string> {
  if (value === undefined || value === 'false') return false;
  const match = /^([a-z0-9_]+)=([0-9a-f]+)$/i.exec(value);
  return match ? { [match[1]!.toLowerCase()]: match[2]!.toLowerCase() } : true;
}

/** The link as stored: no fragment, and never credentials (they come only from the upstream setting). */
function withoutFragment(url: URL): string {
  const copy = new URL(url.href);
  copy.hash = '';
  copy.username = '';
  copy.password = '';
  return copy.href;
}

/** The file name a link names: its URL's last path segment, as pip reads it (not the anchor text). */
function linkFilename(url: URL): string {
  const last = url.pathname.split('/').pop() ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** A PEP 503 project page; `pageUrl` resolves relative links (and a `<base href>`). */
export function parseHtmlProjectPage(html: string, pageUrl: string, name: string): ProjectPage {
  let base = pageUrl;
  const baseHref = startTags(html, 'base')[0]?.get('href');
  if (baseHref) {
    try {
      base = new URL(baseHref, pageUrl).href;
    } catch {
      // An unusable <base> changes nothing; the links resolve against the page.
    }
  }
  const files: IndexFile[] = [];
  for (const attrs of startTags(html, 'a')) {
    const href = attrs.get('href');
    if (!href) continue;
    let url: URL;
    try {
      url = new URL(href, base);
    } catch {
      continue;
    }
    // pip takes the file name from the URL; anchor text may be shortened (autoindex
    // listings end long names in `..>`) or be a display name. A directory link names no file.
    const filename = linkFilename(url);
    if (!filename) continue;
    const yanked = attrs.get('data-yanked');
    const requiresPython = attrs.get('data-requires-python')?.trim();
    files.push({
      filename,
      url: withoutFragment(url),
      hashes: hashFromFragment(url),
      // GitLab writes data-requires-python="" for "no requirement".
      requiresPython: requiresPython ? requiresPython : null,
      yanked: yanked === undefined ? false : yanked === '' ? true : yanked,
      // PEP 714: data-core-metadata is the new name; data-dist-info-metadata the old one.
      coreMetadata: metadataAttribute(attrs.get('data-core-metadata') ?? attrs.get('data-dist-info-metadata')),
    });
  }
  return { name, files };
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k.toLowerCase()] = v.toLowerCase();
  return out;
}

/** A PEP 691 project page. Throws when it is not one. */
export function parseJsonProjectPage(text: string, pageUrl: string, name: string): ProjectPage {
  const doc = JSON.parse(text) as { files?: unknown };
  if (!Array.isArray(doc.files)) throw new Error('not a PEP 691 project page (no "files" list)');
  const files: IndexFile[] = [];
  for (const raw of doc.files as Record<string, unknown>[]) {
    if (typeof raw !== 'object' || raw === null || typeof raw['url'] !== 'string' || typeof raw['filename'] !== 'string') continue;
    let url: URL;
    try {
      url = new URL(raw['url'], pageUrl);
    } catch {
      continue; // one unusable entry costs that file, not the page (as an unusable <a href> in HTML)
    }
    const metadata = raw['core-metadata'] ?? raw['dist-info-metadata'];
    const yanked = raw['yanked'];
    const size = raw['size'];
    // bandersnatch writes "" for a file with no Requires-Python and no upload time: neither
    // is a value (an empty upload time is no ISO 8601 date for uv --exclude-newer to read).
    const requiresPython = typeof raw['requires-python'] === 'string' ? raw['requires-python'].trim() : '';
    const uploadTime = raw['upload-time'];
    files.push({
      filename: raw['filename'],
      url: withoutFragment(url),
      hashes: stringRecord(raw['hashes']),
      requiresPython: requiresPython ? requiresPython : null,
      yanked: typeof yanked === 'string' ? yanked : yanked === true,
      coreMetadata: typeof metadata === 'object' && metadata !== null ? stringRecord(metadata) : metadata === true,
      ...(typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? { size } : {}),
      ...(typeof uploadTime === 'string' && uploadTime.trim() !== '' ? { uploadTime } : {}),
    });
  }
  return { name, files };
}

/** Files of several upstream pages, in upstream order; a file name seen earlier wins. */
export function mergePages<T extends { readonly page: ProjectPage }>(name: string, sources: readonly T[]): { name: string; files: { file: IndexFile; source: T }[] } {
  const seen = new Set<string>();
  const files: { file: IndexFile; source: T }[] = [];
  for (const source of sources) {
    for (const file of source.page.files) {
      if (seen.has(file.filename)) continue;
      seen.add(file.filename);
      files.push({ file, source });
    }
  }
  return { name, files };
}

// ---------------------------------------------------------------- proxy links

/**
 * The proxy path of an upstream file: `/pypi/files/<upstream-no>/<scheme>/<host>/<path>`.
 * Readable, ends with the real file name (pip uses it), and carries no credentials.
 */
export function fileLinkPath(upstreamNo: number, url: string): string {
  const parsed = new URL(url);
  return `/pypi/files/${upstreamNo}/${parsed.protocol.slice(0, -1)}/${parsed.host}${parsed.pathname}`;
}

/** The inverse of fileLinkPath, as a credential-free URL; null for anything malformed. */
export function parseFileLinkPath(path: string): { upstreamNo: number; url: string } | null {
  const match = /^\/pypi\/files\/(\d{1,3})\/(https?)\/([^/]+)(\/[^?#]*)$/.exec(path);
  if (!match) return null;
  let url: URL;
  let host: string;
  try {
    // Clients re-quote links (pip sends the port's `:` as %3A).
    host = decodeURIComponent(match[3]!).toLowerCase();
    url = new URL(`${match[2]}://${host}${match[4]}`);
  } catch {
    return null;
  }
  if (url.username || url.password || url.host !== host) return null;
  return { upstreamNo: Number(match[1]), url: url.href };
}

/** A URL with user, password, query and fragment removed: the identity of an upstream file. */
export function linkIdentity(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

/**
 * How a link is looked up when its file is asked for: linkIdentity with each path segment
 * percent-decoded and re-encoded one way. Clients re-quote the links they are given (pip
 * sends `+` as `%2B` and `@` as `%40`; uv sends them raw), and pages write the same file
 * either way (`torch-2.1.0%2Bcu121-…whl` on the PyTorch index, devpi's raw `+f/`), so the
 * two spellings must find the same link. `%2F` stays escaped: it is no path separator.
 */
export function linkLookupKey(url: string): string {
  const parsed = new URL(linkIdentity(url));
  const segments = parsed.pathname.split('/').map((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return segment;
    }
    // WHATWG URL's own path spelling for the decoded segment, with `/`, `%`, `?` and `#` kept escaped.
    return encodeURIComponent(decoded).replace(/%(2[146-9ABC]|3[ABD]|40|5[BD])/gi, (whole) => decodeURIComponent(whole));
  });
  return `${parsed.protocol}//${parsed.host}${segments.join('/')}`;
}

export type RenderedFile = { readonly file: IndexFile; readonly href: string };

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function preferredHash(hashes: Readonly<Record<string, string>>): [string, string] | null {
  if (hashes['sha256']) return ['sha256', hashes['sha256']];
  const first = Object.entries(hashes)[0];
  return first ?? null;
}

function metadataValue(meta: boolean | Readonly<Record<string, string>>): string | null {
  if (meta === false) return null;
  if (meta === true) return 'true';
  const hash = preferredHash(meta);
  return hash ? `${hash[0]}=${hash[1]}` : 'true';
}

export function renderHtmlPage(name: string, files: readonly RenderedFile[]): string {
  const links = files.map(({ file, href }) => {
    const hash = preferredHash(file.hashes);
    const attrs = [`href="${escapeHtml(hash ? `${href}#${hash[0]}=${hash[1]}` : href)}"`];
    if (file.requiresPython !== null) attrs.push(`data-requires-python="${escapeHtml(file.requiresPython)}"`);
    const meta = metadataValue(file.coreMetadata);
    if (meta !== null) attrs.push(`data-dist-info-metadata="${escapeHtml(meta)}"`, `data-core-metadata="${escapeHtml(meta)}"`);
    // HTML has no "empty reason" that is not a yank: '' is rendered as pip read it, unyanked.
    if (file.yanked !== false && file.yanked !== '') attrs.push(`data-yanked="${file.yanked === true ? '' : escapeHtml(file.yanked)}"`);
    return `    <a ${attrs.join(' ')}>${escapeHtml(file.filename)}</a><br />`;
  });
  return [
    '<!DOCTYPE html>',
    '<html>',
    '  <head>',
    '    <meta name="pypi:repository-version" content="1.0">',
    `    <title>Links for ${escapeHtml(name)}</title>`,
    '  </head>',
    '  <body>',
    `    <h1>Links for ${escapeHtml(name)}</h1>`,
    ...links,
    '  </body>',
    '</html>',
    '',
  ].join('\n');
}

export function renderJsonPage(name: string, files: readonly RenderedFile[]): string {
  // PEP 700: api-version 1.1 promises a size for every file and the project's versions;
  // made only when every file's size is known (an HTML upstream gives none).
  const v11 = files.every(({ file }) => file.size !== undefined);
  const versions = [...new Set(files.flatMap(({ file }) => distFromFilename(file.filename)?.version ?? []))];
  return JSON.stringify({
    meta: { 'api-version': v11 ? '1.1' : '1.0' },
    name,
    ...(v11 ? { versions } : {}),
    files: files.map(({ file, href }) => {
      const meta = file.coreMetadata === false || file.coreMetadata === true ? file.coreMetadata : { ...file.coreMetadata };
      return {
        filename: file.filename,
        url: href,
        hashes: { ...file.hashes },
        ...(file.requiresPython === null ? {} : { 'requires-python': file.requiresPython }),
        ...(file.yanked === false ? {} : { yanked: file.yanked }),
        ...(meta === false ? {} : { 'core-metadata': meta, 'dist-info-metadata': meta }),
        ...(file.size === undefined ? {} : { size: file.size }),
        ...(file.uploadTime === undefined ? {} : { 'upload-time': file.uploadTime }),
      };
    }),
  });
}

/** The root page (`/pypi/simple/`): project names in either format. */
export function renderProjectList(names: readonly string[], format: 'json' | 'html'): string {
  if (format === 'json') return JSON.stringify({ meta: { 'api-version': '1.0' }, projects: names.map((name) => ({ name })) });
  const links = names.map((n) => `    <a href="/pypi/simple/${encodeURIComponent(n)}/">${escapeHtml(n)}</a><br />`);
  return ['<!DOCTYPE html>', '<html>', '  <head><meta name="pypi:repository-version" content="1.0"><title>Simple index</title></head>', '  <body>', ...links, '  </body>', '</html>', ''].join('\n');
}
