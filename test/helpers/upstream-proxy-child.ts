// A proxy in its own process, so a test can SIGKILL it mid-download. Prints its URL as the
// first stdout line. argv: cacheDir.
import { startProxy } from '../../src/capture/proxy/server.js';

const cacheDir = process.argv[2];
if (!cacheDir) throw new Error('usage: upstream-proxy-child.js CACHE_DIR');
const proxy = await startProxy({
  cacheDir,
  offline: false,
  upstreams: { pypi: [], npm: null, allowedHosts: new Set(['127.0.0.1']) },
  record: () => {},
  clock: { now: () => new Date() },
  log: { debug() {}, warn() {} },
  routes: [],
});
process.stdout.write(`${proxy.url}\n`);
