// Compose files as real projects write them: anchors shared by many services, service
// names compose allows, project names as compose normalises them, include: with its own
// .env and override files, and build.additional_contexts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseComposeServices } from '../../src/docker/compose.js';
import { loadProject } from '../../src/docker/project.js';
import { dockerBuildCommand } from '../../src/docker/build-command.js';
import { baseImages, parseDockerfile } from '../../src/docker/dockerfile.js';
import { passesBuildContexts } from '../../src/docker/engine.js';
import { preflight } from '../../src/docker/preflight.js';
import { OffgridError } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';

const ctx = { file: '/p/compose.yaml', dir: '/p', project: 'p', env: {} };

/** Writes the files (relative path → text) under a temp directory removed after the test; returns it. */
function testdir(t: { after(fn: () => void): void }, tree: Record<string, string>): string {
  const root = tempDir(t, 'offgrid-compose-');
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** A getsentry/self-hosted-style file: every service merges defaults that merge eight depends_on entries. */
function sentryLike(services: number): string {
  const lines = [
    'x-restart-policy: &restart_policy',
    '  restart: unless-stopped',
    'x-pull-policy: &pull_policy',
    '  pull_policy: never',
    'x-depends_on-healthy: &depends_on-healthy',
    '  condition: service_healthy',
    'x-sentry-defaults: &sentry_defaults',
    '  <<: [*restart_policy, *pull_policy]',
    '  build:',
    '    context: ./svc',
    '    args:',
    '      - SENTRY_IMAGE',
    '  image: sentry-self-hosted-local',
    '  depends_on:',
    ...['redis', 'postgres', 'memcached', 'smtp', 'snuba-api', 'kafka', 'clickhouse', 'symbolicator'].flatMap((d) => [`    ${d}:`, '      <<: *depends_on-healthy']),
    'services:',
  ];
  for (let i = 0; i < services; i++) lines.push(`  svc${i}:`, '    <<: *sentry_defaults', `    command: run ${i}`);
  return `${lines.join('\n')}\n`;
}

test('compose: an anchor-heavy file (40 services over shared defaults, as in getsentry/self-hosted) loads', () => {
  const project = parseComposeServices(sentryLike(40), ctx);
  assert.equal(project.buildable.length, 40);
  assert.deepEqual(project.buildable.map((s) => [s.context, s.image]).at(-1), ['/p/svc', 'sentry-self-hosted-local']);
});

test('compose: a "billion laughs" file is refused with a clear error instead of being expanded', () => {
  const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
  }
  const text = `x-laughs:\n${levels.map((l) => `  ${l}`).join('\n')}\nservices:\n  app:\n    build: .\n    labels: *i\n`;
  const started = Date.now();
  assert.throws(
    () => parseComposeServices(text, ctx),
    (e: OffgridError) => e.code === 'EINPUT' && /^\/p\/compose.yaml: not a valid compose file: its aliases expand to more than 1,000,000 values/.test(e.message),
  );
  assert.ok(Date.now() - started < 5000);
  // An alias inside the value it names is refused too, not followed round.
  assert.throws(() => parseComposeServices('x: &x [1, *x]\nservices:\n  a:\n    build: .\n', ctx), /not a valid compose file: an alias refers to a value that contains it/);
});

test('compose: a service name may start with _ or . as the compose schema allows; others are refused with the rule', () => {
  const project = parseComposeServices('services:\n  _base:\n    build: .\n    image: base\n  app:\n    extends: _base\n  .hidden:\n    build: .\n', ctx);
  assert.deepEqual(project.buildable.map((s) => [s.name, s.image]), [['_base', 'base'], ['app', 'base'], ['.hidden', 'p-hidden']]);
  assert.throws(
    () => parseComposeServices('services:\n  "a b":\n    build: .\n', ctx),
    (e: OffgridError) => e.code === 'EINPUT' && e.message === '/p/compose.yaml: service name "a b" is not valid: compose allows only letters, digits, _ . and -',
  );
});

test('compose: project names are normalised as compose-go does; an invalid COMPOSE_PROJECT_NAME is refused', () => {
  const image = (text: string, project: string, env: NodeJS.ProcessEnv = {}) => parseComposeServices(text, { ...ctx, project, env }).buildable[0]!.image;
  const web = 'services:\n  web:\n    build: .\n';
  // The directory's name: lower case, only [a-z0-9_-], no leading _ or -.
  assert.equal(image(web, 'My.Project'), 'myproject-web');
  assert.equal(image(web, '_-Ünïcode App_2'), 'ncodeapp_2-web');
  // The top-level name: (interpolated, then normalised, as compose-go's projectName does).
  assert.equal(image(`name: Shop-\${TAG}\n${web}`, 'dir', { TAG: '2.1' }), 'shop-21-web');
  assert.equal(image(`name: "..."\n${web}`, 'dir'), 'dir-web');
  // COMPOSE_PROJECT_NAME is set explicitly: compose takes it only when it is valid already.
  assert.equal(image(`name: shop\n${web}`, 'dir', { COMPOSE_PROJECT_NAME: 'ci_1-x' }), 'ci_1-x-web');
  assert.throws(
    () => image(web, 'dir', { COMPOSE_PROJECT_NAME: 'My.Project' }),
    (e: OffgridError) => e.code === 'EINPUT' && /^\/p\/compose.yaml: COMPOSE_PROJECT_NAME "My.Project" is not a valid project name: .*\(for example "myproject"\)$/.test(e.message),
  );
  assert.throws(() => image(web, '...'), (e: OffgridError) => e.code === 'EINPUT' && /the directory's name "..." gives no project name .*set name: in the file or COMPOSE_PROJECT_NAME/.test(e.message));
  assert.throws(() => image(`name: [a]\n${web}`, 'dir'), /\/p\/compose.yaml: name: must be a string/);
});

test('compose: an included project is interpolated with its own .env (or env_file), under the including project\'s variables', (t) => {
  const root = testdir(t, {
    'compose.yaml': 'include:\n  - path: ./backend/compose.yaml\n',
    'backend/.env': 'BACKEND_DIR=app\nPY=3.11\nTOKEN_FILE=/run/$$secret\n',
    'backend/compose.yaml': 'services:\n  backend:\n    build:\n      context: ./${BACKEND_DIR}\n      args:\n        PY: ${PY:-3.12}\n        LITERAL: $$HOME\n        TOKEN_FILE:\n  worker:\n    build:\n      context: ./${BACKEND_DIR}\n      args: [BACKEND_DIR, ONLY_ROOT]\n',
    'other.env': 'BACKEND_DIR=other\n',
  });
  const backend = (env: NodeJS.ProcessEnv) => {
    const spec = loadProject(root, [], env).buildable[0]!;
    return [spec.context, spec.args];
  };
  assert.deepEqual(backend({}), [join(root, 'backend/app'), { PY: '3.11', LITERAL: '$HOME', TOKEN_FILE: '/run/$secret' }]);
  // Bare args take the included project's variables; one it lacks takes the including project's.
  const worker = loadProject(root, [], { ONLY_ROOT: 'root' }).buildable.find((s) => s.name === 'worker')!;
  assert.deepEqual(worker.args, { BACKEND_DIR: 'app', ONLY_ROOT: 'root' });
  // compose-go merges the include's variables under the project's environment: the shell wins…
  assert.deepEqual(backend({ PY: '3.10' }), [join(root, 'backend/app'), { PY: '3.10', LITERAL: '$HOME', TOKEN_FILE: '/run/$secret' }]);
  // …and so does the including project's own .env.
  writeFileSync(join(root, '.env'), 'PY=3.9\n');
  assert.deepEqual(backend({}), [join(root, 'backend/app'), { PY: '3.9', LITERAL: '$HOME', TOKEN_FILE: '/run/$secret' }]);
  // env_file (relative to the including file) replaces the project directory's .env.
  writeFileSync(join(root, 'compose.yaml'), 'include:\n  - path: ./backend/compose.yaml\n    env_file: ./other.env\n');
  assert.deepEqual(backend({}), [join(root, 'backend/other'), { PY: '3.9', LITERAL: '$HOME' }]);
  writeFileSync(join(root, 'compose.yaml'), 'include:\n  - path: ./backend/compose.yaml\n    env_file: ./missing.env\n');
  assert.throws(() => loadProject(root, [], {}), (e: OffgridError) => e.code === 'EINPUT' && /compose.yaml: include: env_file .*missing.env does not exist/.test(e.message));
});

test('compose: include with a list of paths is one file with the others merged over it as overrides', (t) => {
  const root = testdir(t, {
    'compose.yaml': 'include:\n  - path: [app/compose.yaml, app/compose.prod.yaml]\nservices:\n  web:\n    build: ./web\n',
    'app/compose.yaml': 'services:\n  app:\n    build:\n      context: .\n      target: dev\n      args: [MODE=dev, KEEP=1]\n',
    'app/compose.prod.yaml': 'services:\n  app:\n    build:\n      target: prod\n      args:\n        MODE: prod\n  extra:\n    build: ./extra\n',
  });
  const project = loadProject(root, [], {});
  assert.deepEqual(
    project.buildable.map((s) => [s.name, s.context, s.target, s.args]),
    [
      ['web', join(root, 'web'), null, {}],
      ['app', join(root, 'app'), 'prod', { MODE: 'prod', KEEP: '1' }],
      ['extra', join(root, 'app/extra'), null, {}],
    ],
  );
});

test('compose: build.ssh, build.secrets (from the top-level secrets:) and build.extra_hosts reach docker build as --ssh, --secret and --add-host', (t) => {
  // Shapes from the Compose build spec's own examples (build.ssh: [default, id=path];
  // secrets by name or {source, target}; extra_hosts as a list or a map).
  const root = testdir(t, {
    'compose.yaml':
      'services:\n  app:\n    build:\n      context: .\n      ssh:\n        - default\n        - deploy=./keys/id_ed25519\n' +
      '      secrets:\n        - npm_token\n        - source: pip_conf\n          target: pipconf\n' +
      '      extra_hosts:\n        - "pypi.internal:10.0.0.5"\n        - "mirror.internal=10.0.0.6"\n' +
      'secrets:\n  npm_token:\n    environment: NPM_TOKEN\n  pip_conf:\n    file: ./secrets/pip.conf\n',
    'Dockerfile': 'FROM offgrid-test/busybox:latest\n',
  });
  const spec = loadProject(root, [], {}).buildable[0]!;
  assert.deepEqual(spec.ssh, ['default', `deploy=${join(root, 'keys/id_ed25519')}`]);
  assert.deepEqual(spec.secrets, ['id=npm_token,env=NPM_TOKEN', `id=pipconf,src=${join(root, 'secrets/pip.conf')}`]);
  assert.deepEqual(spec.extraHosts, ['pypi.internal:10.0.0.5', 'mirror.internal:10.0.0.6']);
  const args = dockerBuildCommand(spec, { builder: 'buildkit', network: 'host', noCache: false, proxyArgs: {}, platform: 'linux/amd64' }).args;
  assert.deepEqual(args.slice(args.indexOf('--ssh'), -1), [
    '--ssh', 'default', '--ssh', `deploy=${join(root, 'keys/id_ed25519')}`,
    '--secret', 'id=npm_token,env=NPM_TOKEN', '--secret', `id=pipconf,src=${join(root, 'secrets/pip.conf')}`,
    '--add-host', 'pypi.internal:10.0.0.5', '--add-host', 'mirror.internal:10.0.0.6',
  ]);
  const hosts = (yaml: string) => parseComposeServices(`services:\n  app:\n    build:\n      context: .\n${yaml}`, ctx).buildable[0]!.extraHosts;
  assert.deepEqual(hosts('      extra_hosts:\n        pypi.internal: 10.0.0.5\n'), ['pypi.internal:10.0.0.5']);
  assert.throws(() => parseComposeServices('services:\n  app:\n    build:\n      context: .\n      secrets: [missing]\n', ctx), /build secret missing is not defined in the top-level secrets:/);
});

test('compose: build.additional_contexts (map or list) become --build-context, are not images, and need buildx', async (t) => {
  const contexts = (build: string) => parseComposeServices(`services:\n  app:\n    build:\n      context: .\n${build}`, { ...ctx, env: { LIB: 'shared' } }).buildable[0]!.additionalContexts;
  const expected = { shared: '/p/shared', base: 'docker-image://offgrid-test/busybox:latest', repo: 'https://example.org/r.git' };
  assert.deepEqual(contexts('      additional_contexts:\n        shared: ./${LIB}\n        base: docker-image://offgrid-test/busybox:latest\n        repo: https://example.org/r.git\n'), expected);
  assert.deepEqual(contexts('      additional_contexts:\n        - shared=./${LIB}\n        - base=docker-image://offgrid-test/busybox:latest\n        - repo=https://example.org/r.git\n'), expected);
  assert.throws(() => contexts('      additional_contexts: [shared]\n'), /service app: build.additional_contexts entries must be NAME=VALUE strings/);

  const root = testdir(t, {
    'compose.yaml': 'services:\n  app:\n    build:\n      context: .\n      additional_contexts:\n        shared: ./shared\n',
    'Dockerfile': 'FROM offgrid-test/busybox:latest\nCOPY --from=shared lib.txt /lib.txt\n',
    'shared/lib.txt': 'lib\n',
  });
  const spec = loadProject(root, [], {}).buildable[0]!;
  const command = dockerBuildCommand(spec, { builder: 'buildkit', network: 'none', noCache: false, proxyArgs: {}, platform: 'linux/amd64' });
  assert.deepEqual(command.args.slice(command.args.indexOf('--build-context'), -1), ['--build-context', `shared=${join(root, 'shared')}`]);
  const file = parseDockerfile('FROM shared AS s\nFROM offgrid-test/busybox:latest\nCOPY --from=shared lib.txt /\nRUN --mount=from=shared,target=/s true\n');
  assert.deepEqual(baseImages(file, {}, null, 'buildkit', { os: 'linux', arch: 'amd64', variant: '' }, ['shared']), ['offgrid-test/busybox:latest']);

  const missing: string[] = [];
  const io = { cwd: root, platform: { os: 'linux', arch: 'amd64', variant: '' }, imageExists: async (image: string) => (missing.push(image), image === 'offgrid-test/busybox:latest') };
  // buildx passes them: offline, only the real base image is checked.
  assert.equal(await preflight(spec, true, 'buildkit', { ...io, buildContexts: true }), null);
  assert.deepEqual(missing, ['offgrid-test/busybox:latest']);
  // Debian's 20.10 client (BuildKit built in, no buildx) and the legacy builder cannot: the service says so.
  for (const builder of ['buildkit', 'legacy'] as const) {
    assert.match((await preflight(spec, true, builder, { ...io, buildContexts: false })) ?? '', /^service app: build\.additional_contexts \(shared\) needs docker build --build-context, which only buildx has .*install the buildx plugin/);
  }
  // Offline, nothing is fetched for a named context either: an image one must be here, a URL one cannot be built.
  const offline = (contexts: string) => {
    const dir = testdir(t, { 'compose.yaml': `services:\n  app:\n    build:\n      context: .\n      additional_contexts:\n${contexts}`, Dockerfile: 'FROM offgrid-test/busybox:latest\n' });
    return loadProject(dir, [], {}).buildable[0]!;
  };
  const here = { ...io, buildContexts: true, imageExists: async (image: string) => image === 'offgrid-test/busybox:latest' };
  assert.equal(await preflight(offline('        base: docker-image://offgrid-test/busybox:latest\n'), true, 'buildkit', here), null);
  assert.match((await preflight(offline('        base: docker-image://python:3.12-slim\n'), true, 'buildkit', here)) ?? '', /^service app: base image python:3\.12-slim is not on this machine and this build has no network/);
  assert.match(
    (await preflight(offline('        repo: https://u:tok@git.example.org/r.git#main\n'), true, 'buildkit', here)) ?? '',
    /^service app: build\.additional_contexts repo is https:\/\/\*\*\*@git\.example\.org\/r\.git#main, which the builder fetches over the network, and this build has none/,
  );
  assert.equal(await preflight(offline('        repo: https://example.org/r.git\n'), false, 'buildkit', here), null);
  const engine = (clientVersion: string, builder: 'buildkit' | 'legacy') => passesBuildContexts({ docker: 'docker', clientVersion, serverVersion: '20.10.24', builder, socket: null });
  assert.deepEqual([engine('20.10.24+dfsg1', 'buildkit'), engine('28.2.2', 'buildkit'), engine('28.2.2', 'legacy')], [false, true, false]);
});

test("compose: !reset and !override in an override file or under extends apply as compose applies them, and a tag on ports stops nothing", () => {
  // The override a Laravel checkout-parity smoke-test script writes (find_string id 60646437810),
  // verbatim; the compose docs advise `ports: !reset []` there. The base is a stand-in.
  const base = 'services:\n  checkout:\n    build:\n      context: ./app\n  mysql:\n    image: mysql:8\n    ports: ["3306:3306"]\n  redis:\n    image: redis:7\n    ports: ["6379:6379"]\n';
  const resetPorts = 'services:\n  mysql:\n    ports: !reset []\n  redis:\n    ports: !reset []\n';
  const project = parseComposeServices(base, ctx, [{ file: '/p/docker-compose.override.yml', text: resetPorts }]);
  assert.deepEqual([project.buildable.map((s) => s.context), [...project.imageOnly]], [['/p/app'], [['mysql', 'mysql:8'], ['redis', 'redis:7']]]);

  // On what offgrid reads (docs.docker.com/reference/compose-file/merge/): !reset removes the
  // earlier file's value, !override replaces it instead of merging key by key.
  const app = 'services:\n  app:\n    build:\n      context: .\n      target: dev\n      args: [MODE=dev, KEEP=1]\n';
  const over = (text: string) => parseComposeServices(app, ctx, [{ file: '/p/compose.override.yaml', text: `services:\n  app:\n${text}` }]);
  assert.deepEqual(over('    build:\n      args: !override\n        MODE: prod\n').buildable[0]!.args, { MODE: 'prod' });
  assert.deepEqual(over('    build:\n      args: !reset {}\n      target: !reset null\n').buildable.map((s) => [s.args, s.target]), [[{}, null]]);
  assert.deepEqual([...over('    image: app:1\n    build: !reset null\n').imageOnly], [['app', 'app:1']]);
  assert.deepEqual(over('    build: !override ./other\n').buildable.map((s) => [s.context, s.target, s.args]), [['/p/other', null, {}]]);
  assert.equal(parseComposeServices(app, ctx, [{ file: '/p/compose.override.yaml', text: 'services:\n  app: !reset {}\n' }]).buildable.length, 0);

  // Under extends, the service's own tags apply to the service it extends.
  const extended = parseComposeServices(`${app}  worker:\n    extends: app\n    build:\n      args: !reset []\n`, ctx);
  assert.deepEqual(extended.buildable.map((s) => [s.name, s.args]), [['app', { MODE: 'dev', KEEP: '1' }], ['worker', {}]]);
});

test('compose: a service inherits the profiles of the service it extends (compose-go copies all but depends_on and volumes_from)', () => {
  // No real file found yet: the sweep's reduction of a template-service pattern, checked against
  // compose-go's loader/extends.go (applyServiceExtends; find_string id 38880537618).
  const text = 'services:\n  base:\n    build: .\n    profiles: ["template"]\n  worker:\n    extends: base\n';
  const off = parseComposeServices(text, ctx);
  assert.deepEqual([...off.profileOff], [['base', ['template']], ['worker', ['template']]]);
  assert.deepEqual([...parseComposeServices(text, { ...ctx, env: { COMPOSE_PROFILES: 'template' } }).profileOff], []);
  // Its own profiles win.
  assert.deepEqual([...parseComposeServices(`${text}    profiles: [jobs]\n`, { ...ctx, env: { COMPOSE_PROFILES: 'jobs' } }).profileOff], [['base', ['template']]]);
});
