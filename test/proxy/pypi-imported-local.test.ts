// Which cache entries a page made from the cache lists (pure): wheels and sdists under any
// key, one per file name; never pages, PEP 658 metadata files, npm tarballs or apt files.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CacheEntry } from '../../src/cache/index.js';
import { groupByProject, localDistOf, localFilePath, localIndexFile, parseLocalFilePath } from '../../src/capture/proxy/pypi-local.js';

const SHA = (c: string) => c.repeat(64);
function entry(key: string, metadata: CacheEntry['metadata'], sha = SHA('a')): CacheEntry {
  return { key, sha256: sha, size: 10, stored_at: '2026-01-01T00:00:00.000Z', last_used_at: null, metadata };
}

describe('local dists from cache entries', () => {
  it('reads imported files by their file name and upstream-cached files by their URL', () => {
    const imported = localDistOf(entry('import:wheel:Beta_Lib-1.1-py3-none-any.whl', { kind: 'wheel', filename: 'Beta_Lib-1.1-py3-none-any.whl', url: null }));
    assert.deepEqual(
      { project: imported?.project, version: imported?.version, kind: imported?.kind },
      { project: 'beta-lib', version: '1.1', kind: 'wheel' },
    );
    const fetched = localDistOf(entry('pypi:file:http://i.test/files/gamma-2.0.tar.gz', { kind: 'sdist', url: 'http://i.test/files/gamma-2.0.tar.gz' }));
    assert.equal(fetched?.filename, 'gamma-2.0.tar.gz');
    assert.equal(fetched?.url, 'http://i.test/files/gamma-2.0.tar.gz');
  });

  it('leaves out pages, metadata files, npm tarballs, apt files and names with a slash', () => {
    assert.equal(localDistOf(entry('pypi:page:v1:http://i.test/simple/gamma/', { kind: 'wheel', url: 'http://i.test/simple/gamma/' })), null);
    assert.equal(localDistOf(entry('pypi:file:http://i.test/f/g-1.0-py3-none-any.whl.metadata', { kind: 'wheel', url: 'http://i.test/f/g-1.0-py3-none-any.whl.metadata' })), null);
    assert.equal(localDistOf(entry('npm:left-pad-1.3.0.tgz', { kind: 'npm', url: 'http://r.test/left-pad/-/left-pad-1.3.0.tgz' })), null);
    assert.equal(localDistOf(entry('import:apt:x_1.0_amd64.deb', { kind: 'apt', filename: 'x_1.0_amd64.deb' })), null);
    assert.equal(localDistOf(entry('import:wheel:x', { kind: 'wheel', filename: '../a-1.0-py3-none-any.whl' })), null);
  });

  it('groups by normalised project, one entry per file name, in a stable order', () => {
    const a = localDistOf(entry('pypi:file:http://i.test/f/beta_lib-1.0-py3-none-any.whl', { kind: 'wheel', url: 'http://i.test/f/beta_lib-1.0-py3-none-any.whl' }, SHA('b')))!;
    const b = localDistOf(entry('import:wheel:beta_lib-1.0-py3-none-any.whl', { kind: 'wheel', filename: 'beta_lib-1.0-py3-none-any.whl' }, SHA('c')))!;
    const c = localDistOf(entry('import:sdist:Beta.Lib-0.9.tar.gz', { kind: 'sdist', filename: 'Beta.Lib-0.9.tar.gz' }))!;
    const grouped = groupByProject([a, b, c]);
    assert.deepEqual([...grouped.keys()], ['beta-lib']);
    assert.deepEqual(grouped.get('beta-lib')!.map((d) => d.key), ['import:sdist:Beta.Lib-0.9.tar.gz', 'import:wheel:beta_lib-1.0-py3-none-any.whl']);
    assert.deepEqual(groupByProject([c, b, a]), grouped, 'the order of the scan does not matter');
  });

  it('links by content hash and file name, and lists the hash on the page', () => {
    const d = localDistOf(entry('import:wheel:a b-1.0-py3-none-any.whl', { kind: 'wheel', filename: 'a b-1.0-py3-none-any.whl' }))!;
    const path = localFilePath(d);
    assert.equal(path, `/pypi/local/${SHA('a')}/a%20b-1.0-py3-none-any.whl`);
    assert.deepEqual(parseLocalFilePath(path), { sha256: SHA('a'), filename: 'a b-1.0-py3-none-any.whl' });
    assert.equal(parseLocalFilePath(`/pypi/local/${SHA('a')}/..%2Fx`)?.filename, '../x', 'decoded, then only ever compared, never used as a path');
    assert.equal(parseLocalFilePath('/pypi/local/abc/x.whl'), null);
    assert.equal(parseLocalFilePath(`/pypi/local/${SHA('a')}/%E0%A4%A`), null);
    assert.deepEqual(localIndexFile(d, path).hashes, { sha256: SHA('a') });
  });
});
