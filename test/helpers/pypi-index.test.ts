import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPypiIndex, type PypiIndex } from './pypi-index.js';

const run = promisify(execFile);

const PACKAGES = [
  { name: 'tiny-dep', version: '1.0.0' },
  { name: 'alpha', version: '2.0.1', deps: ['tiny-dep>=1.0', 'extra-thing; extra == "fast"', 'never-installed; python_version < "3.0"'] },
  { name: 'extra-thing', version: '0.3' },
  { name: 'Big.Pkg', version: '3.2.1', deps: ['alpha'], sdist: true },
  { name: 'native', version: '0.9', tags: ['cp311-cp311-manylinux_2_17_x86_64', 'py3-none-any'], requiresPython: '>=3.8' },
];

/** pip with none of this machine's global pip configuration. */
async function pip(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PIP_')) env[key] = value;
  env.PIP_CONFIG_FILE = '/dev/null';
  env.PIP_DISABLE_PIP_VERSION_CHECK = '1';
  return run('python3', ['-m', 'pip', '--isolated', ...args], { env, timeout: 120_000 });
}

async function withIndex(body: (index: PypiIndex, dir: string) => Promise<void>): Promise<void> {
  const index = await startPypiIndex({ packages: PACKAGES });
  const dir = await mkdtemp(join(tmpdir(), 'pypi-index-'));
  try {
    await body(index, dir);
  } finally {
    await index.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('pip download resolves deps and extras from the index; files match the advertised hashes', () =>
  withIndex(async (index, dir) => {
    await pip(['download', '--no-cache-dir', '--index-url', index.simpleUrl, '-d', dir, 'alpha[fast]']);
    const names = (await readdir(dir)).sort();
    assert.deepEqual(names, ['alpha-2.0.1-py3-none-any.whl', 'extra_thing-0.3-py3-none-any.whl', 'tiny_dep-1.0.0-py3-none-any.whl']);
    for (const name of names) {
      const sha = createHash('sha256').update(await readFile(join(dir, name))).digest('hex');
      assert.equal(sha, index.files.get(name)?.sha256, name);
    }
    assert.equal(index.requests.get('/files/alpha-2.0.1-py3-none-any.whl'), 1);
    assert.equal(index.requests.get('/files/never-installed'), undefined);
    assert.ok((index.requests.get('/simple/alpha/') ?? 0) >= 1);
    assert.equal(index.requestCount('/files/'), 3);
  }));

test('pip install --target installs a working package (platform wheels chosen by tag)', () =>
  withIndex(async (index, dir) => {
    const { stdout } = await pip(['install', '--no-cache-dir', '--index-url', index.simpleUrl, '--target', dir, 'big.pkg', 'native']);
    assert.match(stdout, /Successfully installed .*big.pkg-3.2.1/i);
    const { stdout: version } = await run('python3', ['-c', 'import big_pkg, alpha, native; print(big_pkg.__version__, alpha.__version__)'], {
      env: { ...process.env, PYTHONPATH: dir },
    });
    assert.equal(version.trim(), '3.2.1 2.0.1');
    const metadata = await readFile(join(dir, 'alpha-2.0.1.dist-info', 'METADATA'), 'utf8');
    assert.match(metadata, /^Requires-Dist: extra-thing; extra == "fast"$/m);
    assert.match(metadata, /^Provides-Extra: fast$/m);
    // cp311 manylinux is the better tag for CPython 3.11 on x86_64 Linux.
    assert.equal(index.requests.get('/files/native-0.9-cp311-cp311-manylinux_2_17_x86_64.whl'), 1);
  }));

test('simple pages: PEP 503 HTML with hashes, PEP 691 JSON on request, normalising redirects', () =>
  withIndex(async (index) => {
    const html = await (await fetch(`${index.simpleUrl}native/`)).text();
    assert.match(html, /href="\/files\/native-0\.9-py3-none-any\.whl#sha256=[0-9a-f]{64}" data-requires-python="&gt;=3\.8"/);
    const json = await fetch(`${index.simpleUrl}big-pkg/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } });
    assert.equal(json.headers.get('content-type'), 'application/vnd.pypi.simple.v1+json');
    const body = (await json.json()) as { name: string; files: { filename: string }[] };
    assert.equal(body.name, 'big-pkg');
    assert.deepEqual(body.files.map((f) => f.filename).sort(), ['Big_Pkg-3.2.1-py3-none-any.whl', 'big_pkg-3.2.1.tar.gz']);
    const redirect = await fetch(`${index.simpleUrl}Big.Pkg/`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/simple/big-pkg/');
    assert.equal((await fetch(`${index.simpleUrl}nope/`)).status, 404);
  }));

test('built wheels and sdists are valid archives', () =>
  withIndex(async (index, dir) => {
    const script = [
      'import sys, tarfile, zipfile',
      'z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(sorted(z.namelist()))',
      'print(sorted(tarfile.open(sys.argv[2]).getnames()))',
    ].join('\n');
    const wheel = join(dir, 'w.whl');
    const sdist = join(dir, 's.tar.gz');
    await writeFile(wheel, index.files.get('Big_Pkg-3.2.1-py3-none-any.whl')?.bytes ?? Buffer.alloc(0));
    await writeFile(sdist, index.files.get('big_pkg-3.2.1.tar.gz')?.bytes ?? Buffer.alloc(0));
    const { stdout } = await run('python3', ['-c', script, wheel, sdist]);
    assert.match(stdout, /Big_Pkg-3\.2\.1\.dist-info\/RECORD/);
    assert.match(stdout, /big_pkg-3\.2\.1\/PKG-INFO/);
  }));

test('faults: a reset mid-body and an injected status, each for a set number of requests', () =>
  withIndex(async (index) => {
    const url = index.fileUrl('tiny_dep-1.0.0-py3-none-any.whl');
    index.faults.set('/files/tiny_dep-1.0.0-py3-none-any.whl', { type: 'reset-mid-body', times: 1 });
    await assert.rejects(async () => (await fetch(url)).arrayBuffer());
    assert.equal((await (await fetch(url)).arrayBuffer()).byteLength, index.files.get('tiny_dep-1.0.0-py3-none-any.whl')?.bytes.length);
    index.faults.set('/simple/alpha/', { type: 'status', status: 503, times: 2 });
    assert.equal((await fetch(`${index.simpleUrl}alpha/`)).status, 503);
    assert.equal((await fetch(`${index.simpleUrl}alpha/`)).status, 503);
    assert.equal((await fetch(`${index.simpleUrl}alpha/`)).status, 200);
    assert.equal(index.requests.get('/simple/alpha/'), 3);
  }));

test('close() stops answering; restart() answers again on the same port', () =>
  withIndex(async (index) => {
    await index.close();
    await assert.rejects(fetch(index.simpleUrl));
    await index.restart();
    assert.equal((await fetch(index.simpleUrl)).status, 200);
  }));
