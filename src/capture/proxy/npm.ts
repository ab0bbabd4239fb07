// The npm mirror at `/npm/`: packuments (full and abbreviated) with every tarball URL
// rewritten to come back through the proxy, and tarballs served through the cache.
// Point npm at it with `npm_config_registry=http://127.0.0.1:PORT/npm/`.
//
// Not an open proxy: a tarball is fetched only if the package's packument lists it.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CacheStore } from '../../cache/index.js';
import { isoLocal } from '../../session/time.js';
import { networkAttemptEvent } from '../events.js';
import { indexDocumentEvent } from './index-event.js';
import { CACHE_HEADER, ifNoneMatchHolds, sendError, serveCached, toolFromUserAgent } from './cached-fetch.js';
import { ABBREVIATED, loadPackument } from './npm-packuments.js';
import { type TarballLink, baseFromHost, parseIntegrity, parseNpmPath, rewritePackument, sha256FromIntegrity, tarballLinks } from './npm-rewrite.js';
import { splitCredentials } from './pypi-pages.js';
import type { ProxyContext, ProxyRoute } from './types.js';
import { BoundedMap } from '../../bounded-map.js';
import type { DeclaredDigest } from '../../cache/index.js';

const MAX_REMEMBERED_TARBALLS = 200_000;

class TarballRegistry {
  private readonly links = new BoundedMap<string, TarballLink>(MAX_REMEMBERED_TARBALLS);

  add(links: readonly TarballLink[]): void {
    for (const link of links) this.links.set(`${link.name} ${link.file}`, link);
  }

  get(name: string, file: string): TarballLink | undefined {
    return this.links.get(`${name} ${file}`);
  }
}

/** The `/npm/` route (default cache: the server's `ctx.cache`). */
export function npmRoute(storeOverride?: CacheStore): ProxyRoute {
  const tarballs = new TarballRegistry();
  return async (req, res, ctx) => {
    const path = req.url ?? '/';
    const parsed = parseNpmPath(path);
    const underMirror = path === '/npm' || path.startsWith('/npm/');
    if (!parsed && !underMirror) return false;
    const store = storeOverride ?? ctx.cache;
    if (!store) throw new Error('the npm mirror needs a cache: pass one to npmRoute() or set ProxyContext.cache');
    if (!parsed) {
      // `/npm/-/…`: audit, ping, search. Not mirrored; npm carries on without them.
      sendError(res, 404, `offgrid: ${path.split('?')[0]!.slice(0, 200)} is not mirrored (only packuments and tarballs are)`);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendError(res, 405, 'offgrid: the npm mirror only answers GET and HEAD');
      return true;
    }
    if (!ctx.upstreams.npm) {
      sendError(res, 502, 'offgrid: no npm registry is configured (npm has no registry setting and no --npm-upstream was given)');
      return true;
    }
    if (parsed.type === 'packument') await servePackument(req, res, ctx, store, tarballs, ctx.upstreams.npm, parsed.name);
    else await serveTarball(req, res, ctx, store, tarballs, ctx.upstreams.npm, parsed.name, parsed.file);
    return true;
  };
}

function upstreamHeaders(req: IncomingMessage, ctx: ProxyContext): Record<string, string> {
  const headers: Record<string, string> = {};
  // The registry's own credentials, as the user's npm would send them (a URL's win, in loadPackument).
  if (ctx.upstreams.npmAuthorization) headers['authorization'] = ctx.upstreams.npmAuthorization;
  for (const name of ['user-agent', 'npm-command', 'npm-session', 'npm-auth-type']) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

async function servePackument(req: IncomingMessage, res: ServerResponse, ctx: ProxyContext, store: CacheStore, tarballs: TarballRegistry, registry: URL, name: string): Promise<void> {
  const tool = toolFromUserAgent(req.headers['user-agent']);
  const started = performance.now();
  const abbreviated = (req.headers.accept ?? '').includes(ABBREVIATED);
  const result = await loadPackument(registry, name, {
    store,
    offline: ctx.offline,
    abbreviated,
    headers: upstreamHeaders(req, ctx),
    onStale: (url, error) => ctx.log.warn(`${url}: ${error}; serving the cached packument`),
  });
  const timestamp = isoLocal(ctx.clock.now());
  if (result.type === 'unavailable') {
    ctx.record(networkAttemptEvent({ tool, url_or_host: result.url, error: result.error, evidence: 'proxy', timestamp }));
    if (ctx.offline) sendError(res, 404, `offgrid: offline mode and the packument of '${name}' is not in the cache. Run the build once online (offgrid run) so offgrid caches it.`, 'offline-miss');
    else sendError(res, 502, `offgrid: the npm registry did not answer for '${name}': ${result.error}`, 'miss');
    return;
  }
  if (result.type === 'absent') {
    sendError(res, result.status, `offgrid: the npm registry answered ${result.status} for '${name}'`, 'miss');
    return;
  }
  ctx.record(indexDocumentEvent(ctx, { kind: 'npm', tool, name, document: result, startedAt: started }));
  tarballs.add(tarballLinks(name, result.doc));
  const base = baseFromHost(req.headers.host) ?? ctx.publicUrl();
  const body = Buffer.from(JSON.stringify(rewritePackument(name, result.doc, base)));
  const etag = `"${createHash('sha256').update(body).digest('hex')}"`;
  const headers = { 'content-type': result.contentType, 'cache-control': 'max-age=0, must-revalidate', vary: 'Accept, Host', etag, [CACHE_HEADER]: result.status };
  if (ifNoneMatchHolds(req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function findTarball(ctx: ProxyContext, store: CacheStore, tarballs: TarballRegistry, registry: URL, name: string, file: string, req: IncomingMessage): Promise<TarballLink | undefined> {
  const known = tarballs.get(name, file);
  if (known) return known;
  // Not seen in this process (a restart, or `npm ci` from a lockfile): read the packument.
  for (const abbreviated of [true, false]) {
    const result = await loadPackument(registry, name, { store, offline: ctx.offline, abbreviated, headers: upstreamHeaders(req, ctx) });
    if (result.type === 'packument') {
      tarballs.add(tarballLinks(name, result.doc));
      const found = tarballs.get(name, file);
      if (found) return found;
    }
  }
  return undefined;
}

async function serveTarball(req: IncomingMessage, res: ServerResponse, ctx: ProxyContext, store: CacheStore, tarballs: TarballRegistry, registry: URL, name: string, file: string): Promise<void> {
  const link = await findTarball(ctx, store, tarballs, registry, name, file, req);
  if (!link) {
    if (ctx.offline) {
      ctx.record(networkAttemptEvent({ tool: toolFromUserAgent(req.headers['user-agent']), url_or_host: `${name}/-/${file}`, error: 'offline: not in the cache', evidence: 'proxy', timestamp: isoLocal(ctx.clock.now()) }));
      sendError(res, 404, `offgrid: offline mode and ${name}/-/${file} is not in the cache. Run the build once online (offgrid run) so offgrid caches it.`, 'offline-miss');
    } else {
      sendError(res, 404, `offgrid: ${file} is not a tarball the packument of '${name}' lists; the mirror only fetches listed tarballs`);
    }
    return;
  }
  const { url: bareRegistry, authorization: fromUrl } = splitCredentials(registry);
  const authorization = fromUrl ?? ctx.upstreams.npmAuthorization ?? null;
  const tarballUrl = new URL(link.url);
  tarballUrl.username = '';
  tarballUrl.password = '';
  const key = `npm:tarball:${tarballUrl.href}`;
  const expectedSha256 = sha256FromIntegrity(link.integrity);
  const declaredDigest = expectedSha256 === null ? declaredTarballDigest(link) : null;
  await serveCached(ctx, store, {
    key,
    url: tarballUrl,
    kind: 'npm',
    name,
    version: link.version,
    filename: file,
    expectedSha256,
    declaredDigest,
    // The packument (fetched with the same credentials) is cached whatever its Cache-Control; the tarballs it pins may be too.
    privateAllowed: expectedSha256 !== null || declaredDigest !== null,
    immutable: true,
    req,
    res,
    errorStatus: 404,
    followRedirects: true,
    // npm sends the registry's credentials to tarballs on the registry's host only.
    upstreamHeaders: authorization && tarballUrl.host === bareRegistry.host ? { authorization } : {},
  });
}

/** What npm checks a tarball against: its `integrity` (sha512), else the old `shasum` (sha1). */
function declaredTarballDigest(link: TarballLink): DeclaredDigest | null {
  const integrity = link.integrity ? parseIntegrity(link.integrity) : null;
  const expected = integrity ?? (link.shasum ? { algorithm: 'sha1' as const, digests: [Buffer.from(link.shasum, 'hex').toString('base64')] } : null);
  return expected ? { ...expected, encoding: 'base64' } : null;
}
