// `offgrid wheelhouse` end to end: the real pip, through offgrid's proxy, against a real
// local index serving wheels it builds (pure-Python and platform-specific tags,
// dependencies, an extra, markers, a constraints file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { REPO_ROOT, runCli, readValidLedger, tempDir } from '../helpers/cli.js';
import { isolatedPipEnv } from '../helpers/pip.js';
import { startPypiIndex, type PypiIndex } from '../helpers/pypi-index.js';
import type { Manifest } from '../../src/wheelhouse/manifest.js';

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateManifest = ajv.compile(JSON.parse(readFileSync(join(REPO_ROOT, 'schema/wheelhouse-manifest.schema.json'), 'utf8')) as object);

function readManifest(dest: string): Manifest {
  const manifest = JSON.parse(readFileSync(join(dest, 'wheelhouse_manifest.json'), 'utf8')) as unknown;
  if (!validateManifest(manifest)) throw new Error(`manifest does not match the shipped schema: ${ajv.errorsText(validateManifest.errors)}`);
  return manifest as Manifest;
}

const TARGET = ['--platform', 'manylinux_2_17_aarch64', '--python-version', '3.12', '--implementation', 'cp', '--abi', 'cp312'];
const NATIVE = 'native-3.0-cp312-cp312-manylinux_2_17_aarch64.whl';
const EXPECTED = ['alpha-1.0-py3-none-any.whl', 'beta-1.0-py3-none-any.whl', 'gamma-2.0-py3-none-any.whl', NATIVE];

async function fixtureIndex(): Promise<PypiIndex> {
  return startPypiIndex({
    packages: [
      { name: 'alpha', version: '1.0', deps: ['beta>=1', 'gamma; extra == "fast"', 'delta; python_version < "3"'] },
      { name: 'beta', version: '1.0' },
      { name: 'beta', version: '1.1' },
      { name: 'gamma', version: '2.0' },
      { name: 'delta', version: '1.0' },
      { name: 'native', version: '3.0', tags: ['cp311-cp311-manylinux_2_17_x86_64', 'cp312-cp312-manylinux_2_17_aarch64', 'cp311-cp311-win_amd64'] },
    ],
  });
}

function project(dir: string, requirements: string): void {
  writeFileSync(join(dir, 'requirements.txt'), requirements);
  writeFileSync(join(dir, 'constraints.txt'), 'beta==1.0\n');
}

const REQUIREMENTS = '# the project\nalpha[fast]>=1.0   # with its extra\nnative ; sys_platform == "linux"\n-c constraints.txt\n';

// pip's own HTTP cache off and no machine pip settings: what is reused comes from offgrid.
const PIP_ENV = { ...isolatedPipEnv({ PIP_NO_CACHE_DIR: '1' }), PIP_FIND_LINKS: '' };

function cli(dir: string) {
  return (args: string[]) => runCli(['wheelhouse', ...args], { cwd: dir, env: PIP_ENV, timeoutMs: 180_000 });
}

/** `offgrid wheelhouse ARGS` started in the background, for a test that signals it mid-run. */
async function spawnWheelhouse(dir: string, args: string[], options: { detached?: boolean } = {}) {
  const { spawn } = await import('node:child_process');
  const { CLI } = await import('../helpers/cli.js');
  const child = spawn(process.execPath, [CLI, 'wheelhouse', ...args], { cwd: dir, env: { ...process.env, ...PIP_ENV }, detached: options.detached ?? false, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, stderr: () => stderr };
}

/** Waits until a run log under logs/wheelhouse satisfies `ready` (it is written line by line, synchronously). */
async function waitForRunLog(dir: string, ready: (text: string) => boolean, what: string, timeoutMs: number): Promise<void> {
  const logs = join(dir, 'logs/wheelhouse');
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(logs) || !readdirSync(logs).some((n) => ready(readFileSync(join(logs, n), 'utf8')))) {
    assert.ok(Date.now() < deadline, `${what} never started`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const upstream = (index: PypiIndex) => ['--cache-dir', 'cache', '--pypi-upstream', index.simpleUrl];

test('wheelhouse: downloads the whole tree for the target, skips it on the next run, is reproducible and verifiable', async (t) => {
  const index = await fixtureIndex();
  t.after(() => index.close());
  const dir = tempDir(t, 'offgrid-wheelhouse-');
  project(dir, REQUIREMENTS);
  const run = cli(dir);

  await t.test('first run downloads every package, dependencies and the extra included', async () => {
    const r = await run(['-r', 'requirements.txt', ...upstream(index), ...TARGET, '--archive', 'a.tgz']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /4 package\(s\): 4 downloaded/);
    assert.deepEqual(readdirSync(join(dir, 'wheelhouse')).sort(), [...EXPECTED, 'wheelhouse_manifest.json'].sort());
    const m = readManifest(join(dir, 'wheelhouse'));
    assert.deepEqual(m.packages.map((p) => [p.filename, p.status]), EXPECTED.map((f) => [f, 'success']));
    for (const p of m.packages) {
      assert.equal(p.sha256, index.files.get(p.filename!)!.sha256);
      assert.equal(p.size, index.files.get(p.filename!)!.bytes.length);
      assert.equal(p.source, index.fileUrl(p.filename!).replace('%3A', ':'));
    }
    assert.deepEqual(m.requirements.map((q) => [q.file, q.line, q.name, q.version, q.status]), [
      ['requirements.txt', 2, 'alpha', '1.0', 'success'],
      ['requirements.txt', 3, 'native', '3.0', 'success'],
    ]);
    assert.deepEqual(m.target, { platforms: ['manylinux_2_17_aarch64'], python_version: '3.12', implementation: 'cp', abi: 'cp312', only_binary: true });
    assert.match(m.pip_version, /^\d+\.\d+/);
    assert.deepEqual(m.requirement_files.map((f) => [f.path, f.kind, f.sha256]), [
      ['requirements.txt', 'requirements', createHash('sha256').update(REQUIREMENTS).digest('hex')],
      ['constraints.txt', 'constraints', createHash('sha256').update('beta==1.0\n').digest('hex')],
    ]);
    assert.equal(m.totals.success, 4);
    // The log has pip's full output and offgrid's lines; the session ledger has the wheels.
    const log = readFileSync(m.run!.log_file!.startsWith('/') ? m.run!.log_file! : join(dir, m.run!.log_file!), 'utf8');
    assert.match(m.run!.log_file!, /^logs\/wheelhouse\/download_\d{8}_\d{6}(_\d+)?\.log$/);
    assert.match(log, /offgrid: running python3 -m pip download/);
    assert.match(log, /Successfully downloaded/);
    const ledger = readValidLedger(join(dir, 'logs/build', `downloads_${m.run!.session_id}.json`));
    assert.ok(EXPECTED.every((f) => ledger.downloads.wheels.some((w) => w.filename === f && w.evidence !== 'log')));
    assert.deepEqual(readdirSync(join(dir, 'wheelhouse')).filter((n) => n.startsWith('.')), []);
  });

  await t.test('second run finds everything present with the right sha256 and fetches no file from the index', async () => {
    const filesBefore = index.requestCount('/files/');
    const r = await run(['-r', 'requirements.txt', ...upstream(index), ...TARGET, '--archive', 'b.tgz', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { totals: Manifest['totals']; ok: boolean };
    assert.equal(out.ok, true);
    assert.equal(out.totals.skipped, 4);
    assert.equal(out.totals.success, 0);
    assert.equal(index.requestCount('/files/'), filesBefore);
    const m = readManifest(join(dir, 'wheelhouse'));
    assert.ok(m.packages.every((p) => p.status === 'skipped'));
    // One pip run, the --no-index one started before the manifest was validated, and no session.
    const pipRuns = readFileSync(join(dir, m.run!.log_file!), 'utf8').match(/offgrid: running python3 -m pip .*/g) ?? [];
    assert.equal(pipRuns.length, 1, pipRuns.join('\n'));
    assert.match(pipRuns[0]!, / download --no-index /);
    assert.equal(m.run!.session_id, null);
  });

  await t.test('the archive is byte-identical for the same wheels, and holds them with the manifest', () => {
    const a = readFileSync(join(dir, 'a.tgz'));
    assert.ok(a.equals(readFileSync(join(dir, 'b.tgz'))), 'a.tgz and b.tgz differ');
  });

  await t.test('a manifest that no longer validates is not trusted, though pip had already started on its files', async () => {
    const path = join(dir, 'wheelhouse', 'wheelhouse_manifest.json');
    const good = readFileSync(path, 'utf8');
    const broken = JSON.parse(good) as Record<string, unknown>;
    delete broken.target; // the file list is intact; the manifest as a whole is not valid
    writeFileSync(path, JSON.stringify(broken));
    const pagesBefore = index.requestCount('/simple/');
    const r = await run(['-r', 'requirements.txt', ...upstream(index), ...TARGET]);
    assert.equal(r.code, 0, r.stderr);
    const m = readManifest(join(dir, 'wheelhouse'));
    assert.ok(m.packages.every((p) => p.status === 'skipped'), 'the files are still the right ones');
    assert.ok(index.requestCount('/simple/') > pagesBefore, 'the tree was resolved against the index');
    assert.match(readFileSync(join(dir, m.run!.log_file!), 'utf8'), /ignoring the previous manifest/);
    assert.deepEqual(readdirSync(join(dir, 'wheelhouse')).filter((n) => n.startsWith('.')), [], 'no scratch directory is left');
  });

  await t.test('verify passes; then fails naming a corrupted and a deleted wheel; a new run repairs both', async () => {
    let r = await run(['verify']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /verified: 4 file\(s\)/);
    const bad = join(dir, 'wheelhouse', 'beta-1.0-py3-none-any.whl');
    const badSha = createHash('sha256').update(Buffer.concat([readFileSync(bad), Buffer.from('x')])).digest('hex');
    appendFileSync(bad, 'x');
    rmSync(join(dir, 'wheelhouse', 'gamma-2.0-py3-none-any.whl'));
    writeFileSync(join(dir, 'wheelhouse', 'stray-0.1-py3-none-any.whl'), 'not listed');
    r = await run(['verify', '--json']);
    assert.equal(r.code, 1);
    const v = JSON.parse(r.stdout) as { ok: boolean; problems: { type: string; filename?: string; missing?: string[] }[] };
    assert.equal(v.ok, false);
    assert.deepEqual(v.problems.map((p) => [p.type, p.filename ?? null]), [
      ['corrupt', 'beta-1.0-py3-none-any.whl'],
      ['missing', 'gamma-2.0-py3-none-any.whl'],
      ['unlisted', 'stray-0.1-py3-none-any.whl'],
      ['not-installable', null],
    ]);
    assert.ok(v.problems[3]!.missing!.some((m) => m.startsWith('gamma')));
    rmSync(join(dir, 'wheelhouse', 'stray-0.1-py3-none-any.whl'));

    r = await run(['-r', 'requirements.txt', ...upstream(index), ...TARGET]);
    assert.equal(r.code, 0, r.stderr);
    const m = readManifest(join(dir, 'wheelhouse'));
    const byFile = Object.fromEntries(m.packages.map((p) => [p.filename, p]));
    assert.equal(byFile['beta-1.0-py3-none-any.whl']!.status, 'success');
    assert.equal(byFile['beta-1.0-py3-none-any.whl']!.replaced_sha256, badSha);
    assert.equal(byFile['gamma-2.0-py3-none-any.whl']!.status, 'success');
    assert.equal(byFile['alpha-1.0-py3-none-any.whl']!.status, 'skipped');
    assert.equal((await run(['verify'])).code, 0);
  });

  await t.test('--offline with the index stopped fills an empty wheelhouse from offgrid\'s cache', async () => {
    await index.close();
    try {
      const r = await run(['-r', 'requirements.txt', ...upstream(index), ...TARGET, '--offline', '--dest', 'offline-wh']);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const m = readManifest(join(dir, 'offline-wh'));
      assert.deepEqual(m.packages.map((p) => [p.filename, p.status]), EXPECTED.map((f) => [f, 'success']));
      assert.equal(m.run!.offline, true);
      assert.equal((await run(['verify', '--dest', 'offline-wh'])).code, 0);
    } finally {
      await index.restart();
    }
  });
});

test('wheelhouse: a missing package and a malformed line fail alone; the rest is downloaded; exit 1 names them', async (t) => {
  const index = await fixtureIndex();
  t.after(() => index.close());
  const dir = tempDir(t, 'offgrid-wheelhouse-');
  project(dir, 'alpha>=1.0\nno-such-package-xyz==1.0\nbeta==>1\ngamma\n');
  const run = cli(dir);
  const r = await run(['-r', 'requirements.txt', ...upstream(index)]);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  const m = readManifest(join(dir, 'wheelhouse'));
  const byLine = Object.fromEntries(m.requirements.map((q) => [q.line, q]));
  assert.equal(byLine[1]!.status, 'success');
  assert.equal(byLine[4]!.status, 'success');
  assert.equal(byLine[2]!.status, 'error');
  assert.match(byLine[2]!.message!, /No matching distribution found for no-such-package-xyz|Could not find a version/);
  assert.equal(byLine[3]!.status, 'error');
  assert.match(byLine[3]!.message!, /malformed requirement: invalid version specifier "==>1"/);
  assert.deepEqual(readdirSync(join(dir, 'wheelhouse')).filter((n) => n.endsWith('.whl')).sort(), ['alpha-1.0-py3-none-any.whl', 'beta-1.1-py3-none-any.whl', 'gamma-2.0-py3-none-any.whl']);
  assert.match(r.stdout, /FAILED \(2\):\n  requirements\.txt:2: no-such-package-xyz==1\.0: .*\n  requirements\.txt:3: beta==>1: malformed requirement/);
  // verify agrees: the wheelhouse is not complete.
  const v = await run(['verify']);
  assert.equal(v.code, 1);
  assert.match(v.stdout, /failed when the wheelhouse was built: requirements\.txt:2 no-such-package-xyz==1\.0/);
});

test('wheelhouse: bad command lines and files are usage errors (exit 2), not stack traces', async (t) => {
  const dir = tempDir(t, 'offgrid-wheelhouse-');
  const env = { ...isolatedPipEnv(), PIP_FIND_LINKS: '' };
  let r = await runCli(['wheelhouse'], { cwd: dir, env });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nothing to download/);
  r = await runCli(['wheelhouse', '-r', 'nope.txt', '--no-proxy'], { cwd: dir, env });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read the requirements file nope\.txt/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  // A project file given as requirements: every line of it would be a broken requirement.
  writeFileSync(join(dir, 'pyproject.toml'), '[project]\nname = "x"\ndependencies = ["six"]\n');
  r = await runCli(['wheelhouse', '-r', 'pyproject.toml', '--no-proxy'], { cwd: dir, env });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /pyproject\.toml is not a requirements file: write one from it first \(uv export --no-emit-project -o requirements\.txt, or pip-compile pyproject\.toml\)/);
  r = await runCli(['wheelhouse', 'verify', '--dest', 'none'], { cwd: dir, env });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /wheelhouse_manifest\.json does not exist: build the wheelhouse first/);
  mkdirSync(join(dir, 'bad'));
  writeFileSync(join(dir, 'bad', 'wheelhouse_manifest.json'), '{"schema_version": 1}');
  r = await runCli(['wheelhouse', 'verify', '--dest', 'bad'], { cwd: dir, env });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not an offgrid wheelhouse manifest/);
  assert.ok(!existsSync(join(dir, 'wheelhouse')));
});

test('wheelhouse: a run killed (SIGKILL, whole process group) while pip downloads leaves the old manifest and no new wheel; the next run completes', async (t) => {
  const index = await startPypiIndex({
    packages: [
      { name: 'alpha', version: '1.0' },
      { name: 'huge', version: '1.0', padBytes: 40_000_000 },
    ],
  });
  t.after(() => index.close());
  const dir = tempDir(t, 'offgrid-wheelhouse-');
  const run = cli(dir);
  writeFileSync(join(dir, 'requirements.txt'), 'alpha\n');
  assert.equal((await run(['-r', 'requirements.txt', ...upstream(index)])).code, 0);
  const before = readFileSync(join(dir, 'wheelhouse', 'wheelhouse_manifest.json'));
  writeFileSync(join(dir, 'requirements.txt'), 'alpha\nhuge\n');

  const { child, exited } = await spawnWheelhouse(dir, ['-r', 'requirements.txt', ...upstream(index)], { detached: true });
  // Kill offgrid and pip together as soon as pip is saving into the wheelhouse (the run
  // log says so; a scratch directory alone may be the warm check's).
  await waitForRunLog(dir, (text) => /running python3 -m pip download --no-deps/.test(text), 'the download phase', 120_000);
  process.kill(-child.pid!, 'SIGKILL');
  await exited;

  assert.ok(readFileSync(join(dir, 'wheelhouse', 'wheelhouse_manifest.json')).equals(before), 'the manifest changed');
  assert.deepEqual(readdirSync(join(dir, 'wheelhouse')).filter((n) => !n.startsWith('.')).sort(), ['alpha-1.0-py3-none-any.whl', 'wheelhouse_manifest.json']);

  const r = await run(['-r', 'requirements.txt', ...upstream(index)]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(join(dir, 'wheelhouse')).sort(), ['alpha-1.0-py3-none-any.whl', 'huge-1.0-py3-none-any.whl', 'wheelhouse_manifest.json']);
  const m = readManifest(join(dir, 'wheelhouse'));
  assert.equal(m.packages.find((p) => p.name === 'huge')!.sha256, index.files.get('huge-1.0-py3-none-any.whl')!.sha256);
});

test('wheelhouse: Ctrl-C while the warm check runs stops there: exit 130, the manifest as it was, nothing asked of the index', async (t) => {
  const index = await fixtureIndex();
  t.after(() => index.close());
  const dir = tempDir(t, 'offgrid-wheelhouse-');
  project(dir, REQUIREMENTS);
  const run = cli(dir);
  assert.equal((await run(['-r', 'requirements.txt', ...upstream(index), ...TARGET])).code, 0);
  const manifest = readFileSync(join(dir, 'wheelhouse', 'wheelhouse_manifest.json'));
  const pagesBefore = index.requestCount('/simple/');

  const { child, exited, stderr } = await spawnWheelhouse(dir, ['-r', 'requirements.txt', ...upstream(index), ...TARGET]);
  await waitForRunLog(dir, (text) => /running python3 -m pip download --no-index/.test(text) && !/pip exited/.test(text), 'the warm check', 60_000);
  child.kill('SIGINT'); // offgrid alone, as a terminal's Ctrl-C would reach it with pip
  assert.equal(await exited, 130, stderr());
  assert.match(stderr(), /interrupted; the wheelhouse and its manifest are as they were/);
  assert.ok(readFileSync(join(dir, 'wheelhouse', 'wheelhouse_manifest.json')).equals(manifest), 'the manifest changed');
  assert.equal(index.requestCount('/simple/'), pagesBefore, 'an interrupted run went on to the index');
  assert.deepEqual(readdirSync(join(dir, 'wheelhouse')).filter((n) => n.startsWith('.')), [], 'a scratch directory was left');
});

test('wheelhouse: indexes named inside a requirements file are mirrored, not bypassed: cached, recorded, and there offline', async (t) => {
  const main = await startPypiIndex({ packages: [{ name: 'alpha', version: '1.0', deps: ['beta'] }, { name: 'beta', version: '1.0' }] });
  const extra = await startPypiIndex({ packages: [{ name: 'onlyextra', version: '2.0' }] });
  t.after(() => Promise.all([main.close(), extra.close()]));
  const dir = tempDir(t, 'offgrid-wheelhouse-');
  // No --pypi-upstream: without the file's own lines the mirror would know no index that has these.
  writeFileSync(join(dir, 'requirements.txt'), `--index-url ${main.simpleUrl}\n--extra-index-url ${extra.simpleUrl}\nalpha\nonlyextra==2.0\n`);
  const run = (args: string[]) => cli(dir)(['-r', 'requirements.txt', '--cache-dir', 'cache', ...args]);

  const r = await run([]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const m = readManifest(join(dir, 'wheelhouse'));
  assert.deepEqual(m.packages.map((p) => [p.filename, p.status]).sort(), [
    ['alpha-1.0-py3-none-any.whl', 'success'], ['beta-1.0-py3-none-any.whl', 'success'], ['onlyextra-2.0-py3-none-any.whl', 'success'],
  ]);
  assert.match(readFileSync(join(dir, m.run!.log_file!), 'utf8'), /the requirements files name their own index \(.*127\.0\.0\.1.*\): it is mirrored through the proxy/);
  const ledger = readValidLedger(join(dir, 'logs/build', `downloads_${m.run!.session_id}.json`));
  for (const file of ['alpha-1.0-py3-none-any.whl', 'beta-1.0-py3-none-any.whl', 'onlyextra-2.0-py3-none-any.whl']) {
    assert.ok(ledger.downloads.wheels.some((w) => w.filename === file && w.evidence !== 'log'), `${file} did not come through the proxy`);
  }

  // Both indexes gone: a fresh wheelhouse is filled from offgrid's cache alone.
  await main.close();
  await extra.close();
  const offline = await run(['--offline', '--dest', 'offline-wh']);
  assert.equal(offline.code, 0, offline.stderr + offline.stdout);
  assert.equal(readManifest(join(dir, 'offline-wh')).packages.filter((p) => p.status === 'success').length, 3);
});

test('wheelhouse: a token in a requirement line reaches neither the manifest nor the summary', async (t) => {
  const index = await fixtureIndex();
  t.after(() => index.close());
  const dir = tempDir(t, 'offgrid-wheelhouse-');
  // test/fixtures/requirements-real/private-vcs-credentials.txt's first line (pypa/pip#6244),
  // its host replaced by a closed local port so that the clone fails at once.
  const line = 'git+https://1234abcdef56789:x-oauth-basic@127.0.0.1:1/myorg/private-package.git@v2.1';
  writeFileSync(join(dir, 'requirements.txt'), `alpha\n${line}\n`);
  const r = await cli(dir)(['-r', 'requirements.txt', ...upstream(index)]);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  const manifest = readFileSync(join(dir, 'wheelhouse', 'wheelhouse_manifest.json'), 'utf8');
  for (const secret of ['1234abcdef56789', 'x-oauth-basic']) {
    assert.ok(!manifest.includes(secret), `${secret} in the manifest`);
    assert.ok(!r.stdout.includes(secret), `${secret} in the summary:\n${r.stdout}`);
  }
  const m = readManifest(join(dir, 'wheelhouse'));
  assert.deepEqual(m.requirements.map((q) => [q.line, q.requirement, q.status]), [
    [1, 'alpha', 'success'],
    [2, 'git+https://***@127.0.0.1:1/myorg/private-package.git@v2.1', 'error'],
  ]);
});

test("wheelhouse: a real file naming PyTorch's CPU index (+cpu local versions) is built from that index through the mirror, and verifies", async (t) => {
  const index = await startPypiIndex({
    packages: [{ name: 'torch', version: '2.12.0+cpu' }, { name: 'torch', version: '2.12.0' }, { name: 'torchvision', version: '0.27.0+cpu', deps: ['torch==2.12.0+cpu'] }],
  });
  t.after(() => index.close());
  const dir = tempDir(t, 'offgrid-wheelhouse-');
  // test/fixtures/requirements-real/pytorch-cpu-index.txt, its index replaced by the local one.
  const real = readFileSync(join(REPO_ROOT, 'test/fixtures/requirements-real/pytorch-cpu-index.txt'), 'utf8');
  writeFileSync(join(dir, 'requirements.txt'), real.replace('https://download.pytorch.org/whl/cpu', index.simpleUrl));
  const r = await cli(dir)(['-r', 'requirements.txt', '--cache-dir', 'cache']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const m = readManifest(join(dir, 'wheelhouse'));
  assert.deepEqual(m.requirements.map((q) => [q.line, q.name, q.filename, q.status]), [
    [2, 'torch', 'torch-2.12.0+cpu-py3-none-any.whl', 'success'],
    [4, 'torchvision', 'torchvision-0.27.0+cpu-py3-none-any.whl', 'success'],
  ]);
  for (const p of m.packages) assert.equal(p.sha256, index.files.get(p.filename!)!.sha256);
  assert.equal((await cli(dir)(['verify'])).code, 0);
});

test("wheelhouse: pip freeze's conda build path (name @ file:///croot/…) fails on its line with pip's reason and what to write instead", async (t) => {
  const index = await fixtureIndex();
  t.after(() => index.close());
  const dir = tempDir(t, 'offgrid-wheelhouse-');
  const real = readFileSync(join(REPO_ROOT, 'test/fixtures/requirements-real/conda-pip-freeze.txt'), 'utf8');
  writeFileSync(join(dir, 'requirements.txt'), `${real}alpha\n`);
  const r = await cli(dir)(['-r', 'requirements.txt', ...upstream(index)]);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  const m = readManifest(join(dir, 'wheelhouse'));
  assert.deepEqual(m.requirements.map((q) => [q.line, q.name, q.status]), [[1, 'exceptiongroup', 'error'], [2, 'alpha', 'success']]);
  assert.match(m.requirements[0]!.message!, /No such file or directory: '\/croot\/exceptiongroup_1706031385326\/work' \(a path pip freeze wrote in a conda environment\? pip list --format=freeze writes name==version instead\)$/);
});
