// How a hit worker of `offgrid serve --workers N` (hit-worker.ts) passes on what it does not
// answer from the cache: the request as the client sent it, over the main process's private
// Unix socket, and the answer back as it comes (streamed both ways, never buffered). The
// main process serves it as if the client had asked it directly, so misses, revalidation,
// mirror pages, refusals and tunnels keep one implementation and one single-flight.
import { Agent, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse, request } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sendError } from './cached-fetch.js';

/** Headers of one hop only (RFC 9110 §7.6.1): each side of the relay sets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

export interface RelayTarget {
  /** The main process's Unix socket. */
  readonly socketPath: string;
  /** Keeps relay connections open between requests. */
  readonly agent: Agent;
}

export function relayTarget(socketPath: string): RelayTarget {
  return { socketPath, agent: new Agent({ keepAlive: true }) };
}

function endToEnd(headers: IncomingMessage['headers']): OutgoingHttpHeaders {
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  return kept;
}

/**
 * Sends `req` to the main process and its answer to `res`; resolves with the answer's status
 * (null when there was none). A failure after the head was sent cuts the client's connection,
 * so a short body never looks complete.
 */
export function relayRequest(req: IncomingMessage, res: ServerResponse, target: RelayTarget): Promise<number | null> {
  return new Promise((resolve) => {
    const outgoing = request({ socketPath: target.socketPath, agent: target.agent, method: req.method, path: req.url, headers: endToEnd(req.headers) }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      pipeline(answer, res).catch(() => res.destroy());
      resolve(answer.statusCode ?? null);
    });
    outgoing.on('error', (error: Error) => {
      if (!res.headersSent) sendError(res, 502, `offgrid: the proxy's main process did not answer (${error.message})`);
      else res.destroy();
      resolve(null);
    });
    // The client went away first: the main process sees its request end too.
    res.on('close', () => {
      if (!res.writableFinished) outgoing.destroy();
    });
    pipeline(req, outgoing).catch(() => outgoing.destroy());
  });
}

/** A CONNECT request, passed on whole: the main process answers it and runs the tunnel. */
export function relayConnect(req: IncomingMessage, client: Duplex, head: Buffer, target: RelayTarget): void {
  const main = connect(target.socketPath);
  const lines = [`CONNECT ${req.url ?? ''} HTTP/1.1`];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  main.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (head.length > 0) main.write(head);
  const close = (): void => {
    main.destroy();
    client.destroy();
  };
  main.on('error', close);
  client.on('error', close);
  main.pipe(client);
  client.pipe(main);
  main.on('close', close);
  client.on('close', close);
}
