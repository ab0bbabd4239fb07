// Compose files, Dockerfiles, the docker build command line, init's rewrite and the diff:
// the pure parts of the Docker workflow, on a guide-style project in test/fixtures/compose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseComposeServices } from '../../src/docker/compose.js';
import { NO_BUILD_OPTIONS } from '../../src/docker/service.js';
import { interpolate } from '../../src/docker/interpolate.js';
import { parseDotenv } from '../../src/docker/dotenv.js';
import { loadProject, selectServices } from '../../src/docker/project.js';
import { DockerfileSyntaxError, baseImages, parseDockerfile } from '../../src/docker/dockerfile.js';
import { chooseBuilder } from '../../src/docker/engine.js';
import { dockerBuildCommand, proxyBuildArgs } from '../../src/docker/build-command.js';
import { makeOfflineReady } from '../../src/docker/init.js';
import { unifiedDiff } from '../../src/docker/diff.js';
import { OffgridError } from '../../src/errors.js';
import { FIXTURES } from '../helpers/cli.js';

const GUIDE = join(FIXTURES, 'compose/guide');
const AMD64 = { os: 'linux', arch: 'amd64', variant: '' };

test('compose: build short and long forms, list args with interpolation, target, image, image-only services', () => {
  const project = loadProject(GUIDE, [], { BUILD_ENV: 'ci' });
  assert.deepEqual(
    project.buildable.map((s) => ({ ...s, context: s.context.slice(GUIDE.length), dockerfile: s.dockerfile.slice(GUIDE.length) })),
    [
      { name: 'api', context: '', dockerfile: '/Dockerfile.api', args: { PYTHON_VERSION: '3.11', BUILD_ENV: 'ci' }, target: 'runtime', image: 'xnai_api:latest', additionalContexts: {}, buildsFirst: [], ssh: [], secrets: [], secretEnv: {}, extraHosts: [], options: NO_BUILD_OPTIONS, dockerfileInline: null },
      { name: 'worker', context: '/worker', dockerfile: '/worker/Dockerfile', args: {}, target: null, image: 'guide-worker', additionalContexts: {}, buildsFirst: [], ssh: [], secrets: [], secretEnv: {}, extraHosts: [], options: NO_BUILD_OPTIONS, dockerfileInline: null },
    ],
  );
  assert.equal(project.imageOnly.get('redis'), 'redis:7');
  assert.deepEqual(selectServices(project, ['worker']).map((s) => s.name), ['worker']);
});

test('compose: a service without build, an unknown service and no build at all are input errors naming the service', () => {
  const project = loadProject(GUIDE, [], {});
  assert.throws(() => selectServices(project, ['redis']), (e: OffgridError) => e.code === 'EINPUT' && /service redis has no build: section \(it runs the image redis:7\)/.test(e.message));
  assert.throws(() => selectServices(project, ['nope']), /no service nope in docker-compose.yml \(services with a build: api, worker\)/);
  const none = parseComposeServices('services:\n  db:\n    image: postgres\n', { file: 'c.yml', dir: '/x', project: 'x', env: {} });
  assert.throws(() => selectServices(none, []), /no service has a build: section/);
});

test('compose: invalid YAML, remote contexts and missing required variables are reported with the file', () => {
  const ctx = { file: 'compose.yaml', dir: '/p', project: 'p', env: {} };
  assert.throws(() => parseComposeServices('services:\n  a: [\n', ctx), /compose.yaml: not valid YAML/);
  assert.throws(
    () => parseComposeServices('services:\n  a:\n    build: .\n', ctx, [{ file: 'compose.override.yaml', text: 'services:\n  a:\n    image: !env NAME\n' }]),
    (e: OffgridError) => e.code === 'EINPUT' && /compose.override.yaml: line 3: the YAML tag !env is not one compose reads/.test(e.message),
  );
  assert.throws(() => parseComposeServices('x: &list [1]\nservices:\n  a:\n    <<: *list\n', ctx), (e: OffgridError) => e.code === 'EINPUT' && /compose.yaml: not a valid compose file: Merge sources must be maps/.test(e.message));
  assert.throws(() => selectServices(parseComposeServices('services:\n  a:\n    build: https://example.org/x/y.git\n', ctx), []), /compose.yaml line 3: service a: remote build contexts/);
  assert.throws(() => parseComposeServices('services:\n  a:\n    build: ${DIR:?set DIR}\n', ctx), /required variable DIR is missing: set DIR/);
  assert.equal(interpolate('$$HOME ${A:-x} ${B-y} $C', { B: '', C: 'c' }, 'w'), '$HOME x  c');
});

test('compose: with no build.dockerfile, a context holding only a lowercase dockerfile uses it, as Docker does', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'offgrid-lowercase-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ctx = { file: 'compose.yaml', dir, project: 'p', env: {} };
  const spec = () => parseComposeServices('services:\n  a:\n    build: .\n', ctx).buildable[0]!.dockerfile;
  assert.equal(spec(), join(dir, 'Dockerfile'), 'neither file: the standard name (and its error)');
  writeFileSync(join(dir, 'dockerfile'), 'FROM scratch\n');
  assert.equal(spec(), join(dir, 'dockerfile'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
  assert.equal(spec(), join(dir, 'Dockerfile'), 'Dockerfile wins when both exist');
});

test('compose: run from a subdirectory, the compose file of a parent directory is found, as compose finds it; contexts stay relative to it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'offgrid-parent-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'compose.yaml'), 'services:\n  api:\n    build: ./api\n');
  mkdirSync(join(dir, 'api', 'src'), { recursive: true });
  const project = loadProject(join(dir, 'api', 'src'), [], {});
  assert.equal(project.buildable[0]?.context, join(dir, 'api'));
});

test('offgrid.yaml is read when a project has no compose file; with neither the error says what to do', () => {
  const project = parseComposeServices('docker:\n  services:\n    api:\n      build: {context: ., dockerfile: Dockerfile.api}\n', {
    file: 'offgrid.yaml', dir: '/p', project: 'p', env: {},
  });
  assert.equal(project.buildable[0]?.dockerfile, '/p/Dockerfile.api');
  assert.throws(() => loadProject(join(FIXTURES, 'compose'), [], {}), /no compose file in .* and no offgrid.yaml: give one with --compose FILE/);
});

test('Dockerfile: continuations with comments, heredocs, stages; base images with ARG defaults, build args and targets', () => {
  const file = parseDockerfile(readFileSync(join(GUIDE, 'Dockerfile.api'), 'utf8'));
  const runs = file.instructions.filter((i) => i.keyword === 'RUN');
  assert.deepEqual(runs.map((r) => [r.startLine, r.endLine]), [[7, 13], [15, 15], [16, 18]]);
  assert.match(runs[0]!.args, /build-essential cmake\s+2>&1/);
  assert.deepEqual(file.stages.map((s) => [s.from, s.name]), [['python:${PYTHON_VERSION}-slim', 'base'], ['base', 'runtime']]);
  assert.deepEqual(baseImages(file, {}, null, 'buildkit', AMD64), ['python:3.11-slim']);
  assert.deepEqual(baseImages(file, { PYTHON_VERSION: '3.12' }, 'runtime', 'buildkit', AMD64), ['python:3.12-slim']);
  assert.deepEqual(baseImages(parseDockerfile('FROM scratch\nCOPY a /\n'), {}, null, 'buildkit', AMD64), []);
});

test('Dockerfile: what BuildKit rejects is rejected with its line', () => {
  const bad = (text: string, re: RegExp) => assert.throws(() => parseDockerfile(text), (e: Error) => e instanceof DockerfileSyntaxError && re.test(e.message));
  bad('FROM a\nRUNN echo\n', /line 2: unknown instruction: RUNN/);
  bad('RUN echo\n', /line 1: the first instruction must be FROM/);
  bad('# just a comment\n', /no FROM instruction/);
  bad('FROM a\nRUN <<EOF\necho\n', /heredoc <<EOF is never closed/);
  bad('FROM a b c d\n', /FROM takes an image/);
});

test('builder choice: BuildKit built into clients before 23, buildx needed from 23, legacy for old daemons', () => {
  assert.equal(chooseBuilder('20.10.24+dfsg1', '20.10.24+dfsg1', false, null), 'buildkit');
  assert.equal(chooseBuilder('26.1.0', '26.1.0', false, null), 'legacy');
  assert.equal(chooseBuilder('26.1.0', '26.1.0', true, null), 'buildkit');
  assert.equal(chooseBuilder('20.10.0', '18.06.1-ce', false, null), 'legacy');
  assert.equal(chooseBuilder('20.10.0', '20.10.0', false, 'legacy'), 'legacy');
});

test('docker build command: BuildKit plain progress, proxy args over compose args online, none of them offline', () => {
  const spec = { name: 'api', context: '/p', dockerfile: '/p/Dockerfile.api', args: { A: '1', http_proxy: 'corp' }, target: 'runtime', image: 'x:1', additionalContexts: {}, buildsFirst: [], ssh: [], secrets: [], secretEnv: {}, extraHosts: [], options: NO_BUILD_OPTIONS, dockerfileInline: null };
  const proxyArgs = proxyBuildArgs({ http_proxy: 'http://127.0.0.1:9', PIP_INDEX_URL: 'http://127.0.0.1:9/pypi/simple/', APT_CONFIG: '/host/path' });
  const online = dockerBuildCommand(spec, { builder: 'buildkit', network: 'host', noCache: false, proxyArgs, platform: 'linux/amd64' });
  assert.deepEqual(online.args, [
    'build', '--progress=plain', '-f', '/p/Dockerfile.api', '-t', 'x:1', '--network=host', '--target', 'runtime',
    '--build-arg', 'A=1', '--build-arg', 'http_proxy=http://127.0.0.1:9', '--build-arg', 'PIP_INDEX_URL=http://127.0.0.1:9/pypi/simple/', '/p',
  ]);
  assert.deepEqual(online.env, { DOCKER_BUILDKIT: '1' });
  const offline = dockerBuildCommand(spec, { builder: 'legacy', network: 'none', noCache: true, proxyArgs, platform: 'linux/amd64' });
  assert.deepEqual(offline.args, ['build', '-f', '/p/Dockerfile.api', '-t', 'x:1', '--network=none', '--no-cache', '--target', 'runtime', '--build-arg', 'A=1', '--build-arg', 'http_proxy=corp', '/p']);
  assert.deepEqual(offline.env, { DOCKER_BUILDKIT: '0' });
});

test('init docker: the guide-style Dockerfile gets the wheelhouse and the local apt repository, once', () => {
  const text = readFileSync(join(GUIDE, 'Dockerfile.api'), 'utf8');
  const first = makeOfflineReady(text);
  assert.deepEqual(first.needs, ['apt-archives', 'offgrid', 'wheelhouse']);
  assert.equal(first.changes.length, 3);
  // The heredoc is a shell script: its pip gets the wheelhouse too, and needs pip in it (installed by name).
  assert.deepEqual(first.skipped, []);
  assert.match(first.text, /\nRUN <<EOF2\npip install \$\(ls \/wheelhouse\/\*\.whl[^)]*\) --upgrade pip\nEOF2\n/);
  assert.match(first.changes[2]!, /^line 16: .*it installs pip by name/);
  assert.match(first.text, /COPY apt-archives\/ \/offgrid\/apt-archives\/\nRUN if \[ -f \/offgrid\/apt-archives\/Packages \]; then export APT_CONFIG=\/offgrid\/apt.conf; fi && apt-get update 2>&1/);
  assert.match(first.text, /COPY wheelhouse\/ \/wheelhouse\/\nRUN pip install \$\(ls \/wheelhouse\/\*\.whl >\/dev\/null 2>&1 && echo --no-index --find-links \/wheelhouse\) -r/);
  // Still a Dockerfile BuildKit accepts, and unchanged on a second run.
  parseDockerfile(first.text);
  const second = makeOfflineReady(first.text);
  assert.equal(second.text, first.text);
  assert.deepEqual(second.changes, []);
  const diff = unifiedDiff(text, first.text, 'a/Dockerfile.api', 'b/Dockerfile.api');
  assert.match(diff, /^--- a\/Dockerfile.api\n\+\+\+ b\/Dockerfile.api\n@@ -4,/);
  assert.match(diff, /\n-RUN apt-get update 2>&1 \| tee \/app\/apt-update.log && \\\n/);
  assert.match(diff, /\n\+COPY wheelhouse\/ \/wheelhouse\/\n/);
  assert.equal(unifiedDiff(first.text, first.text, 'a', 'b'), '');
});

test('init docker: a step that installs pip, setuptools or wheel by name says the wheelhouse must hold them', () => {
  const r = makeOfflineReady('FROM python:3.12-slim\nRUN pip install --no-cache-dir --upgrade pip setuptools==75.1.0 && \\\n    pip install -r requirements.txt\nRUN pip install -r more.txt\n');
  assert.equal(r.changes.length, 2);
  assert.match(r.changes[0]!, /it installs pip, setuptools by name, so the wheelhouse must hold them \(add pip, setuptools to the requirements offgrid wheelhouse reads\)/);
  assert.doesNotMatch(r.changes[1]!, /by name/);
});

test('init docker: exec-form RUN is left alone and said so; RUN flags stay in front', () => {
  const r = makeOfflineReady('FROM a\nRUN ["pip", "install", "x"]\nRUN --mount=type=cache,target=/root/.cache pip3 install y\n');
  assert.match(r.skipped[0] ?? '', /line 2: RUN in exec form/);
  assert.match(r.text, /RUN --mount=type=cache,target=\/root\/.cache pip3 install \$\(ls/);
});

test('compose: anchors and merge keys, .env values under the shell, the top-level name', () => {
  const dir = join(FIXTURES, 'compose/shared-settings');
  const show = (env: NodeJS.ProcessEnv) => {
    const project = loadProject(dir, [], env);
    return {
      built: project.buildable.map((s) => [s.name, s.dockerfile.slice(dir.length), s.target, s.image, s.args]),
      cache: project.imageOnly.get('cache'),
    };
  };
  // name: ${STACK:-shop} is shop-2.1, which compose-go normalises to shop-21.
  assert.deepEqual(show({}), {
    built: [
      ['api', '/docker/Dockerfile', null, 'registry.example.org/shop/api:2.1', { PYTHON_VERSION: '3.12' }],
      ['worker', '/docker/Dockerfile', 'worker', 'shop-21-worker', { PYTHON_VERSION: '3.12' }],
      ['web', '/web/Dockerfile', null, 'shop-21-web', {}],
    ],
    cache: 'redis:7.2',
  });
  const shell = show({ TAG: '3.0', COMPOSE_PROJECT_NAME: 'ci', PIP_INDEX_URL: 'http://127.0.0.1:3141/simple/' });
  assert.deepEqual(shell.built.map(([name, , , image, args]) => [name, image, args]), [
    ['api', 'registry.example.org/shop/api:3.0', { PYTHON_VERSION: '3.12', PIP_INDEX_URL: 'http://127.0.0.1:3141/simple/' }],
    ['worker', 'ci-worker', { PYTHON_VERSION: '3.12', PIP_INDEX_URL: 'http://127.0.0.1:3141/simple/' }],
    ['web', 'ci-web', {}],
  ]);
});

test('compose interpolation: nested defaults, :+ and +, required variables only when used', () => {
  const env = { SET: 'v', EMPTY: '' };
  assert.equal(interpolate('${NOPE:-${ALSO:-x}}/${SET:-${NOPE:?unused}}', env, 'w'), 'x/v');
  assert.equal(interpolate('${SET:+on}|${EMPTY:+on}|${EMPTY+on}|${NOPE+on}', env, 'w'), 'on||on|');
  assert.equal(interpolate('${EMPTY-d}|${EMPTY:-d}|price 5$', env, 'w'), '|d|price 5$');
  assert.throws(() => interpolate('${NOPE:-${ALSO:?set ALSO}}', env, 'service a'), /service a: required variable ALSO is missing: set ALSO/);
  assert.throws(() => interpolate('${SET/x/y}', env, 'service a'), /service a: invalid interpolation "\$\{SET\/x\/y\}"/);
});

test('.env: quotes, escapes, multi-line values, comments, export, and errors with the line', () => {
  const text = [
    '# comment',
    '',
    'export A=plain value # comment',
    'B=no#comment',
    "C='${A} stays # literal'",
    'D="tab\\there ${A}" # comment',
    'E="first',
    'second"',
    "F='it\\'s'",
    'G=${HOME_DIR}/data',
    'H=',
    'SHELL_ONLY',
  ].join('\r\n');
  assert.deepEqual(parseDotenv(text, { HOME_DIR: '/home/u' }, '.env'), {
    A: 'plain value', B: 'no#comment', C: '${A} stays # literal', D: 'tab\there plain value', E: 'first\nsecond', F: "it's", G: '/home/u/data', H: '',
  });
  assert.throws(() => parseDotenv('A=1\nB="open\n', {}, 'p/.env'), /p\/.env line 2: the double quote is never closed/);
  assert.throws(() => parseDotenv('A=1\nnot a line\n', {}, 'p/.env'), /p\/.env line 2: expected KEY=value/);
});

test('compose: a service offgrid cannot build (a remote context) blocks only itself; dockerfile_inline is built; profiles as compose applies them', () => {
  const text = [
    'services:',
    '  api:',
    '    build: .',
    '  docs:',
    '    build:',
    '      context: .',
    '      dockerfile_inline: |',
    '        FROM nginx',
    '  tools:',
    '    profiles: [debug]',
    '    build: ./tools',
    '  upstream:',
    '    profiles: [extra]',
    '    build: https://example.org/repo.git#main',
  ].join('\n');
  const ctx = (env: NodeJS.ProcessEnv) => ({ file: 'compose.yaml', dir: '/p', project: 'p', env });
  const project = parseComposeServices(text, ctx({}));
  assert.deepEqual(selectServices(project, ['api']).map((s) => s.name), ['api']);
  assert.deepEqual(selectServices(project, ['tools']).map((s) => s.name), ['tools']);
  const [docs] = selectServices(project, ['docs']);
  assert.equal(docs?.dockerfileInline, 'FROM nginx\n');
  assert.deepEqual(selectServices(project, []).map((s) => s.name), ['api', 'docs']);
  assert.throws(() => selectServices(project, ['upstream']), (e: OffgridError) => e.code === 'EINPUT' && /^compose.yaml line 14: service upstream: remote build contexts/.test(e.message));
  assert.throws(() => selectServices(parseComposeServices(text, ctx({ COMPOSE_PROFILES: 'extra' })), []), /compose.yaml line 14: service upstream: .*; or build the other services by name: offgrid build api docs$/);
  const debug = parseComposeServices(text.replace(/ {2}docs:[\s\S]*?(?= {2}tools:)/, ''), ctx({ COMPOSE_PROFILES: 'debug' }));
  assert.deepEqual(selectServices(debug, []).map((s) => s.name), ['api', 'tools']);
  const onlyProfiled = parseComposeServices('services:\n  tools:\n    profiles: [debug, ci]\n    build: .\n', ctx({}));
  assert.throws(() => selectServices(onlyProfiled, []), /no service has a build: section outside inactive profiles.*: name them \(offgrid build tools\) or set COMPOSE_PROFILES=debug,ci/);
});

test('init docker: pip3.11, comment lines inside a RUN, SHELL and the ` escape decide what is rewritten', () => {
  const r = makeOfflineReady([
    'FROM python:3.11-slim AS base',
    'RUN pip3.11 install --no-cache-dir -r requirements.txt',
    'RUN echo building \\',
    '  # apt-get install would go here',
    '  && true',
    'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
    'RUN apt-get update && apt-get install -y curl',
    'FROM base AS tools',
    'SHELL ["pwsh", "-Command"]',
    'RUN pip install tools',
    'FROM base',
    'RUN python3.11 -m pip install --index-url http://127.0.0.1:3141/simple/ app',
  ].join('\n'));
  assert.deepEqual(r.changes.map((c) => c.replace(/:.*/, '')), ['line 2', 'line 7', 'line 12']);
  assert.match(r.text, /RUN pip3.11 install \$\(ls \/wheelhouse/);
  assert.match(r.text, /RUN echo building \\\n {2}# apt-get install would go here\n {2}&& true\n/);
  assert.deepEqual(r.skipped, [
    'line 10: RUN runs in pwsh (SHELL, line 9), not a POSIX shell, so it is left alone: COPY wheelhouse/ into the image and add pip install --no-index --find-links <that directory> by hand',
  ]);
  const windows = makeOfflineReady('# escape=`\nFROM registry.example.org/build-image\nRUN pip install `\n    app\n');
  assert.deepEqual(windows.changes, []);
  assert.match(windows.skipped[0] ?? '', /^line 3: RUN runs in cmd \(the default shell of the Windows images the ` escape is for\)/);
});

test('init docker: a CRLF Dockerfile stays CRLF; a lone CR does not end a line (as in BuildKit)', () => {
  const r = makeOfflineReady('\uFEFFFROM python:3.12\r\nRUN pip install -r requirements.txt\r\n');
  assert.equal(r.text.replace(/\r\n/g, '').includes('\n'), false, JSON.stringify(r.text));
  assert.match(r.text, /^\uFEFFFROM python:3.12\r\n(?:# offgrid init docker: .*\r\n){2}COPY wheelhouse\/ \/wheelhouse\/\r\nRUN pip install \$\(ls/);
  assert.deepEqual(parseDockerfile('FROM a\nRUN x\ry\n').instructions.map((i) => i.args), ['a', 'x\ry']);
});

test('compose: docker-compose.yml before docker-compose.yaml, and the override file merged over it as compose does', () => {
  const dir = join(FIXTURES, 'compose/override');
  const project = loadProject(dir, [], {});
  assert.equal(project.file, join(dir, 'docker-compose.yml'));
  assert.deepEqual(project.buildable.map((s) => [s.name, s.context.slice(dir.length), s.target, s.image, s.args]), [
    ['api', '/api', null, 'registry.example.org/api:1.4', {}],
    ['worker', '/worker', 'dev', 'override-worker', { PYTHON_VERSION: '3.12', EXTRAS: 'full' }],
    ['docs', '', null, 'override-docs', {}],
  ]);
  // The override's dockerfile_inline is built from its text (the runner writes it beside the log).
  assert.deepEqual(project.buildable.filter((s) => s.dockerfileInline !== null).map((s) => [s.name, s.dockerfileInline]), [['docs', 'FROM nginx\n']]);
  // A file given with --compose is read alone, as with docker compose -f.
  const alone = loadProject(dir, ['docker-compose.yml'], {});
  assert.deepEqual(alone.buildable.map((s) => [s.name, s.target]), [['worker', 'prod']]);
});

test('compose: extends in the same file brings the build with it; without a way to read files, extends from another file blocks only its service', () => {
  const text = [
    'services:',
    '  base:',
    '    build:',
    '      context: backend',
    '      args: [PYTHON_VERSION=3.12]',
    '  api:',
    '    extends: base',
    '    image: shop-api',
    '  worker:',
    '    extends:',
    '      service: api',
    '    build:',
    '      target: worker',
    '  web:',
    '    extends:',
    '      file: common-services.yml',
    '      service: webapp',
  ].join('\n');
  const project = parseComposeServices(text, { file: 'compose.yaml', dir: '/p', project: 'p', env: {} });
  assert.deepEqual(project.buildable.map((s) => [s.name, s.context, s.target, s.image, s.args]), [
    ['base', '/p/backend', null, 'p-base', { PYTHON_VERSION: '3.12' }],
    ['api', '/p/backend', null, 'shop-api', { PYTHON_VERSION: '3.12' }],
    ['worker', '/p/backend', 'worker', 'shop-api', { PYTHON_VERSION: '3.12' }],
  ]);
  assert.match(project.unbuildable.get('web') ?? '', /^compose.yaml line 15: service web: another compose file \(\/p\/common-services.yml\) cannot be read here/);
  const ctx = { file: 'compose.yaml', dir: '/p', project: 'p', env: {} };
  assert.throws(() => parseComposeServices('services:\n  a:\n    extends: b\n  b:\n    extends: a\n', ctx), (e: OffgridError) => e.code === 'EINPUT' && /service a: extends goes round in a circle: a → b → a/.test(e.message));
  assert.throws(() => parseComposeServices('services:\n  a:\n    extends: nope\n', ctx), /service a: extends service nope, which is not a service of this file/);
});

test('compose: extends from another file and include: resolve relative paths where compose does', () => {
  const dir = join(FIXTURES, 'compose/multi-file');
  const project = loadProject(join(dir, 'app'), [], {});
  assert.deepEqual(
    project.buildable.map((s) => [s.name, s.context, s.dockerfile, s.target, s.image, s.args]),
    [
      ['api', join(dir, 'common/py'), join(dir, 'common/py/Dockerfile'), null, 'shop-api', { PYTHON_VERSION: '3.12' }],
      ['worker', join(dir, 'app/api'), join(dir, 'app/api/Dockerfile'), 'worker', 'app-worker', { PYTHON_VERSION: '3.12' }],
      ['docs', join(dir, 'tools/docs'), join(dir, 'tools/docs/Dockerfile'), null, 'app-docs', {}],
    ],
  );
  // The same through files held in memory: what is read, and the errors a user can act on.
  const files: Record<string, string> = {
    '/p/base.yml': 'services:\n  py:\n    build: ./py-${FLAVOUR:-slim}\n  loop:\n    extends:\n      file: compose.yaml\n      service: a\n',
    '/p/inc.yml': 'services:\n  a:\n    build: .\n',
  };
  const readFile = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw new OffgridError('EINPUT', `cannot read ${path}: no such file`);
    return text;
  };
  const ctx = { file: '/p/compose.yaml', dir: '/p', project: 'p', env: {}, readFile };
  files['/p/compose.yaml'] = 'services:\n  a:\n    extends: {file: base.yml, service: loop}\n';
  const parse = (text: string) => parseComposeServices(text, ctx);
  assert.equal(parse('services:\n  a:\n    extends: {file: sub/../base.yml, service: py}\n').buildable[0]!.context, '/p/py-slim');
  assert.throws(() => parse(files['/p/compose.yaml']!), /service a: extends goes round in a circle: a → loop → a/);
  assert.throws(() => parse('services:\n  a:\n    extends: {file: gone.yml, service: py}\n'), (e: OffgridError) => e.code === 'EINPUT' && /service a: cannot read \/p\/gone.yml/.test(e.message));
  assert.throws(() => parse('services:\n  a:\n    extends: {file: base.yml, service: nope}\n'), /service a: extends service nope, which is not a service of base.yml/);
  assert.throws(() => parse('include: [inc.yml]\nservices:\n  a:\n    build: .\n'), /service a is defined here and in a file include: names/);
  assert.throws(() => parse('include: [compose.yaml]\nservices: {}\n'), /include: compose.yaml includes itself/);
});

test('compose: COMPOSE_FILE picks the files (later ones merged over the first) and turns the automatic override off', () => {
  const dir = join(FIXTURES, 'compose/override');
  const names = (env: NodeJS.ProcessEnv) => loadProject(dir, [], env).buildable.map((s) => [s.name, s.target]);
  assert.deepEqual(names({ COMPOSE_FILE: 'docker-compose.yaml' }), [['ignored', null]]);
  assert.deepEqual(names({ COMPOSE_FILE: 'docker-compose.yml' }), [['worker', 'prod']]);
  assert.deepEqual(names({ COMPOSE_FILE: 'docker-compose.yml;docker-compose.override.yml', COMPOSE_PATH_SEPARATOR: ';' }), [['api', null], ['worker', 'dev'], ['docs', null]]);
  assert.throws(() => loadProject(dir, [], { COMPOSE_FILE: 'docker-compose.yml:compose.ci.yml' }), (e: OffgridError) => e.code === 'EINPUT' && /COMPOSE_FILE names compose.ci.yml, which does not exist/.test(e.message));
  // --compose wins over COMPOSE_FILE, as -f does.
  assert.deepEqual(loadProject(dir, ['docker-compose.yml'], { COMPOSE_FILE: 'docker-compose.yaml' }).buildable.map((s) => s.name), ['worker']);
});
