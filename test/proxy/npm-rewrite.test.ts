// The pure core of the npm mirror: paths, packument rewriting, integrity strings.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { baseFromHost, packumentPath, parseIntegrity, parseNpmPath, rewritePackument, sha256FromIntegrity, tarballLinks } from '../../src/capture/proxy/npm-rewrite.js';

describe('npm mirror paths', () => {
  it('packuments, scoped both ways, tarballs under /npm/ and at the root', () => {
    assert.deepEqual(parseNpmPath('/npm/left-pad'), { type: 'packument', name: 'left-pad' });
    assert.deepEqual(parseNpmPath('/npm/@acme%2fcore'), { type: 'packument', name: '@acme/core' });
    assert.deepEqual(parseNpmPath('/npm/@acme%2Fcore'), { type: 'packument', name: '@acme/core' });
    assert.deepEqual(parseNpmPath('/npm/@acme/core'), { type: 'packument', name: '@acme/core' });
    assert.deepEqual(parseNpmPath('/npm/@acme/core/-/core-2.0.0.tgz'), { type: 'tarball', name: '@acme/core', file: 'core-2.0.0.tgz' });
    assert.deepEqual(parseNpmPath('/left-pad/-/left-pad-1.0.0.tgz'), { type: 'tarball', name: 'left-pad', file: 'left-pad-1.0.0.tgz' });
    // Under the path prefix of the registry a lockfile was made with: below /npm/ (npm 11) or at the root (older npm).
    assert.deepEqual(parseNpmPath('/repository/npm-group/left-pad/-/left-pad-1.0.0.tgz'), { type: 'tarball', name: 'left-pad', file: 'left-pad-1.0.0.tgz' });
    assert.deepEqual(parseNpmPath('/npm/repository/npm-group/left-pad/-/left-pad-1.0.0.tgz'), { type: 'tarball', name: 'left-pad', file: 'left-pad-1.0.0.tgz' });
    assert.deepEqual(parseNpmPath('/artifactory/api/npm/npm-remote/@acme/core/-/core-2.0.0.tgz'), { type: 'tarball', name: '@acme/core', file: 'core-2.0.0.tgz' });
    assert.deepEqual(parseNpmPath('/api/v4/groups/1/-/packages/npm/@acme/core/-/@acme/core-2.0.0.tgz'), { type: 'tarball', name: '@acme/core', file: 'core-2.0.0.tgz' });
    for (const bad of ['/left-pad', '/npm/', '/npm/-/ping', '/npm/../x', '/npm/a/b/c', '/npm/%zz', '/npm/.hidden', '/npm/@a/b/-/..%2f..%2fx.tgz', '/x/-/..%2f..%2fy.tgz']) assert.equal(parseNpmPath(bad), null, bad);
    assert.equal(packumentPath('@acme/core'), '@acme%2fcore', 'as npm asks for it');
  });

  it('rewrites every tarball URL and keeps integrity', () => {
    const doc = { name: '@acme/core', versions: { '1.0.0': { dist: { tarball: 'https://r.example/@acme/core/-/core-1.0.0.tgz', integrity: 'sha512-AA==', shasum: 'ab' } } } };
    const out = rewritePackument('@acme/core', doc, 'http://127.0.0.1:9') as typeof doc;
    assert.equal(out.versions['1.0.0'].dist.tarball, 'http://127.0.0.1:9/npm/@acme/core/-/core-1.0.0.tgz');
    assert.equal(out.versions['1.0.0'].dist.integrity, 'sha512-AA==');
    assert.equal(doc.versions['1.0.0'].dist.tarball, 'https://r.example/@acme/core/-/core-1.0.0.tgz', 'the input is not changed');
    assert.deepEqual(tarballLinks('@acme/core', doc), [{ name: '@acme/core', version: '1.0.0', file: 'core-1.0.0.tgz', url: 'https://r.example/@acme/core/-/core-1.0.0.tgz', integrity: 'sha512-AA==', shasum: 'ab' }]);
  });

  it('tarballs at URLs without a `.tgz` name (GitHub Packages `download/<name>/<version>/<digest>`) get `<name>-<version>.tgz`', () => {
    const url = 'https://gh.example/download/@acme/core/1.0.0/1d4714834bc552f10a88d214f607c51765ae8b68';
    const doc = { name: '@acme/core', versions: { '1.0.0': { dist: { tarball: url, integrity: 'sha512-AA==' } } } };
    const out = rewritePackument('@acme/core', doc, 'http://127.0.0.1:9') as typeof doc;
    assert.equal(out.versions['1.0.0'].dist.tarball, 'http://127.0.0.1:9/npm/@acme/core/-/core-1.0.0.tgz');
    assert.deepEqual(parseNpmPath('/npm/@acme/core/-/core-1.0.0.tgz'), { type: 'tarball', name: '@acme/core', file: 'core-1.0.0.tgz' });
    assert.deepEqual(tarballLinks('@acme/core', doc), [{ name: '@acme/core', version: '1.0.0', file: 'core-1.0.0.tgz', url, integrity: 'sha512-AA==', shasum: null }]);
  });

  it('a scope %2f-encoded in the tarball file name (`@scope%2fpkg-1.0.0.tgz`) is dropped, as a `/` one is', () => {
    const url = 'http://r.example/@acme%2fcore/-/@acme%2fcore-1.0.0.tgz';
    const doc = { name: '@acme/core', versions: { '1.0.0': { dist: { tarball: url } } } };
    assert.equal(tarballLinks('@acme/core', doc)[0]!.file, 'core-1.0.0.tgz');
    assert.equal((rewritePackument('@acme/core', doc, 'http://127.0.0.1:9') as typeof doc).versions['1.0.0'].dist.tarball, 'http://127.0.0.1:9/npm/@acme/core/-/core-1.0.0.tgz');
  });

  it('a SemVer build-metadata version (`1.0.0+build.7`, which Verdaccio keeps: verdaccio/verdaccio#1399) gets a proxy URL the mirror serves', () => {
    const doc = {
      name: 'meta',
      versions: {
        '1.0.0+build.7': { dist: { tarball: 'https://r.example/meta/-/meta-1.0.0+build.7.tgz' } },
        // A name the route could never take back (a space, a `%`): the `<name>-<version>.tgz` form instead.
        '1.0.1': { dist: { tarball: 'https://r.example/meta/-/meta%201.0.1%25.tgz' } },
      },
    };
    const out = rewritePackument('meta', doc, 'http://127.0.0.1:9') as typeof doc;
    for (const [version, file] of [['1.0.0+build.7', 'meta-1.0.0+build.7.tgz'], ['1.0.1', 'meta-1.0.1.tgz']] as const) {
      const url = new URL(out.versions[version]!.dist.tarball);
      assert.deepEqual(parseNpmPath(url.pathname), { type: 'tarball', name: 'meta', file }, version);
    }
    assert.deepEqual(tarballLinks('meta', doc).map((l) => l.file), ['meta-1.0.0+build.7.tgz', 'meta-1.0.1.tgz']);
    for (const bad of ['/npm/meta/-/+x.tgz', '/npm/meta/-/.x.tgz', '/npm/meta/-/a%2b..%2f.tgz']) assert.equal(parseNpmPath(bad), null, bad);
  });

  it('integrity strings', () => {
    const data = Buffer.from('x');
    const sha256 = createHash('sha256').update(data).digest();
    assert.deepEqual(parseIntegrity('sha1-Zm9v sha512-YmFy'), { algorithm: 'sha512', digests: ['YmFy'] });
    assert.equal(parseIntegrity('md5-abc'), null);
    assert.equal(sha256FromIntegrity(`sha512-YmFy sha256-${sha256.toString('base64')}`), sha256.toString('hex'));
    assert.equal(sha256FromIntegrity('sha512-YmFy'), null);
    assert.equal(baseFromHost('127.0.0.1:8080'), 'http://127.0.0.1:8080');
    assert.equal(baseFromHost('evil.example/x'), null);
    assert.equal(baseFromHost('a\r\nb'), null);
  });
});
