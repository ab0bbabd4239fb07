// Bundles the compiled CLI (dist/src) into dist/cli: what `offgrid` runs. Node resolves,
// reads and compiles each ESM file on its own; for the ~150 files of offgrid and its
// dependencies that took about 120 ms of every `offgrid build` (zod alone 100 ms), longer
// than a fully cached docker build takes. Each command stays a chunk of its own that loads
// only when it runs, as in dist/src. The library (`exports`) is still dist/src.
//
// Minified: V8 parses every byte of a module it loads, and a third less source is about
// 10 ms less of each start (measured with --cpu-prof on a cached `offgrid build`).
// `--debug` turns source maps on, so its stack traces name the original files and lines.
//
// Two entries: the CLI, and the script `offgrid verify` runs inside its sandbox (it is
// started by path, next to the code that starts it: ./inside-entry.js in both layouts).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const OUT = 'dist/cli';
rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: { main: 'dist/src/cli/main.js', 'inside-entry': 'dist/src/sandbox/inside-entry.js' },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  minify: true,
  logLevel: 'warning',
  // CommonJS dependencies (commander) call require() for Node's own modules.
  banner: { js: "import { createRequire as __offgridRequire } from 'node:module'; const require = __offgridRequire(import.meta.url);" },
});
