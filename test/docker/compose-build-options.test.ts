// Compose's build fields that docker build takes as options (network, cache_from, cache_to,
// platforms, labels, shm_size, tags, pull, no_cache): what the service spec holds, and what
// `offgrid build` passes online and with --offline, where nothing may reach a registry and the
// network stays none whatever the file says. The services are shaped as real compose files
// write these fields (sources beside each).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseComposeServices } from '../../src/docker/compose.js';
import { type BuildPlan, dockerBuildCommand } from '../../src/docker/build-command.js';
import type { ServiceSpec } from '../../src/docker/service.js';

const ctx = { file: '/p/compose.yaml', dir: '/p', project: 'p', env: { REGISTRY: 'registry.example/acme' } };
const ONLINE: BuildPlan = { builder: 'buildkit', network: 'host', noCache: false, proxyArgs: { http_proxy: 'http://127.0.0.1:3128' }, platform: 'linux/amd64' };
const OFFLINE: BuildPlan = { ...ONLINE, network: 'none', noCache: true, proxyArgs: {} };

const service = (build: string): ServiceSpec => parseComposeServices(`services:\n  app:\n    build:\n      context: .\n${build}`, ctx).buildable[0]!;

/** The options between the tag and the build args, and the notes, of one mode. */
function command(spec: ServiceSpec, plan: BuildPlan): { network: string; options: string[]; notes: string[] } {
  const { args, notes } = dockerBuildCommand(spec, plan);
  const start = args.indexOf(spec.image) + 1;
  const end = args.findIndex((a, i) => i > start && a === '--build-arg');
  return { network: args[start]!, options: args.slice(start + 1, end === -1 ? -1 : end).filter((a) => a !== '--no-cache' || !plan.noCache), notes };
}

test('compose build options: labels (map or list), shm_size, extra tags and no_cache are passed online and offline', () => {
  // A Spanish compose tutorial's build section (search-index file id 66669285414) and a Compose test (compose-go, no_cache).
  const spec = service(
    '      cache_from:\n        - myapp/frontend:latest\n      labels:\n        org.opencontainers.image.source: "https://github.com/miempresa/app"\n' +
      '      target: production\n      network: host\n      shm_size: "256m"\n      tags:\n        - ${REGISTRY}/app:dev\n      no_cache: true\n',
  );
  assert.deepEqual(spec.options, {
    network: 'host',
    cacheFrom: ['myapp/frontend:latest'],
    cacheTo: [],
    platforms: [],
    labels: { 'org.opencontainers.image.source': 'https://github.com/miempresa/app' },
    shmSize: '256m',
    tags: ['registry.example/acme/app:dev'],
    pull: false,
    noCache: true,
    unused: [],
  });
  const online = command(spec, ONLINE);
  assert.equal(online.network, '--network=host');
  assert.deepEqual(online.options, [
    '--cache-from', 'myapp/frontend:latest',
    '--label', 'org.opencontainers.image.source=https://github.com/miempresa/app',
    '--shm-size', '256m',
    '-t', 'registry.example/acme/app:dev',
    '--no-cache',
    '--target', 'production',
  ]);
  assert.deepEqual(online.notes, []);
  const offline = command(spec, OFFLINE);
  // build.network: host does not reach an offline build; the image cache would come from a registry.
  assert.equal(offline.network, '--network=none');
  assert.deepEqual(offline.options, ['--label', 'org.opencontainers.image.source=https://github.com/miempresa/app', '--shm-size', '256m', '-t', 'registry.example/acme/app:dev', '--target', 'production']);
  assert.deepEqual(offline.notes, ['build.cache_from myapp/frontend:latest is not used offline: it would reach a registry (a type=local cache is used)']);
  const list = service('      labels:\n        - "com.example.version=8.9"\n        - com.example.empty\n').options.labels;
  assert.deepEqual(list, { 'com.example.version': '8.9', 'com.example.empty': '' });
});

test('compose build options: a registry or GitHub Actions cache is used online only; a local cache in both modes; the legacy builder exports none', () => {
  // prompt-card's frontend service (search-index file id 30392394643) and the Compose docs' local cache.
  const spec = service(
    '      cache_from:\n        - node:20-alpine\n        - type=gha\n        - type=local,src=/tmp/buildcache\n' +
      '      cache_to:\n        - type=registry,ref=${REGISTRY}/app:cache,mode=max\n        - type=local,dest=/tmp/buildcache,mode=max\n',
  );
  assert.deepEqual(command(spec, ONLINE).options, [
    '--cache-from', 'node:20-alpine', '--cache-from', 'type=gha', '--cache-from', 'type=local,src=/tmp/buildcache',
    '--cache-to', 'type=registry,ref=registry.example/acme/app:cache,mode=max', '--cache-to', 'type=local,dest=/tmp/buildcache,mode=max',
  ]);
  const offline = command(spec, OFFLINE);
  assert.deepEqual(offline.options, ['--cache-from', 'type=local,src=/tmp/buildcache', '--cache-to', 'type=local,dest=/tmp/buildcache,mode=max']);
  assert.deepEqual(offline.notes, [
    'build.cache_from node:20-alpine, type=gha is not used offline: it would reach a registry (a type=local cache is used)',
    'build.cache_to type=registry,ref=registry.example/acme/app:cache,mode=max is not used offline: it would reach a registry (a type=local cache is used)',
  ]);
  const legacy = command(spec, { ...ONLINE, builder: 'legacy' });
  assert.deepEqual(legacy.options, ['--cache-from', 'node:20-alpine']);
  assert.deepEqual(legacy.notes, [
    'build.cache_from type=gha, type=local,src=/tmp/buildcache is not used: the legacy builder takes only images as --cache-from',
    'build.cache_to type=registry,ref=registry.example/acme/app:cache,mode=max, type=local,dest=/tmp/buildcache,mode=max is not used: the legacy builder has no --cache-to',
  ]);
  const legacyOffline = command(spec, { ...OFFLINE, builder: 'legacy' });
  assert.deepEqual(legacyOffline.options, []);
  assert.equal(legacyOffline.notes[0], 'build.cache_from node:20-alpine is not used offline: the legacy builder would pull it from a registry');
});

test('compose build options: platforms and pull online; offline only this machine\'s platform and no pull, each named', () => {
  // fba-profit-calculator's compose file (search-index file id 40521949260) with the pull of a deploy tool's example (55848402960).
  const spec = service('      platforms:\n        - linux/amd64\n        - linux/arm64\n      pull: true\n');
  const online = dockerBuildCommand(spec, ONLINE);
  assert.deepEqual(command(spec, ONLINE).options, ['--platform', 'linux/amd64,linux/arm64', '--pull']);
  assert.equal(online.platform, 'linux/amd64');
  const offline = dockerBuildCommand(spec, OFFLINE);
  assert.deepEqual(command(spec, OFFLINE).options, ['--platform', 'linux/amd64']);
  assert.deepEqual(offline.notes, [
    'build.platforms linux/arm64 is not built offline: the builder would fetch base images for that platform from their registry; this build is for linux/amd64, this machine\'s platform',
    'build.pull is not used offline: nothing is pulled, the base images on this machine are used',
  ]);
  // Only another platform: offline builds this machine's, and the preflight checks its base images.
  const arm = dockerBuildCommand(service('      platforms: [linux/arm64]\n'), OFFLINE);
  assert.equal(arm.platform, null);
  assert.equal(arm.args.includes('--platform'), false);
  assert.equal(dockerBuildCommand(service('      platforms: [linux/arm64]\n'), ONLINE).platform, 'linux/arm64');
});

test('compose build options: build.network none keeps an online build off the network; a named network is named as not used; other fields are named', () => {
  const none = dockerBuildCommand(service('      network: none\n'), ONLINE);
  assert.ok(none.args.includes('--network=none'));
  assert.equal(none.args.some((a) => a.startsWith('http_proxy=')), false);
  // A build that reached a database on a compose network by its name.
  const named = command(service('      network: backend\n'), ONLINE);
  assert.equal(named.network, '--network=host');
  assert.match(named.notes[0] ?? '', /^build\.network backend is not used: offgrid builds online with the host's network .* give them with build\.extra_hosts$/);
  assert.deepEqual(command(service('      network: backend\n'), OFFLINE).notes, []);
  assert.deepEqual(command(service('      network: default\n'), ONLINE).notes, []);
  const other = command(service('      privileged: true\n      isolation: hyperv\n      provenance: false\n'), ONLINE);
  assert.deepEqual(other.notes, ['build.isolation, build.privileged, build.provenance are not passed on by offgrid build: docker build runs with its defaults for them']);
});

test('compose build options: wrong shapes are refused with the field named', () => {
  assert.throws(() => service('      cache_from: node:20\n'), /service app: build\.cache_from must be a list of strings/);
  assert.throws(() => service('      pull: maybe\n'), /service app: build\.pull must be true or false/);
  assert.throws(() => service('      network: [a]\n'), /service app: build\.network must be a string/);
  assert.equal(service('      no_cache: "${NO_CACHE:-true}"\n').options.noCache, true);
});
