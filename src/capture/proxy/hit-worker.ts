// A hit worker of `offgrid serve --workers N`: one of N processes sharing the public port
// (Node's cluster), each answering what it can from the cache on its own core and passing
// everything else to the main process (relay.ts). A small cached file costs a Node process
// tens of microseconds of CPU, most of it in Node's HTTP layer, so one process tops out at
// one core; the workers use the others, as nginx's worker processes do.
//
// What a worker answers itself: GET/HEAD of an absolute-form http:// URL whose stored entry
// needs no word from the upstream (serveStoredHit), for a host the main process has already
// served it (the allow-list can only grow within a session, so a host learned stays good).
// Everything else — misses, revalidation, the PyPI and npm mirror routes, CONNECT, refusals —
// is the main process's, which keeps one single-flight per file and one session ledger. A
// worker journals its own hits into that session (`record`, session/journal-share.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { CacheStore } from '../../cache/index.js';
import type { Clock } from '../../session/time.js';
import type { CaptureEvent } from '../events.js';
import { RedirectTargets, isHostAllowed, listedHost } from './allow-list.js';
import { serveStoredHit } from './cached-fetch.js';
import { forwardServeOptions, forwardTarget, forwardTool } from './forward.js';
import { relayConnect, relayRequest, relayTarget } from './relay.js';
import { type ServerLimits, checkBindAddress, createProxyHttpServer, selfAuthorities } from './server.js';
import type { ProxyContext, ProxyLogger } from './types.js';
import { machineProxyChoice } from './upstream-proxy.js';

export interface HitWorkerOptions {
  readonly host: string;
  readonly port: number;
  readonly allowRemote: boolean;
  readonly cacheDir: string;
  readonly offline: boolean;
  /** The main process's Unix socket (StartProxyOptions.internal). */
  readonly mainSocket: string;
  /** Journals a hit into the main process's session. */
  readonly record: (event: CaptureEvent) => void;
  readonly clock: Clock;
  readonly log: ProxyLogger;
  readonly limits?: Partial<ServerLimits>;
}

export interface RunningHitWorker {
  readonly port: number;
  /** Stops accepting and waits for the requests in hand. */
  close(): Promise<void>;
}

/** `host` or `host:port` as the allow-list spells an allowed URL's authority. */
function allowedAuthority(url: URL): string {
  const host = listedHost(url.hostname);
  if (url.port === '') return host;
  return `${host.includes(':') ? `[${host}]` : host}:${url.port}`;
}

export async function startHitWorker(options: HitWorkerOptions): Promise<RunningHitWorker> {
  checkBindAddress(options.host, options.allowRemote, { debug: () => {}, warn: () => {} });
  const store = await CacheStore.open({ root: options.cacheDir, logger: options.log });
  const relay = relayTarget(options.mainSocket);
  const learned = new Set<string>();
  let publicUrl = '';
  const context: ProxyContext = {
    offline: options.offline,
    upstreams: { pypi: [], npm: null, allowedHosts: learned },
    record: options.record,
    clock: options.clock,
    log: options.log,
    publicUrl: () => publicUrl,
    redirectTargets: new RedirectTargets(),
    // A worker serves hits only: what is not stored goes to the main process, which fetches.
    upstreamProxies: async () => machineProxyChoice,
    cache: store,
  };
  const handlers = new Set<Promise<void>>();
  const tunnels = new Set<Duplex>();
  let selfHosts = new Set<string>();

  const passOn = async (req: IncomingMessage, res: ServerResponse, learnFrom: URL | null): Promise<void> => {
    const status = await relayRequest(req, res, relay);
    // Served, not refused: the main process let this host through.
    if (learnFrom && status !== null && status < 400) learned.add(allowedAuthority(learnFrom));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const forward = (req.method === 'GET' || req.method === 'HEAD') && req.url?.startsWith('http://') ? forwardTarget(req.url) : null;
    // Requests for the proxy itself (a client without no_proxy) are the main process's too.
    if (!forward || selfHosts.has(forward.url.host)) return passOn(req, res, null);
    if (isHostAllowed(learned, forward.url.hostname, forward.url.port)) {
      const options = forwardServeOptions(req, res, context, forward, forwardTool(req.headers['user-agent'], forward.what));
      if (await serveStoredHit(context, store, options)) return;
    }
    return passOn(req, res, forward.url);
  };

  const server = createProxyHttpServer(options.limits, options.log, handlers, handle);
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    tunnels.add(socket);
    socket.once('close', () => tunnels.delete(socket));
    relayConnect(req, socket, head, relay);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  publicUrl = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  selfHosts = selfAuthorities(options.host, port);
  return {
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        for (const tunnel of tunnels) tunnel.destroy();
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await Promise.allSettled([...handlers]);
      relay.agent.destroy();
    },
  };
}
