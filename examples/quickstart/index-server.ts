// The example's package index: a real PEP 503 index on 127.0.0.1 serving small wheels it
// builds (the same builder the tests use), standing in for a team's own index. Prints its
// simple URL, then serves until killed.
import { startPypiIndex } from '../../test/helpers/pypi-index.js';

const index = await startPypiIndex({
  packages: [
    { name: 'webapp-core', version: '1.4.0', deps: ['httpkit>=2', 'jsonish'], padBytes: 300_000 },
    { name: 'httpkit', version: '2.3.1', deps: ['certstore'], padBytes: 120_000 },
    { name: 'jsonish', version: '0.9.2', padBytes: 40_000 },
    { name: 'certstore', version: '2026.1.9', padBytes: 250_000 },
  ],
});
process.stdout.write(`${index.simpleUrl}\n`);
const stop = (): void => void index.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
