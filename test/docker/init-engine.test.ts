// `offgrid init docker` with the real engine: the online build still works after init, and
// `offgrid verify` proves the offline one. Busybox has neither apt-get nor pip, so stand-in
// scripts say how they were called (nothing is pulled or downloaded).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX_IMAGE, dockerSkipReason, ensureBaseImages } from '../helpers/docker.js';
import { TAG, project } from './engine-helpers.js';

const skip = await dockerSkipReason();
const opts = { skip: skip ?? false, timeout: 600_000 };
if (!skip) await ensureBaseImages();

/** A new first step, so no step is served from an earlier run's build cache and every log shows its output. */
const fresh = () => `RUN echo ${process.pid}-${Date.now()}`;

test('a RUN with cache mounts across continuation lines builds online before and after init docker, and offline from a local apt repository', opts, async (t) => {
  const p = project(
    t,
    {
      'compose.yaml': `services:\n  app:\n    build: .\n    image: ${TAG}-init-mounts\n`,
      Dockerfile: [
        `FROM ${BUSYBOX_IMAGE}`,
        fresh(),
        'COPY apt-get /bin/apt-get',
        'RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\',
        '    --mount=type=cache,target=/var/lib/apt,sharing=locked \\',
        '    apt-get update && apt-get install -y ca-certificates',
        'RUN \\',
        '    # the flags on their own lines',
        '    --mount=type=cache,target=/root/.cache \\',
        '    apt-get install -y curl',
        '',
      ].join('\n'),
      'apt-get': '#!/bin/sh\necho "stand-in apt-get $* with APT_CONFIG=${APT_CONFIG:-unset}"\n',
    },
    [`${TAG}-init-mounts`],
  );
  chmodSync(join(p.dir, 'apt-get'), 0o755);
  const before = await p.cli(['build']);
  assert.equal(before.code, 0, before.stdout + before.stderr);

  const init = await p.cli(['init', 'docker']);
  assert.equal(init.code, 0, init.stderr);
  const online = await p.cli(['build']);
  assert.equal(online.code, 0, online.stdout + online.stderr + p.read('logs/docker_build/build_app.log'));
  const log = p.read('logs/docker_build/build_app.log');
  assert.match(log, /stand-in apt-get update with APT_CONFIG=unset/);
  assert.match(log, /stand-in apt-get install -y curl with APT_CONFIG=unset/);

  // With a Packages index in apt-archives/, apt is pointed at it (the index is empty: the stand-in reads nothing).
  writeFileSync(join(p.dir, 'apt-archives/Packages'), '');
  const verify = await p.cli(['verify', 'app']);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /PASS app/);
  assert.match(p.read('logs/docker_build/build_app.log'), /stand-in apt-get install -y ca-certificates with APT_CONFIG=\/offgrid\/apt.conf/);
});

test('services sharing one Dockerfile from different contexts (a monorepo) all build online after init docker; one verifies offline from its wheelhouse', opts, async (t) => {
  const p = project(
    t,
    {
      'compose.yaml': [
        'services:',
        `  api:    {build: {context: ./services/api,    dockerfile: ../../docker/python.Dockerfile}, image: ${TAG}-init-api}`,
        `  worker: {build: {context: ./services/worker, dockerfile: ../../docker/python.Dockerfile}, image: ${TAG}-init-worker}`,
        '',
      ].join('\n'),
      'docker/python.Dockerfile': [
        `FROM ${BUSYBOX_IMAGE}`,
        fresh(),
        `RUN printf '#!/bin/sh\\necho "stand-in pip $*"\\n' > /bin/pip && chmod +x /bin/pip`,
        'COPY requirements.txt .',
        'RUN pip install -r requirements.txt',
        '',
      ].join('\n'),
      'services/api/requirements.txt': 'requests\n',
      'services/worker/requirements.txt': 'celery\n',
      'services/worker/.dockerignore': '*\n!requirements.txt\n',
    },
    [`${TAG}-init-api`, `${TAG}-init-worker`],
  );
  const init = await p.cli(['init', 'docker']);
  assert.equal(init.code, 0, init.stderr);
  const online = await p.cli(['build']);
  assert.equal(online.code, 0, online.stdout + online.stderr);
  assert.match(p.read('logs/docker_build/build_worker.log'), /stand-in pip install -r requirements.txt/);

  mkdirSync(join(p.dir, 'services/worker/wheelhouse'), { recursive: true });
  writeFileSync(join(p.dir, 'services/worker/wheelhouse/celery-5.0-py3-none-any.whl'), '');
  const verify = await p.cli(['verify', 'worker']);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.match(p.read('logs/docker_build/build_worker.log'), /stand-in pip install --no-index --find-links \/wheelhouse -r requirements.txt/);
});
