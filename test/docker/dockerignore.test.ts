// .dockerignore rules as Docker applies them, for what `offgrid init docker` adds to a context.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowDirs, ignoredDirs } from '../../src/docker/dockerignore.js';

const DIRS = ['apt-archives', 'offgrid', 'wheelhouse'];

test('.dockerignore: allow-lists, ** patterns, exceptions and their order decide which offgrid directories are left out', () => {
  assert.deepEqual(ignoredDirs('', DIRS), []);
  assert.deepEqual(ignoredDirs('.git\nnode_modules\n*.pyc\n# wheelhouse\n', DIRS), []);
  assert.deepEqual(ignoredDirs('*\n!src\n', DIRS), DIRS);
  assert.deepEqual(ignoredDirs('*\n!wheelhouse/\n', DIRS), ['apt-archives', 'offgrid']);
  assert.deepEqual(ignoredDirs('**/*.whl\n**/*.tar.gz\n', DIRS), ['wheelhouse']);
  assert.deepEqual(ignoredDirs('/wheel*\n', DIRS), ['wheelhouse']);
  assert.deepEqual(ignoredDirs('!wheelhouse\n*\n', DIRS), DIRS);
  assert.deepEqual(ignoredDirs('apt-archives/*.deb\n', DIRS), ['apt-archives']);
  assert.deepEqual(ignoredDirs('[a-o]*\n', DIRS), ['apt-archives', 'offgrid']);
});

test('.dockerignore: the exceptions are appended (they must come last) and then nothing is left out', () => {
  const after = allowDirs('*\n!src', DIRS);
  assert.equal(after, '*\n!src\n# offgrid init docker: the Dockerfile COPYs these (offline wheels and apt packages)\n!apt-archives\n!offgrid\n!wheelhouse\n');
  assert.deepEqual(ignoredDirs(after!, DIRS), []);
  assert.equal(allowDirs(after!, DIRS), null);
  assert.deepEqual(ignoredDirs(`${after!}**/*.whl\n`, DIRS), ['wheelhouse']);
});
