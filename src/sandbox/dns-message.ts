// Just enough DNS (RFC 1035 §4.1) for the namespace's trap resolver: read the question of
// a query, answer it NXDOMAIN. Pure: bytes in, bytes out. No name ever resolves inside the
// namespace, so a program learns at once that the name does not exist (no timeout), and
// offgrid learns which name it wanted.

export interface DnsQuestion {
  readonly id: number;
  /** Flags of the query (opcode and RD are echoed). */
  readonly flags: number;
  readonly name: string;
  readonly type: number;
  /** The question section's bytes, echoed in the answer. */
  readonly questionBytes: Buffer;
}

const TYPE_NAMES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 64: 'SVCB', 65: 'HTTPS' };

export function dnsTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

/** The first question of a query; null when it is not a well-formed standard query. */
export function parseDnsQuery(message: Buffer): DnsQuestion | null {
  if (message.length < 12) return null;
  const flags = message.readUInt16BE(2);
  if (flags & 0x8000) return null; // a response, not a query
  if (message.readUInt16BE(4) < 1) return null;
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    if (offset >= message.length) return null;
    const length = message[offset]!;
    if (length === 0) {
      offset += 1;
      break;
    }
    if (length > 63 || offset + 1 + length > message.length) return null; // compression is not used in questions
    labels.push(message.subarray(offset + 1, offset + 1 + length).toString('latin1'));
    offset += 1 + length;
    if (labels.length > 127) return null;
  }
  if (offset + 4 > message.length) return null;
  const type = message.readUInt16BE(offset);
  return { id: message.readUInt16BE(0), flags, name: labels.join('.').toLowerCase(), type, questionBytes: message.subarray(12, offset + 4) };
}

/** The NXDOMAIN answer to `q` (RCODE 3, recursion available, no records). */
export function nxdomainAnswer(q: DnsQuestion): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  // QR=1, opcode and RD echoed, RA=1, RCODE=3.
  header.writeUInt16BE(0x8000 | (q.flags & 0x7900) | 0x0080 | 3, 2);
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, q.questionBytes]);
}

/** A name safe to show and record: printable, at most 253 characters. */
export function printableName(name: string): string {
  return name.replace(/[^\x21-\x7e]/g, '?').slice(0, 253) || '.';
}
