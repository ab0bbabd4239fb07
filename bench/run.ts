// `npm run bench [NAME…]`: every benchmark, or the ones named. Each prints its figures
// and the ratio to the real peer it ran beside; results also go to bench/results.json.
import { writeFileSync } from 'node:fs';
import { benchParsers } from './parsers.js';
import { benchProxy } from './proxy.js';
import { benchDocker } from './docker.js';
import { benchCache } from './cache.js';
import { benchWheelhouse } from './wheelhouse.js';
import { benchLedger } from './ledger.js';

const BENCHES: Record<string, () => Promise<unknown>> = {
  parsers: async () => {
    const results = [];
    for (const [size, mix] of [[500, 'dense'], [250, 'mixed'], [500, 'mixed'], [500, 'noise']] as const) {
      const r = await benchParsers(size, mix);
      results.push(r);
      console.log(
        `parsers ${r.mix.padEnd(5)} ${r.sizeMB} MB: ${r.offgridMBps} MB/s, peak RSS ${r.peakRssMB} MB, ${r.events} events; ` +
          `grep -cE ${r.grepMBps} MB/s (offgrid/grep ${r.ratioToGrep}); ${r.offgridMBps >= 150 ? 'meets' : 'MISSES'} 150 MB/s`,
      );
    }
    return results;
  },
  proxy: benchProxy,
  docker: () => benchDocker(),
  cache: () => benchCache(2),
  wheelhouse: () => benchWheelhouse(),
  ledger: async () => benchLedger(),
};

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
const results: Record<string, unknown> = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, ran_at: new Date().toISOString() };
for (const name of names) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  results[name] = await bench();
}
writeFileSync(new URL('../../bench/results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
