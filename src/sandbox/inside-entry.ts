// The script `offgrid verify -- CMD` starts inside the fresh network namespace:
// `node inside-entry.js SPEC.json`. It runs the spec (inside.ts) and writes the result
// where the spec says; a separate file, so that it is a script of its own in dist/src and
// in the bundled CLI alike (scripts/bundle-cli.mjs).
import { readFileSync, writeFileSync } from 'node:fs';
import { InsideSpec, runInside } from './inside.js';

const specPath = process.argv[2];
if (!specPath) {
  process.stderr.write('offgrid: sandbox entry: give the spec file (this is started by offgrid verify)\n');
  process.exit(2);
}
const spec = InsideSpec.parse(JSON.parse(readFileSync(specPath, 'utf8')));
runInside(spec).then(
  (result) => {
    writeFileSync(spec.resultPath, JSON.stringify(result));
    process.exitCode = 0;
  },
  (error: unknown) => {
    process.stderr.write(`offgrid: inside the network namespace: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
