// A second Docker daemon for one test only, so that a test can stop it without touching the
// shared one (scripts/ci-docker.sh) that other tests use at the same time. Its own socket,
// data root, exec root, pid file and containerd namespaces; it starts its own managed
// containerd (dockerd does when not given --containerd: its socket lives under the exec
// root). Same flags as ci-docker.sh otherwise: vfs, no iptables, no bridge.
//
// Cleanup (registered before it starts, so it runs even when the test fails): the daemon,
// then whatever outlived it (its containerd, containerd shims and build containers: a
// daemon stopped in the middle of a build leaves them behind), their cgroups, the mounts
// under its directory (dockerd bind-mounts its data root; build rootfs, netns files), and
// the directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DOCKER, run } from '../helpers/docker.js';

const DOCKERD_CANDIDATES = ['/usr/sbin/dockerd', '/usr/bin/dockerd', '/usr/local/bin/dockerd'];

export interface PrivateDaemon {
  /** For DOCKER_HOST. */
  readonly host: string;
  readonly dir: string;
  readonly pid: number;
  /** Resolves with the daemon's exit code (or signal name) once it has exited. */
  readonly exited: Promise<number | string>;
  /** Copies an image from the shared daemon into this one (`docker save | docker load`). */
  load(image: string): Promise<void>;
  /** Sends the signal; does not wait for the daemon to exit (see `exited`). */
  signal(signal: NodeJS.Signals): void;
  /** The last lines of the daemon's own log, for failure messages. */
  logTail(lines?: number): string;
}

function dockerdBinary(): string | null {
  return DOCKERD_CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/** Why no private daemon can start here (not root, no dockerd), or null. In CI both hold, so a skip there is a failure. */
export function privateDaemonSkipReason(): string | null {
  let reason: string | null = null;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) reason = 'starting a private dockerd needs root';
  else if (dockerdBinary() === null) reason = `no dockerd in ${DOCKERD_CANDIDATES.join(', ')}: run \`sudo bash scripts/ci-docker.sh\` (installs docker.io)`;
  if (reason !== null && process.env.CI === 'true') throw new Error(`${reason} (CI runs as root with docker.io installed)`);
  return reason;
}

/** The promise's value, or null once `ms` have passed (the timer does not keep the process alive after). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

let started = 0;

export async function startPrivateDaemon(t: { after(fn: () => void | Promise<void>): void }): Promise<PrivateDaemon> {
  const dockerd = dockerdBinary();
  if (dockerd === null) throw new Error('no dockerd binary');
  // /tmp, not $TMPDIR: unix socket paths (exec/containerd/containerd.sock.ttrpc) must stay under 108 bytes.
  const dir = mkdtempSync('/tmp/offgrid-dockerd-');
  let child: ChildProcess | null = null;
  t.after(() => cleanup(dir, child));

  const socket = join(dir, 'docker.sock');
  const namespace = `offgrid-test-${process.pid}-${++started}`;
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'exec'));
  const logPath = join(dir, 'dockerd.log');
  const logFd = openSync(logPath, 'w');
  const proc = spawn(
    dockerd,
    [
      '-H', `unix://${socket}`,
      '--data-root', join(dir, 'data'),
      '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'docker.pid'),
      '--containerd-namespace', namespace,
      '--containerd-plugins-namespace', `${namespace}-plugins`,
      '--storage-driver=vfs', '--iptables=false', '--bridge=none',
    ],
    { stdio: ['ignore', logFd, logFd] },
  );
  child = proc;
  closeSync(logFd);
  const exited = new Promise<number | string>((resolve) => {
    proc.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    proc.on('error', (error) => resolve(String(error)));
  });
  const logTail = (lines = 20): string => {
    try {
      return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const host = `unix://${socket}`;
  const env = { ...process.env, DOCKER_HOST: host };

  let gone: number | string | null = null;
  void exited.then((code) => (gone = code));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if ((await run(DOCKER, ['info', '--format', '{{.ServerVersion}}'], { env, timeoutMs: 10_000 })).code === 0) break;
    if (gone !== null) throw new Error(`the private dockerd exited (${String(gone)}) before it answered:\n${logTail()}`);
    if (Date.now() > deadline) throw new Error(`the private dockerd did not answer within 60 s:\n${logTail()}`);
    await sleep(200);
  }

  return {
    host,
    dir,
    pid: proc.pid ?? -1,
    exited,
    async load(image) {
      // The shared daemon is whatever the test process's environment points at.
      const r = await run('bash', ['-c', 'set -o pipefail; "$0" save "$1" | DOCKER_HOST="$2" "$0" load', DOCKER, image, host], { timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(`could not load ${image} into the private daemon:\n${r.output}`);
    },
    signal(signal) {
      proc.kill(signal);
    },
    logTail,
  };
}

/** Processes that belong to the private daemon: its directory on their command line (containerd, shims), or their root inside it (build containers). */
function leftovers(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/^\d+ \(.*\) Z /s.test(stat)) continue; // a zombie: nothing left to kill
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      // mountinfo fields: id, parent, major:minor, root (the source path), mount point, …
      const rootInDir = readFileSync(`/proc/${entry}/mountinfo`, 'utf8')
        .split('\n')
        .map((line) => line.split(' '))
        .some((fields) => fields[4] === '/' && (fields[3] ?? '').startsWith(`${dir}/`));
      if (cmdline.includes(dir) || rootInDir) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not readable
    }
  }
  return pids;
}

/** The container cgroups (cgroup v1 or v2 paths under /docker/) of a process. */
function dockerCgroups(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .map((line) => line.split(':').slice(2).join(':'))
      .filter((path) => /^\/docker\/(buildkit\/)?[0-9a-z]{10,}$/.test(path));
  } catch {
    return [];
  }
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => (line.split(' ')[1] ?? '').replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((path) => path === dir || path.startsWith(`${dir}/`));
}

async function cleanup(dir: string, child: ChildProcess | null): Promise<void> {
  if (child !== null && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await within(exited, 10_000);
  }
  const cgroups = new Set<string>();
  for (let round = 0; round < 50; round++) {
    const pids = leftovers(dir);
    if (pids.length === 0) break;
    for (const pid of pids) {
      for (const path of dockerCgroups(pid)) cgroups.add(path);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(100);
  }
  const still = leftovers(dir);
  // Empty cgroups the dead containers leave (a running daemon would remove them).
  const roots = existsSync('/sys/fs/cgroup') ? ['/sys/fs/cgroup', ...readdirSync('/sys/fs/cgroup').map((d) => join('/sys/fs/cgroup', d))] : [];
  for (const path of cgroups) {
    for (const root of roots) {
      try {
        rmdirSync(join(root, path));
      } catch {
        // not in this hierarchy, or not empty
      }
    }
  }
  for (let round = 0; round < 5; round++) {
    const mounts = mountsUnder(dir).sort((a, b) => b.length - a.length);
    if (mounts.length === 0) break;
    for (const mount of mounts) await run('umount', ['-l', mount], { timeoutMs: 20_000 });
  }
  const mounted = mountsUnder(dir);
  // Never rm -rf through a mount that would not go.
  if (mounted.length === 0) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  if (still.length > 0 || mounted.length > 0) {
    throw new Error(`the private dockerd left behind processes ${still.join(', ') || 'none'} and mounts ${mounted.join(', ') || 'none'} (in ${dir})`);
  }
}
