// A real HTTP proxy on 127.0.0.1, standing in for a company's proxy in front of offgrid's
// upstreams: absolute-form requests are forwarded, CONNECT opens a TCP tunnel. Like such a
// proxy it resolves names the machine behind it cannot: every host under `.offgrid.test`
// is this machine's loopback. It can demand credentials (407 without them) and it records
// every request it is asked.
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import { type AddressInfo, type Socket, connect } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ProxiedRequest {
  readonly method: string;
  /** The request target as sent: `http://host/path` or, for CONNECT, `host:port`. */
  readonly target: string;
  readonly authorized: boolean;
}

export interface CompanyProxy {
  readonly url: string;
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

/** Where a name under `.offgrid.test` (or a loopback address) lives; null for anything else. */
function reachable(host: string): string | null {
  const name = host.toLowerCase();
  if (name === 'offgrid.test' || name.endsWith('.offgrid.test')) return '127.0.0.1';
  return name === '127.0.0.1' || name === 'localhost' ? '127.0.0.1' : null;
}

export async function startCompanyProxy(options: { credentials?: string } = {}): Promise<CompanyProxy> {
  const expected = options.credentials ? `Basic ${Buffer.from(options.credentials).toString('base64')}` : null;
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket | Duplex>();
  const authorized = (req: IncomingMessage): boolean => expected === null || req.headers['proxy-authorization'] === expected;

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const ok = authorized(req);
    requests.push({ method: req.method ?? '', target: req.url ?? '', authorized: ok });
    if (!ok) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="company"', 'content-length': '0' });
      res.end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    const address = reachable(target.hostname);
    if (!address) {
      res.writeHead(502).end();
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = request({ host: address, port: target.port || 80, method: req.method, path: `${target.pathname}${target.search}`, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const ok = authorized(req);
    requests.push({ method: 'CONNECT', target: req.url ?? '', authorized: ok });
    client.on('error', () => {});
    if (!ok) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="company"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const match = /^(.+):(\d+)$/.exec(req.url ?? '');
    const address = match ? reachable(match[1]!) : null;
    if (!match || !address) {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = connect({ host: address, port: Number(match[2]) }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
