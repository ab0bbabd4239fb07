// Compose files of public projects (test/fixtures/compose/real/README.md): the services
// offgrid builds from them, as `docker compose config` resolves them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OffgridError } from '../../src/errors.js';
import { parseComposeServices } from '../../src/docker/compose.js';
import { dockerBuildCommand } from '../../src/docker/build-command.js';
import { preflight } from '../../src/docker/preflight.js';
import { loadProject, selectServices } from '../../src/docker/project.js';
import type { ProjectServices } from '../../src/docker/service.js';
import { FIXTURES } from '../helpers/cli.js';

const REAL = join(FIXTURES, 'compose/real');

/** Each buildable service as `name context dockerfile target image args`, paths relative to `root`. */
function resolved(project: ProjectServices, root: string): string[] {
  const rel = (p: string): string => (p === root ? '.' : p.slice(root.length + 1));
  return project.buildable.map(
    (s) => `${s.name} ${rel(s.context)} ${rel(s.dockerfile)} ${s.target ?? '-'} ${s.image} ${JSON.stringify(s.args)}`,
  );
}

test('real compose: getsentry/self-hosted: anchors merged two levels deep, list args from .env, a merged build replaced whole, profiles from .env', () => {
  const dir = join(REAL, 'sentry');
  const project = loadProject(dir, [], {});
  assert.deepEqual(resolved(project, dir), [
    'clickhouse clickhouse clickhouse/Dockerfile - clickhouse-self-hosted-local {"BASE_IMAGE":"altinity/clickhouse-server:23.8.11.29.altinitystable"}',
    'symbolicator-cleanup cron cron/Dockerfile - symbolicator-cleanup-self-hosted-local {"BASE_IMAGE":"getsentry/symbolicator:nightly"}',
    'web sentry sentry/Dockerfile - sentry-self-hosted-local {"SENTRY_IMAGE":"getsentry/sentry:nightly"}',
    'web-errors-only sentry sentry/Dockerfile - sentry-self-hosted-local {"SENTRY_IMAGE":"getsentry/sentry:nightly"}',
    'cron sentry sentry/Dockerfile - sentry-self-hosted-local {"SENTRY_IMAGE":"getsentry/sentry:nightly"}',
    'worker sentry sentry/Dockerfile - sentry-self-hosted-local {"SENTRY_IMAGE":"getsentry/sentry:nightly"}',
    'sentry-cleanup cron cron/Dockerfile - sentry-cleanup-self-hosted-local {"BASE_IMAGE":"sentry-self-hosted-local"}',
    'vroom-cleanup cron cron/Dockerfile - vroom-cleanup-self-hosted-local {"BASE_IMAGE":"getsentry/vroom:nightly"}',
  ]);
  assert.deepEqual([...project.imageOnly.keys()], ['smtp', 'snuba-api', 'snuba-transactions-consumer']);
  // COMPOSE_PROFILES=feature-complete in .env: web-errors-only (errors-only) is left out.
  assert.deepEqual(selectServices(project, []).map((s) => s.name), ['clickhouse', 'symbolicator-cleanup', 'web', 'cron', 'worker', 'sentry-cleanup', 'vroom-cleanup']);
  // The shell wins over .env; an unset list arg is not passed (the Dockerfile's default applies).
  const errorsOnly = loadProject(dir, [], { COMPOSE_PROFILES: 'errors-only', SENTRY_IMAGE: '' });
  assert.deepEqual(selectServices(errorsOnly, []).map((s) => s.name), ['clickhouse', 'symbolicator-cleanup', 'web-errors-only', 'cron', 'worker', 'sentry-cleanup']);
  assert.deepEqual(errorsOnly.buildable.find((s) => s.name === 'cron')!.args, { SENTRY_IMAGE: '' });
});

test('real compose: netbox-docker: a whole service merged into another builds the same context and tag; ${VERSION-master} defaults', () => {
  const dir = join(REAL, 'netbox');
  assert.deepEqual(resolved(loadProject(dir, [], {}), dir), [
    'netbox . Dockerfile - ninech/netbox:latest {"BRANCH":"master"}',
    'netbox-worker . Dockerfile - ninech/netbox:latest {"BRANCH":"master"}',
  ]);
  assert.deepEqual(resolved(loadProject(dir, [], { VERSION: 'v2.5.0' }), dir), [
    'netbox . Dockerfile - ninech/netbox:v2.5.0 {"BRANCH":"v2.5.0"}',
    'netbox-worker . Dockerfile - ninech/netbox:v2.5.0 {"BRANCH":"v2.5.0"}',
  ]);
});

test('real compose: saleor-platform, pycroft (extends from another file), immich (a file in a subdirectory with name:)', () => {
  const saleor = join(REAL, 'saleor');
  assert.deepEqual(resolved(loadProject(saleor, [], {}), saleor), [
    'api saleor saleor/Dockerfile - saleor-api {"STATIC_URL":"/static/"}',
    'storefront saleor-storefront saleor-storefront/Dockerfile.dev - saleor-storefront {"API_URI":"http://116.203.46.41:9100/graphql/","NEXT_PUBLIC_API_URI":"http://116.203.46.41:9100/graphql/"}',
    'dashboard saleor-dashboard saleor-dashboard/Dockerfile.dev - saleor-dashboard {"API_URI":"http://116.203.46.41:9100/graphql/"}',
    'worker saleor saleor/Dockerfile - saleor-worker {"STATIC_URL":"/static/"}',
  ]);
  const pycroft = join(REAL, 'pycroft');
  const p = loadProject(pycroft, [], {});
  assert.deepEqual(resolved(p, pycroft), ['web . Dockerfile - pycroft-web {}']);
  assert.deepEqual([...p.imageOnly], [['db', 'postgres'], ['ldap', 'dinkel/openldap']]);
  const immich = join(REAL, 'immich');
  assert.deepEqual(resolved(loadProject(immich, ['docker/docker-compose.dev.yml'], {}), immich), [
    'immich-server . server/Dockerfile dev immich-server-dev:latest {}',
    'immich-web web web/Dockerfile - immich-web-dev:latest {}',
    'immich-machine-learning machine-learning machine-learning/Dockerfile - immich-machine-learning-dev:latest {"DEVICE":"cpu"}',
  ]);
});

test('real compose: a version 1 file (services at the top level) is an input error that says so', () => {
  assert.throws(
    () => loadProject(join(REAL, 'zulip-v1'), [], {}),
    /docker-compose.yml: no services: section; database, memcache, zulip at the top level are the version 1 format, which docker compose v2 does not read: move them under services:$/,
  );
});

test('real compose: CVAT built as its README says (docker compose -f docker-compose.yml -f docker-compose.dev.yml): the dev file adds the builds, args without a value take the environment\'s', () => {
  const dir = join(REAL, 'cvat');
  // The first file alone has no build: section at all.
  assert.deepEqual(loadProject(dir, ['docker-compose.yml'], {}).buildable, []);
  const both = loadProject(dir, ['docker-compose.yml', 'docker-compose.dev.yml'], { http_proxy: 'http://proxy.example:3128', CVAT_VERSION: 'v2.3.0' });
  assert.deepEqual(resolved(both, dir), [
    'cvat_server . Dockerfile - cvat/server:v2.3.0 {"http_proxy":"http://proxy.example:3128"}',
    'cvat_ui . Dockerfile.ui - cvat/ui:v2.3.0 {"http_proxy":"http://proxy.example:3128"}',
  ]);
  assert.deepEqual([...both.imageOnly.keys()], ['cvat_db', 'cvat_worker_export', 'cvat_opa']);
  // COMPOSE_FILE names the same pair.
  assert.deepEqual(resolved(loadProject(dir, [], { COMPOSE_FILE: 'docker-compose.yml:docker-compose.dev.yml' }), dir), resolved(loadProject(dir, ['docker-compose.yml', 'docker-compose.dev.yml'], {}), dir));
});

test('real compose: OpenProject\'s dev file stops every command with its ${LOCAL_DEV_CHECK:?…} message, as compose does, though it is in an environment: and not in a build', () => {
  const dir = join(REAL, 'openproject');
  assert.throws(
    () => loadProject(dir, [], {}),
    (e: OffgridError) =>
      e.code === 'EINPUT' &&
      e.message.endsWith(
        'openproject/docker-compose.yml: x-op-backend.environment.LOCAL_DEV_CHECK: required variable LOCAL_DEV_CHECK is missing: ' +
          'The docker-compose file for OpenProject has moved to https://github.com/opf/openproject-deploy',
      ),
  );
  // With it set (OpenProject's .env.example sets it): `build: {<<: *build, target: develop}` and `<<: [*image, *restart_policy]`.
  assert.deepEqual(resolved(loadProject(dir, [], { LOCAL_DEV_CHECK: '1', DEV_UID: '1000' }), dir), [
    'backend . docker/dev/backend/Dockerfile develop openproject/dev:latest {"DEV_UID":"1000","DEV_GID":""}',
    'worker . docker/dev/backend/Dockerfile develop openproject/dev:latest {"DEV_UID":"1000","DEV_GID":""}',
    'frontend . docker/dev/frontend/Dockerfile - openproject-frontend {"DEV_UID":"1000","DEV_GID":""}',
    'storybook . docker/dev/frontend/Dockerfile - openproject-storybook {"DEV_UID":"1000","DEV_GID":""}',
    'frontend-test . docker/dev/frontend/Dockerfile - openproject-frontend-test {"DEV_UID":"1000","DEV_GID":""}',
    'backend-test . docker/dev/backend/Dockerfile test openproject-backend-test {"DEV_UID":"1000","DEV_GID":""}',
  ]);
});

test('compose: a malformed ${…} outside any build is an input error naming where, as compose refuses the file', () => {
  const project = (text: string): ProjectServices => parseComposeServices(text, { file: '/p/compose.yaml', dir: '/p', project: 'p', env: {} });
  assert.throws(
    () => project('services:\n  web:\n    build: .\n    healthcheck:\n      test: ["CMD-SHELL", "echo ${HOSTNAME%%.*}"]\n'),
    /^OffgridError: \/p\/compose.yaml: services.web.healthcheck.test\[1\]: invalid interpolation "\$\{HOSTNAME%%\.\*\}": .* and \$\$ for a \$ the value keeps/,
  );
  // `$$` is how a value keeps its `$`; a variable left unset is empty, not an error.
  assert.deepEqual(project('services:\n  web:\n    build: .\n    healthcheck:\n      test: ["CMD-SHELL", "echo $${HOSTNAME%%.*} $UNSET"]\n').buildable.map((s) => s.name), ['web']);
});

test('real compose: open-webui (two targets of one Dockerfile, ${WEBUI_DOCKER_TAG-main}), redash (version 2, build: .), appwrite (list args), superset (build: beside image:, anchors for images only)', () => {
  const webui = join(REAL, 'open-webui');
  assert.deepEqual(resolved(loadProject(webui, [], {}), webui), [
    'open-webui . Dockerfile base ghcr.io/open-webui/open-webui:main {}',
    'nginx . Dockerfile nginx open-webui-nginx {}',
  ]);
  // `-` (not `:-`): only an unset tag takes the default (set empty: the test below).
  assert.equal(loadProject(webui, [], { WEBUI_DOCKER_TAG: 'v0.3.10' }).buildable[0]!.image, 'ghcr.io/open-webui/open-webui:v0.3.10');
  const redash = join(REAL, 'redash');
  assert.deepEqual(resolved(loadProject(redash, [], {}), redash), ['server . Dockerfile - redash-server {}', 'worker . Dockerfile - redash-worker {}']);
  const appwrite = join(REAL, 'appwrite');
  assert.deepEqual(resolved(loadProject(appwrite, [], {}), appwrite), ['appwrite . Dockerfile - appwrite-appwrite {"TESTING":"true"}']);
  const superset = join(REAL, 'superset');
  const s = loadProject(superset, [], { TAG: '4.0.0-dev' });
  assert.deepEqual(resolved(s, superset), ['superset-websocket superset-websocket superset-websocket/Dockerfile - superset-websocket {}']);
  assert.equal(s.imageOnly.get('superset-worker'), 'apachesuperset.docker.scarf.sh/apache/superset:4.0.0-dev');
  // Naming a service that only runs an image says which image.
  assert.throws(() => selectServices(s, ['superset']), /service superset has no build: section \(it runs the image apachesuperset.docker.scarf.sh\/apache\/superset:4.0.0-dev\), so there is nothing to build/);
});

test('real compose: a Grafana plugin\'s docker-compose.yaml extends .config/docker-compose-base.yaml: the context is .config/ (the base file\'s directory), the args merge key by key', () => {
  const dir = join(REAL, 'grafana-plugin');
  assert.deepEqual(resolved(loadProject(dir, [], {}), dir), [
    'grafana .config .config/Dockerfile - grafana-plugin-grafana {"grafana_image":"grafana-enterprise","grafana_version":"11.0.0","development":"false","anonymous_auth_enabled":"true"}',
  ]);
  assert.deepEqual(loadProject(dir, [], { GRAFANA_VERSION: '10.4.0', DEVELOPMENT: 'true' }).buildable[0]!.args, {
    grafana_image: 'grafana-enterprise',
    grafana_version: '10.4.0',
    development: 'true',
    anonymous_auth_enabled: 'true',
  });
});

test('real compose: pihole\'s dockerfile_inline is built from its text; op://$APP_ENV/… values elsewhere interpolate without error', () => {
  const dir = join(REAL, 'pihole-inline');
  const [pihole] = loadProject(dir, [], {}).buildable;
  assert.equal(pihole!.dockerfileInline, 'FROM pihole/pihole:latest\nADD 03-custom.conf /etc/dnsmasq.d/\n');
  assert.equal(pihole!.context, dir);
  assert.equal(pihole!.image, 'pihole-inline-pihole');
});

test('real compose: open-webui\'s image tag with WEBUI_DOCKER_TAG set empty (${WEBUI_DOCKER_TAG-main} keeps the empty value) is stopped before the build, named', async () => {
  const dir = join(REAL, 'open-webui');
  const [webui, nginx] = loadProject(dir, [], { WEBUI_DOCKER_TAG: '' }).buildable;
  assert.equal(webui!.image, 'ghcr.io/open-webui/open-webui:');
  const io = { cwd: dir, platform: { os: 'linux', arch: 'amd64', variant: '' }, buildContexts: true, imageExists: async () => true };
  assert.equal(
    await preflight(webui!, false, 'buildkit', io),
    'service open-webui: the image is to be tagged "ghcr.io/open-webui/open-webui:", which is not a valid image name (lower-case name, then :TAG): ' +
      'fix image: in the compose file, or the variable in it that is empty',
  );
  // nginx has no image: (compose names it open-webui-nginx): it goes on to the next check, the missing Dockerfile of this excerpt.
  assert.match((await preflight(nginx!, false, 'buildkit', io)) ?? '', /^service nginx: the Dockerfile Dockerfile does not exist/);
});

test('real compose: AutoGPT\'s platform: every service extends docker-compose.platform.yml beside an anchor merge; its `context: ../` is the repository root', () => {
  const root = join(REAL, 'autogpt');
  const project = loadProject(join(root, 'autogpt_platform'), [], {});
  assert.deepEqual(resolved(project, root), [
    'migrate . autogpt_platform/backend/Dockerfile migrate autogpt_platform-migrate {}',
    'rest_server . autogpt_platform/backend/Dockerfile server autogpt_platform-rest_server {}',
    'executor . autogpt_platform/backend/Dockerfile server autogpt_platform-executor {}',
    'frontend . autogpt_platform/frontend/Dockerfile prod autogpt_platform-frontend {"NEXT_PUBLIC_PW_TEST":"false"}',
  ]);
  assert.deepEqual([...project.imageOnly], [['redis', 'redis:7.4'], ['clamav', 'clamav/clamav-debian:1.4'], ['deps_backend', 'busybox']]);
  assert.deepEqual([...project.profileOff.keys()], ['deps_backend']);
});

test('real compose: the Intelligence Layer README\'s build secret from environment: "GITHUB_TOKEN" takes its value from .env or the shell, for docker build\'s environment only', () => {
  const project = (env: NodeJS.ProcessEnv): ProjectServices => loadProject(join(REAL, 'intelligence-layer'), [], env);
  const [spec] = project({ GITHUB_TOKEN: 'tok-1' }).buildable;
  assert.deepEqual(spec!.secrets, ['id=GITHUB_TOKEN,env=GITHUB_TOKEN']);
  assert.deepEqual(spec!.secretEnv, { GITHUB_TOKEN: 'tok-1' });
  const command = dockerBuildCommand(spec!, { builder: 'buildkit', network: 'host', noCache: false, proxyArgs: {}, platform: 'linux/amd64' });
  assert.equal(command.env.GITHUB_TOKEN, 'tok-1');
  assert.ok(!command.args.some((a) => a.includes('tok-1')));
  // Unset everywhere: nothing is made up (docker build then reports the missing secret).
  assert.deepEqual(project({}).buildable[0]!.secretEnv, {});
});

test('real compose: additional_contexts NAME=service:OTHER (Compose 2.22) builds OTHER first, whatever its profile, and hands its image in as docker-image://', () => {
  const root = join(REAL, 'rmsm-service-contexts');
  const project = loadProject(join(root, 'infra/docker'), ['docker-compose.prod.yml'], {});
  const api = project.buildable.find((s) => s.name === 'api')!;
  assert.deepEqual(api.additionalContexts, { 'rmsm/base:latest': 'docker-image://rmsm/base:latest', 'rmsm/build:latest': 'docker-image://rmsm/build:latest' });
  assert.deepEqual(api.buildsFirst, ['docker-platform-base', 'docker-platform-build']);
  // The three platform services are in a profile nothing activates; api needs them, in their order.
  const order = ['docker-platform-base', 'docker-platform-deps', 'docker-platform-build', 'api'];
  assert.deepEqual(selectServices(project, []).map((s) => s.name), order);
  assert.deepEqual(selectServices(project, ['api']).map((s) => s.name), order);
  assert.deepEqual(selectServices(project, ['docker-platform-deps']).map((s) => s.name), ['docker-platform-base', 'docker-platform-deps']);
  const command = dockerBuildCommand(api, { builder: 'buildkit', network: 'host', noCache: false, proxyArgs: {}, platform: 'linux/amd64' });
  assert.deepEqual(command.args.filter((_a, i, all) => all[i - 1] === '--build-context'), ['rmsm/base:latest=docker-image://rmsm/base:latest', 'rmsm/build:latest=docker-image://rmsm/build:latest']);
});

test('compose: a service: context naming a service that does not build, or none, blocks only its service; a circle of them is an input error', () => {
  const project = (text: string): ProjectServices => parseComposeServices(text, { file: '/p/compose.yaml', dir: '/p', project: 'p', env: {} });
  const p = project(
    'services:\n  db:\n    image: postgres:16\n  web:\n    build: .\n  api:\n    build:\n      context: .\n      additional_contexts:\n        base: service:db\n' +
      '  worker:\n    build:\n      context: .\n      additional_contexts: ["base=service:nope"]\n',
  );
  assert.deepEqual(p.buildable.map((s) => s.name), ['web']);
  assert.equal(p.unbuildable.get('api'), '/p/compose.yaml line 10: service api: build.additional_contexts base is service:db, and service db has no build: section: name a service that builds, or the image or directory itself');
  assert.match(p.unbuildable.get('worker')!, /service worker: build.additional_contexts base is service:nope, and service nope is not a service of this project/);
  assert.deepEqual(selectServices(p, ['web']).map((s) => s.name), ['web']);
  const circle = project('services:\n  a:\n    build:\n      context: .\n      additional_contexts: ["x=service:b"]\n  b:\n    build:\n      context: .\n      additional_contexts: ["y=service:a"]\n');
  assert.throws(() => selectServices(circle, ['a']), (e: OffgridError) => e.code === 'EINPUT' && e.message === 'service a: build.additional_contexts go round in a circle: a → b → a');
});

test('real compose: a leading ~ in a path is the home directory, as compose-go expands it (build.ssh myproject=~/.ssh/myproject.pem, a secret file: ~/.ssh/…, a context)', () => {
  const dir = join(REAL, 'ssh-tilde');
  const [frontend] = loadProject(dir, [], { HOME: '/home/dev' }).buildable;
  assert.deepEqual(frontend!.ssh, ['myproject=/home/dev/.ssh/myproject.pem']);
  // An Ansible lab README's build secret (search-index file id 20326571517): `ssh_keys: {file: ~/.ssh/id_rsa_shared}`.
  const p = parseComposeServices(
    'services:\n  ansible_server:\n    build:\n      context: ~/labs/ansible\n      dockerfile: "./server/Dockerfile"\n      secrets:\n        - ssh_keys\nsecrets:\n  ssh_keys:\n    file: ~/.ssh/id_rsa_shared\n',
    { file: '/p/docker-compose.yml', dir: '/p', project: 'p', env: { HOME: '/home/dev' } },
  );
  assert.deepEqual(p.buildable[0]!.secrets, ['id=ssh_keys,src=/home/dev/.ssh/id_rsa_shared']);
  assert.equal(p.buildable[0]!.context, '/home/dev/labs/ansible');
  assert.equal(p.buildable[0]!.dockerfile, '/home/dev/labs/ansible/server/Dockerfile');
});

test('compose: the file extends: names is interpolated whole too, so its ${VAR:?message} stops the build as compose stops it (the Grafana plugin\'s base file)', () => {
  const base = readFileSync(join(REAL, 'grafana-plugin/.config/docker-compose-base.yaml'), 'utf8');
  const guarded = base.replace('      NODE_ENV: development\n', '      NODE_ENV: development\n      GF_ADMIN: ${GF_ADMIN:?set GF_ADMIN in .env}\n');
  const files: Record<string, string> = { '/p/.config/docker-compose-base.yaml': guarded };
  const ctx = { file: '/p/docker-compose.yaml', dir: '/p', project: 'p', env: {}, readFile: (path: string) => files[path]! };
  const compose = readFileSync(join(REAL, 'grafana-plugin/docker-compose.yaml'), 'utf8');
  assert.throws(
    () => parseComposeServices(compose, ctx),
    (e: OffgridError) => e.code === 'EINPUT' && e.message === '/p/docker-compose.yaml: service grafana: extends file /p/.config/docker-compose-base.yaml: services.grafana.environment.GF_ADMIN: required variable GF_ADMIN is missing: set GF_ADMIN in .env',
  );
  assert.deepEqual(parseComposeServices(compose, { ...ctx, env: { GF_ADMIN: 'admin' } }).buildable.map((s) => s.context), ['/p/.config']);
});

test('compose: an extended file\'s additional_contexts and build.ssh paths resolve against that file\'s directory, as its context does (a Grafana-plugin-style .config/ base)', () => {
  const base = readFileSync(join(REAL, 'grafana-plugin/.config/docker-compose-base.yaml'), 'utf8').replace(
    '      context: .\n',
    '      context: .\n      additional_contexts:\n        dist: ../dist\n        node: docker-image://node:20\n      ssh:\n        - deploy=./deploy_key\n        - default\n',
  );
  const files: Record<string, string> = { '/p/.config/docker-compose-base.yaml': base };
  const [grafana] = parseComposeServices(readFileSync(join(REAL, 'grafana-plugin/docker-compose.yaml'), 'utf8'), {
    file: '/p/docker-compose.yaml', dir: '/p', project: 'p', env: {}, readFile: (path: string) => files[path]!,
  }).buildable;
  assert.deepEqual(grafana!.additionalContexts, { dist: '/p/dist', node: 'docker-image://node:20' });
  assert.deepEqual(grafana!.ssh, ['deploy=/p/.config/deploy_key', 'default']);
  assert.equal(grafana!.context, '/p/.config');
});
