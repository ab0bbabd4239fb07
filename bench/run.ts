// `npm run bench [NAME…]`: every benchmark, or the ones named. Each prints its figures
// and the ratio to the real peer it ran beside; results also go to bench/results.json.
import { writeFileSync } from 'node:fs';
import { benchParsers } from './parsers.js';

const BENCHES: Record<string, () => Promise<unknown>> = {
  parsers: async () => {
    const small = await benchParsers(250);
    const large = await benchParsers(500);
    const verdict = large.offgridMBps >= 150 ? 'meets' : 'MISSES';
    console.log(`parsers: ${large.sizeMB} MB at ${large.offgridMBps} MB/s (grep -cE ${large.grepMBps} MB/s, ratio ${large.ratioToGrep}); ` +
      `peak RSS ${small.peakRssMB} MB at ${small.sizeMB} MB vs ${large.peakRssMB} MB at ${large.sizeMB} MB; ${verdict} the 150 MB/s target`);
    return { small, large };
  },
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
