// CONNECT tunnels (https through `https_proxy`). The bytes are TLS, so nothing can be seen
// or cached; the tunnel is still logged: host, port, bytes each way, duration.
//
// Ledger shape: a DownloadEvent of kind 'file' with source `https://host:port`, size = bytes
// from the server to the client, sha256 null, cache_status null (no cache decision was
// possible) and `destination` = `tunnel: content not visible (CONNECT; N bytes sent, M
// bytes received)`, so a reader of the ledger sees why there is no name, version or hash.
// Refused tunnels (offline, not on the allow-list, unreachable) are network attempts.
import type { IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { isoLocal } from '../../session/time.js';
import { downloadEvent, networkAttemptEvent } from '../events.js';
import { notAllowedMessage } from './allow-list.js';
import { toolFromUserAgent } from './cached-fetch.js';
import { reachable } from './forward.js';
import { TUNNEL_IDLE_TIMEOUT_MS, UPSTREAM_IDLE_TIMEOUT_MS } from './limits.js';
import type { ProxyContext } from './types.js';
import { openTunnel } from './upstream-proxy.js';

export interface ConnectTarget {
  readonly host: string;
  readonly port: number;
}

/** `host:port` or `[v6]:port` from a CONNECT request target; null when malformed. */
export function parseConnectTarget(target: string | undefined): ConnectTarget | null {
  if (!target) return null;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(target);
  if (!match) return null;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return null;
  return { host: (match[1] ?? match[2]!).toLowerCase(), port };
}

function reply(socket: Duplex, status: number, reason: string, body: string): void {
  const text = `${body}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
      `Connection: close\r\n\r\n${text}`,
  );
}

/** Handles the server's 'connect' event. `tunnels` tracks open tunnels so close() can end them. */
export async function handleConnect(req: IncomingMessage, client: Duplex, head: Buffer, ctx: ProxyContext, tunnels: Set<Duplex>): Promise<void> {
  const tool = toolFromUserAgent(req.headers['user-agent']);
  const timestamp = isoLocal(ctx.clock.now());
  const target = parseConnectTarget(req.url);
  client.on('error', () => {}); // a client that goes away is not our error
  if (!target) {
    reply(client, 400, 'Bad Request', 'offgrid: CONNECT needs a host:port target');
    return;
  }
  const where = `https://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const refuse = (status: number, reason: string, error: string, body: string): void => {
    ctx.record(networkAttemptEvent({ tool, url_or_host: where, error, evidence: 'proxy', timestamp }));
    reply(client, status, reason, body);
  };
  if (ctx.offline) {
    refuse(503, 'Service Unavailable', 'offline: CONNECT tunnel refused', `offgrid: offline mode; a tunnel to ${target.host}:${target.port} was refused`);
    return;
  }
  if (!(await reachable(ctx, target.host, target.port, 'https:'))) {
    refuse(403, 'Forbidden', 'host not on the allow-list', notAllowedMessage(target.host));
    return;
  }

  const started = performance.now();
  let sent = head.length; // client → server
  let received = 0; // server → client
  let upstream: Socket | null = null;
  tunnels.add(client);

  const established = (socket: Socket): void => {
    upstream = socket;
    if (finished) {
      socket.destroy(); // the client left while the tunnel was opening
      return;
    }
    socket.setTimeout(TUNNEL_IDLE_TIMEOUT_MS, () => socket.destroy(new Error('tunnel idle')));
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(null));
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.write(head);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
    });
    socket.pipe(client);
    client.pipe(socket);
  };

  let finished = false;
  const finish = (error: Error | null): void => {
    if (finished) return;
    finished = true;
    tunnels.delete(client);
    upstream?.destroy();
    if (!upstream) {
      refuse(502, 'Bad Gateway', `CONNECT failed: ${error?.message ?? 'closed'}`, `offgrid: could not reach ${target.host}:${target.port}: ${error?.message ?? 'closed'}`);
      return;
    }
    client.end(); // after what upstream sent is flushed (pipe already ended it on upstream's end)
    ctx.record(
      downloadEvent({
        kind: 'file',
        tool,
        source: where,
        destination: `tunnel: content not visible (CONNECT; ${sent} bytes sent, ${received} bytes received)`,
        size: received,
        cached: false,
        duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
        evidence: 'proxy',
        cache_status: null,
        timestamp,
      }),
    );
  };
  client.on('close', () => finish(null));
  // Through the proxy this client would have used for this host (apt's own for apt,
  // apt-proxy.ts; the machine's environment's otherwise), else directly.
  const opening = ctx
    .upstreamProxies(tool)
    .then((proxies) => proxies(new URL(where)))
    .then((proxy) => (proxy ? openTunnel(proxy, target.host, target.port, UPSTREAM_IDLE_TIMEOUT_MS) : connectDirectly(target)));
  opening.then(established, (error: Error) => finish(error));
}

/** A TCP connection to the target; resolves once connected. */
function connectDirectly(target: ConnectTarget): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: target.host, port: target.port });
    socket.setTimeout(UPSTREAM_IDLE_TIMEOUT_MS, () => socket.destroy(new Error(`no answer in ${Math.round(UPSTREAM_IDLE_TIMEOUT_MS / 1000)} s`)));
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
