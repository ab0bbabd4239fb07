// The one way every route of the proxy serves an artifact or index file: from the cache,
// or fetched from the upstream ONCE (single flight) while it streams to the client and into
// the cache at the same time. Every response is reported as a DownloadEvent; every refused
// or failed upstream request as a network attempt.
//
// Decisions follow the shared-cache rules of RFC 9111; each rule cites its section.
import { performance } from 'node:perf_hooks';
import { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { finished, pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { type CacheEntry, type CacheStore, type DeclaredDigest, type EntryMetadata, type FetchOptions, SingleFlight, type UpstreamResponse, type VerifiedReader, isCacheError } from '../../cache/index.js';
import type { CacheStatus, Kind } from '../../ledger/schema.js';
import { isoLocal } from '../../session/time.js';
import { downloadEvent, networkAttemptEvent, type Durability } from '../events.js';
import type { ProxyContext } from './types.js';
import { UPSTREAM_IDLE_TIMEOUT_MS } from './limits.js';
import { bareHost, basicAuthorization } from './hosts.js';
import { type ChosenProxy, type ProxyChoice, UpstreamProxyError, credentialsWanted, machineProxyChoice, openTunnel, shownProxy } from './upstream-proxy.js';

export const CACHE_HEADER = 'x-offgrid-cache';

export interface UpstreamRequestOptions {
  readonly headers?: OutgoingHttpHeaders;
  readonly method?: 'GET' | 'HEAD';
  /** Idle time (no bytes either way) after which the request fails. */
  readonly idleTimeoutMs?: number;
  /** The proxy for each URL asked (default: this process's environment's, upstream-proxy.ts). */
  readonly proxies?: ProxyChoice;
}

/**
 * Opens a request to an upstream with node's http/https and resolves with its response
 * (any status). Credentials in the URL become Basic auth. The machine's proxy, when it
 * has one for this URL, carries the request (upstream-proxy.ts).
 */
export function requestUpstream(url: URL, options: UpstreamRequestOptions = {}): Promise<IncomingMessage> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new Error(`unsupported upstream scheme ${url.protocol}`));
  const idleTimeoutMs = options.idleTimeoutMs ?? UPSTREAM_IDLE_TIMEOUT_MS;
  const proxy = (options.proxies ?? machineProxyChoice)(url);
  // Listeners go on in the same turn the request is made: node may report its errors on the next tick.
  const send = (request: ClientRequest): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      request.once('response', resolve);
      request.setTimeout(idleTimeoutMs, () => {
        request.destroy(new Error(`upstream ${url.host} sent nothing for ${Math.round(idleTimeoutMs / 1000)} s`));
      });
      request.on('error', reject);
      request.end();
    });
  if (proxy === null) return send(directRequest(url, options));
  return proxiedRequest(url, proxy, options, idleTimeoutMs)
    .then(send)
    .catch((error: Error) => {
      // A proxy the user cannot see in the message is a puzzle: say which, and who named it.
      throw error instanceof UpstreamProxyError ? error : new UpstreamProxyError(`${error.message} (through the proxy ${shownProxy(proxy.url)}, named by ${proxy.setting})`);
    })
    .then((response) => {
      // The proxy's own refusal is no answer of the upstream's: never relayed, never stored.
      if (response.statusCode !== 407) return response;
      response.resume();
      throw new Error(credentialsWanted(proxy));
    });
}

function directRequest(url: URL, options: UpstreamRequestOptions): ClientRequest {
  // node turns a URL object's credentials into Basic auth.
  return (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: options.method ?? 'GET', headers: options.headers ?? {} });
}

/** The request through the proxy: absolute form for http, a CONNECT tunnel and TLS for https. */
async function proxiedRequest(url: URL, chosen: ChosenProxy, options: UpstreamRequestOptions, idleTimeoutMs: number): Promise<ClientRequest> {
  const proxy = chosen.url;
  const headers: OutgoingHttpHeaders = { ...options.headers, host: url.host };
  const credentials = basicAuthorization(url);
  if (credentials && headers['authorization'] === undefined) headers['authorization'] = credentials;
  const method = options.method ?? 'GET';
  const path = `${url.pathname}${url.search}`;
  if (url.protocol === 'http:') {
    const authorization = basicAuthorization(proxy);
    if (authorization) headers['proxy-authorization'] = authorization;
    return httpRequest({ host: bareHost(proxy.hostname), port: proxy.port || 80, method, path: `${url.protocol}//${url.host}${path}`, headers });
  }
  const host = bareHost(url.hostname);
  const socket = await openTunnel(chosen, host, Number(url.port || 443), idleTimeoutMs);
  const secure = tlsConnect({ socket, servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] });
  return httpRequest({ host, method, path, headers, createConnection: () => secure });
}

const MAX_UPSTREAM_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * requestUpstream, following redirects (up to MAX_UPSTREAM_REDIRECTS; past that the last
 * 3xx is the answer). For a mirror's upstream, whose client never sees the redirect: file
 * hosts send their downloads on to a CDN or to object storage (GitLab's package registry,
 * GitHub Packages). An Authorization goes only to the host it was meant for, as clients do;
 * a presigned storage URL even refuses a request that carries one.
 */
export async function requestUpstreamFollowing(url: URL, options: UpstreamRequestOptions = {}): Promise<{ response: IncomingMessage; url: URL }> {
  const headers: OutgoingHttpHeaders = { ...options.headers };
  let current = url;
  for (let hop = 0; ; hop++) {
    const response = await requestUpstream(current, { ...options, headers });
    const location = response.headers.location;
    if (!REDIRECTS.has(response.statusCode ?? 0) || !location || hop >= MAX_UPSTREAM_REDIRECTS) return { response, url: current };
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      return { response, url: current };
    }
    response.resume();
    if (next.host !== url.host || next.protocol !== url.protocol) delete headers['authorization'];
    current = next;
  }
}

/** One year: what PyPI and npm send for files whose URL never changes content. */
const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Index files change; clients (pip's own HTTP cache) must ask again, and get a cheap 304. */
const MUTABLE_CACHE_CONTROL = 'max-age=0, must-revalidate';

export interface ServeCachedOptions {
  /** Cache key: a normalised upstream URL (plus whatever the response varies on). */
  readonly key: string;
  /** The upstream URL to fetch on a miss. */
  readonly url: string | URL;
  readonly kind: Kind;
  readonly name?: string | null;
  readonly version?: string | null;
  readonly filename?: string | null;
  /** The upstream's declared sha256 (a PEP 503 fragment, an npm integrity): checked before storing. */
  readonly expectedSha256?: string | null;
  /** A digest declared in another algorithm (npm's sha512, a `#md5=` link), checked the same way. */
  readonly declaredDigest?: DeclaredDigest | null;
  /** True for files whose URL never changes content (wheels, .deb, by-hash); else revalidated online. */
  readonly immutable: boolean;
  /** An index file (apt lists, simple pages, packuments) rather than an artifact. */
  readonly index?: boolean;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The client tool; guessed from User-Agent when not given. */
  readonly tool?: string;
  /** Status for an offline miss: 404 for pip (it then says "no matching distribution"), 503 for apt/forward. */
  readonly errorStatus?: number;
  /** Extra request headers for the upstream (e.g. Accept for PEP 691). */
  readonly upstreamHeaders?: OutgoingHttpHeaders;
  /** Content-Type to serve instead of the upstream's. */
  readonly contentType?: string;
  /**
   * Store a `private` response (RFC 9111 §5.2.2.7 binds shared caches): only for a file the
   * mirror fetched with the user's own registry credentials, not the client's, whose bytes a
   * declared digest pins. Private registries mark every response private (Rails' default
   * `max-age=0, private, must-revalidate`); refusing them left such builds never cached.
   */
  readonly privateAllowed?: boolean;
  /** Follow the upstream's redirects here (a mirror, whose client cannot reach the target itself). */
  readonly followRedirects?: boolean;
  /** Told where a redirect relayed to the client points (the forward proxy lets the client follow it). */
  readonly onRedirect?: (location: URL) => void;
  /**
   * The proxies this client's requests go through, asked only when one goes upstream (so a
   * hit waits on nothing): the forward proxy gives apt's requests apt's own (apt-proxy.ts).
   * Default: the machine's environment.
   */
  readonly upstreamProxies?: () => Promise<ProxyChoice>;
}

export type ServeOutcome = CacheStatus | 'passthrough' | 'error';

/** The last User-Agent seen and its tool: a build's requests come from one client after another. */
let lastAgent = { userAgent: '', tool: 'http' };

/** A tool name from a User-Agent header (pip/npm/apt/curl/wget/docker, else 'http'). */
export function toolFromUserAgent(userAgent: string | undefined): string {
  const given = userAgent ?? '';
  if (given !== lastAgent.userAgent) lastAgent = { userAgent: given, tool: toolNamedBy(given.toLowerCase()) };
  return lastAgent.tool;
}

function toolNamedBy(ua: string): string {
  if (ua.startsWith('pip/') || ua.includes(' pip/')) return 'pip';
  if (ua.startsWith('uv/')) return 'uv';
  if (ua.startsWith('npm/') || ua.includes(' npm/')) return 'npm';
  if (ua.includes('debian apt-http') || ua.startsWith('apt/') || ua.includes('apt-http')) return 'apt';
  if (ua.startsWith('curl/')) return 'curl';
  if (ua.startsWith('wget/')) return 'wget';
  if (ua.includes('docker') || ua.includes('containerd') || ua.includes('buildkit')) return 'docker';
  return 'http';
}

// One SingleFlight per store, so every route and the forward proxy coalesce on the same keys.
const flightsByStore = new WeakMap<CacheStore, SingleFlight>();
function flightsFor(store: CacheStore): SingleFlight {
  let flights = flightsByStore.get(store);
  if (!flights) {
    flights = new SingleFlight(store);
    flightsByStore.set(store, flights);
  }
  return flights;
}

/** An upstream answer that must not be stored; only the flight's leader can relay it. */
class UncacheableResponse extends Error {
  constructor(readonly response: IncomingMessage, reason: string) {
    super(`upstream response is not stored: ${reason}`);
  }
}

/** The upstream answered with something other than 200 (404, 500, ...). */
export class UpstreamStatusError extends Error {
  constructor(readonly status: number, readonly response: IncomingMessage | null, url: string) {
    super(`upstream answered ${status} for ${url}`);
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  if (Array.isArray(value)) return value.join(', ');
  return value ?? null;
}

function cacheControlDirectives(headers: IncomingHttpHeaders): Set<string> {
  const raw = headerValue(headers, 'cache-control') ?? '';
  return new Set(raw.toLowerCase().split(',').map((part) => part.trim().split('=')[0] ?? '').filter(Boolean));
}

/** Why a 200 response must not enter a shared cache, or null when it may. */
export function unstorableReason(response: IncomingHttpHeaders, requestHadAuthorization: boolean, privateAllowed = false): string | null {
  const directives = cacheControlDirectives(response);
  // RFC 9111 §3 (and §5.2.2.3): a cache MUST NOT store a response with `no-store`.
  if (directives.has('no-store')) return 'Cache-Control: no-store';
  // RFC 9111 §5.2.2.7: a shared cache MUST NOT store a `private` response.
  if (directives.has('private') && !privateAllowed) return 'Cache-Control: private';
  // RFC 9111 §3.5: a shared cache MUST NOT use a response to a request with Authorization
  // unless the response says so (public, s-maxage, must-revalidate).
  if (requestHadAuthorization && !(directives.has('public') || directives.has('s-maxage') || directives.has('must-revalidate'))) {
    return 'request carried Authorization and the response is not marked public';
  }
  // RFC 9111 §4.1: `Vary: *` always fails to match, so storing it is pointless.
  const vary = headerValue(response, 'vary');
  if (vary && vary.split(',').some((field) => field.trim() === '*')) return 'Vary: *';
  return null;
}

function metadataOf(response: IncomingMessage, url: string, kind: Kind): EntryMetadata {
  return {
    kind,
    url,
    content_type: headerValue(response.headers, 'content-type'),
    etag: headerValue(response.headers, 'etag'),
    last_modified: headerValue(response.headers, 'last-modified'),
    content_encoding: headerValue(response.headers, 'content-encoding'),
    // Kept to tell whether upstream stated a freshness lifetime (see isHeuristicallyFresh).
    cache_control: headerValue(response.headers, 'cache-control'),
    expires: headerValue(response.headers, 'expires'),
  };
}

/** How long an apt index file that upstream sent without validators is served without asking again. */
export const HEURISTIC_FRESHNESS_MS = 5 * 60 * 1000;

/**
 * RFC 9111 §4.2.2: a cache may assign a heuristic freshness lifetime to a response with no
 * explicit expiration time. Some apt mirrors send index files (InRelease, Packages) with no
 * ETag and no Last-Modified, so each revalidation is a full download; such a file is fresh
 * for 5 minutes after it was stored (apt fetches the same lists several times in one
 * build). Only when upstream gave neither validators nor an explicit lifetime (§4.2.1:
 * Cache-Control max-age/s-maxage/no-cache, Expires), and only for apt's index files.
 */
export function isHeuristicallyFresh(entry: CacheEntry, options: Pick<ServeCachedOptions, 'kind' | 'index' | 'immutable'>, nowMs: number): boolean {
  if (options.immutable || !options.index || options.kind !== 'apt') return false;
  const meta = entry.metadata;
  if (meta.etag || meta.last_modified || meta.expires) return false;
  const cacheControl = typeof meta.cache_control === 'string' ? meta.cache_control.toLowerCase() : '';
  if (/(^|[\s,])(max-age|s-maxage|no-cache|must-revalidate|proxy-revalidate)\b/.test(cacheControl)) return false;
  const age = nowMs - Date.parse(entry.stored_at);
  return age >= 0 && age < HEURISTIC_FRESHNESS_MS;
}

function declaredLength(response: IncomingMessage): number | null {
  const raw = headerValue(response.headers, 'content-length');
  if (raw === null || !/^\d+$/.test(raw.trim())) return null;
  const length = Number(raw);
  return Number.isSafeInteger(length) ? length : null;
}

/** Request headers passed to the upstream: identity encoding (the stored bytes are what every client gets), no conditionals or ranges of the client's. */
function upstreamRequestHeaders(req: IncomingMessage, extra: OutgoingHttpHeaders | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { 'accept-encoding': 'identity' };
  const ua = req.headers['user-agent'];
  if (ua) headers['user-agent'] = ua;
  const accept = req.headers.accept;
  if (accept) headers.accept = accept;
  if (req.headers.authorization) headers.authorization = req.headers.authorization;
  return { ...headers, ...extra };
}

function headersFor(entryOrMeta: { metadata: EntryMetadata; sha256?: string; size: number | null; stored_at?: string }, options: ServeCachedOptions, cacheStatus: CacheStatus): OutgoingHttpHeaders {
  const meta = entryOrMeta.metadata;
  const headers: OutgoingHttpHeaders = {
    'content-type': options.contentType ?? meta.content_type ?? 'application/octet-stream',
    'cache-control': options.immutable ? IMMUTABLE_CACHE_CONTROL : MUTABLE_CACHE_CONTROL,
    [CACHE_HEADER]: cacheStatus,
  };
  const etag = meta.etag ?? (entryOrMeta.sha256 ? `"${entryOrMeta.sha256}"` : null);
  if (etag) headers.etag = etag;
  const lastModified = meta.last_modified ?? (entryOrMeta.stored_at ? new Date(entryOrMeta.stored_at).toUTCString() : null);
  if (lastModified) headers['last-modified'] = lastModified;
  if (typeof meta.content_encoding === 'string' && meta.content_encoding !== 'identity') headers['content-encoding'] = meta.content_encoding;
  if (entryOrMeta.size !== null) headers['content-length'] = String(entryOrMeta.size);
  return headers;
}

function sendText(res: ServerResponse, status: number, message: string, cacheStatus: CacheStatus | null = null): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${message}\n`;
  const headers: OutgoingHttpHeaders = { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store' };
  if (cacheStatus) headers[CACHE_HEADER] = cacheStatus;
  res.writeHead(status, headers);
  res.end(body);
}

/** Sends an error answer with a plain-text body (shared by every route). */
export function sendError(res: ServerResponse, status: number, message: string, cacheStatus: CacheStatus | null = null): void {
  sendText(res, status, message, cacheStatus);
}

class Recorder {
  private readonly started = performance.now();
  readonly timestamp: string;
  readonly tool: string;
  readonly source: string;

  constructor(private readonly ctx: ProxyContext, private readonly options: ServeCachedOptions) {
    this.timestamp = isoLocal(ctx.clock.now());
    this.tool = options.tool ?? toolFromUserAgent(options.req.headers['user-agent']);
    this.source = String(options.url);
  }

  download(cacheStatus: CacheStatus, size: number | null, sha256: string | null, durability: Durability = 'now'): void {
    const o = this.options;
    this.ctx.record(
      downloadEvent({
        kind: o.kind,
        tool: this.tool,
        name: o.name ?? null,
        version: o.version ?? null,
        filename: o.filename ?? null,
        source: this.source,
        size,
        sha256,
        cached: cacheStatus === 'hit' || cacheStatus === 'revalidated',
        index: o.index ?? false,
        duration_ms: Math.round((performance.now() - this.started) * 1000) / 1000,
        evidence: 'proxy',
        cache_status: cacheStatus,
        timestamp: this.timestamp,
      }),
      durability,
    );
  }

  attempt(error: string): void {
    this.ctx.record(networkAttemptEvent({ tool: this.tool, url_or_host: this.source, error, evidence: 'proxy', timestamp: this.timestamp }));
  }
}

function clientMatches(req: IncomingMessage, headers: OutgoingHttpHeaders): boolean {
  const etag = headers.etag;
  return typeof etag === 'string' && ifNoneMatchHolds(req.headers['if-none-match'], etag);
}

/**
 * Whether a client's If-None-Match names `etag`: a list, `*`, and the weak comparison of
 * RFC 9110 §13.1.2 (`W/"x"` matches `"x"`). A reverse proxy that compresses a response
 * weakens its ETag (nginx's gzip does), and its clients send that weak tag back.
 */
export function ifNoneMatchHolds(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

/** Streams `body` to the client; on any failure the socket is destroyed so the client sees a short body. */
async function streamBody(body: Readable, res: ServerResponse): Promise<void> {
  try {
    await pipeline(body, res);
  } catch (error) {
    res.destroy();
    throw error;
  }
}

/** Writes a cache body to the client; on any failure the socket is destroyed so the client sees a short body. */
async function sendBody(body: { writeTo(sink: ServerResponse): Promise<void> }, res: ServerResponse): Promise<void> {
  try {
    await body.writeTo(res);
    await finished(res);
  } catch (error) {
    res.destroy(); // never a complete-looking wrong or partial answer
    throw error;
  }
}

/** A client that went away mid-body: routine (apt and pip cancel), not worth a warning. */
function isClientGone(error: unknown, res: ServerResponse): boolean {
  const code = (error as { code?: string }).code;
  return res.destroyed || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'EPIPE' || code === 'ECONNRESET';
}

/** Serves a stored entry (hit or revalidated). Returns false when its content is gone or corrupt (removed; the caller refetches). */
async function serveEntry(ctx: ProxyContext, store: CacheStore, entry: CacheEntry, options: ServeCachedOptions, status: CacheStatus, rec: Recorder): Promise<boolean> {
  const { req, res } = options;
  const headers = headersFor(entry, options, status);
  if (clientMatches(req, headers)) {
    delete headers['content-length'];
    res.writeHead(304, headers);
    res.end();
    rec.download(status, entry.size, entry.sha256, 'this-turn');
    return true;
  }
  if (req.method === 'HEAD') {
    res.writeHead(200, headers);
    res.end();
    return true;
  }
  let body: Buffer | null = null;
  let stream: VerifiedReader | null = null;
  try {
    // Small files (index pages, metadata) come whole from memory after their first read.
    if (store.isSmall(entry)) body = store.rememberedBody(entry) ?? (await store.readSmall(entry));
    else stream = await store.open(entry);
  } catch (error) {
    if (!isCacheError(error) || error.code !== 'EINTEGRITY') throw error;
    // RFC 9111 §4: a stored response we cannot serve intact is no stored response at all.
    ctx.log.warn(`${error.message}`);
    return false;
  }
  if (!body && !stream) return false;
  res.writeHead(200, headers);
  if (body) {
    // Head and body go to the socket in one write, within end(): recorded then, unless the
    // client was already gone (a listener for 'finish' cost a tenth of a hit's time).
    res.end(body);
    if (!res.destroyed) rec.download(status, entry.size, entry.sha256, 'this-turn');
    return true;
  }
  try {
    await sendBody(stream!, res);
    rec.download(status, entry.size, entry.sha256, 'this-turn');
  } catch (error) {
    const message = `serving ${entry.key} from the cache failed: ${(error as Error).message}`;
    if (isClientGone(error, res) && !isCacheError(error)) ctx.log.debug(message);
    else ctx.log.warn(message);
  }
  return true;
}

/** Relays an upstream response without storing it (Range requests, uncacheable answers). */
async function relay(response: IncomingMessage, options: ServeCachedOptions, rec: Recorder, cacheStatus: CacheStatus): Promise<void> {
  const { res } = options;
  const headers: OutgoingHttpHeaders = { [CACHE_HEADER]: cacheStatus };
  // `location`: a client sent on by a redirect (an apt mirror redirector, curl -L) must see where.
  for (const name of ['content-type', 'content-length', 'content-range', 'etag', 'last-modified', 'cache-control', 'content-encoding', 'accept-ranges', 'vary', 'location']) {
    const value = response.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const status = response.statusCode ?? 502;
  const location = response.headers.location;
  if (options.onRedirect && location && status >= 300 && status < 400) {
    const target = URL.canParse(location, String(options.url)) ? new URL(location, String(options.url)) : null;
    if (target) options.onRedirect(target);
  }
  res.writeHead(status, headers);
  let size = 0;
  response.on('data', (chunk: Buffer) => {
    size += chunk.length;
  });
  try {
    await streamBody(response, res);
    if ((response.statusCode ?? 0) < 300) rec.download(cacheStatus, size, null);
  } catch (error) {
    rec.attempt(`upstream transfer failed: ${(error as Error).message}`);
  }
}

async function openUpstream(options: ServeCachedOptions, url: URL, given: UpstreamRequestOptions): Promise<IncomingMessage> {
  const request = options.upstreamProxies ? { ...given, proxies: await options.upstreamProxies() } : given;
  return options.followRedirects ? (await requestUpstreamFollowing(url, request)).response : requestUpstream(url, request);
}

async function openForFlight(options: ServeCachedOptions, url: URL, conditional: OutgoingHttpHeaders | null): Promise<IncomingMessage> {
  const headers = { ...upstreamRequestHeaders(options.req, options.upstreamHeaders), ...conditional };
  return openUpstream(options, url, { headers });
}

/** Turns an open 200 upstream response into what the single flight stores, or throws why it cannot. */
function toFlightResponse(response: IncomingMessage, options: ServeCachedOptions, url: URL): UpstreamResponse {
  if (response.statusCode !== 200) {
    throw new UpstreamStatusError(response.statusCode ?? 502, response, url.href);
  }
  const reason = unstorableReason(response.headers, options.req.headers.authorization !== undefined, options.privateAllowed === true);
  if (reason) throw new UncacheableResponse(response, reason);
  return {
    body: response,
    expectedSize: declaredLength(response),
    expectedSha256: options.expectedSha256 ?? null,
    declaredDigest: options.declaredDigest ?? null,
    metadata: metadataOf(response, url.href, options.kind),
  };
}

/** Serves through a single flight (one upstream fetch for any number of concurrent clients). */
async function serveFlight(ctx: ProxyContext, store: CacheStore, options: ServeCachedOptions, url: URL, rec: Recorder, opened: IncomingMessage | null, fetchOptions: FetchOptions = {}): Promise<ServeOutcome> {
  const { req, res } = options;
  const flight = flightsFor(store).fetch(options.key, async () => toFlightResponse(opened ?? (await openForFlight(options, url, null)), options, url), fetchOptions);
  if (opened && !flight.leader) opened.destroy(); // another request is already fetching it
  let response;
  try {
    response = await flight.response;
  } catch (error) {
    return failedFlight(ctx, store, options, url, rec, error as Error, flight.leader);
  }
  // A follower never caused an upstream fetch: for the ledger it was served from offgrid's
  // cache (the entry still being written), so it is a hit; only the leader is a miss.
  if (opened && response.from === 'cache') opened.destroy();
  const status: CacheStatus = response.from === 'upstream' && flight.leader ? 'miss' : 'hit';
  const headers = headersFor({ metadata: response.metadata, size: response.size }, options, status);
  if (req.method === 'HEAD') {
    res.writeHead(200, headers);
    res.end();
    return status;
  }
  try {
    // The response ends at the verified last byte; the entry is committed meanwhile (a
    // request arriving before that waits for it: see `settling` in serveCached).
    // Recorded once the bytes are verified, before the last one is released: a session
    // whose client has everything already has the record (the commit may still be running).
    const recorded = flight.verified.then((content) => rec.download(status, content.size, content.sha256));
    recorded.catch(() => {}); // a failed transfer is reported below, from the body's error
    const body = await flight.body({ endWhenVerified: true });
    res.writeHead(200, headers);
    await sendBody(body, res);
    await recorded;
    await flight.done;
    return status;
  } catch (error) {
    const message = (error as Error).message;
    ctx.log.warn(`download of ${url.href} failed: ${message}`);
    if (flight.leader) rec.attempt(`upstream transfer failed, nothing stored: ${message}`);
    if (!res.headersSent) sendText(res, 502, `offgrid: the upstream transfer failed and nothing was stored: ${message}`, status);
    else res.destroy();
    return 'error';
  }
}

async function failedFlight(ctx: ProxyContext, store: CacheStore, options: ServeCachedOptions, url: URL, rec: Recorder, error: Error, leader: boolean): Promise<ServeOutcome> {
  const { res } = options;
  if (error instanceof UncacheableResponse) {
    if (leader) {
      ctx.log.debug(`${url.href}: ${error.message}`);
      await relay(error.response, options, rec, 'miss');
      return 'passthrough';
    }
    // Only the leader holds that response; fetch our own copy, not stored either.
    return passThrough(options, url, rec);
  }
  if (error instanceof UpstreamStatusError) {
    if (leader && error.response) {
      await relay(error.response, options, rec, 'miss');
    } else {
      sendText(res, error.status, `offgrid: ${error.message}`, 'miss');
    }
    rec.attempt(`upstream answered ${error.status}`);
    return 'error';
  }
  ctx.log.warn(`fetching ${url.href} failed: ${error.message}`);
  rec.attempt(`upstream request failed: ${error.message}`);
  sendText(res, 502, `offgrid: could not fetch ${url.href}: ${error.message}`, 'miss');
  return 'error';
}

async function passThrough(options: ServeCachedOptions, url: URL, rec: Recorder): Promise<ServeOutcome> {
  const headers = upstreamRequestHeaders(options.req, options.upstreamHeaders);
  const range = options.req.headers.range;
  if (range) headers.range = range;
  try {
    const response = await openUpstream(options, url, { headers, method: options.req.method === 'HEAD' ? 'HEAD' : 'GET' });
    await relay(response, options, rec, 'miss');
    return 'passthrough';
  } catch (error) {
    rec.attempt(`upstream request failed: ${(error as Error).message}`);
    sendText(options.res, 502, `offgrid: could not fetch ${url.href}: ${(error as Error).message}`, 'miss');
    return 'error';
  }
}

function conditionalHeaders(entry: CacheEntry): OutgoingHttpHeaders | null {
  const headers: OutgoingHttpHeaders = {};
  if (typeof entry.metadata.etag === 'string') headers['if-none-match'] = entry.metadata.etag;
  if (typeof entry.metadata.last_modified === 'string') headers['if-modified-since'] = entry.metadata.last_modified;
  return Object.keys(headers).length > 0 ? headers : null;
}

/**
 * Serves one artifact or index file through the cache. Never throws for network or cache
 * failures: the client gets an answer (or a destroyed socket mid-body) and the ledger an event.
 */
export async function serveCached(ctx: ProxyContext, store: CacheStore, options: ServeCachedOptions): Promise<ServeOutcome> {
  const rec = new Recorder(ctx, options);
  const url = options.url instanceof URL ? options.url : new URL(options.url);
  const { req } = options;

  // RFC 9111 §3.3/§3.4: a cache may store partial (206) content only if it can combine it;
  // we never do, so a Range request passes through and nothing is stored.
  if (req.headers.range) {
    if (ctx.offline) return offlineMiss(options, rec);
    return passThrough(options, url, rec);
  }

  // A download whose client already has every byte may still be committing: wait for its
  // entry, so a client's next request sees what the previous one stored.
  const flights = flightsFor(store);
  const settling = flights.settling(options.key);
  if (settling) await settling.catch(() => null);

  for (let attempt = 0; attempt < 2; attempt++) {
    const missedAt = flights.commits;
    const entry = store.remembered(options.key)?.entry ?? (await store.get(options.key));
    if (entry && (options.immutable || ctx.offline || isHeuristicallyFresh(entry, options, ctx.clock.now().getTime()))) {
      // RFC 9111 §4.2: an immutable file is fresh forever; offline, a stale index file is
      // what we have (RFC 9111 §4.2.4: serving stale is allowed when disconnected); an apt
      // index file without validators is fresh for a while (§4.2.2, isHeuristicallyFresh).
      if (await serveEntry(ctx, store, entry, options, 'hit', rec)) return 'hit';
      continue; // content vanished: a miss after all
    }
    if (ctx.offline) return offlineMiss(options, rec);
    if (entry) return revalidate(ctx, store, entry, options, url, rec);
    return serveFlight(ctx, store, options, url, rec, null, { missedAt });
  }
  if (ctx.offline) return offlineMiss(options, rec);
  return serveFlight(ctx, store, options, url, rec, null);
}

/**
 * A hit and nothing else, for a hit worker (hit-worker.ts): serves the stored entry when it
 * needs no word from the upstream (an immutable file; anything, offline) and returns true.
 * Otherwise returns false with nothing sent, and the worker passes the request on to the
 * main process, which alone fetches, revalidates and stores.
 */
export async function serveStoredHit(ctx: ProxyContext, store: CacheStore, options: ServeCachedOptions): Promise<boolean> {
  if (options.req.headers.range) return false;
  const entry = store.remembered(options.key)?.entry ?? (await store.get(options.key));
  if (!entry || !(options.immutable || ctx.offline)) return false;
  return serveEntry(ctx, store, entry, options, 'hit', new Recorder(ctx, options));
}

function offlineMiss(options: ServeCachedOptions, rec: Recorder): ServeOutcome {
  rec.attempt('offline: not in the cache');
  sendText(
    options.res,
    options.errorStatus ?? 503,
    `offgrid: offline mode and ${String(options.url)} is not in the cache. ` +
      'Run the build once online (offgrid run) to cache it, or import it into the cache.',
    'offline-miss',
  );
  return 'offline-miss';
}

/** RFC 9111 §4.3: validate a stored mutable response with the upstream (ETag / Last-Modified). */
async function revalidate(ctx: ProxyContext, store: CacheStore, entry: CacheEntry, options: ServeCachedOptions, url: URL, rec: Recorder): Promise<ServeOutcome> {
  let response: IncomingMessage;
  try {
    response = await openForFlight(options, url, conditionalHeaders(entry));
  } catch (error) {
    // RFC 9111 §4.2.4 (and RFC 5861 stale-if-error): the upstream is unreachable, so serve
    // what we have rather than fail the build.
    ctx.log.warn(`revalidating ${url.href} failed (${(error as Error).message}); serving the cached copy`);
    return (await serveEntry(ctx, store, entry, options, 'hit', rec)) ? 'hit' : serveFlight(ctx, store, options, url, rec, null);
  }
  const code = response.statusCode ?? 502;
  if (code === 304) {
    response.resume();
    // RFC 9111 §4.3.4: a 304 freshens the stored response; its content is unchanged.
    if (await serveEntry(ctx, store, entry, options, 'revalidated', rec)) return 'revalidated';
    return serveFlight(ctx, store, options, url, rec, null);
  }
  if (code >= 500) {
    response.resume();
    ctx.log.warn(`revalidating ${url.href}: upstream answered ${code}; serving the cached copy`);
    return (await serveEntry(ctx, store, entry, options, 'hit', rec)) ? 'hit' : serveFlight(ctx, store, options, url, rec, null);
  }
  if (code === 200) {
    // Changed upstream: the flight stores the new content without a look at the old entry,
    // which keeps serving (offline, or if this download fails) until the new one replaces it.
    return serveFlight(ctx, store, options, url, rec, response, { skipStoreCheck: true });
  }
  await relay(response, options, rec, 'miss');
  rec.attempt(`upstream answered ${code}`);
  return 'error';
}
