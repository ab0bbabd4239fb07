// The clients of the proxy benchmark, the same for every server: curl (one download, N at
// once, or a list over one connection as apt does) and wrk (small-file requests per second).
// A proxied request is an absolute-form request to the proxy (`curl -x`, or a wrk script
// whose request line carries the full URL), exactly what apt-get and curl send via http_proxy.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';

export interface CurlResult {
  readonly status: number;
  readonly bytes: number;
  readonly ttfbSeconds: number;
  readonly totalSeconds: number;
  /** The proxy's x-offgrid-cache header ('' from other servers). */
  readonly cache: string;
}

/** The environment of every client: no proxy settings but the ones given explicitly. */
function clientEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^(https?|no|all)_proxy$/i.test(key)) delete env[key];
  return env;
}

interface Exited {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion, killing it after `timeoutMs` (every client run is bounded). */
export function run(file: string, args: readonly string[], timeoutMs: number): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: clientEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const WRITE_OUT = '%{http_code} %{size_download} %{time_starttransfer} %{time_total} [%header{x-offgrid-cache}]\\n';

function parseWriteOut(line: string): CurlResult {
  const match = /^(\d+) (\d+) ([\d.]+) ([\d.]+) \[([^\]]*)\]$/.exec(line.trim());
  if (!match) throw new Error(`unexpected curl output: ${line}`);
  return { status: Number(match[1]), bytes: Number(match[2]), ttfbSeconds: Number(match[3]), totalSeconds: Number(match[4]), cache: match[5]! };
}

/** One download to /dev/null; `proxy` makes it an absolute-form request to that proxy. */
export async function curlOnce(url: string, proxy: string | null, timeoutMs = 120_000): Promise<CurlResult> {
  const args = ['-sS', '-o', '/dev/null', '-w', WRITE_OUT, ...(proxy ? ['-x', proxy] : []), url];
  const r = await run('curl', args, timeoutMs);
  if (r.code !== 0) throw new Error(`curl ${url}${proxy ? ` via ${proxy}` : ''} failed (${r.code}): ${r.stderr}`);
  const result = parseWriteOut(r.stdout);
  if (result.status !== 200) throw new Error(`curl ${url}${proxy ? ` via ${proxy}` : ''}: HTTP ${result.status}`);
  return result;
}

/** `clients` downloads of the same URL at once; aggregate MB/s over the wall time of all of them. */
export async function curlParallel(url: string, proxy: string | null, clients: number): Promise<{ mbps: number; seconds: number; bytes: number }> {
  const started = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: clients }, () => curlOnce(url, proxy)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const bytes = results.reduce((sum, r) => sum + r.bytes, 0);
  return { mbps: bytes / 1e6 / seconds, seconds, bytes };
}

/**
 * Downloads a list of URLs in order in ONE curl process (one kept-alive connection, like
 * apt's), each to /dev/null. Fails unless every answer is 200.
 */
export async function curlList(urls: readonly string[], proxy: string | null, configPath: string): Promise<{ seconds: number; bytes: number; cache: string[] }> {
  writeFileSync(configPath, urls.map((u) => `url = "${u}"\noutput = "/dev/null"\n`).join(''));
  const started = process.hrtime.bigint();
  const r = await run('curl', ['-sS', '-w', WRITE_OUT, ...(proxy ? ['-x', proxy] : []), '--config', configPath], 300_000);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.code !== 0) throw new Error(`curl list via ${proxy} failed (${r.code}): ${r.stderr}`);
  const results = r.stdout.trim().split('\n').map(parseWriteOut);
  const bad = results.filter((x) => x.status !== 200);
  if (results.length !== urls.length || bad.length > 0) throw new Error(`curl list via ${proxy}: ${bad.length} answers not 200 (${bad.map((b) => b.status).join(',')})`);
  return { seconds, bytes: results.reduce((s, x) => s + x.bytes, 0), cache: results.map((x) => x.cache) };
}

export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly latencyAvg: string;
}

/**
 * wrk for `seconds` at `connections`, cycling over `urls` (a Lua script picks the next one).
 * With a proxy, wrk connects to the proxy and the request line carries the absolute URL.
 */
export async function wrk(target: string, urls: readonly string[], connections: number, seconds: number, scriptPath: string): Promise<WrkResult> {
  const list = urls.map((u) => `  ${JSON.stringify(u)},`).join('\n');
  writeFileSync(
    scriptPath,
    `local paths = {\n${list}\n}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n`,
  );
  const r = await run('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', scriptPath, target], (seconds + 30) * 1000);
  if (r.code !== 0) throw new Error(`wrk against ${target} failed (${r.code}): ${r.stderr}${r.stdout}`);
  const num = (re: RegExp): number => Number(re.exec(r.stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
  return {
    requestsPerSecond: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    socketErrors: socket ? socket.slice(1).reduce((s, n) => s + Number(n), 0) : 0,
    latencyAvg: /Latency\s+(\S+)/.exec(r.stdout)?.[1] ?? '?',
  };
}
