// The forward HTTP proxy (`http_proxy`), how apt-get, curl and wget are caught. It only
// reaches hosts on the allow-list (it is not an open proxy) and serves everything through
// the cache (cached-fetch.ts): .deb files and other versioned files forever, apt index
// files revalidated online and served from the cache offline.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CacheStore } from '../../cache/index.js';
import type { Kind } from '../../ledger/schema.js';
import { isoLocal } from '../../session/time.js';
import { networkAttemptEvent } from '../events.js';
import { isHostAllowed, notAllowedMessage, parseMirrorList } from './allow-list.js';
import { BoundedMap } from '../../bounded-map.js';
import { type ServeCachedOptions, sendError, serveCached, toolFromUserAgent } from './cached-fetch.js';
import type { ProxyContext } from './types.js';

export interface ForwardClassification {
  readonly kind: Kind;
  readonly name: string | null;
  readonly version: string | null;
  readonly filename: string | null;
  /** True when the URL can never change content (so it is never revalidated). */
  readonly immutable: boolean;
  readonly index: boolean;
}

const COMPRESSED = String.raw`(\.(gz|xz|bz2|lzma|lz4|zst))?`;
/** apt's index files under dists/ (Release files, package lists, translations, contents, DEP-11). */
const APT_INDEX_FILE = new RegExp(
  String.raw`^(InRelease|Release|Release\.gpg|Packages${COMPRESSED}|Sources${COMPRESSED}|Translation-[^/]+|Contents-[^/]+|Components-[^/]+|icons-[^/]+|Commands-[^/]+|Index)$`,
);
/** A version in a file name: 1.2, v2.0.3, 2024.01 (a file so named is taken not to change). */
const VERSIONED_NAME = /(^|[-_.])v?\d+(\.\d+)+/;

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `name_version_arch.deb` (the version may carry an epoch as `1%3a2.3-4`). */
export function parseDebFilename(filename: string): { name: string; version: string } | null {
  const match = /^([a-z0-9][a-z0-9+.-]*)_([^_]+)_([a-z0-9-]+)\.u?deb$/i.exec(filename);
  if (!match) return null;
  return { name: match[1]!, version: safeDecode(match[2]!) };
}

/** `name-version-(build-)python-abi-platform.whl` (PEP 427). */
function parseWheelFilename(filename: string): { name: string; version: string } | null {
  const parts = filename.slice(0, -'.whl'.length).split('-');
  if (parts.length < 5) return null;
  return { name: parts[0]!, version: parts[1]! };
}

/** `name-version.tar.gz` / `.zip` (PEP 625: the name has no `-`, so the last `-` splits). */
function parseSdistFilename(filename: string): { name: string; version: string } | null {
  const stem = filename.replace(/\.(tar\.gz|zip|tar\.bz2)$/, '');
  const cut = stem.lastIndexOf('-');
  if (cut <= 0) return null;
  return { name: stem.slice(0, cut), version: stem.slice(cut + 1) };
}

/** What a forward-proxied URL is: kind, name/version where the file name says them, cache policy. */
export function classifyForwardUrl(url: URL): ForwardClassification {
  const segments = url.pathname.split('/');
  const filename = safeDecode(segments[segments.length - 1] ?? '') || null;
  const path = url.pathname;
  const base = { name: null, version: null, filename };
  if (path.includes('/by-hash/')) {
    // apt's by-hash files are named by their own hash: immutable by construction.
    return { ...base, kind: 'apt', immutable: true, index: true };
  }
  if (filename && (path.includes('/dists/') || APT_INDEX_FILE.test(filename)) && !filename.endsWith('.deb')) {
    return { ...base, kind: 'apt', immutable: false, index: APT_INDEX_FILE.test(filename) || path.includes('/dists/') };
  }
  if (filename && /\.u?deb$/.test(filename)) {
    const parsed = parseDebFilename(filename);
    return { ...base, ...parsed, kind: 'apt', immutable: true, index: false };
  }
  if (filename?.endsWith('.whl')) {
    return { ...base, ...parseWheelFilename(filename), kind: 'wheel', immutable: true, index: false };
  }
  const pythonish = /\/(packages|pypi|simple)\//.test(path);
  if (filename && pythonish && /\.(tar\.gz|zip|tar\.bz2)$/.test(filename)) {
    return { ...base, ...parseSdistFilename(filename), kind: 'sdist', immutable: true, index: false };
  }
  // npm's tarball URLs: /<name>/-/<name>-<version>.tgz (scoped: /@scope/name/-/name-1.0.0.tgz).
  const npmTarball = path.endsWith('.tgz') ? /^\/((?:@[^/]+\/)?[^/]+)\/-\/[^/]+-(\d[^/]*)\.tgz$/.exec(safeDecode(path)) : null;
  if (npmTarball) {
    return { ...base, name: npmTarball[1]!, version: npmTarball[2]!, kind: 'npm', immutable: true, index: false };
  }
  return { ...base, kind: 'file', immutable: filename !== null && VERSIONED_NAME.test(filename), index: false };
}

/** The cache key of a forward-proxied URL: the URL without its fragment, host in lower case. */
export function forwardKey(url: URL): string {
  // A serialized URL has no '#' but the fragment's (an empty fragment leaves a bare '#').
  const cut = url.href.indexOf('#');
  return `forward:GET ${cut === -1 ? url.href : url.href.slice(0, cut)}`;
}

/** An absolute-form request target (`http://host/path`), parsed, keyed and classified. */
export interface ForwardTarget {
  /** Shared by every request for the same target: read, never modified. */
  readonly url: URL;
  readonly key: string;
  readonly what: ForwardClassification;
}

/**
 * Targets already parsed, by the request's own text. apt and curl ask for the same URLs
 * again and again, and parsing and classifying one (a URL parse, a dozen patterns, a
 * percent-decoding) cost as much as serving its hit from memory.
 */
const targets = new BoundedMap<string, ForwardTarget>(10_000);

/** The request target parsed (remembered), or null when it is not a URL. */
export function forwardTarget(raw: string): ForwardTarget | null {
  let target = targets.get(raw);
  if (target === undefined) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return null;
    }
    target = Object.freeze({ url, key: forwardKey(url), what: Object.freeze(classifyForwardUrl(url)) });
    targets.set(raw, target);
  }
  return target;
}

/**
 * The tool asking for a forward-proxied target: by its User-Agent, and an unknown agent
 * asking for apt's files (a repository's dists/ or pool/) is apt with its User-Agent
 * changed (`Acquire::http::User-Agent`): it is recorded as apt's, and goes upstream through
 * the proxy apt's configuration names.
 */
export function forwardTool(userAgent: string | undefined, what: ForwardClassification): string {
  const tool = toolFromUserAgent(userAgent);
  return tool === 'http' && what.kind === 'apt' ? 'apt' : tool;
}

/** Serves an absolute-form request (`GET http://host/path`). */
export async function handleForward(req: IncomingMessage, res: ServerResponse, ctx: ProxyContext, store: CacheStore, forward: ForwardTarget): Promise<void> {
  const target = forward.url;
  const tool = forwardTool(req.headers['user-agent'], forward.what);
  if (target.protocol !== 'http:') {
    sendError(res, 400, `offgrid: only http:// URLs can be proxied this way; https goes through CONNECT`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendError(res, 405, `offgrid: the forward proxy serves GET and HEAD only, not ${req.method}`);
    return;
  }
  // The allow-list first: a hit for an allowed host waits on no promise.
  if (!isHostAllowed(ctx.upstreams.allowedHosts, target.hostname, target.port) && !(await reachable(ctx, target.hostname, target.port, 'http:'))) {
    ctx.record(networkAttemptEvent({ tool, url_or_host: target.href, error: 'host not on the allow-list', evidence: 'proxy', timestamp: isoLocal(ctx.clock.now()) }));
    sendError(res, 403, notAllowedMessage(target.host));
    return;
  }
  const served = serveCached(ctx, store, forwardServeOptions(req, res, ctx, forward, tool));
  // apt's mirror method (`deb mirror://h/mirrors.txt`, `mirror+http://…`) reads a list of
  // mirrors from an allowed host, then fetches from the mirrors it names: like a redirect's
  // targets, they become reachable. Noted before apt can read the list's last byte.
  if (tool === 'apt' && forward.what.kind === 'file' && req.method === 'GET') ctx.redirectTargets.addLater(served.then(() => mirrorsInList(store, forward.key)));
  await served;
}

/** On the allow-list or named by an allowed upstream (a redirect, a mirror list still being read). */
export async function reachable(ctx: ProxyContext, hostname: string, port: string | number, protocol: 'http:' | 'https:'): Promise<boolean> {
  if (isHostAllowed(ctx.upstreams.allowedHosts, hostname, port) || ctx.redirectTargets.allows(hostname, port, protocol)) return true;
  await ctx.redirectTargets.settled();
  return ctx.redirectTargets.allows(hostname, port, protocol);
}

/**
 * The mirrors of an apt mirror list stored under `key` (apt-transport-mirror(1): a URI a
 * line, metadata after a tab), or none when the stored answer is no such list: apt fetches
 * other plain files too, and only a small file of nothing but http(s) URIs is taken for one.
 */
export async function mirrorsInList(store: CacheStore, key: string): Promise<URL[]> {
  const entry = await store.get(key);
  const body = entry !== null && store.isSmall(entry) ? await store.readSmall(entry) : null;
  if (body === null) return [];
  const mirrors = parseMirrorList(body.toString('utf8')).map((uri) => (URL.canParse(uri) ? new URL(uri) : null));
  return mirrors.every((url) => url !== null && (url.protocol === 'http:' || url.protocol === 'https:')) ? (mirrors as URL[]) : [];
}

/** How the cache serves a forward-proxied target (the main path above, and hit workers). */
export function forwardServeOptions(req: IncomingMessage, res: ServerResponse, ctx: ProxyContext, { url, key, what }: ForwardTarget, tool: string): ServeCachedOptions {
  return {
    key,
    url,
    kind: what.kind,
    name: what.name,
    version: what.version,
    filename: what.filename,
    immutable: what.immutable,
    index: what.index,
    req,
    res,
    tool,
    errorStatus: 503,
    onRedirect: (location) => ctx.redirectTargets.add(location),
    upstreamProxies: () => ctx.upstreamProxies(tool),
  };
}
