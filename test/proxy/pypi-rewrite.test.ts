// The pure core of the PyPI mirror: negotiation, parsing and rendering of simple pages,
// and the proxy file paths (which must never open arbitrary URLs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type IndexFile,
  distFromFilename,
  fileLinkPath,
  negotiatePageFormat,
  parseFileLinkPath,
  parseHtmlProjectPage,
  parseJsonProjectPage,
  renderHtmlPage,
  renderJsonPage,
} from '../../src/capture/proxy/pypi-rewrite.js';

const PIP_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';

describe('PEP 691 content negotiation', () => {
  it('follows q-values', () => {
    assert.equal(negotiatePageFormat(PIP_ACCEPT)?.format, 'json');
    assert.equal(negotiatePageFormat(undefined)?.format, 'html');
    assert.equal(negotiatePageFormat('*/*')?.format, 'html');
    assert.equal(negotiatePageFormat('text/html')?.contentType, 'text/html; charset=utf-8');
    assert.equal(negotiatePageFormat('application/vnd.pypi.simple.v1+html')?.contentType, 'application/vnd.pypi.simple.v1+html');
    assert.equal(negotiatePageFormat('application/vnd.pypi.simple.v1+json;q=0.2, text/html;q=0.9')?.format, 'html');
    assert.equal(negotiatePageFormat('application/vnd.pypi.simple.latest+json')?.format, 'json');
    assert.equal(negotiatePageFormat('application/vnd.pypi.simple.v1+json;q=0'), null);
    assert.equal(negotiatePageFormat('image/png'), null);
  });
});

describe('simple pages', () => {
  const page = `<!DOCTYPE html><html><body>
    <a href="../../files/a/Foo-1.0-py3-none-any.whl#sha256=ABCDEF01" data-requires-python="&gt;=3.8" data-core-metadata="sha256=0011">Foo-1.0-py3-none-any.whl</a><br/>
    <a href='https://u:p@files.example/x/foo-0.9.tar.gz' data-yanked="">foo-0.9.tar.gz</a>
    <a href="https://files.example/x/foo-0.8.tar.gz" data-yanked="broken &amp; bad" data-dist-info-metadata="true">foo-0.8.tar.gz</a>
  </body></html>`;

  it('parses PEP 503 HTML: relative links, hashes, Requires-Python, yanked, PEP 658/714 metadata; credentials dropped', () => {
    const parsed = parseHtmlProjectPage(page, 'https://idx.example/simple/foo/', 'foo');
    assert.deepEqual(parsed.files, [
      { filename: 'Foo-1.0-py3-none-any.whl', url: 'https://idx.example/files/a/Foo-1.0-py3-none-any.whl', hashes: { sha256: 'abcdef01' }, requiresPython: '>=3.8', yanked: false, coreMetadata: { sha256: '0011' } },
      { filename: 'foo-0.9.tar.gz', url: 'https://files.example/x/foo-0.9.tar.gz', hashes: {}, requiresPython: null, yanked: true, coreMetadata: false },
      { filename: 'foo-0.8.tar.gz', url: 'https://files.example/x/foo-0.8.tar.gz', hashes: {}, requiresPython: null, yanked: 'broken & bad', coreMetadata: true },
    ]);
  });

  const fileArb: fc.Arbitrary<IndexFile> = fc.record({
    filename: fc.stringMatching(/^[A-Za-z0-9_.-]{1,30}\.whl$/),
    url: fc.stringMatching(/^[a-z0-9]{1,10}$/).map((p) => `https://files.example/p/${p}.whl`),
    hashes: fc.option(fc.stringMatching(/^[0-9a-f]{64}$/), { nil: undefined }).map((h): Record<string, string> => (h ? { sha256: h } : {})),
    requiresPython: fc.option(fc.string({ maxLength: 12 }).filter((s) => s.trim() === s && !/[\x00-\x1f]/.test(s)), { nil: null }),
    yanked: fc.oneof(fc.constant(false), fc.constant(true), fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() === s && !/[\x00-\x1f]/.test(s))),
    coreMetadata: fc.oneof(fc.constant<boolean | Record<string, string>>(false), fc.constant(true), fc.stringMatching(/^[0-9a-f]{64}$/).map((h): Record<string, string> => ({ sha256: h }))),
  });

  it('rendering then parsing keeps every attribute, in HTML and in JSON', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fileArb, { selector: (f) => f.filename, maxLength: 6 }), (files) => {
        const rendered = files.map((file, i) => ({ file, href: `/pypi/files/0/https/files.example/p/${i}.whl` }));
        const expected = rendered.map(({ file, href }) => ({ ...file, url: `http://proxy.test${href}` }));
        assert.deepEqual(parseHtmlProjectPage(renderHtmlPage('p', rendered), 'http://proxy.test/pypi/simple/p/', 'p').files, expected);
        assert.deepEqual(parseJsonProjectPage(renderJsonPage('p', rendered), 'http://proxy.test/pypi/simple/p/', 'p').files, expected);
      }),
    );
  });
});

describe('proxy file paths', () => {
  it('round-trip and carry no credentials', () => {
    const path = fileLinkPath(1, 'https://u:p@files.example:8443/packages/ab/foo-1.0.tar.gz?x=1');
    assert.equal(path, '/pypi/files/1/https/files.example:8443/packages/ab/foo-1.0.tar.gz');
    assert.deepEqual(parseFileLinkPath(path), { upstreamNo: 1, url: 'https://files.example:8443/packages/ab/foo-1.0.tar.gz' });
    assert.deepEqual(parseFileLinkPath('/pypi/files/0/http/127.0.0.1%3A8080/f/x.whl'), { upstreamNo: 0, url: 'http://127.0.0.1:8080/f/x.whl' });
  });

  it('refuse hosts with credentials, other schemes and malformed hosts', () => {
    for (const bad of ['/pypi/files/0/http/u:p@h/x.whl', '/pypi/files/0/file/h/x.whl', '/pypi/files/0/http/h%2Fevil/x.whl', '/pypi/files/x/http/h/x.whl', '/pypi/files/0/http/h%40other/x.whl']) {
      assert.equal(parseFileLinkPath(bad), null, bad);
    }
  });

  it('names and versions from file names', () => {
    assert.deepEqual(distFromFilename('App_One-1.0-py3-none-any.whl'), { name: 'app-one', version: '1.0', kind: 'wheel' });
    assert.deepEqual(distFromFilename('zope.interface-6.0.tar.gz'), { name: 'zope-interface', version: '6.0', kind: 'sdist' });
    assert.equal(distFromFilename('README.txt'), null);
  });
});
