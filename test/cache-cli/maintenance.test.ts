// offgrid cache verify, prune, stats, ls, import-dir and export apt, on caches filled by
// real tools; export apt checked with the real apt-get in a network namespace.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { contentPath } from '../../src/cache/layout.js';
import { parseAge, parseSize } from '../../src/cache/units.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { isolatedPipEnv, pipCommand } from '../helpers/pip.js';
import { startPypiIndex, type PypiIndex } from '../helpers/pypi-index.js';

describe('cache maintenance', { timeout: 300_000 }, () => {
  let index: PypiIndex;
  const pip = [...pipCommand(), 'install', '--no-cache-dir', '--no-compile'];
  before(async () => {
    index = await startPypiIndex({ packages: [{ name: 'alpha', version: '1.0', padBytes: 50_000 }, { name: 'beta-lib', version: '1.0', padBytes: 20_000 }] });
  });
  after(() => index.close());

  async function warmed(t: { after(fn: () => void): void }) {
    const dir = tempDir(t, 'offgrid-maint-');
    const env = isolatedPipEnv({ OFFGRID_CACHE_DIR: join(dir, 'cache') });
    const r = await runCli(['run', '--pypi-upstream', index.simpleUrl, '--', ...pip, '--target', 'w1', 'alpha', 'beta-lib'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    const json = async (args: string[]) => {
      const out = await runCli([...args, '--json'], { cwd: dir, env });
      assert.equal(out.code, 0, out.stderr);
      return JSON.parse(out.stdout) as Record<string, any>;
    };
    return { dir, env, json };
  }

  it('a cached file corrupted by hand is never served: the proxy refuses it and drops it', async (t) => {
    const { dir, env, json } = await warmed(t);
    const wheel = ((await json(['cache', 'ls', '--kind', 'wheel'])) as unknown as { key: string; sha256: string; metadata: { url: string } }[]).find((e) => e.metadata.url.endsWith('.whl'))!;
    const path = contentPath(join(dir, 'cache'), wheel.sha256);
    const bytes = readFileSync(path);
    bytes.writeUInt8(bytes.readUInt8(100) ^ 1, 100);
    writeFileSync(path, bytes);
    // Meanwhile the proxy refuses to serve it: an offline install of that package fails.
    const offline = await runCli(['run', '--offline', '--pypi-upstream', index.simpleUrl, '--', ...pip, '--target', 'w2', 'alpha', 'beta-lib'], { cwd: dir, env });
    assert.notEqual(offline.code, 0, 'corrupt content must not be served');
    // The proxy's verifying read dropped the bad entry on the spot: verify finds the cache sound.
    assert.ok(!((await json(['cache', 'ls'])) as unknown as { key: string }[]).some((e) => e.key === wheel.key));
    const second = await runCli(['cache', 'verify'], { cwd: dir, env });
    assert.equal(second.code, 0, second.stdout);
    assert.match(second.stdout, /the cache is sound/);
    assert.ok(!existsSync(path));
  });

  it('verify reports corrupt content it finds first, with exit 1', async (t) => {
    const { dir, env, json } = await warmed(t);
    const entries = (await json(['cache', 'ls'])) as unknown as { key: string; sha256: string }[];
    const victim = entries.find((e) => e.key.endsWith('.whl'))!;
    writeFileSync(contentPath(join(dir, 'cache'), victim.sha256), 'not the wheel');
    const r = await runCli(['cache', 'verify'], { cwd: dir, env });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, new RegExp(`removed ${victim.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: corrupt-content`));
    assert.equal(((await json(['cache', 'ls'])) as unknown[]).length, entries.length - 1);
  });

  it('prune --max-size 0 keeps what a --keep-manifest ledger needs and prints what it freed; nonsense exits 2', async (t) => {
    const { dir, env, json } = await warmed(t);
    const keep = join(dir, 'keep.json');
    const alpha = ((await json(['cache', 'ls'])) as unknown as { key: string; sha256: string }[]).find((e) => e.key.includes('alpha-1.0'))!;
    writeFileSync(keep, JSON.stringify({ wheels: [{ filename: 'alpha-1.0-py3-none-any.whl', sha256: alpha.sha256 }] }));
    const r = await runCli(['cache', 'prune', '--max-size', '0', '--keep-manifest', keep], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /removed .*beta_lib-1\.0-py3-none-any\.whl/);
    assert.match(r.stdout, /^freed .* remain; 1 file\(s\) protected by --keep-manifest$/m);
    const left = (await json(['cache', 'ls'])) as unknown as { sha256: string }[];
    assert.deepEqual(left.map((e) => e.sha256), [alpha.sha256]);
    for (const bad of [['--max-size', '-1'], ['--max-size', 'lots'], ['--max-size', '5XB'], ['--older-than', '3 fortnights'], ['--older-than', '']]) {
      const b = await runCli(['cache', 'prune', ...bad], { cwd: dir, env });
      assert.equal(b.code, 2, `${bad.join(' ')}: ${b.stderr}`);
    }
    assert.equal((await runCli(['cache', 'prune', '--keep-manifest', join(dir, 'missing.json')], { cwd: dir, env })).code, 2);
  });

  it('stats: entries and bytes by kind, hit ratio from the ledgers, largest items', async (t) => {
    const { dir, env, json } = await warmed(t);
    assert.equal((await runCli(['run', '--offline', '--pypi-upstream', index.simpleUrl, '--', ...pip, '--target', 'w3', 'alpha', 'beta-lib'], { cwd: dir, env })).code, 0);
    const s = await json(['cache', 'stats']);
    assert.equal(s.entries, 4);
    assert.equal(s.by_kind.wheel.entries, 4);
    assert.deepEqual([s.hit_ratio.sessions, s.hit_ratio.hits, s.hit_ratio.misses], [2, 2, 2]);
    assert.match(s.largest[0].name, /alpha-1\.0-py3-none-any\.whl$/);
  });

  it('parses sizes and ages people type', () => {
    assert.equal(parseSize('500M'), 500 * 1024 ** 2);
    assert.equal(parseSize('2GB'), 2e9);
    assert.equal(parseSize('1.5k'), 1536);
    assert.equal(parseSize('-1'), null);
    assert.equal(parseSize('1e9'), null);
    assert.equal(parseAge('30d'), 30 * 86_400_000);
    assert.equal(parseAge('12h'), 12 * 3_600_000);
    assert.equal(parseAge('forever'), null);
  });
});

describe('import-dir and export apt, with the real apt-get and no network', { timeout: 300_000 }, () => {
  // Two real .debs from the machine's apt cache that depend only on what is installed.
  const archives = '/var/cache/apt/archives';
  const debs = existsSync(archives) ? readdirSync(archives).filter((n) => /^bible-kjv(-text)?_.*\.deb$/.test(n)) : [];
  const skip = debs.length < 2 ? 'needs bible-kjv and bible-kjv-text in /var/cache/apt/archives (apt-get download bible-kjv bible-kjv-text)' : spawnSync('unshare', ['-n', 'true']).status !== 0 ? 'needs unshare -n' : false;

  it('import-dir takes an apt archives dir and a wheelhouse; export apt makes a flat repo apt-get installs from offline', { skip }, async (t) => {
    const dir = tempDir(t, 'offgrid-apt-');
    const env = { OFFGRID_CACHE_DIR: join(dir, 'cache') };
    mkdirSync(join(dir, 'archives', 'partial'), { recursive: true });
    for (const d of debs) copyFileSync(join(archives, d), join(dir, 'archives', d));
    writeFileSync(join(dir, 'archives', 'lock'), '');
    const imp = await runCli(['cache', 'import-dir', join(dir, 'archives'), '--json'], { cwd: dir, env });
    assert.equal(imp.code, 0, imp.stderr);
    assert.deepEqual([JSON.parse(imp.stdout).added, JSON.parse(imp.stdout).skipped], [2, 2]);
    assert.equal(JSON.parse((await runCli(['cache', 'import-dir', join(dir, 'archives'), '--json'], { cwd: dir, env })).stdout).unchanged, 2);

    const out = join(dir, 'export');
    const exp = await runCli(['cache', 'export', 'apt', '--out', out], { cwd: dir, env });
    assert.equal(exp.code, 0, exp.stderr);
    const repo = join(out, 'apt-archives');
    assert.deepEqual(readdirSync(repo).sort(), ['Packages', 'Packages.gz', 'Release', ...debs].sort());
    assert.match(readFileSync(join(repo, 'Packages'), 'utf8'), /^Package: bible-kjv\n[\s\S]*Filename: \.\/bible-kjv_4\.38_amd64\.deb\nSize: \d+\nMD5sum: [0-9a-f]{32}\nSHA1: [0-9a-f]{40}\nSHA256: [0-9a-f]{64}$/m);

    // apt-get with scratch state and only this source, in a namespace with no network.
    const s = join(dir, 'apt');
    for (const sub of ['state/lists/partial', 'cache/archives/partial', 'parts', 'sources.d']) mkdirSync(join(s, sub), { recursive: true });
    const status = readFileSync('/var/lib/dpkg/status', 'utf8').split(/\n\n+/).filter((p) => !/^Package: bible-kjv(-text)?\n/.test(p)).join('\n\n');
    writeFileSync(join(s, 'status'), `${status}\n`);
    writeFileSync(join(s, 'sources.list'), `deb [trusted=yes] file:${repo} ./\n`);
    const o = ['Dir::State', `${s}/state`, 'Dir::State::status', `${s}/status`, 'Dir::Cache', `${s}/cache`, 'Dir::Etc::SourceList', `${s}/sources.list`, 'Dir::Etc::SourceParts', `${s}/sources.d`, 'Dir::Etc::Parts', `${s}/parts`, 'Debug::NoLocking', '1'];
    const opts = o.flatMap((v, i) => (i % 2 === 0 ? ['-o', `${v}=${o[i + 1]}`] : []));
    const quoted = opts.map((a) => `'${a}'`).join(' ');
    const apt = spawnSync('unshare', ['-n', 'sh', '-c', `apt-get ${quoted} update && apt-get ${quoted} install -y --download-only bible-kjv`], { encoding: 'utf8', env: { ...process.env, APT_CONFIG: '/dev/null' } });
    assert.equal(apt.status, 0, apt.stdout + apt.stderr);
    assert.match(apt.stdout, /The following NEW packages will be installed:\s+bible-kjv bible-kjv-text/);
    assert.match(apt.stdout, /Download complete and in download only mode/);

    const tgz = await runCli(['cache', 'export', 'apt', '--out', join(dir, 'apt-archives.tgz')], { cwd: dir, env });
    assert.equal(tgz.code, 0, tgz.stderr);
    const listed = execFileSync('tar', ['tzf', join(dir, 'apt-archives.tgz')], { encoding: 'utf8' });
    assert.deepEqual(listed.trim().split('\n').sort(), ['Packages', 'Packages.gz', 'Release', ...debs].map((n) => `apt-archives/${n}`).sort());
  });

  it('import-dir takes a pip wheelhouse', async (t) => {
    const dir = tempDir(t, 'offgrid-wh-');
    const index = await startPypiIndex({ packages: [{ name: 'gamma', version: '2.0', sdist: true }] });
    try {
      mkdirSync(join(dir, 'wheelhouse'));
      for (const f of ['gamma-2.0-py3-none-any.whl', 'gamma-2.0.tar.gz']) writeFileSync(join(dir, 'wheelhouse', f), index.files.get(f)!.bytes);
      writeFileSync(join(dir, 'wheelhouse', 'notes.txt'), 'hi');
    } finally {
      await index.close();
    }
    const r = await runCli(['cache', 'import-dir', join(dir, 'wheelhouse'), '--json'], { cwd: dir, env: { OFFGRID_CACHE_DIR: join(dir, 'cache') } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).byKind, { sdist: 1, wheel: 1 });
    assert.equal(JSON.parse(r.stdout).skipped, 1);
    const ls = JSON.parse((await runCli(['cache', 'ls', '--kind', 'sdist', '--json'], { cwd: dir, env: { OFFGRID_CACHE_DIR: join(dir, 'cache') } })).stdout) as { key: string }[];
    assert.deepEqual(ls.map((e) => e.key), ['import:sdist:gamma-2.0.tar.gz']);
  });
});
