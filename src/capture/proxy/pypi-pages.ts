// One upstream's project page, through the cache. Pages change (a new release), so online
// they are revalidated with the upstream every time (ETag / Last-Modified); offline the
// cached copy is served. The cache holds the page PARSED (pypi-rewrite's ProjectPage as
// JSON), so a page fetched as HTML can be served as PEP 691 JSON later and vice versa.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type CacheEntry, type CacheStore } from '../../cache/index.js';
import { redact } from '../../redact.js';
import type { CacheStatus } from '../../ledger/schema.js';
import { requestUpstreamFollowing } from './cached-fetch.js';
import { basicAuthorization } from './hosts.js';
import { decodeUtf8 } from './utf8.js';
import { PEP691_JSON, type ProjectPage, parseHtmlProjectPage, parseJsonProjectPage } from './pypi-rewrite.js';

/** Larger than any real project page (PyPI's biggest JSON pages are tens of MB). */
const MAX_PAGE_BYTES = 128 * 1024 * 1024;
const UPSTREAM_ACCEPT = `${PEP691_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1`;

export type PageResult =
  | { readonly type: 'page'; readonly page: ProjectPage; readonly status: CacheStatus; readonly size: number; readonly sha256: string; readonly url: string }
  /** The upstream says it has no such project (404/410). */
  | { readonly type: 'absent'; readonly url: string }
  /** No answer and no cached copy (offline, or the upstream failed). */
  | { readonly type: 'unavailable'; readonly url: string; readonly error: string };

export interface PageFetchOptions {
  readonly store: CacheStore;
  readonly offline: boolean;
  readonly userAgent: string | undefined;
  /** Called when a cached copy is served because the upstream failed (stale-if-error). */
  readonly onStale?: (url: string, error: string) => void;
}

/** The upstream URL without user and password, plus the Authorization they imply. */
export function splitCredentials(url: URL): { url: URL; authorization: string | null } {
  if (!url.username && !url.password) return { url, authorization: null };
  const bare = new URL(url.href);
  bare.username = '';
  bare.password = '';
  return { url: bare, authorization: basicAuthorization(url) };
}

export function projectPageUrl(upstream: URL, project: string): URL {
  return new URL(`${encodeURIComponent(project)}/`, upstream);
}

function pageKey(pageUrl: URL): string {
  return `pypi:page:v1:${redact(pageUrl.href)}`;
}

async function readBody(response: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_PAGE_BYTES) {
      response.destroy();
      throw new Error(`index page larger than ${MAX_PAGE_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  const declared = response.headers['content-length'];
  if (declared !== undefined && Number(declared) !== size) throw new Error(`index page truncated: ${size} of ${declared} bytes`);
  return Buffer.concat(chunks);
}

async function readCached(store: CacheStore, entry: CacheEntry): Promise<ProjectPage | null> {
  const stream = await store.open(entry);
  if (!stream) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as ProjectPage;
}

function parsePage(body: Buffer, contentType: string, pageUrl: string, project: string): ProjectPage {
  const text = decodeUtf8(body);
  const isJson = contentType.toLowerCase().includes('json');
  return isJson ? parseJsonProjectPage(text, pageUrl, project) : parseHtmlProjectPage(text, pageUrl, project);
}

/** Loads `project`'s page from one upstream (cache, revalidation, or fetch). Never throws for network failures. */
export async function loadProjectPage(upstream: URL, project: string, options: PageFetchOptions): Promise<PageResult> {
  const { url: bareUpstream, authorization } = splitCredentials(upstream);
  const pageUrl = projectPageUrl(bareUpstream, project);
  const shownUrl = pageUrl.href;
  const key = pageKey(pageUrl);
  const entry = await options.store.get(key);
  const fromCache = async (status: CacheStatus): Promise<PageResult | null> => {
    if (!entry) return null;
    const page = await readCached(options.store, entry);
    return page ? { type: 'page', page, status, size: entry.size, sha256: entry.sha256, url: shownUrl } : null;
  };

  if (options.offline) {
    return (await fromCache('hit')) ?? { type: 'unavailable', url: shownUrl, error: 'offline: index page not in the cache' };
  }

  const headers: OutgoingHttpHeaders = { accept: UPSTREAM_ACCEPT, 'accept-encoding': 'identity' };
  if (options.userAgent) headers['user-agent'] = options.userAgent;
  if (authorization) headers['authorization'] = authorization;
  if (entry && typeof entry.metadata.etag === 'string') headers['if-none-match'] = entry.metadata.etag;
  if (entry && typeof entry.metadata.last_modified === 'string') headers['if-modified-since'] = entry.metadata.last_modified;

  let failure: string;
  try {
    const { response, url: finalUrl } = await requestUpstreamFollowing(pageUrl, { headers });
    const status = response.statusCode ?? 0;
    if (status === 304) {
      response.resume();
      const cached = await fromCache('revalidated');
      if (cached) return cached;
      failure = 'upstream answered 304 but the cached page is gone';
    } else if (status === 404 || status === 410) {
      response.resume();
      return { type: 'absent', url: shownUrl };
    } else if (status === 200) {
      const body = await readBody(response);
      const page = parsePage(body, String(response.headers['content-type'] ?? ''), finalUrl.href, project);
      const stored = await storePage(options.store, key, page, response, shownUrl);
      return { type: 'page', page, status: 'miss', size: stored.size, sha256: stored.sha256, url: shownUrl };
    } else {
      response.resume();
      // Private indexes answer 401/403 when a token has expired (CodeArtifact's last 12 hours).
      failure =
        status === 401 || status === 403
          ? `upstream answered ${status}: it refused the credentials${authorization ? ' in the index URL (expired or wrong?)' : ' (the index URL carries none)'}`
          : `upstream answered ${status}`;
    }
  } catch (error) {
    failure = (error as Error).message;
  }
  // RFC 9111 §4.2.4: serving a stale page beats failing the build when the upstream is down.
  const stale = await fromCache('hit');
  if (stale) {
    options.onStale?.(shownUrl, failure);
    return stale;
  }
  return { type: 'unavailable', url: shownUrl, error: failure };
}

async function storePage(store: CacheStore, key: string, page: ProjectPage, response: IncomingMessage, url: string): Promise<CacheEntry> {
  const text = Buffer.from(JSON.stringify(page));
  const header = (name: string): string | null => {
    const value = response.headers[name];
    return typeof value === 'string' ? value : null;
  };
  const writer = store.writer(key, {
    expectedSize: text.length,
    metadata: { kind: 'wheel', url, content_type: 'application/json', etag: header('etag'), last_modified: header('last-modified') },
  });
  await pipeline(Readable.from([text]), writer);
  return writer.done;
}
