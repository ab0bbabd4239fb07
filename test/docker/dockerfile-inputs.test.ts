// Dockerfiles as people write them (BOMs from Windows editors, heredoc files named like
// `robots.txt`, ARG chains before FROM): what offgrid's parser must read as BuildKit does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseImages, parseDockerfile } from '../../src/docker/dockerfile.js';
import { NO_BUILD_OPTIONS } from '../../src/docker/service.js';
import { buildPlatform, preflight } from '../../src/docker/preflight.js';

const AMD64 = { os: 'linux', arch: 'amd64', variant: '' };

test('Dockerfile: a UTF-8 BOM before `# escape=`` does not hide the directive', () => {
  const file = parseDockerfile('\uFEFF# escape=`\r\nFROM mcr.example.org/windows/servercore AS build\r\nRUN echo one `\r\n    two\r\n');
  assert.equal(file.escape, '`');
  assert.deepEqual(file.instructions.map((i) => [i.keyword, i.args, i.startLine, i.endLine]), [
    ['FROM', 'mcr.example.org/windows/servercore AS build', 2, 2],
    ['RUN', 'echo one     two', 3, 4],
  ]);
});

test('Dockerfile: heredoc words that are file names, quoted words, and ONBUILD heredocs', () => {
  const text = [
    'FROM nginx:1.25',
    'COPY <<robots.txt <<humans.txt /usr/share/nginx/html/',
    'User-agent: *',
    'robots.txt',
    'Team: us',
    'humans.txt',
    'RUN <<-"EOT" bash',
    '\techo $HOME',
    '\tEOT',
    'ONBUILD RUN <<EOF',
    'pip install -r requirements.txt',
    'EOF',
    'CMD ["nginx", "-g", "daemon off;"]',
  ].join('\n');
  const file = parseDockerfile(text);
  assert.deepEqual(file.instructions.map((i) => [i.keyword, i.startLine, i.endLine]), [
    ['FROM', 1, 1], ['COPY', 2, 6], ['RUN', 7, 9], ['ONBUILD', 10, 12], ['CMD', 13, 13],
  ]);
  // `$((1<<2))` and `<<<` are shell, not heredocs.
  assert.equal(parseDockerfile('FROM a\nRUN echo $((1<<2)) && cat <<<"x"\nRUN true\n').instructions.length, 3);
});

test('Dockerfile: FROM sees ARGs declared several to a line and defaults built from earlier ARGs', () => {
  const file = parseDockerfile([
    'ARG REGISTRY=registry.example.org PYTHON="3.12"',
    'ARG BASE=${REGISTRY}/python:${PYTHON}-slim',
    'ARG EMPTY=',
    'FROM --platform=$BUILDPLATFORM $BASE AS build',
    'FROM ${EMPTY-unused}alpine:${EMPTY:-3.20}',
    'COPY --from=build /x /x',
  ].join('\n'));
  assert.deepEqual(baseImages(file, {}, null, 'buildkit', AMD64), ['registry.example.org/python:3.12-slim', 'alpine:3.20']);
  assert.deepEqual(baseImages(file, { PYTHON: '3.11' }, 'build', 'buildkit', AMD64), ['registry.example.org/python:3.11-slim']);
});

test('Dockerfile: a default is substituted too, as BuildKit does (`${IMAGE:-${REGISTRY}/python:3.12-slim}`)', () => {
  const file = parseDockerfile([
    'ARG REGISTRY=docker.example.org/library',
    'ARG PYTHON_IMAGE',
    'ARG TAG',
    'FROM ${PYTHON_IMAGE:-${REGISTRY}/python:3.12-slim} AS a',
    'FROM ${PYTHON_IMAGE:-$REGISTRY/python:${TAG:-3.11}-slim} AS b',
    'FROM ${TAG:+${REGISTRY}/}alpine:3.20 AS c',
    'FROM scratch$ AS d',
  ].join('\n'));
  const images = (args: Record<string, string>, target: string) => baseImages(file, args, target, 'buildkit', AMD64);
  assert.deepEqual(images({}, 'a'), ['docker.example.org/library/python:3.12-slim']);
  assert.deepEqual(images({ PYTHON_IMAGE: 'python:3.13' }, 'a'), ['python:3.13']);
  assert.deepEqual(images({}, 'b'), ['docker.example.org/library/python:3.11-slim']);
  assert.deepEqual(images({ TAG: '3.10' }, 'b'), ['docker.example.org/library/python:3.10-slim']);
  assert.deepEqual(images({}, 'c'), ['alpine:3.20']);
  assert.deepEqual(images({ TAG: 'x' }, 'c'), ['docker.example.org/library/alpine:3.20']);
  assert.deepEqual(images({}, 'd'), ['scratch$']);
});

test('Dockerfile: the images a build pulls are those of the stages it builds, COPY --from=IMAGE and RUN --mount=from=IMAGE included', () => {
  const file = parseDockerfile([
    'FROM node:20 AS frontend',
    'RUN npm ci && npm run build',
    'FROM python:3.12-slim AS base',
    'COPY --from=ghcr.example.org/astral-sh/uv:0.4 /uv /bin/',
    'FROM base AS test',
    'RUN --mount=type=bind,from=registry.example.org/fixtures:1,target=/fixtures pytest',
    'FROM base AS prod',
    'COPY --from=frontend /app/dist /static',
    'COPY --from=1 /etc/os-release /',
  ].join('\n'));
  // BuildKit skips the `test` stage when building prod, and builds only base (and what it copies) for --target base.
  assert.deepEqual(baseImages(file, {}, null, 'buildkit', AMD64), ['node:20', 'python:3.12-slim', 'ghcr.example.org/astral-sh/uv:0.4']);
  assert.deepEqual(baseImages(file, {}, 'base', 'buildkit', AMD64), ['python:3.12-slim', 'ghcr.example.org/astral-sh/uv:0.4']);
  assert.deepEqual(baseImages(file, {}, 'test', 'buildkit', AMD64), ['python:3.12-slim', 'ghcr.example.org/astral-sh/uv:0.4', 'registry.example.org/fixtures:1']);
  // The legacy builder builds every stage up to the target.
  assert.deepEqual(baseImages(file, {}, 'base', 'legacy', AMD64), ['node:20', 'python:3.12-slim', 'ghcr.example.org/astral-sh/uv:0.4']);
});

test('Dockerfile: directives end at the first line that is not one, a `# key=value` comment included', () => {
  assert.equal(parseDockerfile('# syntax=docker/dockerfile:1\n# check=skip=JSONArgsRecommended\n# escape=`\nFROM a\n').escape, '`');
  // `# Version=2` is a comment: the escape line after it is a comment too, as in BuildKit.
  const file = parseDockerfile('# Version=2\n# escape=`\nFROM a\nRUN echo \\\n  b\n');
  assert.equal(file.escape, '\\');
  assert.deepEqual(file.instructions.map((i) => i.args), ['a', 'echo   b']);
});

test('Dockerfile: BuildKit fills in TARGETARCH and the other platform ARGs in FROM lines (Docker\'s build_${TARGETARCH} pattern)', () => {
  const file = parseDockerfile([
    'FROM --platform=linux/amd64 debian:12 AS build_amd64',
    'FROM --platform=linux/arm64 debian:12-arm AS build_arm64',
    'FROM build_${TARGETARCH} AS build',
    'FROM gcr.example.org/distroless/static:${TARGETOS}-${TARGETARCH}',
    'COPY --from=build /out /',
  ].join('\n'));
  assert.deepEqual(baseImages(file, {}, null, 'buildkit', { os: 'linux', arch: 'arm64', variant: '' }), ['debian:12-arm', 'gcr.example.org/distroless/static:linux-arm64']);
  assert.deepEqual(buildPlatform('arm', {}), { os: 'linux', arch: 'arm', variant: 'v7' });
  assert.deepEqual(buildPlatform('arm64', { DOCKER_DEFAULT_PLATFORM: 'linux/amd64' }), { os: 'linux', arch: 'amd64', variant: '' });
});

test('preflight: a FROM whose ARG is empty names no image, and the service is stopped with what to do (online too)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'offgrid-blank-from-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'Dockerfile'), 'ARG BASE\nFROM ${BASE:-}\nRUN true\n');
  const spec = { name: 'api', context: dir, dockerfile: join(dir, 'Dockerfile'), args: {}, target: null, image: 'api', additionalContexts: {}, buildsFirst: [], ssh: [], secrets: [], secretEnv: {}, extraHosts: [], options: NO_BUILD_OPTIONS, dockerfileInline: null };
  const io = { cwd: dir, platform: AMD64, buildContexts: false, imageExists: async () => true };
  for (const offline of [false, true]) {
    assert.match((await preflight(spec, offline, 'buildkit', io)) ?? '', /^service api: a FROM \(or COPY --from\) in Dockerfile names no image once its ARGs are filled in .*set it in build\.args$/);
  }
  assert.equal(await preflight({ ...spec, args: { BASE: 'busybox' } }, true, 'buildkit', io), null);
});
