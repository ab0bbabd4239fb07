// The daemon's socket as offgrid uses it (engine-api.ts), to probe the engine and size a
// built image: only where the docker client itself would talk to that socket, and any
// failure leaves the answer to the client. The client's version is remembered per binary
// (client-version.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientVersions } from '../../src/docker/client-version.js';
import { daemonSocket, getJson, imagePath } from '../../src/docker/engine-api.js';
import { imageSize, probeEngine } from '../../src/docker/engine.js';
import { BUSYBOX_IMAGE, DOCKER, dockerSkipReason, ensureBaseImages, run } from '../helpers/docker.js';

function configDir(t: { after(fn: () => void): void }, config: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'offgrid-docker-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  if (config !== null) writeFileSync(join(dir, 'config.json'), config);
  return dir;
}

test('daemonSocket: the socket the client would use, and null wherever the client would go elsewhere', (t) => {
  const none = configDir(t, null);
  assert.equal(daemonSocket({ DOCKER_CONFIG: none }), '/var/run/docker.sock');
  assert.equal(daemonSocket({ DOCKER_CONFIG: none, DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }), '/run/user/1000/docker.sock');
  assert.equal(daemonSocket({ DOCKER_CONFIG: none, DOCKER_HOST: 'tcp://10.0.0.5:2376' }), null);
  assert.equal(daemonSocket({ DOCKER_CONFIG: none, DOCKER_HOST: 'ssh://builder@ci' }), null);
  assert.equal(daemonSocket({ DOCKER_CONFIG: none, DOCKER_CONTEXT: 'rootless' }), null);
  assert.equal(daemonSocket({ DOCKER_CONFIG: none, DOCKER_CONTEXT: 'default' }), '/var/run/docker.sock');
  assert.equal(daemonSocket({ DOCKER_CONFIG: none, OFFGRID_DOCKER: '/opt/podman/bin/docker' }), null);
  assert.equal(daemonSocket({ DOCKER_CONFIG: configDir(t, '{"auths":{},"currentContext":"remote"}') }), null);
  assert.equal(daemonSocket({ DOCKER_CONFIG: configDir(t, '{"auths":{},"currentContext":"default"}') }), '/var/run/docker.sock');
  assert.equal(daemonSocket({ DOCKER_CONFIG: configDir(t, '{"auths":{}}') }), '/var/run/docker.sock');
  assert.equal(daemonSocket({ DOCKER_CONFIG: configDir(t, '{"currentContext": ') }), null, 'an unreadable config: the client decides');
});

test('imagePath: plain references only', () => {
  assert.equal(imagePath('offgrid-bench/bb:latest'), '/images/offgrid-bench/bb:latest/json');
  assert.equal(imagePath('registry.example:5000/team/app@sha256:0123abcd'), '/images/registry.example:5000/team/app@sha256:0123abcd/json');
  for (const odd of ['', '../../containers/x', 'app?all=1', 'app#x', 'a b', '/abs']) assert.equal(imagePath(odd), null, odd);
});

test('getJson: garbage, an error status or a dropped connection is null, never a throw', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'offgrid-sock-'));
  const socket = join(dir, 'daemon.sock');
  const server = createServer((req, res) => {
    if (req.url === '/garbage') res.end('{"Size": 12');
    else if (req.url === '/missing') res.writeHead(404).end('{"message":"No such image"}');
    else if (req.url === '/drop') req.socket.destroy();
    else res.end('{"Size": 12}');
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.deepEqual(await getJson(socket, '/ok'), { Size: 12 });
  assert.equal(await getJson(socket, '/garbage'), null);
  assert.equal(await getJson(socket, '/missing'), null);
  assert.equal(await getJson(socket, '/drop'), null);
  assert.equal(await getJson(join(dir, 'no-such.sock'), '/ok'), null);
});

const skip = await dockerSkipReason();
if (!skip) await ensureBaseImages();

test('imageSize from the socket is what `docker image inspect` says; a missing image and an unreachable DOCKER_HOST are null', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const inspected = await run(DOCKER, ['image', 'inspect', '--format', '{{.Size}}', BUSYBOX_IMAGE]);
  assert.equal(inspected.code, 0, inspected.stderr);
  const env = { ...process.env };
  delete env.DOCKER_HOST;
  delete env.DOCKER_CONTEXT;
  delete env.OFFGRID_DOCKER;
  const engine = await probeEngine(DOCKER, env, null);
  assert.equal(engine.socket, '/var/run/docker.sock');
  assert.equal(await imageSize(engine, BUSYBOX_IMAGE, env), Number(inspected.stdout.trim()));
  assert.equal(await imageSize(engine, 'offgrid-test/no-such-image:never', env), null);
  // A DOCKER_HOST the client cannot reach: the socket is not asked in its place.
  const unreachable = { ...env, DOCKER_HOST: 'tcp://127.0.0.1:9' };
  assert.equal(await imageSize({ ...engine, socket: daemonSocket(unreachable) }, BUSYBOX_IMAGE, unreachable), null);
});

test('clientVersions: remembered per binary (found on PATH too), forgotten when the binary changes; a garbage state file is ignored', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'offgrid-client-version-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const client = join(bin, 'docker-like');
  writeFileSync(client, '#!/bin/sh\n');
  const env = { XDG_STATE_HOME: join(dir, 'state'), PATH: `/nonexistent:${bin}` };
  const versions = clientVersions(env);
  assert.equal(versions.get(client), null);
  versions.set('docker-like', '20.10.24+dfsg1');
  assert.equal(versions.get(client), '20.10.24+dfsg1');
  assert.equal(clientVersions(env).get('docker-like'), '20.10.24+dfsg1', 'kept across processes');
  writeFileSync(client, '#!/bin/sh\n# upgraded\n');
  assert.equal(versions.get(client), null, 'a replaced binary is asked again');
  assert.equal(versions.get('no-such-client'), null);
  writeFileSync(join(dir, 'state', 'offgrid', 'docker-clients.json'), '{"x": 1');
  assert.equal(versions.get(client), null);
  versions.set(client, '27.3.1');
  assert.equal(versions.get(client), '27.3.1');
});

test('probeEngine: the first probe asks the client and remembers its version; the next asks only the socket, until the client changes', { skip: skip ?? false, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'offgrid-probe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The real client behind a script that notes each time it is started.
  const calls = join(dir, 'calls');
  const client = join(dir, 'docker');
  const script = `#!/bin/sh\necho "$*" >> ${calls}\nexec ${DOCKER} "$@"\n`;
  writeFileSync(client, script, { mode: 0o755 });
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: join(dir, 'state') };
  delete env.DOCKER_HOST;
  delete env.DOCKER_CONTEXT;
  delete env.OFFGRID_DOCKER;
  const started = (): string[] => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []);
  const first = await probeEngine(client, env, null);
  assert.deepEqual(started().map((c) => c.split(' ')[0]), ['version']);
  const second = await probeEngine(client, env, null);
  assert.deepEqual(second, first);
  assert.equal(started().length, 1, 'the second probe started no client');
  writeFileSync(client, `${script}# upgraded\n`, { mode: 0o755 });
  assert.deepEqual(await probeEngine(client, env, null), first);
  assert.equal(started().length, 2, 'a changed client is asked again');
});
