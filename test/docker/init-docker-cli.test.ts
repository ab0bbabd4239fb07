// `offgrid init docker` through the built CLI on projects written to a temp directory
// (no Docker engine needed: it only reads the compose file and rewrites Dockerfiles).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';

function projectDir(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const dir = tempDir(t, 'offgrid-init-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('init docker: a service with dockerfile_inline is left alone with its line; the others are rewritten', async (t) => {
  const dir = projectDir(t, {
    'compose.yaml': 'services:\n  api:\n    build: .\n  docs:\n    build:\n      context: docs\n      dockerfile_inline: |\n        FROM nginx\n',
    Dockerfile: 'FROM python:3.12-slim\nRUN pip install --no-cache-dir -r requirements.txt\n',
  });
  const r = await runCli(['init', 'docker'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^--- a\/Dockerfile\n/);
  assert.match(r.stderr, /offgrid: left alone: \S*compose.yaml line 7: service docs: build.dockerfile_inline is not supported/);
  assert.match(readFileSync(join(dir, 'Dockerfile'), 'utf8'), /COPY wheelhouse\/ \/wheelhouse\//);
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
