// The commands that turn a fresh network namespace into a trap, as argv lists (pure), and
// a runner that applies them and says what worked. After them:
//   - every address is local (`ip route add local 0.0.0.0/0 dev lo`, and `::/0` for IPv6),
//     so a connection to any host reaches something INSIDE the namespace, never a network;
//   - NAT sends every TCP connection that is not for loopback to the trap's port, and every
//     DNS query (UDP 53, loopback resolvers such as 127.0.0.53 included) to the trap's
//     resolver. Loopback TCP (offgrid's proxy, a build's own test servers) is untouched.
// Without iptables the trap listens on a fixed list of common ports instead (FALLBACK_PORTS).
import { execFile } from 'node:child_process';

export interface TrapPorts {
  readonly tcp: number;
  readonly dns4: number;
  readonly dns6: number | null;
}

/** Ports the trap listens on when NAT is not available (see net-trap.ts for what that misses). */
export const FALLBACK_TCP_PORTS = [21, 22, 53, 80, 443, 873, 8443, 9418, 11371] as const;

export function routeCommands(ip: string): { v4: string[]; v6: string[] } {
  return {
    v4: [ip, 'route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo'],
    v6: [ip, '-6', 'route', 'add', 'local', '::/0', 'dev', 'lo'],
  };
}

/** iptables/ip6tables rules, in order (DNS first: a loopback resolver address is trapped too). */
export function natCommands(iptables: string, family: 4 | 6, ports: TrapPorts): string[][] | null {
  const dns = family === 4 ? ports.dns4 : ports.dns6;
  if (dns === null) return null;
  const loopback = family === 4 ? '127.0.0.0/8' : '::1/128';
  return [
    [iptables, '-t', 'nat', '-A', 'OUTPUT', '-p', 'udp', '--dport', '53', '-j', 'REDIRECT', '--to-ports', String(dns)],
    [iptables, '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-d', loopback, '-j', 'RETURN'],
    [iptables, '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', String(ports.tcp)],
  ];
}

export type CommandRunner = (argv: readonly string[]) => Promise<{ ok: boolean; error: string }>;

export const runCommand: CommandRunner = (argv) =>
  new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: 30_000 }, (error, _stdout, stderr) => {
      resolve({ ok: !error, error: error ? (String(stderr).trim().split('\n').pop() || error.message) : '' });
    });
  });

/** Runs commands in order; stops at the first failure and returns its message (null: all ran). */
export async function runAll(commands: readonly (readonly string[])[], run: CommandRunner): Promise<string | null> {
  for (const argv of commands) {
    const result = await run(argv);
    if (!result.ok) return `${argv.slice(0, 1).join('')} ${argv.slice(1).join(' ')}: ${result.error}`;
  }
  return null;
}
