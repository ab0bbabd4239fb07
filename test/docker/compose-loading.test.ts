// Compose files as real projects write them: anchors shared by many services, service
// names compose allows, project names as compose normalises them, include: with its own
// .env and override files, and build.additional_contexts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseComposeServices } from '../../src/docker/compose.js';
import { OffgridError } from '../../src/errors.js';

const ctx = { file: '/p/compose.yaml', dir: '/p', project: 'p', env: {} };

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
