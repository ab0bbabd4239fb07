// Shared shapes of the caching proxy. The server (server.ts) routes each request to a
// handler; every handler serves through `ProxyContext` and reports each response as a
// DownloadEvent (or a network attempt) through `record`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RedirectTargets } from './allow-list.js';
import type { EventSink } from '../events.js';
import type { Clock } from '../../session/time.js';
import type { CacheStore } from '../../cache/index.js';
import type { ProxyChoice } from './upstream-proxy.js';

export interface Upstreams {
  /** PyPI-style simple indexes, in order: the index, then extra indexes. */
  readonly pypi: readonly URL[];
  /** The npm registry, from the user's own npm configuration; null when there is none. */
  readonly npm: URL | null;
  /**
   * The Authorization the user's npm would send to `npm` (from its .npmrc), used when the
   * registry URL carries no credentials of its own.
   */
  readonly npmAuthorization?: string | null;
  /** Hosts the forward proxy may reach (default: the upstreams' hosts and the machine's apt sources). */
  readonly allowedHosts: ReadonlySet<string>;
}

/**
 * Upstreams found on first need: the PyPI and npm ones come from asking pip and npm, which
 * costs a few hundred ms, so the proxy asks only when a request needs them (concurrent
 * first requests share one lookup). `knownHosts` are allowed at once (apt sources,
 * --allow-host); a forward or CONNECT request for another host resolves the rest first.
 */
export interface LazyUpstreams {
  /** Complete once `readKnownHosts()` has settled (the apt sources are read on first need). */
  readonly knownHosts: ReadonlySet<string>;
  /** Completes `knownHosts` (once; never rejects): a request for a host not in it calls this first. */
  readKnownHosts(): Promise<void>;
  resolve(): Promise<Upstreams>;
}

export interface ProxyLogger {
  debug(message: string): void;
  warn(message: string): void;
}

export interface ProxyContext {
  readonly offline: boolean;
  readonly upstreams: Upstreams;
  /** Every response and every refused or failed upstream request ends up here. */
  readonly record: EventSink;
  readonly clock: Clock;
  readonly log: ProxyLogger;
  /** The address clients use to reach this proxy (`http://127.0.0.1:PORT`), for rewritten links. */
  publicUrl(): string;
  /** Hosts allowed upstreams redirected clients to: reachable like the allow-list's (allow-list.ts). */
  readonly redirectTargets: RedirectTargets;
  /**
   * How a client's requests (`client`: the tool its User-Agent names) reach their upstreams:
   * apt's through the proxy apt's own configuration names (apt-proxy.ts), the others' through
   * the machine's environment's. Read on first need; hits never ask.
   */
  upstreamProxies(client: string): Promise<ProxyChoice>;
  /** The content-addressed cache every route serves through (see cached-fetch.ts); set by server.ts. */
  readonly cache?: CacheStore;
}

/**
 * A route of the proxy. Returns false when the request is not for it, so the server can
 * try the next one.
 */
export type ProxyRoute = (req: IncomingMessage, res: ServerResponse, ctx: ProxyContext) => Promise<boolean>;
