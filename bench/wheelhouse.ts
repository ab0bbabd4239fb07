// Warm wheelhouse: everything already in wheelhouse/. `offgrid wheelhouse` (resolve the
// whole tree with pip through the proxy, check every sha256, write the manifest and the
// session files) against a bare `pip download --no-index --find-links wheelhouse -d
// wheelhouse -r requirements.txt` on the same 60 requirements (80 packages with their
// dependencies), in the same run, runs alternated. Target: ratio <= 1.2.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPypiIndex, type DistSpec } from '../test/helpers/pypi-index.js';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface WheelhouseBenchResult {
  readonly requirements: number;
  readonly packages: number;
  readonly runs: number;
  readonly offgridMedianS: number;
  readonly pipMedianS: number;
  readonly ratio: number;
}

function env(cacheDir: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PIP_')) out[k] = v;
  return { ...out, PIP_CONFIG_FILE: '/dev/null', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', PIP_CACHE_DIR: cacheDir, NO_COLOR: '1' };
}

/** Seconds a command takes. Asynchronous: the index runs in this process and must keep answering. */
async function timed(cmd: string, args: string[], cwd: string, e: NodeJS.ProcessEnv): Promise<number> {
  const start = performance.now();
  const child = spawn(cmd, args, { cwd, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${code}): ${output.slice(-2000)}`);
  return (performance.now() - start) / 1000;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchWheelhouse(runs = 7): Promise<WheelhouseBenchResult> {
  const top = 60;
  const packages: DistSpec[] = [];
  for (let i = 0; i < top; i++) {
    // Every third top-level package has a dependency of its own: 80 packages resolved.
    const dep = i % 3 === 0 ? [`dep${i}>=1.0`] : [];
    packages.push({ name: `pkg${i}`, version: '1.0', deps: dep, padBytes: 20_000 });
    packages.push({ name: `pkg${i}`, version: '1.1', deps: dep, padBytes: 20_000 });
    if (dep.length > 0) packages.push({ name: `dep${i}`, version: '1.0', padBytes: 5_000 });
  }
  const index = await startPypiIndex({ packages });
  const dir = mkdtempSync(join(tmpdir(), 'offgrid-bench-wheelhouse-'));
  try {
    writeFileSync(join(dir, 'requirements.txt'), Array.from({ length: top }, (_, i) => `pkg${i}>=1.0`).join('\n') + '\n');
    const e = env(join(dir, 'pip-cache'));
    const offgrid = ['wheelhouse', '-r', 'requirements.txt', '--cache-dir', 'cache', '--pypi-upstream', index.simpleUrl];
    const pip = ['-m', 'pip', 'download', '--no-index', '--find-links', 'wheelhouse', '-d', 'wheelhouse', '-r', 'requirements.txt'];
    await timed(process.execPath, [CLI, ...offgrid], dir, e); // cold: fills the wheelhouse and both caches
    await timed(process.execPath, [CLI, ...offgrid], dir, e);
    await timed('python3', pip, dir, e);
    const o: number[] = [];
    const p: number[] = [];
    // Alternating which goes first, so whatever the previous run leaves behind (page cache,
    // writeback) falls on both alike.
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 1) p.push(await timed('python3', pip, dir, e));
      o.push(await timed(process.execPath, [CLI, ...offgrid], dir, e));
      if (i % 2 === 0) p.push(await timed('python3', pip, dir, e));
    }
    const result = {
      requirements: top,
      packages: packages.filter((s) => s.version === '1.1' || s.name.startsWith('dep')).length,
      runs,
      offgridMedianS: Number(median(o).toFixed(3)),
      pipMedianS: Number(median(p).toFixed(3)),
      ratio: Number((median(o) / median(p)).toFixed(2)),
    };
    console.log(
      `wheelhouse warm, ${result.requirements} requirements / ${result.packages} packages: offgrid ${result.offgridMedianS} s, ` +
        `bare pip download --no-index ${result.pipMedianS} s (median of ${runs}); ratio ${result.ratio} (${result.ratio <= 1.2 ? 'meets' : 'MISSES'} 1.2)`,
    );
    return result;
  } finally {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchWheelhouse();
