// Inside `offgrid verify`'s network namespace: make every network attempt VISIBLE, not only
// those that go through offgrid's proxy or that a tool prints. A program that ignores the
// proxy settings and connects to an address, or looks a name up and swallows the failure,
// reaches this trap instead of a network (there is none in the namespace). The trap names
// the attempt (address and port, the HTTP URL or TLS server name it sent, the DNS name it
// asked for, the process), records it, and refuses it: TCP is reset, DNS answers NXDOMAIN.
// Nothing is ever sent to a real address: every route in the namespace ends at loopback.
//
// Coverage, and what is left out:
//   - NAT mode (iptables works in the namespace, as root or in a user namespace): every TCP
//     port on every address, IPv4 and IPv6, and every DNS query over UDP whatever nameserver
//     /etc/resolv.conf names (a loopback stub such as 127.0.0.53 included), so resolv.conf
//     need not be replaced (no mount namespace).
//   - ports mode (no iptables): TCP on FALLBACK_TCP_PORTS and DNS on port 53 of every address.
//   - none (addresses cannot be routed to loopback, e.g. bwrap without privileges): a direct
//     connection still fails (there is no network) but is seen only if the tool prints it.
//   - Never trapped: UDP other than DNS (QUIC, NTP), and lookups that leave the namespace
//     over a Unix socket (nscd, systemd-resolved's NSS module), which reach a daemon outside.
import { type Socket, type AddressInfo, createServer, type Server } from 'node:net';
import { createSocket, type Socket as UdpSocket, type RemoteInfo } from 'node:dgram';
import { describeFirstBytes, nameConnection } from './first-bytes.js';
import { dnsTypeName, nxdomainAnswer, parseDnsQuery, printableName } from './dns-message.js';
import { type SocketRow, findClientSocket, formatEndpoint, processOfSocket, readSocketRows } from './proc-sockets.js';
import { type CommandRunner, FALLBACK_TCP_PORTS, natCommands, routeCommands, runAll, runCommand } from './trap-rules.js';

export interface TrapAttempt {
  readonly tool: string;
  readonly url_or_host: string;
  readonly error: string;
}

export interface NetTrapOptions {
  readonly record: (attempt: TrapAttempt) => void;
  /** An executable's absolute path, or null. */
  readonly which: (name: string) => string | null;
  readonly run?: CommandRunner;
}

export type TrapMode =
  /** NAT: every TCP port and every DNS query, IPv4 (and IPv6 when the namespace has it). */
  | 'nat'
  /** No NAT: listeners on FALLBACK_TCP_PORTS and DNS port 53. */
  | 'ports'
  /** Addresses could not be routed to loopback: only proxy and output evidence remain. */
  | 'none';

export interface NetTrap {
  readonly mode: TrapMode;
  /** What is not covered and why (for a person; empty when everything is trapped). */
  readonly notes: readonly string[];
  close(): Promise<void>;
}

/** How long a trapped connection may take to send its first bytes (HTTP request, TLS hello). */
const FIRST_BYTES_WAIT_MS = 300;
const FIRST_BYTES_MAX = 16 * 1024;

/** The process behind a client socket; an exited one leaves an orphaned socket (inode 0). */
async function toolOf(client: SocketRow | null): Promise<string> {
  if (!client) return 'unknown process';
  if (client.inode === 0) return 'exited process';
  return (await processOfSocket(client.inode)) ?? 'unknown process';
}

export async function startNetTrap(options: NetTrapOptions): Promise<NetTrap> {
  const run = options.run ?? runCommand;
  const notes: string[] = [];
  const ip = options.which('ip');
  if (!ip) return { mode: 'none', notes: ['ip (iproute2) is not installed, so direct connections are not trapped'], close: async () => {} };
  const routes = routeCommands(ip);
  const v4 = await runAll([routes.v4], run);
  if (v4) return { mode: 'none', notes: [`cannot route addresses to loopback (${v4}), so direct connections are not trapped`], close: async () => {} };
  const v6 = (await runAll([routes.v6], run)) === null;
  if (!v6) notes.push('IPv6 addresses cannot be routed to loopback here: a direct IPv6 connection fails unseen');

  const trap = new Trap(options.record);
  const iptables = options.which('iptables');
  const tcp = await trap.listenTcp(0);
  const dns4 = await trap.listenDns('udp4', '127.0.0.1', 0);
  const dns6 = v6 ? await trap.listenDns('udp6', '::1', 0).catch(() => null) : null;
  const natV4 = iptables && tcp && dns4 ? await runAll(natCommands(iptables, 4, { tcp, dns4, dns6 })!, run) : 'iptables is not installed';
  if (natV4 === null) {
    const ip6tables = options.which('ip6tables');
    const rules = ip6tables && tcp && dns4 ? natCommands(ip6tables, 6, { tcp, dns4, dns6 }) : null;
    if (v6 && (!rules || (await runAll(rules, run)) !== null)) notes.push('ip6tables NAT is not available: direct IPv6 connections fail unseen');
    return { mode: 'nat', notes, close: () => trap.close() };
  }
  // No NAT: listen where programs most often go. Loopback services of the build on these
  // ports would clash, so the list avoids the usual development ports.
  await trap.close();
  const fallback = new Trap(options.record);
  const bound: number[] = [];
  for (const port of FALLBACK_TCP_PORTS) if (await fallback.listenTcp(port)) bound.push(port);
  const dns = (await fallback.listenDns('udp6', '::', 53).catch(() => null)) ?? (await fallback.listenDns('udp4', '0.0.0.0', 53).catch(() => null));
  notes.push(`no NAT in the namespace (${natV4}): direct connections are trapped on TCP ports ${bound.join(', ')}${dns ? ' and DNS on port 53' : ''} only`);
  return { mode: 'ports', notes, close: () => fallback.close() };
}

class Trap {
  private readonly servers: Server[] = [];
  private readonly udp: UdpSocket[] = [];
  private readonly open = new Set<Socket>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly record: (attempt: TrapAttempt) => void) {}

  /** Listens on `port` (0: any) on every address; the port, or null when it cannot be bound. */
  async listenTcp(port: number): Promise<number | null> {
    for (const host of ['::', '0.0.0.0']) {
      const server = createServer({ allowHalfOpen: true }, (socket) => this.track(this.onConnection(socket)));
      const bound = await new Promise<number | null>((resolve) => {
        server.once('error', () => resolve(null));
        server.listen({ port, host, ipv6Only: false }, () => resolve((server.address() as AddressInfo).port));
      });
      if (bound !== null) {
        this.servers.push(server);
        return bound;
      }
    }
    return null;
  }

  async listenDns(type: 'udp4' | 'udp6', host: string, port: number): Promise<number> {
    const socket = createSocket({ type, ipv6Only: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => resolve());
    });
    socket.on('error', () => {});
    socket.on('message', (message, peer) => this.track(this.onDnsQuery(socket, message, peer)));
    this.udp.push(socket);
    return socket.address().port;
  }

  private track(work: Promise<void>): void {
    const done = work.catch(() => {}).finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  private async onConnection(socket: Socket): Promise<void> {
    this.open.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.open.delete(socket));
    // Read the kernel's tables at once, while the client's socket still exists (the trap
    // never closes first: allowHalfOpen keeps an exited client's socket listed).
    const peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    const local = { address: socket.localAddress ?? '?', port: socket.localPort ?? 0 };
    const client = findClientSocket(await readSocketRows('tcp'), peer.address, peer.port);
    const target = client ? { address: client.remoteAddress, port: client.remotePort } : local;
    const tool = await toolOf(client);
    const first = describeFirstBytes(await firstBytes(socket));
    const endpoint = formatEndpoint(target.address, target.port);
    const what = nameConnection(endpoint, target.port, first);
    this.record({
      tool,
      url_or_host: what,
      error: `direct connection to ${endpoint}, not through offgrid's proxy: caught in the network namespace and refused`,
    });
    socket.resetAndDestroy();
  }

  private async onDnsQuery(socket: UdpSocket, message: Buffer, peer: RemoteInfo): Promise<void> {
    const question = parseDnsQuery(message);
    if (!question) return;
    // The client waits for the answer, so its socket is still there.
    const client = findClientSocket(await readSocketRows('udp'), peer.address, peer.port);
    const tool = await toolOf(client);
    this.record({
      tool,
      url_or_host: printableName(question.name),
      error: `DNS lookup${question.type === 1 || question.type === 28 ? '' : ` (${dnsTypeName(question.type)})`}, not through offgrid's proxy: caught in the network namespace and answered NXDOMAIN`,
    });
    await new Promise<void>((resolve) => socket.send(nxdomainAnswer(question), peer.port, peer.address, () => resolve()));
  }

  async close(): Promise<void> {
    for (const server of this.servers) server.close();
    for (const socket of this.udp) socket.close();
    await Promise.all([...this.pending]);
    for (const socket of this.open) socket.destroy();
  }
}

/** The first bytes a client sends, waiting a moment (clients of server-speaks-first protocols send nothing). */
function firstBytes(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', finish);
      socket.off('close', finish);
      socket.pause();
      resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      // A complete HTTP header block or a TLS record is enough; stop early.
      const all = Buffer.concat(chunks);
      const tlsRecordDone = all[0] === 22 && all.length >= 5 && all.length >= 5 + all.readUInt16BE(3);
      if (size >= FIRST_BYTES_MAX || tlsRecordDone || all.includes('\r\n\r\n')) finish();
    };
    const timer = setTimeout(finish, FIRST_BYTES_WAIT_MS);
    socket.on('data', onData);
    socket.once('end', finish);
    socket.once('close', finish);
  });
}
