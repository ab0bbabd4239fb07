// What a trapped TCP connection was for, from the first bytes the client sent: an HTTP
// request (method, Host, path) or a TLS ClientHello (the server name, SNI, RFC 6066 §3).
// Pure: bytes in, a description out. Nothing is ever answered.

export type FirstBytes =
  | { readonly type: 'http'; readonly method: string; readonly host: string | null; readonly target: string }
  | { readonly type: 'tls'; readonly serverName: string | null }
  | { readonly type: 'unknown' };

const HTTP_REQUEST = /^([A-Z]{3,10}) (\S{1,2000}) HTTP\/\d\.\d\r?\n/;

function http(text: string): FirstBytes | null {
  const line = HTTP_REQUEST.exec(text);
  if (!line) return null;
  const host = /\r?\nhost:[ \t]*([^\r\n]{1,300})/i.exec(text)?.[1]?.trim() ?? null;
  return { type: 'http', method: line[1]!, host, target: line[2]! };
}

/** The SNI host name of a TLS ClientHello, walking the record with bounds checks at each step. */
function tls(b: Buffer): FirstBytes | null {
  // record: type 22 (handshake), version, length; handshake: type 1 (ClientHello), length(3)
  if (b.length < 9 || b[0] !== 22 || b[1] !== 3 || b[5] !== 1) return null;
  const end = Math.min(b.length, 5 + b.readUInt16BE(3));
  let at = 9 + 2 + 32; // client version, random
  const skip = (lengthBytes: 1 | 2): boolean => {
    if (at + lengthBytes > end) return false;
    at += lengthBytes + (lengthBytes === 1 ? b[at]! : b.readUInt16BE(at));
    return at <= end;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return { type: 'tls', serverName: null }; // session id, cipher suites, compression
  if (at + 2 > end) return { type: 'tls', serverName: null };
  const extEnd = Math.min(end, at + 2 + b.readUInt16BE(at));
  at += 2;
  while (at + 4 <= extEnd) {
    const type = b.readUInt16BE(at);
    const length = b.readUInt16BE(at + 2);
    const body = at + 4;
    if (type === 0 && body + 5 <= extEnd) {
      // server_name_list: list length(2), name type(1) = 0 host_name, name length(2), name
      const nameLength = b.readUInt16BE(body + 3);
      if (b[body + 2] === 0 && body + 5 + nameLength <= extEnd) {
        return { type: 'tls', serverName: b.subarray(body + 5, body + 5 + nameLength).toString('latin1') };
      }
    }
    at = body + length;
  }
  return { type: 'tls', serverName: null };
}

export function describeFirstBytes(bytes: Buffer): FirstBytes {
  return http(bytes.toString('latin1')) ?? tls(bytes) ?? { type: 'unknown' };
}

const printable = (s: string) => s.replace(/[^\x21-\x7e]/g, '?');

/**
 * How a trapped connection is named in the ledger: the URL for HTTP, `name:port` for TLS
 * with SNI, else the address and port the program connected to.
 */
export function nameConnection(endpoint: string, port: number, first: FirstBytes): string {
  if (first.type === 'http') {
    if (/^https?:\/\//i.test(first.target)) return printable(first.target); // an absolute-form request
    const host = first.host ?? endpoint;
    return printable(`http://${host}${first.target.startsWith('/') ? first.target : `/${first.target}`}`);
  }
  if (first.type === 'tls' && first.serverName) return printable(`${first.serverName}:${port}`);
  return endpoint;
}
