// Overhead of `offgrid build` over a bare `docker build` of the same service, on the same
// engine in the same run: both fully cached (a rebuild with nothing changed), and both cold
// (--no-cache). The service is a busybox image with a few RUN steps (offgrid-test/busybox,
// from scripts/ci-docker.sh). Targets: ≤ 1.05× cached, ≤ 1.1× cold.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const DOCKER = '/usr/bin/docker';
const IMAGE = 'offgrid-bench/docker:latest';

export interface DockerBenchResult {
  readonly runs: number;
  readonly cachedBareSeconds: number;
  readonly cachedOffgridSeconds: number;
  readonly cachedRatio: number;
  readonly coldBareSeconds: number;
  readonly coldOffgridSeconds: number;
  readonly coldRatio: number;
}

function timed(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(file, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${r.stderr.toString().slice(-2000)}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchDocker(runs = 6): Promise<DockerBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'offgrid-bench-docker-'));
  try {
    writeFileSync(join(dir, 'compose.yaml'), `services:\n  app:\n    build: .\n    image: ${IMAGE}\n`);
    writeFileSync(
      join(dir, 'Dockerfile'),
      'FROM offgrid-test/busybox:latest\nRUN for i in $(seq 1 2000); do echo line $i; done\nRUN mkdir -p /data && dd if=/dev/zero of=/data/blob bs=1M count=8 2>&1\nCOPY compose.yaml /app/\n',
    );
    const env = { ...process.env, DOCKER_BUILDKIT: '1', OFFGRID_CACHE_DIR: join(dir, '.cache'), OFFGRID_LOG_DIR: join(dir, 'logs') };
    // The same engine arguments offgrid uses online.
    const bare = (extra: string[]) => timed(DOCKER, ['build', '--progress=plain', '--network=host', ...extra, '-t', IMAGE, '.'], dir, env);
    const offgrid = (extra: string[]) => timed(process.execPath, [CLI, 'build', ...extra], dir, env);
    bare([]); // warm the build cache
    const cached = { bare: [] as number[], offgrid: [] as number[] };
    const cold = { bare: [] as number[], offgrid: [] as number[] };
    // Interleaved, so drift on the machine hits both alike, and in alternating order: the
    // engine's speed on a build depends on what it built just before (layer export on vfs).
    for (let i = 0; i < runs; i++) {
      const pairs: [number[], () => number][] = [
        [cached.bare, () => bare([])],
        [cached.offgrid, () => offgrid([])],
        [cold.bare, () => bare(['--no-cache'])],
        [cold.offgrid, () => offgrid(['--no-cache'])],
      ];
      const order = i % 2 === 0 ? [0, 1, 2, 3] : [1, 0, 3, 2];
      for (const k of order) pairs[k]![0].push(pairs[k]![1]());
    }
    const r3 = (n: number) => Math.round(n * 1000) / 1000;
    const result = {
      runs,
      cachedBareSeconds: r3(median(cached.bare)),
      cachedOffgridSeconds: r3(median(cached.offgrid)),
      cachedRatio: r3(median(cached.offgrid) / median(cached.bare)),
      coldBareSeconds: r3(median(cold.bare)),
      coldOffgridSeconds: r3(median(cold.offgrid)),
      coldRatio: r3(median(cold.offgrid) / median(cold.bare)),
    };
    console.log(
      `docker build overhead (median of ${runs}): cached ${result.cachedOffgridSeconds}s vs bare ${result.cachedBareSeconds}s = ${result.cachedRatio}× ` +
        `(${result.cachedRatio <= 1.05 ? 'meets' : 'MISSES'} 1.05×); cold ${result.coldOffgridSeconds}s vs ${result.coldBareSeconds}s = ${result.coldRatio}× ` +
        `(${result.coldRatio <= 1.1 ? 'meets' : 'MISSES'} 1.1×)`,
    );
    return result;
  } finally {
    spawnSync(DOCKER, ['rmi', '-f', IMAGE], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchDocker();
