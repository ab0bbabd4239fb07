// `offgrid build`'s proxy port when none is given: the project's own, taken only when free.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { portIsFree, projectPort } from '../../src/docker/proxy-port.js';

test('a project keeps its port from one build to the next; other projects get others, below the ephemeral range', () => {
  assert.equal(projectPort('/srv/shop'), projectPort('/srv/shop'));
  const ports = new Set(['/srv/shop', '/srv/billing', '/home/ci/builds/42/shop', '/work/api'].map(projectPort));
  assert.equal(ports.size, 4);
  for (const port of ports) assert.ok(port >= 24_000 && port < 32_000, String(port));
});

test('a port something listens on is not free; once it is closed, it is', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as { port: number }).port;
  assert.equal(await portIsFree(port), false);
  await new Promise<void>((resolve) => holder.close(() => resolve()));
  assert.equal(await portIsFree(port), true);
});
