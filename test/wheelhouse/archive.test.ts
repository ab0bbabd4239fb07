import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, utimesSync, chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { writeReproducibleArchive, paxRecord, ARCHIVE_MTIME } from '../../src/wheelhouse/archive.js';
import { tempDir } from '../helpers/cli.js';

const LONG = `numpy-2.2.6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.manylinux_2_28_x86_64.musllinux_1_2_x86_64.whl`;

function fixture(dir: string, mtime: number, mode: number): { name: string; source: { path: string } }[] {
  mkdirSync(dir, { recursive: true });
  const names = ['b-1.0-py3-none-any.whl', LONG, 'a-1.0-py3-none-any.whl'];
  return names.map((name, i) => {
    const path = join(dir, name);
    writeFileSync(path, Buffer.alloc(1000 + i * 777, i + 1));
    utimesSync(path, mtime, mtime);
    chmodSync(path, mode);
    return { name, source: { path } };
  });
}

test('the same files give a byte-identical archive, whatever their mtimes, modes and entry order', async (t) => {
  const dir = tempDir(t);
  const one = fixture(join(dir, 'one'), 1_700_000_000, 0o600);
  const two = fixture(join(dir, 'two'), 1_800_000_000, 0o644).reverse();
  const manifest = { name: 'wheelhouse_manifest.json', source: { bytes: Buffer.from('{}\n') } };
  await writeReproducibleArchive(join(dir, 'one.tgz'), 'wheelhouse', [...one, manifest]);
  await writeReproducibleArchive(join(dir, 'two.tgz'), 'wheelhouse', [manifest, ...two]);
  const a = readFileSync(join(dir, 'one.tgz'));
  assert.ok(a.equals(readFileSync(join(dir, 'two.tgz'))));
  // gzip header: no modification time (bytes 4..7 are zero).
  assert.equal(a.readUInt32LE(4), 0);
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp-')), []);
});

test('GNU tar and node-tar read it back: sorted names, long names whole, fixed mtime, owner 0 without names', async (t) => {
  const dir = tempDir(t);
  const files = fixture(join(dir, 'src'), 1_700_000_000, 0o600);
  const out = join(dir, 'w.tgz');
  await writeReproducibleArchive(out, 'wheelhouse', files);
  const listing = execFileSync('tar', ['-tvzf', out, '--numeric-owner'], { encoding: 'utf8' }).trim().split('\n');
  assert.deepEqual(listing.map((l) => l.split(/\s+/).at(-1)), ['wheelhouse/', 'wheelhouse/a-1.0-py3-none-any.whl', 'wheelhouse/b-1.0-py3-none-any.whl', `wheelhouse/${LONG}`]);
  for (const line of listing) assert.match(line, /^[-d]rw[-x]r-[-x]r-[-x] 0\/0 .* 1980-01-01 00:00 /);
  const seen: { path: string; mtime: number; uname: string | undefined; size: number }[] = [];
  await tar.t({ file: out, onReadEntry: (e) => void seen.push({ path: e.path, mtime: (e.mtime?.getTime() ?? 0) / 1000, uname: e.uname, size: e.size ?? 0 }) });
  assert.equal(seen.length, 4);
  assert.ok(seen.every((e) => e.mtime === ARCHIVE_MTIME && !e.uname));
  const extracted = join(dir, 'x');
  mkdirSync(extracted);
  execFileSync('tar', ['-xzf', out, '-C', extracted]);
  for (const f of files) assert.ok(readFileSync(join(extracted, 'wheelhouse', f.name)).equals(readFileSync(f.source.path)));
});

test('a PAX record counts its own length', () => {
  for (const value of ['x', 'y'.repeat(90), 'z'.repeat(985), 'é'.repeat(200)]) {
    const record = paxRecord('path', value);
    assert.equal(Number(record.toString('utf8').split(' ')[0]), record.length);
  }
});
