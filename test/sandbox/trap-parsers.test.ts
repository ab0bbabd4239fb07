// The pure parts of verify's network trap: the kernel's socket tables, DNS questions and
// answers, and what the first bytes of a trapped connection say. Inputs captured from the
// real kernel and getent inside a network namespace; the TLS hello is built by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dnsTypeName, nxdomainAnswer, parseDnsQuery, printableName } from '../../src/sandbox/dns-message.js';
import { describeFirstBytes, nameConnection } from '../../src/sandbox/first-bytes.js';
import { canonicalAddress, findClientSocket, formatEndpoint, parseSocketTable } from '../../src/sandbox/proc-sockets.js';
import { natCommands, routeCommands, runAll } from '../../src/sandbox/trap-rules.js';

// /proc/net/tcp and tcp6 inside a namespace after `python3 -c "socket.create_connection(('203.0.113.5', 80))"`
// was redirected to a trap on port 5555 (0x15B3).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 057100CB:E9B0 057100CB:0050 01 00000000:00000000 00:00000000 00000000     0        0 359004 2 000000003bc7f85c 20 0 0 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:15B3 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 357851 1 000000002025c9d8 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:15B3 0000000000000000FFFF0000057100CB:E9B0 01 00000000:00000000 00:00000000 00000000     0        0 357965 1 00000000ddafdc68 20 0 0 10 -1
   2: 00000000000000000000000001000000:94D4 B80D0120000000000000000001000000:01BB 01 00000000:00000000 00:00000000 00000000     0        0 358036 2 00000000709905c2 20 0 0 10 -1
`;
// A getent query to the nameserver 10.255.255.53, redirected (glibc connects its UDP socket);
// the last line, an unconnected socket on a wildcard address, is written by hand.
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 5981: 0100007F:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 357852 2 000000005d4ad208 0
13935: 35FFFF0A:B3FB 35FFFF0A:0035 01 00000000:00000000 00:00000000 00000000     0        0 358040 2 000000003b5df747 0
 7000: 00000000:A000 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 358099 2 000000003b5df747 0
`;

describe('kernel socket tables', () => {
  it('decode IPv4, IPv4-mapped and IPv6 endpoints (little-endian words)', () => {
    const rows = [...parseSocketTable(TCP, true), ...parseSocketTable(TCP6, true)];
    assert.equal(rows.length, 4);
    assert.deepEqual(rows[0], { localAddress: '203.0.113.5', localPort: 0xe9b0, remoteAddress: '203.0.113.5', remotePort: 80, inode: 359004 });
    assert.equal(rows[2]!.localAddress, '127.0.0.1');
    assert.equal(rows[2]!.remoteAddress, '203.0.113.5');
    assert.equal(rows[3]!.localAddress, '::1');
    assert.equal(rows[3]!.remoteAddress, '2001:db8::1');
    assert.equal(rows[3]!.remotePort, 443);
  });

  it("find the client's socket of a trapped connection, whatever spelling Node gives the peer", () => {
    const rows = [...parseSocketTable(TCP, true), ...parseSocketTable(TCP6, true)];
    const client = findClientSocket(rows, '::ffff:203.0.113.5', 0xe9b0);
    assert.equal(client?.inode, 359004);
    assert.equal(formatEndpoint(client!.remoteAddress, client!.remotePort), '203.0.113.5:80');
    const v6 = findClientSocket(rows, '::1', 0x94d4);
    assert.equal(formatEndpoint(v6!.remoteAddress, v6!.remotePort), '[2001:db8::1]:443');
    assert.equal(findClientSocket(rows, '203.0.113.5', 1), null);
  });

  it('match an unconnected UDP socket by port', () => {
    const rows = parseSocketTable(UDP, true);
    assert.equal(findClientSocket(rows, '10.255.255.53', 0xb3fb)?.inode, 358040);
    assert.equal(findClientSocket(rows, '10.255.255.53', 0xa000)?.inode, 358099);
  });

  it('skip malformed lines and canonicalise addresses', () => {
    assert.deepEqual(parseSocketTable('header\n garbage line\n 0: ZZZ:1 2:3 01 a b c d e f\n', true), []);
    assert.equal(canonicalAddress('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(canonicalAddress('2001:DB8:0:0::1'), '2001:db8::1');
    assert.equal(canonicalAddress('fe80::1%lo'), 'fe80::1');
  });
});

// The query `getent hosts some.host.invalid` sent (AAAA), captured in a namespace.
const QUERY = Buffer.from('83960100000100000000000004736f6d6504686f737407696e76616c696400001c0001', 'hex');

describe('DNS', () => {
  it('reads the question and answers NXDOMAIN with it echoed', () => {
    const q = parseDnsQuery(QUERY);
    assert.equal(q?.name, 'some.host.invalid');
    assert.equal(dnsTypeName(q!.type), 'AAAA');
    const answer = nxdomainAnswer(q!);
    assert.equal(answer.readUInt16BE(0), 0x8396);
    assert.equal(answer.readUInt16BE(2) & 0x8000, 0x8000, 'a response');
    assert.equal(answer.readUInt16BE(2) & 0x000f, 3, 'NXDOMAIN');
    assert.equal(answer.readUInt16BE(2) & 0x0100, 0x0100, 'RD echoed');
    assert.equal(answer.readUInt16BE(6), 0, 'no answers');
    assert.deepEqual(answer.subarray(12), QUERY.subarray(12));
  });

  it('ignores responses, truncated and malformed messages', () => {
    assert.equal(parseDnsQuery(Buffer.alloc(5)), null);
    const response = Buffer.from(QUERY);
    response.writeUInt16BE(0x8180, 2);
    assert.equal(parseDnsQuery(response), null);
    assert.equal(parseDnsQuery(QUERY.subarray(0, 20)), null);
    const badLabel = Buffer.from(QUERY);
    badLabel[12] = 0xc0; // a compression pointer where a label belongs
    assert.equal(parseDnsQuery(badLabel), null);
    assert.equal(printableName('a\nb'), 'a?b');
  });
});

describe('first bytes of a trapped connection', () => {
  it('names an HTTP request by its URL', () => {
    const first = describeFirstBytes(Buffer.from('GET /x/y.whl HTTP/1.1\r\nHost: files.example.invalid:8081\r\nUser-Agent: curl/8\r\n\r\n'));
    assert.deepEqual(first, { type: 'http', method: 'GET', host: 'files.example.invalid:8081', target: '/x/y.whl' });
    assert.equal(nameConnection('192.0.2.7:8081', 8081, first), 'http://files.example.invalid:8081/x/y.whl');
    assert.equal(nameConnection('192.0.2.7:80', 80, describeFirstBytes(Buffer.from('GET http://a.invalid/p HTTP/1.1\r\n\r\n'))), 'http://a.invalid/p');
  });

  it('names a TLS connection by its server name (SNI)', () => {
    // A minimal ClientHello carrying server_name "pkg.example.invalid".
    const name = Buffer.from('pkg.example.invalid');
    const sni = Buffer.concat([Buffer.from([0, 0]), u16(name.length + 5), u16(name.length + 3), Buffer.from([0]), u16(name.length), name]);
    const body = Buffer.concat([Buffer.from([3, 3]), Buffer.alloc(32), Buffer.from([0]), u16(2), Buffer.from([0x13, 0x01]), Buffer.from([1, 0]), u16(sni.length), sni]);
    const hello = Buffer.concat([Buffer.from([1, 0]), u16(body.length), body]);
    const record = Buffer.concat([Buffer.from([22, 3, 1]), u16(hello.length), hello]);
    assert.deepEqual(describeFirstBytes(record), { type: 'tls', serverName: 'pkg.example.invalid' });
    assert.equal(nameConnection('192.0.2.8:443', 443, describeFirstBytes(record)), 'pkg.example.invalid:443');
    assert.deepEqual(describeFirstBytes(record.subarray(0, 30)), { type: 'tls', serverName: null });
  });

  it('falls back to the address for anything else', () => {
    assert.equal(nameConnection('[2001:db8::5]:22', 22, describeFirstBytes(Buffer.from('SSH-2.0-x\r\n'))), '[2001:db8::5]:22');
    assert.equal(nameConnection('203.0.113.5:80', 80, describeFirstBytes(Buffer.alloc(0))), '203.0.113.5:80');
  });
});

describe('trap rules', () => {
  it('route every address to loopback, trap DNS before letting loopback TCP through', () => {
    assert.deepEqual(routeCommands('/sbin/ip').v4, ['/sbin/ip', 'route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo']);
    const rules = natCommands('/sbin/iptables', 4, { tcp: 4000, dns4: 4001, dns6: null })!;
    assert.deepEqual(rules.map((r) => r.slice(4).join(' ')), [
      'OUTPUT -p udp --dport 53 -j REDIRECT --to-ports 4001',
      'OUTPUT -p tcp -d 127.0.0.0/8 -j RETURN',
      'OUTPUT -p tcp -j REDIRECT --to-ports 4000',
    ]);
    assert.equal(natCommands('/sbin/ip6tables', 6, { tcp: 4000, dns4: 4001, dns6: null }), null);
  });

  it('stop at the first failing command and say which', async () => {
    const ran: string[] = [];
    const failure = await runAll([['a', '1'], ['b', '2'], ['c']], async (argv) => {
      ran.push(argv[0]!);
      return argv[0] === 'b' ? { ok: false, error: 'Permission denied' } : { ok: true, error: '' };
    });
    assert.deepEqual(ran, ['a', 'b']);
    assert.equal(failure, 'b 2: Permission denied');
  });
});

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
