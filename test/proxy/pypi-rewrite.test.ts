// The pure core of the PyPI mirror: negotiation, parsing and rendering of simple pages,
// and the proxy file paths (which must never open arbitrary URLs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  linkLookupKey,
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
    requiresPython: fc.option(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() === s && !/[\x00-\x1f]/.test(s)), { nil: null }),
    yanked: fc.oneof(fc.constant(false), fc.constant(true), fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() === s && !/[\x00-\x1f]/.test(s))),
    coreMetadata: fc.oneof(fc.constant<boolean | Record<string, string>>(false), fc.constant(true), fc.stringMatching(/^[0-9a-f]{64}$/).map((h): Record<string, string> => ({ sha256: h }))),
  });

  it('rendering then parsing keeps every attribute, in HTML and in JSON', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fileArb, { selector: (f) => f.filename, maxLength: 6 }), (files) => {
        // The proxy's links end with the file's name, as pip needs (fileLinkPath, localFilePath).
        const rendered = files.map((file, i) => ({ file, href: `/pypi/files/0/https/files.example/p/${i}/${encodeURIComponent(file.filename)}` }));
        const expected = rendered.map(({ file, href }) => ({ ...file, url: `http://proxy.test${href}` }));
        assert.deepEqual(parseHtmlProjectPage(renderHtmlPage('p', rendered), 'http://proxy.test/pypi/simple/p/', 'p').files, expected);
        assert.deepEqual(parseJsonProjectPage(renderJsonPage('p', rendered), 'http://proxy.test/pypi/simple/p/', 'p').files, expected);
      }),
    );
  });
});

describe('project pages as real index servers write them', () => {
  const parse = (html: string, pageUrl = 'https://idx.example/simple/foo/') =>
    parseHtmlProjectPage(html, pageUrl, 'foo').files.map((f) => ({ filename: f.filename, url: f.url, hashes: f.hashes, requiresPython: f.requiresPython, yanked: f.yanked }));

  it('GitLab package registry: absolute file links on the API host, data-requires-python="" for none', () => {
    // From GitLab's PyPI API documentation (project-level simple API entry point), shortened hashes.
    const gitlab = `<!DOCTYPE html>
<html>
  <head>
    <title>Links for my.pypi.package</title>
  </head>
  <body>
    <h1>Links for my.pypi.package</h1>
    <a href="https://gitlab.example.com/api/v4/projects/1/packages/pypi/files/5a57/my.pypi.package-0.0.1-py3-none-any.whl#sha256=5a57" data-requires-python="&gt;=3.6">my.pypi.package-0.0.1-py3-none-any.whl</a><br><a href="https://gitlab.example.com/api/v4/projects/1/packages/pypi/files/9c9e/my.pypi.package-0.0.1.tar.gz#sha256=9c9e" data-requires-python="">my.pypi.package-0.0.1.tar.gz</a><br>
  </body>
</html>`;
    assert.deepEqual(parse(gitlab, 'https://gitlab.example.com/api/v4/projects/1/packages/pypi/simple/my-pypi-package/'), [
      { filename: 'my.pypi.package-0.0.1-py3-none-any.whl', url: 'https://gitlab.example.com/api/v4/projects/1/packages/pypi/files/5a57/my.pypi.package-0.0.1-py3-none-any.whl', hashes: { sha256: '5a57' }, requiresPython: '>=3.6', yanked: false },
      { filename: 'my.pypi.package-0.0.1.tar.gz', url: 'https://gitlab.example.com/api/v4/projects/1/packages/pypi/files/9c9e/my.pypi.package-0.0.1.tar.gz', hashes: { sha256: '9c9e' }, requiresPython: null, yanked: false },
    ]);
  });

  it('JetBrains Space: the fragment\'s `=` percent-encoded (`#sha256%3D<hex>`) is still the file\'s hash', () => {
    // The fragment as astral-sh/uv#3654 quotes it from a Space package index (pypi.pkg.jetbrains.space).
    const hex = '4095ada29e51070f7d199a0a5bdf5c8d8e238e03f0bf4dcc02571e78c9ae800d';
    const space = `<a href="https://pypi.pkg.example/org/p/x/pypi/files/foo-1.0-py3-none-any.whl#sha256%3D${hex}">foo-1.0-py3-none-any.whl</a>
<a href="foo-0.9.tar.gz#md5%3d0cc175b9">foo-0.9.tar.gz</a>
<a href="foo-0.8.tar.gz#sha256%3Dzz%">foo-0.8.tar.gz</a>`;
    assert.deepEqual(parse(space).map((f) => [f.filename, f.hashes]), [
      ['foo-1.0-py3-none-any.whl', { sha256: hex }],
      ['foo-0.9.tar.gz', { md5: '0cc175b9' }],
      ['foo-0.8.tar.gz', {}],
    ]);
  });

  it('in-house index servers that write Requires-Python without escaping `>` (pip reads these)', () => {
    const page = `<html><body>
<a href="/packages/foo-2.0-py3-none-any.whl#sha256=aa" data-requires-python=">=3.9">foo-2.0-py3-none-any.whl</a><br/>
<a href="/packages/foo-1.0.tar.gz#sha256=bb" data-requires-python='>=3.6,<4'>foo-1.0.tar.gz</a><br/>
</body></html>`;
    assert.deepEqual(parse(page), [
      { filename: 'foo-2.0-py3-none-any.whl', url: 'https://idx.example/packages/foo-2.0-py3-none-any.whl', hashes: { sha256: 'aa' }, requiresPython: '>=3.9', yanked: false },
      { filename: 'foo-1.0.tar.gz', url: 'https://idx.example/packages/foo-1.0.tar.gz', hashes: { sha256: 'bb' }, requiresPython: '>=3.6,<4', yanked: false },
    ]);
  });

  it('old-style generators: uppercase tags, unquoted values holding `=`, md5 fragments, commented-out links', () => {
    const page = `<HTML><BODY>
<!-- <a href="foo-0.1.tar.gz">foo-0.1.tar.gz</a> -->
<A HREF=../../packages/foo-1.0.tar.gz#md5=0CC175B9 DATA-REQUIRES-PYTHON=&gt;=3.8 DATA-YANKED>foo-1.0.tar.gz</A><BR>
</BODY></HTML>`;
    assert.deepEqual(parse(page), [
      { filename: 'foo-1.0.tar.gz', url: 'https://idx.example/packages/foo-1.0.tar.gz', hashes: { md5: '0cc175b9' }, requiresPython: '>=3.8', yanked: true },
    ]);
  });

  it('a page cut off mid-tag: the cut tag is no link, the ones before it stay', () => {
    const cut = '<a href="foo-1.0.tar.gz">foo-1.0.tar.gz</a>\n<a href="foo-1.1.tar.gz" data-requires-python="&gt;=3';
    assert.deepEqual(parse(cut).map((f) => f.filename), ['foo-1.0.tar.gz']);
    assert.deepEqual(parse(`${'<a '.repeat(1000)}`), []);
  });

  it('directory listings used as an index: `python3 -m http.server` and Apache autoindex (names shortened in the text)', () => {
    // Captured from Python 3.11's http.server for a directory with two files and a subdirectory.
    const httpServer = `<!DOCTYPE HTML>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Directory listing for /foo/</title>
</head>
<body>
<h1>Directory listing for /foo/</h1>
<hr>
<ul>
<li><a href="foo-1.0%2Blocal-py3-none-any.whl">foo-1.0+local-py3-none-any.whl</a></li>
<li><a href="foo-1.0.tar.gz">foo-1.0.tar.gz</a></li>
<li><a href="old/">old/</a></li>
</ul>
<hr>
</body>
</html>`;
    assert.deepEqual(parse(httpServer).map((f) => [f.filename, f.url]), [
      ['foo-1.0+local-py3-none-any.whl', 'https://idx.example/simple/foo/foo-1.0%2Blocal-py3-none-any.whl'],
      ['foo-1.0.tar.gz', 'https://idx.example/simple/foo/foo-1.0.tar.gz'],
    ]);
    // Apache mod_autoindex with FancyIndexing cuts long names to `..>` in the link text.
    const apache = `<table>
<tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th><th><a href="?C=N;O=D">Name</a></th></tr>
<tr><td valign="top"><img src="/icons/back.gif" alt="[PARENTDIR]"></td><td><a href="/simple/">Parent Directory</a></td></tr>
<tr><td valign="top"><img src="/icons/unknown.gif" alt="[   ]"></td><td><a href="foo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl">foo-1.0-cp311-cp311-man..&gt;</a></td><td align="right">2024-05-01 10:00  </td></tr>
</table>`;
    assert.deepEqual(parse(apache).map((f) => f.filename), ['foo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl']);
  });

  it('a JSON page with one unusable file URL keeps its other files', () => {
    const page = JSON.stringify({
      meta: { 'api-version': '1.0' },
      name: 'foo',
      files: [
        { filename: 'foo-1.0.tar.gz', url: 'http://[broken/foo-1.0.tar.gz', hashes: {} },
        { filename: 'foo-1.0-py3-none-any.whl', url: '../../packages/foo-1.0-py3-none-any.whl', hashes: { sha256: 'a'.repeat(64) } },
      ],
    });
    assert.deepEqual(parseJsonProjectPage(page, 'https://idx.example/simple/foo/', 'foo').files.map((f) => [f.filename, f.url]), [
      ['foo-1.0-py3-none-any.whl', 'https://idx.example/packages/foo-1.0-py3-none-any.whl'],
    ]);
  });
});

describe('PEP 700 (api-version 1.1) JSON pages', () => {
  // The shape PyPI serves for Accept: application/vnd.pypi.simple.v1+json (api-version 1.1),
  // with its `_last-serial` and both metadata keys; the file host is a placeholder.
  const pypi = JSON.stringify({
    files: [
      {
        'core-metadata': { sha256: 'a'.repeat(64) },
        'data-dist-info-metadata': { sha256: 'a'.repeat(64) },
        filename: 'six-1.16.0-py2.py3-none-any.whl',
        hashes: { sha256: 'b'.repeat(64) },
        'requires-python': '>=2.7, !=3.0.*, !=3.1.*, !=3.2.*',
        size: 11053,
        'upload-time': '2021-05-05T14:18:17.237576Z',
        url: 'https://files.example/packages/d9/5a/six-1.16.0-py2.py3-none-any.whl',
        yanked: false,
      },
      { filename: 'six-1.15.0.tar.gz', hashes: { sha256: 'c'.repeat(64), blake2b_256: 'd'.repeat(64) }, size: 33917, 'upload-time': '2020-05-21T07:52:07.119011Z', url: 'https://files.example/packages/6b/34/six-1.15.0.tar.gz', yanked: 'broken' },
    ],
    meta: { '_last-serial': 19164331, 'api-version': '1.1' },
    name: 'six',
    versions: ['1.15.0', '1.16.0'],
  });

  it('keeps each file\'s size and upload time, and says 1.1 with the versions', () => {
    const page = parseJsonProjectPage(pypi, 'https://idx.example/simple/six/', 'six');
    const rendered = page.files.map((file, i) => ({ file, href: `/pypi/files/0/https/files.example/p/${i}/${file.filename}` }));
    const doc = JSON.parse(renderJsonPage('six', rendered)) as { meta: Record<string, string>; versions?: string[]; files: Record<string, unknown>[] };
    assert.equal(doc.meta['api-version'], '1.1');
    assert.deepEqual(doc.versions?.sort(), ['1.15.0', '1.16.0']);
    assert.deepEqual(doc.files.map((f) => [f['size'], f['upload-time']]), [[11053, '2021-05-05T14:18:17.237576Z'], [33917, '2020-05-21T07:52:07.119011Z']]);
    assert.deepEqual(doc.files[1]!['hashes'], { sha256: 'c'.repeat(64), blake2b_256: 'd'.repeat(64) });
  });

  it('bandersnatch mirrors: "" for no Requires-Python and no upload time is neither, as in HTML', () => {
    // The entry bandersnatch's generate_json_simple_page (pypa/bandersnatch src/bandersnatch/simple.py)
    // writes for a release file without requires_python and upload_time_iso_8601.
    const mirror = JSON.stringify({
      files: [{ filename: 'six-1.0.0.tar.gz', hashes: { sha256: 'e'.repeat(64) }, 'requires-python': '', size: 3, 'upload-time': '', url: '../../packages/ab/cd/six-1.0.0.tar.gz', yanked: false }],
      meta: { 'api-version': '1.1', '_last-serial': '1234' },
      name: 'six',
      versions: ['1.0.0'],
    });
    const [file] = parseJsonProjectPage(mirror, 'https://mirror.example/simple/six/', 'six').files;
    assert.equal(file!.requiresPython, null);
    assert.equal(file!.uploadTime, undefined);
    assert.equal(file!.url, 'https://mirror.example/packages/ab/cd/six-1.0.0.tar.gz');
    const doc = JSON.parse(renderJsonPage('six', [{ file: file!, href: '/x/six-1.0.0.tar.gz' }])) as { files: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(doc.files[0]!).sort(), ['filename', 'hashes', 'size', 'url']);
  });

  it('says 1.0 (no promise of sizes) when a file from an HTML upstream has none', () => {
    const fromJson = parseJsonProjectPage(pypi, 'https://idx.example/simple/six/', 'six').files[0]!;
    const fromHtml = parseHtmlProjectPage('<a href="six-1.14.0.tar.gz#sha256=ee">six-1.14.0.tar.gz</a>', 'https://other.example/simple/six/', 'six').files[0]!;
    const doc = JSON.parse(renderJsonPage('six', [fromJson, fromHtml].map((file) => ({ file, href: `/x/${file.filename}` })))) as { meta: Record<string, string>; versions?: string[]; files: Record<string, unknown>[] };
    assert.equal(doc.meta['api-version'], '1.0');
    assert.equal(doc.versions, undefined);
    assert.equal(doc.files[0]!['upload-time'], '2021-05-05T14:18:17.237576Z');
    assert.equal('size' in doc.files[1]!, false);
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

  it('one lookup key for every spelling of a link path (pip re-quotes `+`, `@`, `:`; uv does not)', () => {
    const key = linkLookupKey('https://h.example/whl/torch-2.1.0+cu121-cp311-cp311-linux_x86_64.whl');
    for (const spelling of ['https://u:p@h.example/whl/torch-2.1.0%2Bcu121-cp311-cp311-linux_x86_64.whl#sha256=ab', 'https://h.example/whl/torch-2.1.0%2bcu121-cp311-cp311-linux_x86_64.whl?x=1']) {
      assert.equal(linkLookupKey(spelling), key, spelling);
    }
    assert.equal(linkLookupKey('http://h:81/root/pypi/%2Bf/ab1/x%40y%3Az.whl'), linkLookupKey('http://h:81/root/pypi/+f/ab1/x@y:z.whl'));
    // An escaped slash is part of the name, not a separator; a space is the same file either way.
    assert.notEqual(linkLookupKey('http://h/a%2Fb.whl'), linkLookupKey('http://h/a/b.whl'));
    assert.equal(linkLookupKey('http://h/a%20b.whl'), linkLookupKey('http://h/a b.whl'));
    fc.assert(fc.property(fc.string(), (name) => {
      const raw = `http://h/d/${encodeURIComponent(name)}`;
      return linkLookupKey(raw) === linkLookupKey(new URL(raw).href) && linkLookupKey(raw) === linkLookupKey(linkLookupKey(raw));
    }));
  });

  it('names and versions from file names', () => {
    assert.deepEqual(distFromFilename('App_One-1.0-py3-none-any.whl'), { name: 'app-one', version: '1.0', kind: 'wheel' });
    assert.deepEqual(distFromFilename('zope.interface-6.0.tar.gz'), { name: 'zope-interface', version: '6.0', kind: 'sdist' });
    assert.equal(distFromFilename('README.txt'), null);
  });
});
