// The proxy's HTTP server: one listener that dispatches origin-form requests to the mirror
// routes (/pypi/..., /npm/...), absolute-form requests to the forward proxy, and CONNECT to
// the tunnel handler. It binds to loopback unless told otherwise, bounds header size and
// slow clients, and answers malformed HTTP with 400 — a request can never crash it.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { CacheStore } from '../../cache/index.js';
import type { Clock } from '../../session/time.js';
import type { EventSink } from '../events.js';
import { sendError } from './cached-fetch.js';
import { handleConnect, parseConnectTarget } from './connect.js';
import { forwardTarget, handleForward } from './forward.js';
import { isLoopbackHost } from './hosts.js';
import { type ProxyChoice, machineProxyChoice, machineProxySettings } from './upstream-proxy.js';
import { type AptProxyConfig, clientProxyChoice } from './apt-proxy.js';
import { HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, MAX_HEADER_BYTES, REQUEST_TIMEOUT_MS } from './limits.js';
import { RedirectTargets, isHostAllowed } from './allow-list.js';
import type { LazyUpstreams, ProxyContext, ProxyLogger, ProxyRoute, Upstreams } from './types.js';

/** How long close() waits for handlers finishing a commit (their clients are gone already). */
const CLOSE_GRACE_MS = 3_000;

export interface StartProxyOptions {
  /** Address to bind; loopback unless `allowRemote`. Default 127.0.0.1. */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly cacheDir: string;
  readonly offline: boolean;
  /** Fixed upstreams, or ones resolved on first need (see LazyUpstreams). */
  readonly upstreams: Upstreams | LazyUpstreams;
  readonly record: EventSink;
  readonly clock: Clock;
  readonly log: ProxyLogger;
  /** Origin-form handlers, tried in order (the PyPI and npm mirrors). */
  readonly routes: readonly ProxyRoute[];
  /**
   * apt's own proxy settings (apt-proxy.ts), asked when an apt request first goes upstream;
   * without them apt's requests go the way every client's do (the machine's environment).
   */
  readonly aptProxies?: () => Promise<AptProxyConfig>;
  /** Required to bind anything but loopback. */
  readonly allowRemote?: boolean;
  /** Overrides of the limits in limits.ts (tests use short timeouts). */
  readonly limits?: Partial<ServerLimits>;
  /**
   * Behind hit workers (`serve --workers N`, hit-worker.ts): listen on this Unix socket only,
   * and take the workers' public address as the proxy's own (rewritten links, requests for
   * the proxy itself). `host`, `port` and `allowRemote` are then the workers' business.
   */
  readonly internal?: { readonly socketPath: string; readonly publicHost: string; readonly publicPort: number };
}

export interface ServerLimits {
  readonly maxHeaderSize: number;
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly keepAliveTimeout: number;
}

export interface RunningProxy {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly store: CacheStore;
  readonly context: ProxyContext;
  close(): Promise<void>;
}

export class ProxyConfigError extends Error {
  override readonly name = 'ProxyConfigError';
  constructor(readonly code: 'EREMOTEBIND', message: string) {
    super(message);
  }
}

/** Why an origin-form path is refused (dot segments, NUL, `//`), or null when it is fine. */
export function unsafePathReason(rawPath: string): string | null {
  const path = rawPath.split('?')[0] ?? '';
  if (!path.startsWith('/')) return 'the path must start with /';
  if (path.startsWith('//')) return 'the path must not start with //';
  if (/[\0\\]|%00|%5c/i.test(path)) return 'the path contains NUL or a backslash';
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return 'the path has a malformed %-escape';
    }
    // A segment that decodes to `.` or `..` (`%2e%2e`), or hides a `/` and a dot segment (`..%2f`).
    if (decoded === '.' || decoded === '..' || decoded.split('/').some((part) => part === '..')) return 'the path contains a dot segment';
  }
  return null;
}

/** The `host:port` forms a client may use for the proxy itself (sent through the proxy, they are served, not looped). */
export function selfAuthorities(host: string, port: number): Set<string> {
  return new Set([`${host.includes(':') ? `[${host}]` : host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`].map((h) => h.toLowerCase()));
}

function formatUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Answers what node's parser rejects (garbage, huge heads, slow heads) and closes the socket. */
function onClientError(error: NodeJS.ErrnoException, socket: Duplex, log: ProxyLogger): void {
  log.debug(`bad request from a client: ${error.code ?? ''} ${error.message}`);
  if (!socket.writable || (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, reason] =
    error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
  const body = `offgrid: ${reason.toLowerCase()}\n`;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
}

/** A client that disconnects mid-body is not a server error. */
function ignoreClientError(): void {}

/**
 * An HTTP server with the proxy's limits that answers malformed requests itself
 * (onClientError). Each request's handling is kept in `handlers` until it ends, so a close
 * can wait for it; a handler that throws is logged and answered with 500 (or a cut
 * connection once the head is out), never a crash.
 */
export function createProxyHttpServer(
  overrides: Partial<ServerLimits> | undefined,
  log: ProxyLogger,
  handlers: Set<Promise<void>>,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Server {
  const limits: ServerLimits = {
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    ...overrides,
  };
  const server = createServer(
    {
      ...limits,
      // How often node looks for requests past their timeouts; a tenth of the shortest one.
      connectionsCheckingInterval: Math.max(50, Math.floor(Math.min(limits.headersTimeout, limits.requestTimeout) / 10)),
    },
    (req, res) => {
      res.on('error', ignoreClientError);
      const handling = handle(req, res).catch((error: Error) => {
        log.warn(`request ${req.method} ${(req.url ?? '').slice(0, 200)} failed: ${error.stack ?? error.message}`);
        if (!res.headersSent) sendError(res, 500, `offgrid: internal error: ${error.message}`);
        else res.destroy();
      });
      handlers.add(handling);
      void handling.finally(() => handlers.delete(handling));
    },
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => onClientError(error, socket, log));
  return server;
}

/** Refuses a non-loopback address unless the user allowed remote clients; warns when they did. */
export function checkBindAddress(host: string, allowRemote: boolean | undefined, log: ProxyLogger): void {
  if (isLoopbackHost(host)) return;
  if (!allowRemote) {
    throw new ProxyConfigError('EREMOTEBIND', `refusing to listen on ${host}: it is not a loopback address; pass --allow-remote to expose the proxy to other machines`);
  }
  log.warn(`listening on ${host}: other machines can use this proxy (and read its cache)`);
}

export async function startProxy(options: StartProxyOptions): Promise<RunningProxy> {
  const internal = options.internal ?? null;
  const host = internal?.publicHost ?? options.host ?? '127.0.0.1';
  // Hit workers bound the public address (and checked it); the main process only its socket.
  if (!internal) checkBindAddress(host, options.allowRemote, options.log);
  // The machine's own proxy carries offgrid's upstream requests (upstream-proxy.ts); a
  // setting it cannot use is said now, not at the first miss.
  for (const message of machineProxySettings().ignored) options.log.warn(message);
  const store = await CacheStore.open({ root: options.cacheDir, logger: { debug: (m) => options.log.debug(m), warn: (m) => options.log.warn(m) } });
  let publicUrl = '';
  const given = options.upstreams;
  const lazy = 'resolve' in given ? given : null;
  // Until resolved: no PyPI or npm upstream yet, and only the hosts known without asking.
  let upstreams: Upstreams = lazy ? { pypi: [], npm: null, allowedHosts: lazy.knownHosts } : (given as Upstreams);
  let resolving: Promise<void> | null = lazy ? null : Promise.resolve();
  // For a host not (yet) on the list: the known hosts may not be read yet; then the rest.
  const widenAllowList = async (hostname: string, port: string | number): Promise<void> => {
    if (lazy) await lazy.readKnownHosts();
    if (!isHostAllowed(upstreams.allowedHosts, hostname, port)) await resolveUpstreams();
  };
  const resolveUpstreams = (): Promise<void> =>
    (resolving ??= lazy!.resolve().then(
      (found) => {
        upstreams = found;
      },
      (error: Error) => {
        resolving = null; // the next request tries again
        throw error;
      },
    ));
  let selfHosts: Set<string> = new Set();
  let warnedSelf = false;
  const upstreamProxies = async (client: string): Promise<ProxyChoice> => {
    if (client !== 'apt' || !options.aptProxies) return machineProxyChoice;
    const choice = clientProxyChoice(client, await options.aptProxies(), machineProxySettings());
    return (url) => {
      const chosen = choice(url);
      if (chosen === null || !selfHosts.has(chosen.url.host.toLowerCase())) return chosen;
      // apt.conf naming this very proxy (offgrid serve put where apt-cacher-ng was): asking
      // it would loop, so the environment decides instead.
      if (!warnedSelf) options.log.warn(`${chosen.setting} names offgrid itself (${chosen.url.host}); offgrid fetches for apt without it`);
      warnedSelf = true;
      return machineProxyChoice(url);
    };
  };
  const context: ProxyContext = {
    offline: options.offline,
    get upstreams() {
      return upstreams;
    },
    record: options.record,
    clock: options.clock,
    log: options.log,
    publicUrl: () => publicUrl,
    redirectTargets: new RedirectTargets(),
    upstreamProxies,
    cache: store,
  };
  const tunnels = new Set<Duplex>();
  // Handlers still running: a response ends at its last verified byte while the download
  // is still being committed and recorded, so close() waits for them (bounded).
  const handlers = new Set<Promise<void>>();

  const dispatchOrigin = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const reason = unsafePathReason(req.url ?? '');
    if (reason) {
      sendError(res, 400, `offgrid: bad request path: ${reason}`);
      return;
    }
    await resolveUpstreams();
    for (const route of options.routes) {
      if (await route(req, res, context)) return;
    }
    sendError(res, 404, `offgrid: nothing is served at ${(req.url ?? '').slice(0, 200)} (the mirrors live under /pypi/ and /npm/)`);
  };

  const dispatch = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = req.url ?? '';
    if (target.startsWith('/')) return dispatchOrigin(req, res);
    if (/^https?:\/\//i.test(target)) {
      const forward = forwardTarget(target);
      if (!forward) {
        sendError(res, 400, 'offgrid: malformed absolute URL');
        return;
      }
      const { url } = forward;
      // A client that sends requests for the proxy itself through the proxy (no no_proxy):
      // serve them as origin-form instead of looping. (A URL's host is already lower case.)
      if (selfHosts.has(url.host)) {
        req.url = `${url.pathname}${url.search}`;
        return dispatchOrigin(req, res);
      }
      // Checked here first: a hit for an allowed host waits on no promise.
      if (!isHostAllowed(upstreams.allowedHosts, url.hostname, url.port)) await widenAllowList(url.hostname, url.port);
      return handleForward(req, res, context, store, forward);
    }
    sendError(res, 400, 'offgrid: unsupported request target');
  };

  const server = createProxyHttpServer(options.limits, options.log, handlers, dispatch);
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = parseConnectTarget(req.url);
    const allowed = !target || isHostAllowed(upstreams.allowedHosts, target.host, target.port);
    (allowed ? handleConnect(req, socket, head, context, tunnels) : widenAllowList(target.host, target.port).then(() => handleConnect(req, socket, head, context, tunnels))).catch(
      (error: Error) => {
        options.log.warn(`CONNECT ${(req.url ?? '').slice(0, 200)} failed: ${error.message}`);
        socket.destroy();
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const listening = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (internal) server.listen(internal.socketPath, listening);
    else server.listen(options.port ?? 0, host, listening);
  });
  const port = internal?.publicPort ?? (server.address() as AddressInfo).port;
  publicUrl = formatUrl(host, port);
  selfHosts = selfAuthorities(host, port);

  return {
    url: publicUrl,
    port,
    host,
    store,
    context,
    close: async () => {
      // A tunnel records itself once its socket has closed, a turn or more after destroy():
      // the session's journal must still be open then (an apt-get through an https source
      // leaves its tunnel open until it exits, just as its run ends).
      const tunnelsRecorded = [...tunnels].map((tunnel) => new Promise<void>((resolve) => tunnel.once('close', () => resolve())));
      await new Promise<void>((resolve) => {
        for (const tunnel of tunnels) tunnel.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      let timer: NodeJS.Timeout | undefined;
      const bounded = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_GRACE_MS);
      });
      await Promise.race([Promise.allSettled([...handlers, ...tunnelsRecorded]), bounded]);
      clearTimeout(timer);
    },
  };
}
