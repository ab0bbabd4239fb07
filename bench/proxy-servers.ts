// The servers the proxy benchmark runs side by side, each as its own process so its memory
// and CPU are its own: nginx (Debian's nginx-light, with Debian's shipped settings: sendfile,
// tcp_nopush, an access log), offgrid's caching proxy (`offgrid serve`) and apt-cacher-ng.
// Every config lives under bench/.work/; every process is stopped by its own pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export interface BenchServer {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Stops the process (SIGTERM, SIGKILL after `graceMs`); resolves with the seconds the shutdown took. */
  stop(graceMs?: number): Promise<number>;
}

/** The port if nothing listens on it right now (bound, read, released), else null. */
async function tryPort(wanted: number): Promise<number | null> {
  const server = createServer();
  server.listen(wanted, '127.0.0.1');
  const ok = await Promise.race([once(server, 'listening').then(() => true), once(server, 'error').then(() => false)]);
  if (!ok) return null;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : null;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * A free port below 32768: apt-cacher-ng 3.7 fails to bind a port above that ("Error
 * resolving address for binding") and answers 503 for an upstream on one (AllowUserPorts
 * does not match it); the kernel's ephemeral ports all are above.
 */
async function freeLowPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tryPort(20_000 + Math.floor(Math.random() * 12_000));
    if (port !== null) return port;
  }
  throw new Error('no free port between 20000 and 32000 on 127.0.0.1');
}

async function canConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits (bounded) until something accepts connections on the port, or the process dies. */
export async function waitForPort(child: ChildProcess, port: number, name: string, timeoutMs = 15_000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before listening`);
    if (await canConnect(port, host)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not listen on ${port} within ${timeoutMs} ms`);
}

function stopper(child: ChildProcess): (graceMs?: number) => Promise<number> {
  return async (graceMs = 60_000) => {
    const started = process.hrtime.bigint();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    return Number(process.hrtime.bigint() - started) / 1e9;
  };
}

/** Keeps the last bytes a process wrote to stderr, for the error message when it fails. */
function tailOf(stream: NodeJS.ReadableStream | null): () => string {
  let tail = '';
  stream?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  });
  return () => tail;
}

/** The peak resident set (VmHWM) of a running process, in MB. */
export function peakRssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

export const NGINX = '/usr/sbin/nginx';
export const APT_CACHER_NG = '/usr/sbin/apt-cacher-ng';

/** The rate of nginx's `/wan/` view of the docroot: a fast mirror across a real network. */
export const WAN_RATE_MBPS = 50;

/**
 * nginx serving `docroot`, configured as Debian ships it (sendfile on, tcp_nopush on, access
 * log on, workers = cores); `/wan/...` serves the same files at WAN_RATE_MBPS per connection.
 */
/** Paths under nginx's URL that reach its relay and its caching proxy (see startNginx). */
export const NGINX_RELAY_PREFIX = '/nginx-relay/';
export const NGINX_CACHING_PREFIX = '/nginx-caching/';
/** Large proxy buffers: nginx's 4–8 KB defaults would make it a needlessly weak peer for 500 MB. */
const PROXY_BUFFERS = 'proxy_buffer_size 256k; proxy_buffers 32 256k; proxy_busy_buffers_size 512k;';

/**
 * nginx serving `docroot`, with Debian's settings: as many workers as cores (`auto`), or
 * `workers` of them (one worker is nginx on offgrid's terms: one event loop on one core).
 */
export async function startNginx(work: string, docroot: string, workers: number | 'auto' = 'auto'): Promise<BenchServer> {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing: apt-get install nginx-light`);
  const dir = join(work, workers === 'auto' ? 'nginx' : `nginx-${workers}`);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const port = await freeLowPort(); // apt-cacher-ng reaches it too
  // As root, nginx would hand its workers to `nobody`; keep them as the benchmark's user.
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};` : '';
  const conf = `${user}
daemon off;
master_process on;
worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 768; }
http {
  sendfile on;
  tcp_nopush on;
  types_hash_max_size 2048;
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log ${dir}/access.log;
  gzip on;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  proxy_cache_path ${dir}/proxy-cache levels=1:2 keys_zone=cold:10m max_size=8g use_temp_path=off;
  server {
    listen 127.0.0.1:${port};
    root ${docroot};
    location / { }
    location /wan/ { alias ${docroot}/; limit_rate ${WAN_RATE_MBPS}m; }
    # nginx as the cold-fetch peers of offgrid: a relay (buffers in memory, nothing on disk)
    # and a caching proxy (every response stored), both fetching from this same server.
    location ${NGINX_RELAY_PREFIX} { proxy_pass http://127.0.0.1:${port}/; ${PROXY_BUFFERS} proxy_max_temp_file_size 0; }
    location ${NGINX_CACHING_PREFIX} { proxy_pass http://127.0.0.1:${port}/; ${PROXY_BUFFERS} proxy_cache cold; proxy_cache_valid 200 1h; }
  }
}
`;
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, conf);
  const child = spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  const tail = tailOf(child.stderr);
  try {
    await waitForPort(child, port, 'nginx');
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${tail()}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000) : ''}`);
  }
  return { name: `nginx-${workers}`, pid: child.pid!, port, url: `http://127.0.0.1:${port}`, stop: stopper(child) };
}

/**
 * offgrid's caching proxy as a user runs it: `offgrid serve --port 0`, with a fresh cache and
 * log dir, allowed to reach `allowHost` through its forward proxy.
 */
export async function startOffgrid(root: string, work: string, name: string, allowHost: string, extraArgs: readonly string[] = []): Promise<BenchServer> {
  const main = join(root, 'dist/cli/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, PIP_CONFIG_FILE: '/dev/null' };
  for (const key of Object.keys(env)) if (/^(https?|no|all)_proxy$/i.test(key)) delete env[key];
  const child = spawn(
    process.execPath,
    [main, 'serve', '--port', '0', '--cache-dir', join(dir, 'cache'), '--log-dir', join(dir, 'logs'), '--allow-host', allowHost, ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  const tail = tailOf(child.stderr);
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`offgrid serve printed no address within 20 s\n${out}${tail()}`));
    }, 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /caching proxy at http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`offgrid serve exited (${code})\n${out}${tail()}`));
    });
  });
  child.stdout!.resume();
  return { name: 'offgrid', pid: child.pid!, port, url: `http://127.0.0.1:${port}`, stop: stopper(child) };
}

/** A bare Node server (node-peer.ts): `static` answers FILE to every request, `relay` forwards without a cache. */
export async function startNodePeer(root: string, mode: 'static' | 'relay', file?: string): Promise<BenchServer> {
  const script = join(root, 'dist/bench/node-peer.js');
  const port = await freeLowPort();
  const child = spawn(process.execPath, [script, mode, String(port), ...(file ? [file] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
  const tail = tailOf(child.stderr);
  await waitForPort(child, port, `node-peer ${mode}`).catch((error: Error) => {
    throw new Error(`${error.message}\n${tail()}`);
  });
  return { name: `node-${mode}`, pid: child.pid!, port, url: `http://127.0.0.1:${port}`, stop: stopper(child) };
}

/**
 * apt-cacher-ng as a forward proxy (what apt's Acquire::http::Proxy points at), with its own
 * cache and config; AllowUserPorts lets it reach the fake mirror on nginx's port.
 */
export async function startAptCacherNg(work: string, name: string, upstreamPort: number): Promise<BenchServer> {
  if (!existsSync(APT_CACHER_NG)) throw new Error(`${APT_CACHER_NG} is missing: apt-get install apt-cacher-ng`);
  const dir = join(work, name);
  for (const sub of ['conf', 'cache', 'log']) mkdirSync(join(dir, sub), { recursive: true });
  const port = await freeLowPort();
  writeFileSync(
    join(dir, 'conf', 'acng.conf'),
    [
      `CacheDir: ${dir}/cache`,
      `LogDir: ${dir}/log`,
      'SupportDir: /usr/lib/apt-cacher-ng',
      `Port: ${port}`,
      'BindAddress: 127.0.0.1',
      'ForeGround: 1',
      `PidFile: ${dir}/pid`,
      `SocketPath: ${dir}/socket`,
      'ExThreshold: 4',
      `AllowUserPorts: 80 ${upstreamPort}`,
      'ReportPage: acng-report.html',
      '',
    ].join('\n'),
  );
  const child = spawn(APT_CACHER_NG, ['-c', join(dir, 'conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const tail = tailOf(child.stderr);
  try {
    await waitForPort(child, port, 'apt-cacher-ng');
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${tail()}`);
  }
  return { name: 'apt-cacher-ng', pid: child.pid!, port, url: `http://127.0.0.1:${port}`, stop: stopper(child) };
}
