// offgrid cache export/import with real pip: export one cache, import into an empty one,
// verify (network cut) the same install from it; tampered, truncated and hostile archives
// are refused with nothing merged; an import killed halfway leaves the cache as it was.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { END_OF_ARCHIVE, fileHeader, padding } from '../../src/cache/tar.js';
import { CLI, runCli, tempDir } from '../helpers/cli.js';
import { isolatedPipEnv, pipCommand } from '../helpers/pip.js';
import { startPypiIndex, type PypiIndex } from '../helpers/pypi-index.js';

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
}

/** An archive built by hand: a manifest and raw entries (name, bytes, optional type flag / declared size). */
function craft(manifest: object, entries: { name: string; data: Buffer; type?: string; headerSize?: number; link?: string }[]): Buffer {
  const parts: Buffer[] = [];
  const add = (name: string, data: Buffer, type = '0', headerSize = data.length, link = '') => {
    const header = fileHeader(name, headerSize, 0);
    header[156] = type.charCodeAt(0);
    header.write(link, 157);
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    parts.push(header, data, padding(data.length));
  };
  const m = Buffer.from(JSON.stringify(manifest));
  add('offgrid-export.json', m);
  for (const e of entries) add(e.name, e.data, e.type, e.headerSize, e.link);
  parts.push(END_OF_ARCHIVE);
  return gzipSync(Buffer.concat(parts));
}

describe('cache export / import', { timeout: 300_000 }, () => {
  let index: PypiIndex;
  let dir: string;
  let archive: string;
  const pip = [...pipCommand(), 'install', '--no-cache-dir', '--no-compile'];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'offgrid-export-'));
    index = await startPypiIndex({ packages: [{ name: 'app-one', version: '1.0', deps: ['beta-lib'] }, { name: 'beta-lib', version: '1.0' }] });
  });
  after(async () => {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('export, import into an empty cache, and the same pip install passes verify from it; a second import changes nothing', async () => {
    const env = isolatedPipEnv({ OFFGRID_CACHE_DIR: join(dir, 'cache-a') });
    assert.equal((await runCli(['run', '--pypi-upstream', index.simpleUrl, '--', ...pip, '--target', 'warm', 'app-one'], { cwd: dir, env })).code, 0);
    archive = join(dir, 'cache.tgz');
    const exported = await runCli(['cache', 'export', '--out', archive, '--json'], { cwd: dir, env });
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(JSON.parse(exported.stdout).entries, 4); // two pages, two wheels
    // A standard tar reads it, and it holds only the manifest and hash-named files.
    const names = execFileSync('tar', ['tzf', archive], { encoding: 'utf8' }).trim().split('\n');
    assert.equal(names[0], 'offgrid-export.json');
    assert.ok(names.slice(1).every((n) => /^sha256\/[0-9a-f]{64}$/.test(n)));

    const envB = isolatedPipEnv({ OFFGRID_CACHE_DIR: join(dir, 'cache-b') });
    const imported = await runCli(['cache', 'import', archive, '--json'], { cwd: dir, env: envB });
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(JSON.parse(imported.stdout).added, 4);
    const before = index.requestCount();
    const verified = await runCli(['verify', '--pypi-upstream', index.simpleUrl, '--', ...pip, '--target', 'offline', 'app-one'], { cwd: dir, env: envB });
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(index.requestCount(), before);

    const again = await runCli(['cache', 'import', archive, '--json'], { cwd: dir, env: envB });
    assert.deepEqual([JSON.parse(again.stdout).added, JSON.parse(again.stdout).unchanged], [0, 4]);
  });

  it('--for-session latest exports what that session used', async () => {
    const env = isolatedPipEnv({ OFFGRID_CACHE_DIR: join(dir, 'cache-a') });
    assert.equal((await runCli(['run', '--pypi-upstream', index.simpleUrl, '--', ...pip, '--target', 'just-beta', 'beta-lib'], { cwd: dir, env })).code, 0);
    const r = await runCli(['cache', 'export', '--for-session', 'latest', '--out', join(dir, 'session.tgz'), '--json'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).entries, 2); // beta-lib's page and wheel only
  });

  const refusals: [string, () => Buffer, RegExp][] = [
    ['a truncated archive', () => readFileSync(archive).subarray(0, Math.floor(readFileSync(archive).length / 2)), /truncated or damaged/],
    [
      'a content byte changed (hash mismatch)',
      () => {
        const tar = gunzipSync(readFileSync(archive));
        const manifestSize = parseInt(tar.subarray(124, 136).toString('latin1').replace(/\0.*$/, ''), 8);
        const at = 512 + Math.ceil(manifestSize / 512) * 512 + 512 + 100; // inside the first content file
        tar.writeUInt8(tar.readUInt8(at) ^ 0xff, at);
        return gzipSync(tar);
      },
      /does not match its hash|checksum/,
    ],
  ];
  for (const [what, make, message] of refusals) {
    it(`refuses ${what}, nothing merged`, async (t) => {
      const work = tempDir(t);
      writeFileSync(join(work, 'bad.tgz'), make());
      const r = await runCli(['cache', 'import', '--cache-dir', join(work, 'c'), join(work, 'bad.tgz')], { cwd: work });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /nothing was merged/);
      assert.deepEqual(filesUnder(join(work, 'c', 'index-v1')), []);
      assert.deepEqual(filesUnder(join(work, 'c', 'content-v1')), []);
      assert.deepEqual(filesUnder(join(work, 'c', 'tmp')), []);
    });
  }

  const data = Buffer.from('hello offgrid\n');
  const sha = '1ed1e1ba5b7a0dfaf1cda5ef3e5a0d6a4f4e3a5c0ad2c2db6dd1c5b91c2f0b1e';
  const real = execFileSync('sha256sum', { input: data, encoding: 'utf8' }).split(' ')[0]!;
  const manifest = (hash: string, size = data.length) => ({ format: 'offgrid-cache-export', version: 1, created_at: 'now', entries: [{ key: 'k', sha256: hash, size, stored_at: 'now', metadata: {} }] });
  const hostile: [string, Buffer, RegExp][] = [
    ['a path traversal name', craft(manifest(real), [{ name: '../../etc/evil', data }]), /not a name an offgrid archive holds/],
    ['a symlink pointing out', craft(manifest(real), [{ name: `sha256/${real}`, data: Buffer.alloc(0), type: '2', link: '/etc/passwd' }]), /symbolic link to "\/etc\/passwd"/],
    ['a hard link', craft(manifest(real), [{ name: `sha256/${real}`, data: Buffer.alloc(0), type: '1', link: 'offgrid-export.json' }]), /hard link/],
    ['an entry larger than declared', craft(manifest(real), [{ name: `sha256/${real}`, data: Buffer.concat([data, data]) }]), /holds 28 bytes; the manifest declares 14/],
    ['content under a wrong hash name', craft(manifest(sha), [{ name: `sha256/${sha}`, data }]), /does not match its hash/],
    ['a manifest naming content the archive lacks', craft(manifest(real), []), /missing from the archive/],
    ['no manifest first', gzipSync(Buffer.concat([fileHeader(`sha256/${real}`, data.length, 0), data, padding(data.length), END_OF_ARCHIVE])), /not an offgrid cache archive/],
  ];
  for (const [what, bytes, message] of hostile) {
    it(`refuses ${what}, nothing merged`, async (t) => {
      const work = tempDir(t);
      writeFileSync(join(work, 'bad.tgz'), bytes);
      const r = await runCli(['cache', 'import', '--cache-dir', join(work, 'c'), join(work, 'bad.tgz')], { cwd: work });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.deepEqual(filesUnder(join(work, 'c', 'index-v1')), []);
      assert.deepEqual(filesUnder(join(work, 'c', 'content-v1')), []);
      assert.ok(!existsSync('/etc/evil'));
    });
  }

  it('an import killed halfway leaves the cache as it was', async (t) => {
    const work = tempDir(t);
    const cache = join(work, 'c');
    const fifo = join(work, 'slow.tgz');
    execFileSync('mkfifo', [fifo]);
    const child = spawn(process.execPath, [CLI, 'cache', 'import', '--cache-dir', cache, fifo], { stdio: 'ignore' });
    const bytes = readFileSync(archive);
    const writer = createWriteStream(fifo);
    writer.on('error', () => undefined); // the reader dies on purpose
    writer.write(bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    // Wait until a content file is being staged, then kill the importer.
    for (let i = 0; i < 200 && filesUnder(join(cache, 'tmp')).length === 0; i += 1) await sleep(25);
    assert.ok(filesUnder(join(cache, 'tmp')).length > 0, 'the import was staging content');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    writer.destroy();
    assert.deepEqual(filesUnder(join(cache, 'index-v1')), []);
    assert.deepEqual(filesUnder(join(cache, 'content-v1')), []);
    // The same archive imports cleanly afterwards.
    const r = await runCli(['cache', 'import', '--cache-dir', cache, archive, '--json'], { cwd: work });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).added, 4);
  });
});
