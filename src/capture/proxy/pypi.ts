// The PyPI mirror: `/pypi/simple/<project>/` merges the project's pages from every
// upstream (index, then extra indexes) and serves them as PEP 503 HTML or PEP 691 JSON;
// every file link points at `/pypi/files/<upstream-no>/<scheme>/<host>/<path>`, which
// serves the file through the cache (serveCached), checked against the upstream's sha256.
//
// Not an open proxy: a file URL is fetched only if an upstream page listed it. The proxy
// remembers the links of the pages it served; after a restart it re-reads the project's
// page (named by the wheel or sdist file name) to find the link again.
//
// When no upstream page is at hand (offline without a cached page, an upstream without the
// project or unreachable), the page is made from the wheels and sdists the cache holds under
// any key (pypi-local.ts): an imported wheelhouse serves offline like a warmed cache.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CacheStore } from '../../cache/index.js';
import type { CacheStatus } from '../../ledger/schema.js';
import { isoLocal } from '../../session/time.js';
import { downloadEvent, networkAttemptEvent } from '../events.js';
import { indexDocumentEvent } from './index-event.js';
import { CACHE_HEADER, ifNoneMatchHolds, sendError, serveCached, toolFromUserAgent } from './cached-fetch.js';
import { type PageResult, loadProjectPage, splitCredentials } from './pypi-pages.js';
import { type LocalDist, LOCAL_FILES_PREFIX, LocalDists, localFilePath, localIndexFile, parseLocalFilePath } from './pypi-local.js';
import {
  type IndexFile,
  type RenderedFile,
  distFromFilename,
  fileLinkPath,
  linkIdentity,
  linkLookupKey,
  mergePages,
  negotiatePageFormat,
  normalizeProjectName,
  parseFileLinkPath,
  renderHtmlPage,
  renderJsonPage,
  renderProjectList,
} from './pypi-rewrite.js';
import type { ProxyContext, ProxyRoute } from './types.js';
import { BoundedMap } from '../../bounded-map.js';
import type { DeclaredDigest } from '../../cache/index.js';

/** Links remembered between a page and its file requests; older ones are re-found from the page. */
const MAX_REMEMBERED_LINKS = 200_000;
const PROJECT_NAME = /^[A-Za-z0-9._-]{1,200}$/;

interface KnownLink {
  readonly file: IndexFile;
  readonly project: string;
}

class LinkRegistry {
  private readonly links = new BoundedMap<string, KnownLink>(MAX_REMEMBERED_LINKS);

  add(upstreamNo: number, project: string, files: readonly IndexFile[]): void {
    for (const file of files) this.links.set(`${upstreamNo} ${linkLookupKey(file.url)}`, { file, project });
  }

  get(upstreamNo: number, identity: string): KnownLink | undefined {
    return this.links.get(`${upstreamNo} ${linkLookupKey(identity)}`);
  }
}

/** The `/pypi/` route, serving files and pages through `store` (default: the server's `ctx.cache`). */
export function pypiRoute(storeOverride?: CacheStore): ProxyRoute {
  const links = new LinkRegistry();
  const localByStore = new WeakMap<CacheStore, LocalDists>();
  const localOf = (store: CacheStore) => {
    let local = localByStore.get(store);
    if (!local) localByStore.set(store, (local = new LocalDists(store)));
    return local;
  };
  return async (req, res, ctx) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path !== '/pypi' && !path.startsWith('/pypi/')) return false;
    const store = storeOverride ?? ctx.cache;
    if (!store) throw new Error('the PyPI mirror needs a cache: pass one to pypiRoute() or set ProxyContext.cache');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendError(res, 405, 'offgrid: the PyPI mirror only answers GET and HEAD');
      return true;
    }
    if (path === '/pypi' || path === '/pypi/' || path === '/pypi/simple' || path === '/pypi/simple/') {
      await serveRoot(req, res);
      return true;
    }
    const project = /^\/pypi\/simple\/([^/]+)(\/?)$/.exec(path);
    if (project) {
      await serveProject(req, res, ctx, store, links, localOf(store), project[1]!, project[2] === '/');
      return true;
    }
    if (path.startsWith(LOCAL_FILES_PREFIX)) {
      await serveLocalFile(req, res, ctx, store, localOf(store), path);
      return true;
    }
    if (path.startsWith('/pypi/files/')) {
      await serveFile(req, res, ctx, store, links, path);
      return true;
    }
    sendError(res, 404, `offgrid: no such PyPI mirror path: ${path.slice(0, 200)}`);
    return true;
  };
}


/** The whole answer's status: any upstream fetch makes it a miss; else revalidated, else hit. */
function combinedStatus(statuses: readonly CacheStatus[]): CacheStatus {
  if (statuses.includes('miss')) return 'miss';
  if (statuses.includes('revalidated')) return 'revalidated';
  return 'hit';
}

function sendWithReason(res: ServerResponse, status: number, reason: string, body: string, cacheStatus: CacheStatus | null): void {
  // pip shows the reason phrase of a failed request ("404 Client Error: <reason> for url"),
  // so the explanation goes there too, not only in the body. No CR/LF can reach it.
  res.statusMessage = reason.replace(/[^\x20-\x7e]/g, ' ').slice(0, 200);
  sendError(res, status, body, cacheStatus);
}

async function serveProject(req: IncomingMessage, res: ServerResponse, ctx: ProxyContext, store: CacheStore, links: LinkRegistry, local: LocalDists, rawName: string, trailingSlash: boolean): Promise<void> {
  let asked: string;
  try {
    asked = decodeURIComponent(rawName);
  } catch {
    asked = '';
  }
  if (!PROJECT_NAME.test(asked)) {
    sendError(res, 404, 'offgrid: not a valid project name');
    return;
  }
  const project = normalizeProjectName(asked);
  if (project !== asked || !trailingSlash) {
    // PEP 503: a repository may redirect any non-normalised URL to the normalised one.
    res.writeHead(301, { location: `/pypi/simple/${project}/`, 'content-length': '0' }).end();
    return;
  }
  const format = negotiatePageFormat(req.headers.accept);
  if (format === null) {
    sendError(res, 406, 'offgrid: acceptable types are application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html and text/html');
    return;
  }
  const upstreams = ctx.upstreams.pypi;
  const tool = toolFromUserAgent(req.headers['user-agent']);
  const started = performance.now();
  const results = await Promise.all(
    upstreams.map((upstream) =>
      loadProjectPage(upstream, project, {
        store,
        offline: ctx.offline,
        userAgent: req.headers['user-agent'],
        onStale: (url, error) => ctx.log.warn(`${url}: ${error}; serving the cached index page`),
      }),
    ),
  );
  const pages: { page: Extract<PageResult, { type: 'page' }>['page']; upstreamNo: number; status: CacheStatus }[] = [];
  results.forEach((result, upstreamNo) => {
    if (result.type === 'page') {
      ctx.record(indexDocumentEvent(ctx, { kind: 'wheel', tool, name: project, document: result, startedAt: started }));
      links.add(upstreamNo, project, result.page.files);
      pages.push({ page: result.page, upstreamNo, status: result.status });
    }
  });
  // Cached files stand in when no upstream page is at hand; offline they add what the
  // cached pages do not list (an imported wheelhouse beside a warmed cache).
  const listed = new Set(pages.flatMap((p) => p.page.files.map((f) => f.filename)));
  const localFiles = ctx.offline || pages.length === 0 ? (await local.forProject(project)).filter((d) => !listed.has(d.filename)) : [];
  // Offline, a missing page that the cache answered anyway was no attempt to reach the network.
  if (!(ctx.offline && localFiles.length > 0)) {
    for (const result of results) {
      if (result.type === 'unavailable') ctx.record(networkAttemptEvent({ tool, url_or_host: result.url, error: result.error, evidence: 'proxy', timestamp: isoLocal(ctx.clock.now()) }));
    }
  }

  if (pages.length === 0 && localFiles.length === 0) {
    if (upstreams.length === 0) {
      sendWithReason(res, 404, 'Not Found (offgrid has no PyPI upstream)', `offgrid: no PyPI upstream is configured (pip has no http(s) index and no --pypi-upstream was given) and the cache holds no file of '${project}'`, null);
      return;
    }
    const failures = results.filter((r): r is Extract<PageResult, { type: 'unavailable' }> => r.type === 'unavailable');
    if (ctx.offline) {
      sendWithReason(
        res,
        404,
        `Not Found (offgrid offline: no cached index page for ${project})`,
        `offgrid: offline mode and the index page of '${project}' is not in the cache. ` +
          'Run the build once online (offgrid run) so offgrid caches it.',
        'offline-miss',
      );
    } else if (failures.length > 0) {
      sendWithReason(res, 502, `Bad Gateway (offgrid: the PyPI upstream failed: ${failures[0]!.error})`, `offgrid: no upstream answered for '${project}': ${failures.map((f) => `${f.url}: ${f.error}`).join('; ')}`, 'miss');
    } else {
      sendWithReason(res, 404, 'Not Found', `offgrid: '${project}' is not on any configured PyPI upstream`, 'miss');
    }
    return;
  }

  const merged = mergePages(project, pages);
  const rendered: RenderedFile[] = [
    ...merged.files.map(({ file, source }) => ({ file, href: fileLinkPath(source.upstreamNo, file.url) })),
    ...localFiles.map((dist) => ({ file: localIndexFile(dist, localFilePath(dist)), href: localFilePath(dist) })),
  ];
  const body = Buffer.from(format.format === 'json' ? renderJsonPage(project, rendered) : renderHtmlPage(project, rendered));
  const etag = `"${createHash('sha256').update(body).digest('hex')}"`;
  if (pages.length === 0) ctx.record(localPageEvent(ctx, tool, project, body, etag.slice(1, -1), started));
  const headers = {
    'content-type': format.contentType,
    // Pages change; pip's HTTP cache must ask again (and gets a cheap 304 while unchanged).
    'cache-control': 'max-age=0, must-revalidate',
    vary: 'Accept',
    etag,
    [CACHE_HEADER]: combinedStatus(pages.map((p) => p.status)),
  };
  if (ifNoneMatchHolds(req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** The ledger's record of a page made from cached files. */
function localPageEvent(ctx: ProxyContext, tool: string, project: string, body: Buffer, sha256: string, started: number) {
  return downloadEvent({
    kind: 'wheel',
    tool,
    name: project,
    source: `${ctx.publicUrl()}/pypi/simple/${project}/`,
    size: body.length,
    sha256,
    cached: true,
    index: true,
    duration_ms: Math.round(performance.now() - started),
    evidence: 'proxy',
    cache_status: 'hit',
    timestamp: isoLocal(ctx.clock.now()),
  });
}

/** A file of a page made from the cache: served from the cache only, never fetched. */
async function serveLocalFile(req: IncomingMessage, res: ServerResponse, ctx: ProxyContext, store: CacheStore, local: LocalDists, path: string): Promise<void> {
  const wanted = parseLocalFilePath(path);
  const dist: LocalDist | null = wanted ? await local.find(wanted.sha256, wanted.filename) : null;
  const entry = dist ? await store.get(dist.key) : null;
  if (!dist || !entry || entry.sha256 !== dist.sha256) {
    sendWithReason(res, 404, 'Not Found (offgrid: not in the cache)', `offgrid: the cache holds no ${wanted ? `${wanted.filename} with sha256 ${wanted.sha256}` : 'such file'}; reload the project page`, 'offline-miss');
    return;
  }
  // Never the network: the file is in the cache or nowhere.
  const cacheOnly: ProxyContext = Object.create(ctx, { offline: { value: true } }) as ProxyContext;
  await serveCached(cacheOnly, store, {
    key: dist.key,
    url: dist.url ?? `${ctx.publicUrl()}${path}`,
    kind: dist.kind,
    name: dist.project,
    version: dist.version,
    filename: dist.filename,
    expectedSha256: dist.sha256,
    immutable: true,
    req,
    res,
    errorStatus: 404,
  });
}

async function findLink(ctx: ProxyContext, store: CacheStore, links: LinkRegistry, upstreamNo: number, identity: string, userAgent: string | undefined): Promise<KnownLink | undefined> {
  const known = links.get(upstreamNo, identity);
  if (known) return known;
  // Not seen in this process: re-read the page of the project the file name names.
  const filename = decodeURIComponent(identity.split('/').pop() ?? '').replace(/\.metadata$/, '');
  const dist = distFromFilename(filename);
  const upstream = ctx.upstreams.pypi[upstreamNo];
  if (!dist || !upstream) return undefined;
  const result = await loadProjectPage(upstream, dist.name, { store, offline: ctx.offline, userAgent });
  if (result.type === 'page') links.add(upstreamNo, dist.name, result.page.files);
  return links.get(upstreamNo, identity);
}

async function serveFile(req: IncomingMessage, res: ServerResponse, ctx: ProxyContext, store: CacheStore, links: LinkRegistry, path: string): Promise<void> {
  const parsed = parseFileLinkPath(path);
  const upstream = parsed ? ctx.upstreams.pypi[parsed.upstreamNo] : undefined;
  if (!parsed || !upstream) {
    sendError(res, 404, 'offgrid: not a PyPI mirror file path');
    return;
  }
  const identity = linkIdentity(parsed.url);
  const isMetadata = identity.endsWith('.metadata');
  let link = await findLink(ctx, store, links, parsed.upstreamNo, identity, req.headers['user-agent']);
  let expectedSha256: string | null = link?.file.hashes['sha256'] ?? null;
  if (!link && isMetadata) {
    // PEP 658: `<file>.metadata` exists when the page said so for `<file>`.
    const base = await findLink(ctx, store, links, parsed.upstreamNo, identity.slice(0, -'.metadata'.length), req.headers['user-agent']);
    if (base && base.file.coreMetadata !== false) {
      link = { project: base.project, file: { ...base.file, url: `${base.file.url}.metadata`, filename: `${base.file.filename}.metadata` } };
      expectedSha256 = typeof base.file.coreMetadata === 'object' ? (base.file.coreMetadata['sha256'] ?? null) : null;
    }
  }
  if (!link) {
    if (ctx.offline) {
      ctx.record(networkAttemptEvent({ tool: toolFromUserAgent(req.headers['user-agent']), url_or_host: parsed.url, error: 'offline: not in the cache', evidence: 'proxy', timestamp: isoLocal(ctx.clock.now()) }));
      sendWithReason(res, 404, 'Not Found (offgrid offline: file not cached)', `offgrid: offline mode and ${parsed.url} is not in the cache. Run the build once online (offgrid run) so offgrid caches it.`, 'offline-miss');
    } else {
      sendError(res, 404, `offgrid: ${parsed.url} is not listed on any index page of upstream #${parsed.upstreamNo}; the mirror only fetches listed files`);
    }
    return;
  }
  const { url: bareUpstream, authorization } = splitCredentials(upstream);
  const fileUrl = new URL(link.file.url);
  const dist = distFromFilename(link.file.filename);
  // Keyed by the link as the page wrote it, not as this client re-quoted it: one copy per file.
  const key = `pypi:file:${linkIdentity(link.file.url)}`;
  if (ctx.offline && !(await store.get(key))) res.statusMessage = 'Not Found (offgrid offline: file not cached)';
  await serveCached(ctx, store, {
    key,
    url: fileUrl,
    kind: isMetadata ? 'wheel' : (dist?.kind ?? 'file'),
    name: dist?.name ?? link.project,
    version: dist?.version ?? null,
    filename: link.file.filename,
    expectedSha256,
    declaredDigest: expectedSha256 === null && !isMetadata ? otherDigest(link.file.hashes) : null,
    immutable: true,
    index: isMetadata,
    req,
    res,
    errorStatus: 404,
    followRedirects: true,
    // pip sends an index's credentials to files on the same host, and only there.
    upstreamHeaders: authorization && fileUrl.host === bareUpstream.host ? { authorization } : {},
  });
}

/** Hashes pip checks (hashlib's guaranteed ones) that the cache does not check while storing. */
const OTHER_ALGORITHMS = ['sha512', 'sha384', 'sha224', 'sha1', 'md5'];

/**
 * The digest a link declares when it declares no sha256: index servers and generators that
 * predate sha256 fragments write `#md5=` or `#sha1=`. Checked while the file is stored.
 */
function otherDigest(hashes: Readonly<Record<string, string>>): DeclaredDigest | null {
  for (const algorithm of OTHER_ALGORITHMS) {
    const digest = hashes[algorithm];
    if (digest) return { algorithm, digests: [digest], encoding: 'hex' };
  }
  return null;
}

async function serveRoot(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const format = negotiatePageFormat(req.headers.accept) ?? { format: 'html' as const, contentType: 'text/html; charset=utf-8' };
  // The full project list of a public index is tens of MB and no installer reads it; the
  // root page only tells a person where they are.
  const body = renderProjectList([], format.format);
  res.writeHead(200, { 'content-type': format.contentType, 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store', vary: 'Accept' });
  res.end(req.method === 'HEAD' ? undefined : body);
}
