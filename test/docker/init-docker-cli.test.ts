// `offgrid init docker` through the built CLI on projects written to a temp directory
// (no Docker engine needed: it only reads the compose file and rewrites Dockerfiles).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FIXTURES, runCli, tempDir } from '../helpers/cli.js';

function projectDir(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const dir = tempDir(t, 'offgrid-init-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('init docker: a service with dockerfile_inline is left alone, named; the others are rewritten', async (t) => {
  const dir = projectDir(t, {
    'compose.yaml': 'services:\n  api:\n    build: .\n  docs:\n    build:\n      context: docs\n      dockerfile_inline: |\n        FROM nginx\n',
    Dockerfile: 'FROM python:3.12-slim\nRUN pip install --no-cache-dir -r requirements.txt\n',
  });
  const r = await runCli(['init', 'docker'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^--- a\/Dockerfile\n/);
  assert.match(r.stderr, /offgrid: left alone: service docs: its Dockerfile is build\.dockerfile_inline in compose\.yaml, which init does not rewrite: put it in a file/);
  assert.match(readFileSync(join(dir, 'Dockerfile'), 'utf8'), /COPY wheelhouse\/ \/wheelhouse\//);
});

test('init docker: a git context written github.com/OWNER/REPO (compose-go reads it as git) is left alone; the other services are still rewritten', async (t) => {
  // hrtsv/TempMan's README compose (find_string id 3507601469), its `https://…git#main` context
  // written in the short form compose-go's isRemoteContext also accepts; `web` is a stand-in.
  const dir = projectDir(t, {
    'docker-compose.yml': "version: '3.8'\n\nservices:\n  app:\n    build:\n      context: github.com/hrtsv/TempMan\n      dockerfile: Dockerfile\n    ports:\n      - \"5000:5000\"\n  web:\n    build: .\n  db:\n    image: postgres:13\n",
    Dockerfile: 'FROM python:3.12-slim\nRUN pip install -r requirements.txt\n',
  });
  const r = await runCli(['init', 'docker', '--dry-run'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /offgrid: left alone: \S*docker-compose.yml line 6: service app: remote build contexts \(github.com\/hrtsv\/TempMan\) are not supported/);
  assert.match(r.stdout, /^--- a\/Dockerfile\n/);
});

test('init docker: a Dockerfile whose only fetches are dnf or apk is not called offline-ready; its steps are counted as needing the network', async (t) => {
  const dir = projectDir(t, {
    // github.com/pycgo/pydocker Dockerfile, verbatim: dnf and pip in one RUN (the pip part is rewritten).
    Dockerfile: 'FROM rockylinux:8.5\n\nCOPY requirements.txt /\nRUN dnf install python38 -y  && \\\n    dnf clean all && \\\n    pip3 install -r /requirements.txt\n',
    // github.com/hesam-init/docker-ovpn-socks Dockerfile @01cfb493, its base stage: only apk.
    'ovpn.Dockerfile':
      'FROM docker.arvancloud.ir/alpine:3.23 AS base\n\nRUN echo "https://mirror.arvancloud.ir/alpine/v3.23/main" > /etc/apk/repositories && \\\n    echo "https://mirror.arvancloud.ir/alpine/v3.23/community" >> /etc/apk/repositories\n\n' +
      'RUN apk update\nRUN apk add --no-cache bash bind-tools curl gost iptables iproute2 openvpn\n\nRUN rm -rf /var/cache/apk/*\n',
  });
  const r = await runCli(['init', 'docker', '--dry-run'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /offgrid: Dockerfile: line 4: still needs the network: dnf install fetches from the distribution's RPM repositories\. Instead: download the packages once/);
  assert.match(r.stderr, /offgrid: Dockerfile: not offline-ready after init: 1 step\(s\) above still need the network/);
  assert.match(r.stdout, /ovpn.Dockerfile: nothing init can change; 2 step\(s\) left alone/);
  assert.match(r.stderr, /offgrid: ovpn.Dockerfile: not offline-ready after init: 2 step\(s\) above still need the network/);
});

test('init docker: text output shows what each rewritten step needs in the wheelhouse, and the next step names the requirements to add', async (t) => {
  // immich machine-learning/Dockerfile @0368c919, its first lines.
  const dir = projectDir(t, {
    Dockerfile: 'FROM python:3.11.4-bullseye AS builder\n\nENV PYTHONDONTWRITEBYTECODE=1 \\\n  PYTHONUNBUFFERED=1 \\\n  PIP_NO_CACHE_DIR=true\n\nRUN pip install --upgrade pip && pip install poetry\n',
  });
  const r = await runCli(['init', 'docker', '--dry-run'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /offgrid: Dockerfile: line 7: RUN pip install --upgrade pip && pip install poetry…: pip from the wheelhouse when present; it installs pip, poetry by name/);
  assert.match(r.stderr, /offgrid: next: fill wheelhouse\/ \(offgrid wheelhouse -r requirements.txt pip poetry\)/);
});

test('init docker: the next step passes offgrid wheelhouse the index the pip step reads besides PyPI', async (t) => {
  // An inference engine's CPU image (find_string id 66156681976), lines 7-10.
  const dir = projectDir(t, {
    Dockerfile: 'FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu \\\n    -r requirements.txt\n',
  });
  const r = await runCli(['init', 'docker', '--dry-run'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /offgrid: next: fill wheelhouse\/ \(offgrid wheelhouse -r requirements.txt --extra-index-url https:\/\/download\.pytorch\.org\/whl\/cpu\) after/);
  const json = JSON.parse((await runCli(['init', 'docker', '--dry-run', '--json'], { cwd: dir })).stdout) as { dockerfiles: { index_options: string[] }[] };
  assert.deepEqual(json.dockerfiles[0]!.index_options, ['--extra-index-url https://download.pytorch.org/whl/cpu']);
});

test('init docker: the next step names only the directories the rewritten steps read (apt only: no wheelhouse)', async (t) => {
  // A C++ build image's first stage (find_string id 59465127279): apt-get with -o options, no pip.
  const dir = projectDir(t, {
    Dockerfile:
      'ARG APT_MIRROR=archive.ubuntu.com\n\nFROM ubuntu:24.04 AS builder\nARG APT_MIRROR\n\n' +
      'RUN sed -i "s|//archive.ubuntu.com|//${APT_MIRROR}|" /etc/apt/sources.list.d/ubuntu.sources \\\n' +
      '    && apt-get -o Acquire::Retries=5 -o Acquire::http::Timeout=60 -o Acquire::https::Timeout=60 update \\\n' +
      '    && apt-get install -o Acquire::Retries=5 -o Acquire::http::Timeout=60 -o Acquire::https::Timeout=60 \\\n' +
      '        -y --no-install-recommends \\\n        g++ cmake make \\\n    && rm -rf /var/lib/apt/lists/*\n',
  });
  const r = await runCli(['init', 'docker', '--dry-run'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\+RUN if \[ -f \/offgrid\/apt-archives\/Packages \]; then export APT_CONFIG=\/offgrid\/apt.conf; fi && sed -i/);
  assert.doesNotMatch(r.stdout, /would create wheelhouse/);
  assert.match(r.stderr, /offgrid: next: fill apt-archives\/ \(offgrid cache export apt --out CONTEXT\) after an online `offgrid build`.* Empty directory keeps the online build working/);
  assert.doesNotMatch(r.stderr, /wheelhouse/);
});

test('init docker: an allow-list .dockerignore gets exceptions for what the Dockerfile now COPYs; a second run changes nothing', async (t) => {
  const ignore = '# only what the image needs\r\n*\r\n!requirements.txt\r\n!src\r\n**/*.deb\r\n';
  const dir = projectDir(t, {
    'compose.yaml': 'services:\n  api:\n    build: .\n',
    Dockerfile: 'FROM python:3.12-slim\nRUN apt-get update && apt-get install -y libpq5\nRUN pip install -r requirements.txt\n',
    '.dockerignore': ignore,
  });
  const r = await runCli(['init', 'docker'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\n--- a\/.dockerignore\n\+\+\+ b\/.dockerignore\n/);
  assert.equal(
    readFileSync(join(dir, '.dockerignore'), 'utf8'),
    `${ignore}# offgrid init docker: the Dockerfile COPYs these (offline wheels and apt packages)\r\n!apt-archives\r\n!offgrid\r\n!wheelhouse\r\n`,
  );
  const again = await runCli(['init', 'docker'], { cwd: dir });
  assert.match(again.stdout, /Dockerfile: already offline-ready/);
});

test('init docker: COMPOSE_FILE in .env points at a compose file in a subdirectory; its contexts are relative to that file', async (t) => {
  const dir = projectDir(t, {
    '.env': 'COMPOSE_FILE=deploy/compose.yaml\n',
    'deploy/compose.yaml': 'services:\n  api:\n    build:\n      context: ..\n      dockerfile: docker/api.Dockerfile\n',
    'docker/api.Dockerfile': 'FROM python:3.12-slim\nRUN python -m pip install -r requirements.txt\n',
  });
  const r = await runCli(['init', 'docker', '--dry-run'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^--- a\/docker\/api.Dockerfile\n/);
  assert.match(r.stdout, /\nwould create wheelhouse\/\n/);
});

test('init docker: services sharing one Dockerfile with different contexts (a monorepo): the Dockerfile is rewritten once, every context gets its directories and .dockerignore exceptions', async (t) => {
  const dir = projectDir(t, {
    'compose.yaml': [
      'services:',
      '  api:    {build: {context: ./services/api,    dockerfile: ../../docker/python.Dockerfile}}',
      '  worker: {build: {context: ./services/worker, dockerfile: ../../docker/python.Dockerfile}}',
      '  again:  {build: {context: ./services/api,    dockerfile: ../../docker/python.Dockerfile}}',
      '',
    ].join('\n'),
    'docker/python.Dockerfile': 'FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n',
    'services/api/requirements.txt': 'requests\n',
    'services/worker/requirements.txt': 'celery\n',
    'services/worker/.dockerignore': '*\n!requirements.txt\n',
  });
  const dry = await runCli(['init', 'docker', '--dry-run', '--json'], { cwd: dir });
  assert.equal(dry.code, 0, dry.stderr);
  const json = JSON.parse(dry.stdout) as { dockerfiles: { dockerfile: string; contexts: string[]; created: string[]; changes: string[]; diff: string }[] };
  assert.deepEqual(json.dockerfiles.map((d) => [d.dockerfile, d.contexts, d.created]), [
    ['docker/python.Dockerfile', ['services/api', 'services/worker'], ['services/api/wheelhouse/', 'services/worker/wheelhouse/']],
  ]);
  assert.match(json.dockerfiles[0]!.changes.at(-1)!, /^services\/worker\/.dockerignore: exceptions for what the Dockerfile now COPYs/);
  assert.equal(json.dockerfiles[0]!.diff.match(/^--- a\/docker\/python.Dockerfile$/gm)?.length, 1);
  assert.match(json.dockerfiles[0]!.diff, /\n--- a\/services\/worker\/.dockerignore\n\+\+\+ b\/services\/worker\/.dockerignore\n/);

  const r = await runCli(['init', 'docker'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\ncreated services\/api\/wheelhouse\/\ncreated services\/worker\/wheelhouse\/\n/);
  assert.match(r.stdout, /docker\/python.Dockerfile is the Dockerfile of 2 build contexts \(services\/api, services\/worker\)/);
  assert.equal(readFileSync(join(dir, 'docker/python.Dockerfile'), 'utf8').match(/COPY wheelhouse\/ \/wheelhouse\//g)?.length, 1);
  assert.match(readFileSync(join(dir, 'services/worker/.dockerignore'), 'utf8'), /\n!wheelhouse\n$/);
  assert.equal(existsSync(join(dir, 'services/api/.dockerignore')), false);
  const again = await runCli(['init', 'docker'], { cwd: dir });
  assert.match(again.stdout, /^docker\/python.Dockerfile: already offline-ready \(nothing to change\)\n$/);
});

test('init docker: a context added to a Dockerfile rewritten before gets its directories on the next run', async (t) => {
  const dir = projectDir(t, {
    'compose.yaml': 'services:\n  api:\n    build: {context: api, dockerfile: ../app.Dockerfile}\n',
    'app.Dockerfile': 'FROM python:3.12-slim\nRUN pip install -r requirements.txt\n',
    'api/requirements.txt': 'requests\n',
    'worker/requirements.txt': 'celery\n',
  });
  assert.equal((await runCli(['init', 'docker'], { cwd: dir })).code, 0);
  writeFileSync(join(dir, 'compose.yaml'), 'services:\n  api:\n    build: {context: api, dockerfile: ../app.Dockerfile}\n  worker:\n    build: {context: worker, dockerfile: ../app.Dockerfile}\n');
  const r = await runCli(['init', 'docker'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'app.Dockerfile is the Dockerfile of 2 build contexts (api, worker): each gets what it COPYs\ncreated worker/wheelhouse/\n');
});

test('init docker: a Dockerfile with nothing init can change but a step it left alone is not called offline-ready', async (t) => {
  const dir = projectDir(t, { Dockerfile: 'FROM python:3.12-slim\nCOPY uv.lock pyproject.toml ./\nRUN uv sync --frozen\n' });
  const r = await runCli(['init', 'docker'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Dockerfile: nothing init can change; 1 step(s) left alone (below)\n');
  assert.match(r.stderr, /^offgrid: Dockerfile: line 3: uv sync installs from the package index and is left alone/);
});

test('init docker: what still needs the network is named by line, with what to do, and the Dockerfile is not called offline-ready', async (t) => {
  const dir = projectDir(t, {
    Dockerfile: 'FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\nRUN curl -fsSL https://example.org/install.sh | sh\nRUN curl -fsSL https://example.org/other.sh | sh\n',
  });
  const r = await runCli(['init', 'docker', '--dry-run'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^offgrid: Dockerfile: line 3: still needs the network: curl fetches https:\/\/example\.org\/install\.sh and runs it with sh \(an install script, which downloads more\)\. Instead: vendor what the script installs/m);
  assert.match(r.stderr, /^offgrid: Dockerfile: not offline-ready after init: 2 step\(s\) above still need the network; offgrid verify fails until they change$/m);
  const json = JSON.parse((await runCli(['init', 'docker', '--dry-run', '--json'], { cwd: dir })).stdout) as { dockerfiles: { needs_network: { line: number; what: string }[] }[] };
  assert.deepEqual(json.dockerfiles[0]!.needs_network.map((n) => n.line), [3, 4]);
});

test('init docker: --compose given twice reads both files as docker compose -f does (CVAT\'s docker-compose.yml and docker-compose.dev.yml)', async (t) => {
  const real = join(FIXTURES, 'compose/real/cvat');
  const dir = projectDir(t, {
    'docker-compose.yml': readFileSync(join(real, 'docker-compose.yml'), 'utf8'),
    'docker-compose.dev.yml': readFileSync(join(real, 'docker-compose.dev.yml'), 'utf8'),
    Dockerfile: 'FROM python:3.10-slim\nRUN pip install -r requirements.txt\n',
    'Dockerfile.ui': 'FROM node:lts-slim\nRUN apt-get update && apt-get install -y --no-install-recommends git\n',
  });
  const r = await runCli(['init', 'docker', '--dry-run', '--compose', 'docker-compose.yml', '--compose', 'docker-compose.dev.yml'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^--- a\/Dockerfile\n/m);
  assert.match(r.stdout, /^--- a\/Dockerfile.ui\n/m);
});

test('init docker: a compose file with no build: section (Mastodon\'s, every build: commented out) says so and exits 2 instead of printing nothing', async (t) => {
  const dir = projectDir(t, {
    'docker-compose.yml': readFileSync(join(FIXTURES, 'compose/real/mastodon/docker-compose.yml'), 'utf8'),
    // Stand-ins for the repository's own Dockerfiles.
    Dockerfile: 'FROM ruby:3.3-slim\nRUN apt-get update && apt-get install -y --no-install-recommends libpq5\n',
  });
  const r = await runCli(['init', 'docker', '--dry-run'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^offgrid: docker-compose.yml: no service has a build: section, so there is no Dockerfile to change: add build: to the services built from Dockerfile, or give --compose a file that builds them\n$/);
  // offgrid build says the same in its words.
  const build = await runCli(['build'], { cwd: dir });
  assert.equal(build.code, 2);
  assert.match(build.stderr, /docker-compose.yml: no service has a build: section, so there is nothing to build/);
});

test('init docker: --compose naming a file with no build: section says so too (CVAT\'s docker-compose.yml without its dev file)', async (t) => {
  const dir = projectDir(t, { 'docker-compose.yml': readFileSync(join(FIXTURES, 'compose/real/cvat/docker-compose.yml'), 'utf8') });
  const r = await runCli(['init', 'docker', '--compose', 'docker-compose.yml'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /docker-compose.yml: no service has a build: section, so there is no Dockerfile to change: give --compose a file whose services build/);
});

test('verify SERVICE --log-dir DIR (an option after the services) says to put it first, exit 2, instead of looking for a service named --log-dir', async (t) => {
  const dir = projectDir(t, { 'compose.yaml': 'services:\n  signer:\n    build: .\n', Dockerfile: 'FROM debian:bookworm\n' });
  const r = await runCli(['verify', 'signer', '--log-dir', 'out'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'offgrid: --log-dir comes after the services, where verify reads only service names: give the options first (offgrid verify --log-dir out signer)\n');
  // The command form keeps everything after -- as the command.
  const command = await runCli(['verify', '--', 'sh', '-c', 'exit 0'], { cwd: dir });
  assert.doesNotMatch(command.stderr, /comes after the services/);
});
