// `offgrid wheelhouse` on requirement lines pip takes from a local directory or a VCS
// checkout: real pip builds their wheels into the wheelhouse (their dependencies come
// from a real local index through offgrid's proxy), an editable local directory (the
// project under build) is left out with a note, and verify proves the result offline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, readValidLedger, runCli, tempDir } from '../helpers/cli.js';
import { isolatedPipEnv } from '../helpers/pip.js';
import { startPypiIndex } from '../helpers/pypi-index.js';
import { realWheel } from '../helpers/pypi-dist.js';
import { buildSdist, gitProject, writePythonProject } from '../helpers/python-project.js';
import type { Manifest } from '../../src/wheelhouse/manifest.js';

const PIP_ENV = { ...isolatedPipEnv({ PIP_NO_CACHE_DIR: '1' }), PIP_FIND_LINKS: '' };

function readManifest(dest: string): Manifest {
  return JSON.parse(readFileSync(join(dest, 'wheelhouse_manifest.json'), 'utf8')) as Manifest;
}

test('wheelhouse: local directories, a local sdist and git checkouts are built into wheels; the editable project itself is left out with a note; verify passes offline', async (t) => {
  const index = await startPypiIndex({
    packages: [
      { name: 'alpha', version: '1.0', deps: ['beta'] }, { name: 'beta', version: '1.0' }, { name: 'gamma', version: '2.0' }, { name: 'delta', version: '1.0' },
    ],
  });
  t.after(() => index.close());
  const dir = tempDir(t, 'offgrid-wheelhouse-src-');
  // The project under build, at the root, as uv export names it (-e .).
  writePythonProject(dir, { name: 'myproj', version: '0.1.0', requires: ['gamma'] });
  writePythonProject(join(dir, 'libs/localpkg'), { name: 'localpkg', version: '0.2.0', requires: ['alpha'] });
  writePythonProject(join(dir, 'sdist-src'), { name: 'fromsdist', version: '0.3.0', requires: ['delta'] });
  const sdist = buildSdist(join(dir, 'sdist-src'), dir);
  const commits = gitProject(join(dir, 'repos/gitpkg'), 'gitpkg', [{ name: 'gitpkg', version: '1.0', requires: ['beta'] }, { name: 'gitpkg', version: '2.0' }]);
  gitProject(join(dir, 'repos/editgit'), 'editgit', [{ name: 'editgit', version: '0.5' }]);
  const repo = (name: string) => pathToFileURL(join(dir, 'repos', name)).href;
  // test/fixtures/requirements-real/uv-export-editable.txt's first three lines, then the other forms.
  const real = readFileSync(join(REPO_ROOT, 'test/fixtures/requirements-real/uv-export-editable.txt'), 'utf8').split('\n').slice(0, 3).join('\n');
  writeFileSync(join(dir, 'requirements.txt'), [
    real,
    './libs/localpkg',
    `fromsdist @ ${pathToFileURL(sdist).href}`,
    `git+${repo('gitpkg')}@v1.0#egg=gitpkg`,
    `-e git+${repo('editgit')}@v0.5#egg=editgit`,
    '',
  ].join('\n'));
  const run = (args: string[]) => runCli(['wheelhouse', '-r', 'requirements.txt', '--cache-dir', 'cache', '--pypi-upstream', index.simpleUrl, ...args], { cwd: dir, env: PIP_ENV, timeoutMs: 180_000 });

  const r = await run([]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const m = readManifest(join(dir, 'wheelhouse'));
  assert.deepEqual(m.requirements.map((q) => [q.line, q.requirement.replace(dir, 'DIR'), q.name, q.filename, q.status]), [
    [3, '-e .', 'myproj', null, 'skipped'],
    [4, './libs/localpkg', 'localpkg', 'localpkg-0.2.0-py3-none-any.whl', 'success'],
    [5, `fromsdist @ file://DIR/fromsdist-0.3.0.tar.gz`, 'fromsdist', 'fromsdist-0.3.0.tar.gz', 'success'],
    [6, 'git+file://DIR/repos/gitpkg@v1.0#egg=gitpkg', 'gitpkg', 'gitpkg-1.0-py3-none-any.whl', 'success'],
    [7, '-e git+file://DIR/repos/editgit@v0.5#egg=editgit', 'editgit', 'editgit-0.5-py3-none-any.whl', 'success'],
  ]);
  assert.match(m.requirements[0]!.message!, /^the project under build \(an editable directory\): pip install -e builds it from its source, never from a wheelhouse/);
  const byName = Object.fromEntries(m.packages.map((p) => [p.name, p]));
  // The tag, not the newer commit; the source names the commit pip checked out.
  assert.equal(byName['gitpkg']!.source, `git+${repo('gitpkg')}@${commits.get('v1.0')}`);
  assert.equal(byName['gitpkg']!.message, `built by pip wheel from git commit ${commits.get('v1.0')}`);
  assert.equal(byName['editgit']!.source, `git+${repo('editgit')}@v0.5#egg=editgit`);
  assert.equal(byName['localpkg']!.source, pathToFileURL(join(dir, 'libs/localpkg')).href);
  assert.equal(byName['localpkg']!.message, 'built by pip wheel from its directory');
  // Every dependency, the project's own included, is downloaded from the index.
  assert.deepEqual(readdirSync(join(dir, 'wheelhouse')).sort(), [
    'alpha-1.0-py3-none-any.whl', 'beta-1.0-py3-none-any.whl', 'delta-1.0-py3-none-any.whl', 'editgit-0.5-py3-none-any.whl',
    'fromsdist-0.3.0.tar.gz', 'gamma-2.0-py3-none-any.whl', 'gitpkg-1.0-py3-none-any.whl', 'localpkg-0.2.0-py3-none-any.whl', 'wheelhouse_manifest.json',
  ]);
  assert.ok(!m.packages.some((p) => p.name === 'myproj'), 'a wheel of the project itself');
  for (const p of m.packages) assert.equal(p.status, 'success', `${p.filename}: ${p.message}`);
  // pip's checkout of the editable line went to offgrid's scratch directory, not ./src.
  assert.ok(!existsSync(join(dir, 'src')), 'pip checked out into the project');

  // Offline: pip installs every package by name from the wheelhouse alone.
  const v = await runCli(['wheelhouse', 'verify'], { cwd: dir, env: PIP_ENV });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout + v.stderr, /local directories, VCS checkouts or URLs/);

  // A second run builds the wheels again (a directory may change under one version) and keeps the downloads.
  const again = await run(['--json']);
  assert.equal(again.code, 0, again.stderr + again.stdout);
  const m2 = readManifest(join(dir, 'wheelhouse'));
  assert.deepEqual(m2.packages.filter((p) => p.status === 'success').map((p) => p.name).sort(), ['editgit', 'gitpkg', 'localpkg']);
  assert.deepEqual(m2.packages.filter((p) => p.status === 'skipped').map((p) => p.name).sort(), ['alpha', 'beta', 'delta', 'fromsdist', 'gamma']);
  assert.equal((await runCli(['wheelhouse', 'verify'], { cwd: dir, env: PIP_ENV })).code, 0);
});

test('wheelhouse: a local project that does not build fails on its own line with pip\'s reason; the rest is there', async (t) => {
  const index = await startPypiIndex({ packages: [{ name: 'alpha', version: '1.0' }, { name: 'gamma', version: '2.0' }] });
  t.after(() => index.close());
  const dir = tempDir(t, 'offgrid-wheelhouse-src-');
  writePythonProject(join(dir, 'broken'), { name: 'broken', version: '1.0', requires: ['gamma'], failBuild: true });
  writePythonProject(join(dir, 'fine'), { name: 'fine', version: '1.0' });
  writeFileSync(join(dir, 'requirements.txt'), 'alpha\n./broken\n./fine\n');
  const r = await runCli(['wheelhouse', '-r', 'requirements.txt', '--cache-dir', 'cache', '--pypi-upstream', index.simpleUrl], { cwd: dir, env: PIP_ENV, timeoutMs: 180_000 });
  assert.equal(r.code, 1, r.stderr + r.stdout);
  const m = readManifest(join(dir, 'wheelhouse'));
  assert.deepEqual(m.requirements.map((q) => [q.line, q.name, q.status]), [[1, 'alpha', 'success'], [2, 'broken', 'error'], [3, 'fine', 'success']]);
  assert.match(m.requirements[1]!.message!, /Failed building wheel for broken|this project does not build/);
  assert.match(r.stdout, /FAILED \(1\):\n {2}requirements\.txt:2: \.\/broken: /);
  assert.deepEqual(readdirSync(join(dir, 'wheelhouse')).sort(), ['alpha-1.0-py3-none-any.whl', 'fine-1.0-py3-none-any.whl', 'gamma-2.0-py3-none-any.whl', 'wheelhouse_manifest.json']);
});

/**
 * What pip installs to build a setup.py project (setuptools>=40.8.0 and wheel, pip's default
 * build requirements for a project without pyproject.toml; wheel >= 0.45 needs packaging),
 * from where this machine keeps wheels (its local index, Debian's python3-pip-whl); null
 * when one is missing.
 */
function machineBuildWheels(): string[] | null {
  const dirs = ['/opt/pypi/files', '/usr/share/python-wheels'].filter((d) => existsSync(d));
  const find = (project: string) => dirs.flatMap((d) => readdirSync(d).filter((n) => n.startsWith(`${project}-`) && n.endsWith('-py3-none-any.whl')).map((n) => join(d, n)))[0] ?? null;
  const [setuptools, wheel, packaging] = [find('setuptools'), find('wheel'), find('packaging')];
  return setuptools === null || wheel === null ? null : [setuptools, wheel, ...(packaging === null ? [] : [packaging])];
}

test('wheelhouse: a setup.py project is built with setuptools that its isolated build fetched through the proxy from the index', async (t) => {
  const buildWheels = machineBuildWheels();
  if (buildWheels === null) {
    t.skip('no setuptools and wheel wheels on this machine to serve from the test index');
    return;
  }
  const setuptools = buildWheels[0]!;
  const index = await startPypiIndex({ packages: [{ name: 'alpha', version: '1.0' }], files: buildWheels.map((w) => realWheel(w, readFileSync(w))) });
  t.after(() => index.close());
  const dir = tempDir(t, 'offgrid-wheelhouse-src-');
  // The most common local project: a setup.py and nothing else, which pip builds with setuptools>=40.8.0 (PEP 517's default).
  mkdirSync(join(dir, 'legacy/legacy'), { recursive: true });
  writeFileSync(join(dir, 'legacy/setup.py'), "from setuptools import setup\nsetup(name='legacy', version='1.0', packages=['legacy'], install_requires=['alpha'])\n");
  writeFileSync(join(dir, 'legacy/legacy/__init__.py'), '');
  writeFileSync(join(dir, 'requirements.txt'), './legacy\n');
  const r = await runCli(['wheelhouse', '-r', 'requirements.txt', '--cache-dir', 'cache', '--pypi-upstream', index.simpleUrl], { cwd: dir, env: PIP_ENV, timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(readdirSync(join(dir, 'wheelhouse')).sort(), ['alpha-1.0-py3-none-any.whl', 'legacy-1.0-py3-none-any.whl', 'wheelhouse_manifest.json']);
  const m = readManifest(join(dir, 'wheelhouse'));
  assert.equal(m.packages.find((p) => p.name === 'legacy')!.message, 'built by pip wheel from its directory');
  // The build dependency came from the index through offgrid's mirror, and is in the session's ledger.
  assert.ok(index.requestCount(`/files/${basename(setuptools)}`) >= 1, 'setuptools was not fetched from the index');
  const ledger = readValidLedger(join(dir, 'logs/build', `downloads_${m.run!.session_id}.json`));
  assert.ok([...ledger.downloads.wheels, ...ledger.cached].some((w) => w.filename === basename(setuptools)), 'the ledger does not show setuptools');
});
