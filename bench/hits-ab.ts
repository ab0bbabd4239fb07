// Two builds of offgrid side by side on 4 KB cache hits, for a change to the hit path:
//   node dist/bench/hits-ab.js CHECKOUT_A CHECKOUT_B [ROUNDS] [serve options for both, e.g. --workers 2]
// Each checkout is a built offgrid (its dist/cli/main.js). Both serve the same 100 pages from
// nginx, warmed; then wrk runs against A, B and nginx in turn, ROUNDS times, and each run
// reports its requests/s and the server's CPU time per request (/proc/PID/stat). This
// machine's speed drifts by 2x within minutes, so only figures of one round compare; the
// lowest CPU per request of each side is its cost with the least interference.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { curlList, wrk } from './proxy-clients.js';
import { prepareFiles } from './proxy-fixtures.js';
import { type BenchServer, startNginx, startOffgrid } from './proxy-servers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORK = join(ROOT, 'bench/.work/hits-ab');
const SECONDS = 3;
const CONNECTIONS = 64;

/** CPU time (user + system) the process and its children (serve's workers) have used, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  // clock ticks of 10 ms
  return (Number(fields[11]) + Number(fields[12])) * 10 + children.reduce((sum, child) => sum + cpuMs(child), 0);
}

async function main(): Promise<void> {
  const [a, b, roundsArg, ...serveArgs] = process.argv.slice(2);
  if (!a || !b) {
    console.error('usage: node dist/bench/hits-ab.js CHECKOUT_A CHECKOUT_B [ROUNDS]');
    process.exit(2);
  }
  const rounds = Number(roundsArg ?? 6);
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const files = await prepareFiles(WORK, []);
  const script = join(WORK, 'wrk.lua');
  const nginx = await startNginx(WORK, files.docroot);
  const servers: BenchServer[] = [nginx];
  try {
    const urls = files.cachedPages.map((path) => `${nginx.url}${path}`);
    const sides: { name: string; server: BenchServer; rps: number[]; cpuUs: number[] }[] = [];
    for (const [name, checkout] of [['A', a], ['B', b]] as const) {
      const server = await startOffgrid(resolve(checkout), WORK, `offgrid-${name}`, `127.0.0.1:${nginx.port}`, serveArgs);
      servers.push(server);
      await curlList(urls, server.url, join(WORK, 'warm.curlrc'));
      await wrk(server.url, urls, CONNECTIONS, 2, script);
      sides.push({ name, server, rps: [], cpuUs: [] });
    }
    const nginxRps: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const side of sides) {
        const before = cpuMs(side.server.pid);
        const run = await wrk(side.server.url, urls, CONNECTIONS, SECONDS, script);
        if (run.non2xx + run.socketErrors > 0) throw new Error(`${side.name}: ${run.non2xx} non-2xx answers, ${run.socketErrors} socket errors`);
        side.rps.push(Math.round(run.requestsPerSecond));
        side.cpuUs.push(Math.round(((cpuMs(side.server.pid) - before) * 1000 * 10) / run.requests) / 10);
      }
      nginxRps.push(Math.round((await wrk(nginx.url, files.cachedPages, CONNECTIONS, SECONDS, script)).requestsPerSecond));
    }
    for (const side of sides) {
      console.log(`${side.name} ${side === sides[0] ? a : b}: req/s ${side.rps.join(' ')}; CPU µs/request ${side.cpuUs.join(' ')} (lowest ${Math.min(...side.cpuUs)})`);
    }
    console.log(`nginx: req/s ${nginxRps.join(' ')}`);
    console.log(`per round, B/A req/s: ${sides[1]!.rps.map((r, i) => (r / sides[0]!.rps[i]!).toFixed(2)).join(' ')}; B/nginx: ${sides[1]!.rps.map((r, i) => (r / nginxRps[i]!).toFixed(2)).join(' ')}`);
  } finally {
    for (const server of servers.reverse()) await server.stop();
  }
}

await main();
