// Who a trapped connection really wanted, read from the kernel's socket tables. Inside the
// namespace every address is routed to loopback and NAT sends it to offgrid's trap, which
// then sees only 127.0.0.1. The CLIENT's socket still holds the address the program asked
// for: /proc/net/{tcp,tcp6,udp,udp6} list it (that file follows the reader's network
// namespace), and its inode leads to the process. Parsing is pure; reading /proc is at the end.
import { endianness } from 'node:os';
import { isIPv4, isIPv6 } from 'node:net';
import { readFile, readdir, readlink } from 'node:fs/promises';

export interface SocketRow {
  /** Canonical address text (IPv4 dotted; IPv4-mapped IPv6 shown as IPv4; IPv6 compressed). */
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly inode: number;
}

function hexToBytes(hex: string, littleEndian: boolean): number[] {
  const bytes: number[] = [];
  // The kernel prints each 32-bit word in host byte order.
  for (let word = 0; word < hex.length; word += 8) {
    const chunk = hex.slice(word, word + 8).match(/../g)!.map((b) => parseInt(b, 16));
    bytes.push(...(littleEndian ? chunk.reverse() : chunk));
  }
  return bytes;
}

function bytesToAddress(bytes: readonly number[]): string {
  if (bytes.length === 4) return bytes.join('.');
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // The WHATWG URL parser compresses IPv6 the canonical way (RFC 5952).
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** Canonical text of an address as Node or a person spells it (`::ffff:1.2.3.4` → `1.2.3.4`). */
export function canonicalAddress(address: string): string {
  const bare = address.replace(/%.*$/, '');
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return bare;
  const host = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return host;
}

function parseEndpoint(text: string, littleEndian: boolean): { address: string; port: number } | null {
  const match = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(text);
  if (!match) return null;
  return { address: bytesToAddress(hexToBytes(match[1]!, littleEndian)), port: parseInt(match[2]!, 16) };
}

/** Rows of /proc/net/tcp, tcp6, udp or udp6 (the header line and malformed lines are skipped). */
export function parseSocketTable(text: string, littleEndian = endianness() === 'LE'): SocketRow[] {
  const rows: SocketRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const local = parseEndpoint(fields[1]!, littleEndian);
    const remote = parseEndpoint(fields[2]!, littleEndian);
    const inode = Number(fields[9]);
    if (!local || !remote || !Number.isSafeInteger(inode)) continue;
    rows.push({ localAddress: local.address, localPort: local.port, remoteAddress: remote.address, remotePort: remote.port, inode });
  }
  return rows;
}

/**
 * The client's socket of a connection (or datagram) the trap received from `peer`: the row
 * whose LOCAL end is that peer. An unconnected UDP socket shows a wildcard local address,
 * so it is matched by port alone.
 */
export function findClientSocket(rows: readonly SocketRow[], peerAddress: string, peerPort: number): SocketRow | null {
  const peer = canonicalAddress(peerAddress);
  const mine = rows.filter((r) => r.localPort === peerPort);
  return mine.find((r) => r.localAddress === peer) ?? mine.find((r) => r.localAddress === '0.0.0.0' || r.localAddress === '::') ?? null;
}

/** `1.2.3.4:80` or `[2001:db8::1]:443`. */
export function formatEndpoint(address: string, port: number): string {
  const a = canonicalAddress(address);
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

// ---------------------------------------------------------------- reading /proc

export async function readSocketRows(protocol: 'tcp' | 'udp'): Promise<SocketRow[]> {
  const texts = await Promise.all([`/proc/net/${protocol}`, `/proc/net/${protocol}6`].map((p) => readFile(p, 'utf8').catch(() => '')));
  return texts.flatMap((t) => parseSocketTable(t));
}

/**
 * The name (`comm`) of a process of this network namespace holding socket `inode`, or
 * null (the process already exited: its socket is orphaned and shows inode 0).
 */
export async function processOfSocket(inode: number): Promise<string | null> {
  if (inode === 0) return null;
  const ownNs = await readlink('/proc/self/ns/net').catch(() => null);
  const wanted = `socket:[${inode}]`;
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  } catch {
    return null;
  }
  for (const pid of pids) {
    try {
      // Only processes inside the namespace can hold a socket of it.
      if (ownNs && (await readlink(`/proc/${pid}/ns/net`)) !== ownNs) continue;
      for (const fd of await readdir(`/proc/${pid}/fd`)) {
        if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === wanted) {
          return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim() || null;
        }
      }
    } catch {
      // The process exited meanwhile, or is not ours to look at.
    }
  }
  return null;
}
