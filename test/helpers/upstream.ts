// A real origin HTTP server on 127.0.0.1 for proxy tests, with fault injection per path and
// a count of every request and connection that reaches it.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
export { bytes, sha256 } from './bytes.js';
import { sha256 } from './bytes.js';

export type Fault =
  /** Send the headers and `after` bytes, then reset the connection. */
  | { readonly type: 'reset-mid-body'; readonly after: number }
  /** Declare `declared` bytes in Content-Length but send the real body, then close. */
  | { readonly type: 'lie-length'; readonly declared: number }
  /** Send `chunk` bytes every `delayMs`. */
  | { readonly type: 'trickle'; readonly chunk: number; readonly delayMs: number }
  /** Send the headers and the first `after` bytes, then wait until `release()` is called. */
  | { readonly type: 'hold'; readonly after: number; readonly released: Promise<void> }
  /** Chunked encoding (no Content-Length). */
  | { readonly type: 'chunked' };

export interface UpstreamFile {
  readonly body: Buffer;
  readonly contentType?: string;
  /** false: send no ETag. Default: a quoted hash of the body. */
  readonly etag?: string | false;
  readonly lastModified?: string;
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly fault?: Fault;
}

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
}

export interface Upstream {
  readonly url: string;
  readonly port: number;
  readonly requests: SeenRequest[];
  /** TCP connections accepted so far. */
  connections: number;
  set(path: string, file: UpstreamFile): void;
  /** Requests (GET/HEAD) for a path. */
  count(path: string): number;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function send(file: UpstreamFile, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const etag = file.etag === false ? null : (file.etag ?? `"${sha256(file.body).slice(0, 16)}"`);
  const headers: Record<string, string> = { 'content-type': file.contentType ?? 'application/octet-stream', ...file.headers };
  if (etag) headers.etag = etag;
  if (file.lastModified) headers['last-modified'] = file.lastModified;
  const status = file.status ?? 200;
  if (status === 200 && etag && req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  if (status === 200 && !etag && file.lastModified && req.headers['if-modified-since'] === file.lastModified) {
    res.writeHead(304, headers).end();
    return;
  }
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (status === 200 && range) {
    const start = Number(range[1]);
    const end = range[2] ? Number(range[2]) : file.body.length - 1;
    const part = file.body.subarray(start, end + 1);
    res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${file.body.length}`, 'content-length': String(part.length) });
    res.end(part);
    return;
  }
  const fault = file.fault;
  if (fault?.type === 'chunked') {
    res.writeHead(status, headers);
    res.write(file.body.subarray(0, Math.floor(file.body.length / 2)));
    await sleep(5);
    res.end(file.body.subarray(Math.floor(file.body.length / 2)));
    return;
  }
  headers['content-length'] = String(fault?.type === 'lie-length' ? fault.declared : file.body.length);
  res.writeHead(status, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (!fault) {
    res.end(file.body);
    return;
  }
  switch (fault.type) {
    case 'reset-mid-body':
      res.write(file.body.subarray(0, fault.after));
      await sleep(20);
      req.socket.resetAndDestroy();
      return;
    case 'lie-length':
      res.write(file.body.subarray(0, Math.min(file.body.length, fault.declared)));
      await sleep(20);
      req.socket.destroy();
      return;
    case 'trickle':
      for (let offset = 0; offset < file.body.length; offset += fault.chunk) {
        res.write(file.body.subarray(offset, offset + fault.chunk));
        await sleep(fault.delayMs);
      }
      res.end();
      return;
    case 'hold':
      res.write(file.body.subarray(0, fault.after));
      await fault.released;
      res.end(file.body.subarray(fault.after));
      return;
  }
}

export async function startUpstream(files: Record<string, UpstreamFile> = {}): Promise<Upstream> {
  const table = new Map<string, UpstreamFile>(Object.entries(files));
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers });
    const file = table.get(path);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    send(file, req, res).catch(() => req.socket.destroy());
  });
  const upstream: Upstream = {
    url: '',
    port: 0,
    requests,
    connections: 0,
    set: (path, file) => table.set(path, file),
    count: (path) => requests.filter((r) => r.path === path).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (socket: Socket) => {
    upstream.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(upstream, { url: `http://127.0.0.1:${port}`, port });
}
