// One packument through the cache. Packuments change (a new version), so online they are
// revalidated with the registry each time (ETag / Last-Modified); offline the cached copy
// is served. Full and abbreviated ("corgi") packuments are cached apart; offline, a full
// one also answers an abbreviated request (it is a superset).
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { type CacheEntry, type CacheStore } from '../../cache/index.js';
import { redact } from '../../redact.js';
import type { CacheStatus } from '../../ledger/schema.js';
import { requestUpstream } from './cached-fetch.js';
import { packumentPath } from './npm-rewrite.js';
import { splitCredentials } from './pypi-pages.js';
import { decodeUtf8 } from './utf8.js';

export const ABBREVIATED = 'application/vnd.npm.install-v1+json';
const MAX_PACKUMENT_BYTES = 256 * 1024 * 1024;

export type PackumentResult =
  | { readonly type: 'packument'; readonly doc: unknown; readonly status: CacheStatus; readonly size: number; readonly sha256: string; readonly url: string; readonly contentType: string }
  | { readonly type: 'absent'; readonly url: string; readonly status: number }
  | { readonly type: 'unavailable'; readonly url: string; readonly error: string };

export interface PackumentOptions {
  readonly store: CacheStore;
  readonly offline: boolean;
  readonly abbreviated: boolean;
  readonly headers: OutgoingHttpHeaders;
  readonly onStale?: (url: string, error: string) => void;
}

const keyFor = (url: URL, abbreviated: boolean): string => `npm:packument:v1:${abbreviated ? 'abbreviated' : 'full'}:${redact(url.href)}`;

async function readAll(stream: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > limit) throw new Error(`packument larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const brotli = promisify(zlib.brotliDecompress);

/**
 * The body without its Content-Encoding. We ask for `identity`, but registries and their
 * CDNs have sent large packuments gzip'd whatever the request said (npm/npm#12205).
 */
async function decode(body: Buffer, encoding: string | null): Promise<Buffer> {
  const coding = (encoding ?? 'identity').trim().toLowerCase();
  const limit = { maxOutputLength: MAX_PACKUMENT_BYTES };
  if (coding === 'identity' || coding === '') return body;
  if (coding === 'gzip' || coding === 'x-gzip') return gunzip(body, limit);
  if (coding === 'deflate') return inflate(body, limit);
  if (coding === 'br') return brotli(body, limit);
  throw new Error(`packument sent with Content-Encoding ${coding}, which offgrid cannot decode`);
}

async function readEntry(store: CacheStore, entry: CacheEntry): Promise<unknown> {
  const stream = await store.open(entry);
  return stream ? JSON.parse(decodeUtf8(await readAll(stream, MAX_PACKUMENT_BYTES))) : null;
}

export async function loadPackument(registry: URL, name: string, options: PackumentOptions): Promise<PackumentResult> {
  const { url: bare, authorization } = splitCredentials(registry);
  const url = new URL(packumentPath(name), bare);
  const shown = url.href;
  // Keyed by the upper-case `%2F` of earlier versions, so the packuments they cached still answer offline.
  const keyUrl = name.startsWith('@') ? new URL(name.replace('/', '%2F'), bare) : url;
  const key = keyFor(keyUrl, options.abbreviated);
  const entry = await options.store.get(key);
  const fromEntry = async (found: CacheEntry | null, status: CacheStatus): Promise<PackumentResult | null> => {
    if (!found) return null;
    const doc = await readEntry(options.store, found);
    if (doc === null) return null;
    return { type: 'packument', doc, status, size: found.size, sha256: found.sha256, url: shown, contentType: String(found.metadata.content_type ?? 'application/json') };
  };

  if (options.offline) {
    const fallback = options.abbreviated && !entry ? await options.store.get(keyFor(keyUrl, false)) : null;
    return (await fromEntry(entry ?? fallback, 'hit')) ?? { type: 'unavailable', url: shown, error: 'offline: packument not in the cache' };
  }

  const headers: OutgoingHttpHeaders = { ...options.headers, accept: options.abbreviated ? `${ABBREVIATED}; q=1.0, application/json; q=0.8` : 'application/json', 'accept-encoding': 'identity' };
  if (authorization) headers['authorization'] = authorization;
  if (entry && typeof entry.metadata.etag === 'string') headers['if-none-match'] = entry.metadata.etag;
  if (entry && typeof entry.metadata.last_modified === 'string') headers['if-modified-since'] = entry.metadata.last_modified;
  let failure: string;
  try {
    const response: IncomingMessage = await requestUpstream(url, { headers });
    const status = response.statusCode ?? 0;
    if (status === 304) {
      response.resume();
      const cached = await fromEntry(entry, 'revalidated');
      if (cached) return cached;
      failure = 'registry answered 304 but the cached packument is gone';
    } else if (status === 200) {
      const received = await readAll(response as AsyncIterable<Buffer>, MAX_PACKUMENT_BYTES);
      const declared = response.headers['content-length'];
      if (declared !== undefined && Number(declared) !== received.length) throw new Error(`packument truncated: ${received.length} of ${declared} bytes`);
      const header = (h: string) => (typeof response.headers[h] === 'string' ? (response.headers[h] as string) : null);
      const body = await decode(received, header('content-encoding'));
      const doc: unknown = JSON.parse(decodeUtf8(body));
      const contentType = String(response.headers['content-type'] ?? 'application/json');
      const writer = options.store.writer(key, { expectedSize: body.length, metadata: { kind: 'npm', url: shown, content_type: contentType, etag: header('etag'), last_modified: header('last-modified') } });
      await pipeline(Readable.from([body]), writer);
      const stored = await writer.done;
      return { type: 'packument', doc, status: 'miss', size: stored.size, sha256: stored.sha256, url: shown, contentType };
    } else if (status >= 400 && status < 500) {
      response.resume();
      return { type: 'absent', url: shown, status };
    } else {
      response.resume();
      failure = `registry answered ${status}`;
    }
  } catch (error) {
    failure = (error as Error).message;
  }
  // RFC 9111 §4.2.4: a stale packument beats a failed build while the registry is down.
  const stale = await fromEntry(entry, 'hit');
  if (stale) {
    options.onStale?.(shown, failure);
    return stale;
  }
  return { type: 'unavailable', url: shown, error: failure };
}
