// How a command is cut off from the network on this machine. Tried in order: `unshare -n`
// (root), `unshare -rn` (an unprivileged user namespace), `bwrap --unshare-net`. Each
// candidate is PROBED, not assumed: the probe runs inside the candidate and passes only
// when the namespace's only interface is `lo` and it is up. No candidate, no verify: a
// "works offline" verdict from a process that still had a network would be a lie.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export type IsolationMethod = 'unshare' | 'unshare-user' | 'bwrap';

export interface Isolation {
  readonly method: IsolationMethod;
  /** How it is shown to a person, e.g. `unshare -n`. */
  readonly label: string;
  /** argv that runs `command` inside a fresh network namespace with loopback up. */
  wrap(command: readonly string[]): string[];
}

export interface IsolationAttempt {
  readonly method: IsolationMethod;
  readonly label: string;
  readonly reason: string;
}

export interface IsolationProbe {
  readonly isRoot: boolean;
  /** The absolute path of an executable on PATH, or null. */
  which(name: string): string | null;
  /** Runs argv; resolves with its exit code and stderr. */
  run(argv: readonly string[]): Promise<{ code: number | null; stderr: string }>;
}

/** A shell line that brings loopback up in a fresh namespace, then execs the command. */
function loopbackUp(ip: string | null, ifconfig: string | null): string | null {
  if (ip) return `${ip} link set lo up`;
  if (ifconfig) return `${ifconfig} lo up`;
  return null;
}

/** The candidates in the order the machine should try them, with why one cannot be tried. */
export function candidates(probe: Pick<IsolationProbe, 'isRoot' | 'which'>): (Isolation | IsolationAttempt)[] {
  const unshare = probe.which('unshare');
  const up = loopbackUp(probe.which('ip'), probe.which('ifconfig'));
  const viaUnshare = (method: IsolationMethod, flag: string): Isolation | IsolationAttempt => {
    const label = `unshare ${flag}`;
    if (!unshare) return { method, label, reason: 'unshare (util-linux) is not installed' };
    if (!up) return { method, label, reason: 'neither ip (iproute2) nor ifconfig is installed to bring loopback up' };
    return {
      method,
      label,
      wrap: (command) => [unshare, flag, '--', '/bin/sh', '-c', `${up} && exec "$@"`, 'offgrid-sandbox', ...command],
    };
  };
  const list: (Isolation | IsolationAttempt)[] = [];
  if (probe.isRoot) list.push(viaUnshare('unshare', '-n'));
  list.push(viaUnshare('unshare-user', '-rn'));
  const bwrap = probe.which('bwrap');
  list.push(
    bwrap
      ? {
          method: 'bwrap',
          label: 'bwrap --unshare-net',
          // bwrap brings loopback up itself; the whole filesystem stays as it is.
          wrap: (command) => [bwrap, '--dev-bind', '/', '/', '--unshare-net', '--die-with-parent', '--', ...command],
        }
      : { method: 'bwrap', label: 'bwrap --unshare-net', reason: 'bwrap (bubblewrap) is not installed' },
  );
  return list;
}

/**
 * Inside the namespace: `lo` is the only interface (/proc/net follows the process's network
 * namespace; /sys/class/net would not, it shows the namespace sysfs was mounted in). That
 * loopback is up is checked by the wrapper itself: it runs the command only after `lo up`.
 */
export const PROBE_SCRIPT =
  'ifs=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "); [ "$ifs" = lo ] || { echo "still sees interfaces:" $ifs >&2; exit 1; }';

export async function findIsolation(probe: IsolationProbe): Promise<{ isolation: Isolation | null; tried: IsolationAttempt[] }> {
  const tried: IsolationAttempt[] = [];
  for (const candidate of candidates(probe)) {
    if (!('wrap' in candidate)) {
      tried.push(candidate);
      continue;
    }
    const result = await probe.run(candidate.wrap(['/bin/sh', '-c', PROBE_SCRIPT]));
    if (result.code === 0) return { isolation: candidate, tried };
    const why = result.stderr.trim().split('\n').pop() ?? '';
    tried.push({ method: candidate.method, label: candidate.label, reason: why || `exited with ${result.code}` });
  }
  return { isolation: null, tried };
}

/** The probe of the real machine. */
export function systemProbe(env: NodeJS.ProcessEnv): IsolationProbe {
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter(Boolean);
  return {
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    which(name) {
      for (const dir of dirs) {
        const path = join(dir, name);
        try {
          accessSync(path, constants.X_OK);
          return path;
        } catch {
          // not here
        }
      }
      return null;
    },
    run(argv) {
      return new Promise((resolve) => {
        const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', (error) => resolve({ code: null, stderr: error.message }));
        child.on('close', (code) => resolve({ code, stderr }));
      });
    },
  };
}
