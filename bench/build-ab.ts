// Two builds of offgrid side by side on a fully cached `offgrid build`, for a change to its
// start-up or its work around the engine:
//   node dist/bench/build-ab.js CHECKOUT_A CHECKOUT_B [ROUNDS]
// Each checkout is a built offgrid (its dist/cli/main.js). One busybox project (the docker
// benchmark's) is built once to warm the engine's cache; then each round times a bare
// `docker build` (the same engine arguments offgrid uses online), A's and B's `offgrid
// build`, in an order that rotates, and prints the round. This machine's speed drifts, so
// only figures of one round compare; the medians are printed at the end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BUSYBOX_DOCKERFILE, DOCKER, median, timed } from './docker.js';

const IMAGE = 'offgrid-bench/build-ab:latest';

function main(): void {
  const [a, b, roundsArg] = process.argv.slice(2);
  if (!a || !b) {
    console.error('usage: node dist/bench/build-ab.js CHECKOUT_A CHECKOUT_B [ROUNDS]');
    process.exit(2);
  }
  const rounds = Number(roundsArg ?? 8);
  const dir = mkdtempSync(join(tmpdir(), 'offgrid-build-ab-'));
  try {
    writeFileSync(join(dir, 'compose.yaml'), `services:\n  app:\n    build: .\n    image: ${IMAGE}\n`);
    writeFileSync(join(dir, 'Dockerfile'), BUSYBOX_DOCKERFILE);
    const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_BUILDKIT: '1', OFFGRID_LOG_DIR: join(dir, 'logs'), OFFGRID_CACHE_DIR: join(dir, 'cache') };
    for (const key of Object.keys(env)) if (/^(https?|no|all)_proxy$/i.test(key)) delete env[key];
    const sides: [string, () => number][] = [
      ['bare', () => timed(DOCKER, ['build', '--progress=plain', '--network=host', '-t', IMAGE, '.'], dir, env)],
      ['A', () => timed(process.execPath, [join(resolve(a), 'dist/cli/main.js'), 'build'], dir, env)],
      ['B', () => timed(process.execPath, [join(resolve(b), 'dist/cli/main.js'), 'build'], dir, env)],
    ];
    for (const [, run] of sides) run(); // warm the engine's cache and each side's files
    const times = new Map<string, number[]>(sides.map(([name]) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      const order = sides.map((_, i) => sides[(i + round) % sides.length]!);
      const line: string[] = [];
      for (const [name, run] of order) {
        const seconds = run();
        times.get(name)!.push(seconds);
        line.push(`${name} ${seconds.toFixed(3)}s`);
      }
      console.log(`round ${round + 1}: ${line.join(', ')}`);
    }
    const m = (name: string) => median(times.get(name)!);
    console.log(
      `medians of ${rounds}: bare ${m('bare').toFixed(3)}s, A ${m('A').toFixed(3)}s (${(m('A') / m('bare')).toFixed(2)}× bare), ` +
        `B ${m('B').toFixed(3)}s (${(m('B') / m('bare')).toFixed(2)}× bare); B/A ${(m('B') / m('A')).toFixed(2)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
