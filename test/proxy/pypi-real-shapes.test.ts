// The mirror in front of index pages shaped like the servers people really run: PyPI
// (HTML and PEP 691/700 JSON), devpi, Artifactory, Nexus, GitLab, Gitea/Forgejo, Google
// Artifact Registry, CodeArtifact, piwheels, the PyTorch wheel index, pypiserver, a flat
// autoindex listing, and hand-written HTML. Each shape is served by a real local server
// (files on a second host where the real server does that); the test reads the page
// through offgrid, fetches every link through it, and lets real pip download one file.
// The shapes follow pages captured from those servers (test/fixtures/upstreams/real/).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CaptureEvent } from '../../src/capture/events.js';
import { pypiRoute } from '../../src/capture/proxy/pypi.js';
import { parseHtmlProjectPage } from '../../src/capture/proxy/pypi-rewrite.js';
import { type RunningProxy, startProxy } from '../../src/capture/proxy/server.js';
import { systemClock } from '../../src/session/time.js';
import { runPip } from '../helpers/pip.js';
import { type BuiltFile, type DistSpec, buildDists } from '../helpers/pypi-dist.js';

const SECRET = 'tok-3f9a1c77e0';

interface Route {
  readonly body: Buffer;
  readonly type: string;
  /** Answer 302 to this URL instead (pypiserver sends a project it lacks to its fallback index). */
  readonly location?: string;
}

interface Host {
  readonly url: string;
  readonly routes: Map<string, Route>;
  readonly seen: string[];
  close(): Promise<void>;
}

async function startHost(): Promise<Host> {
  const routes = new Map<string, Route>();
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    const raw = (req.url ?? '/').split('?')[0]!;
    seen.push(raw);
    // Servers match the decoded path (S3, nginx): `%2B` and `+` name the same file.
    let path = raw;
    try {
      path = decodeURIComponent(raw);
    } catch {
      // keep raw
    }
    // A route registered with its query answers only that query (pulp's `?redirect=`).
    const route = routes.get(req.url ?? '/') ?? (routes.get(`${path}?*`) ? undefined : (routes.get(path) ?? routes.get(raw)));
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (route.location) {
      res.writeHead(302, { location: route.location, 'content-length': 0 }).end();
      return;
    }
    res.writeHead(200, { 'content-type': route.type, 'content-length': route.body.length }).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    routes,
    seen,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

interface Expected {
  readonly filename: string;
  readonly requiresPython?: string;
  readonly yanked?: boolean | string;
  /** The hash algorithm the link declares (its value is computed from the bytes). */
  readonly hash?: 'sha256' | 'md5' | 'sha1';
  /** PEP 658/714 metadata beside the file: with its sha256 (true), or with none ('unhashed': `data-core-metadata="true"`). */
  readonly metadata?: boolean | 'unhashed';
}

interface Shape {
  readonly title: string;
  readonly specs: readonly DistSpec[];
  /** The upstream index URL path on the index host (the page is `<it><project>/`). */
  readonly indexPath: string;
  readonly project: string;
  /** Registers the page and the files; returns what the page lists. */
  setup(ctx: ShapeContext): Expected[];
  /** pip download `<requirement>` must fetch this file. */
  readonly pip?: { readonly requirement: string; readonly file: string };
}

interface ShapeContext {
  readonly index: Host;
  readonly files: Host;
  readonly dist: (filename: string) => BuiltFile;
  readonly hex: (filename: string, algorithm: string) => string;
  /** Serves `bytes` at `path` on `host`. */
  readonly serve: (host: Host, path: string, body: Buffer | string, type?: string) => void;
  /** Answers `path` on `host` with a 302 to `location`. */
  readonly redirect: (host: Host, path: string, location: string) => void;
  /** Serves a dist file at `path` (decoded form) on `host`, and its PEP 658 metadata beside it. */
  readonly serveDist: (host: Host, path: string, filename: string) => void;
  readonly metadataSha256: (filename: string) => string;
}

const HTML = 'text/html; charset=utf-8';
const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';

function metadataOf(file: BuiltFile): Buffer {
  return Buffer.from(`Metadata-Version: 2.1\nName: ${file.project}\nVersion: ${file.version}\n\n`);
}

const shapes: Shape[] = [
  {
    title: 'PyPI HTML (api 1.1): absolute links on the files host, escaped Requires-Python, PEP 658/714, yanked',
    specs: [{ name: 'Beta.Lib', version: '1.0', sdist: true }, { name: 'Beta.Lib', version: '1.1', requiresPython: '>=3.8' }, { name: 'Beta.Lib', version: '0.9' }],
    indexPath: '/simple/',
    project: 'beta-lib',
    setup: ({ index, files, serve, serveDist, dist, metadataSha256 }) => {
      const at = (f: string, dir: string) => `/packages/${dir}/${f}`;
      serveDist(files, at('Beta_Lib-1.0-py3-none-any.whl', 'b7/a9/e64e'), 'Beta_Lib-1.0-py3-none-any.whl');
      serveDist(files, at('beta_lib-1.0.tar.gz', '3c/11/8d2e'), 'beta_lib-1.0.tar.gz');
      serveDist(files, at('Beta_Lib-1.1-py3-none-any.whl', '01/ff/aa00'), 'Beta_Lib-1.1-py3-none-any.whl');
      serveDist(files, at('Beta_Lib-0.9-py3-none-any.whl', '9a/0b/c1d2'), 'Beta_Lib-0.9-py3-none-any.whl');
      const a = (f: string, dir: string, extra: string) => `    <a href="${files.url}${at(f, dir)}#sha256=${dist(f).sha256}" ${extra}>${f}</a><br />`;
      const meta = (f: string) => `data-dist-info-metadata="sha256=${metadataSha256(f)}" data-core-metadata="sha256=${metadataSha256(f)}"`;
      serve(index, '/simple/beta-lib/', [
        '<!DOCTYPE html>',
        '<html>',
        '  <head>',
        '    <meta name="pypi:repository-version" content="1.1">',
        '    <title>Links for beta.lib</title>',
        '  </head>',
        '  <body>',
        '    <h1>Links for beta.lib</h1>',
        a('Beta_Lib-0.9-py3-none-any.whl', '9a/0b/c1d2', `${meta('Beta_Lib-0.9-py3-none-any.whl')} data-yanked="broken &lt;build&gt;"`),
        a('Beta_Lib-1.0-py3-none-any.whl', 'b7/a9/e64e', meta('Beta_Lib-1.0-py3-none-any.whl')),
        a('beta_lib-1.0.tar.gz', '3c/11/8d2e', ''),
        a('Beta_Lib-1.1-py3-none-any.whl', '01/ff/aa00', `data-requires-python="&gt;=3.8" ${meta('Beta_Lib-1.1-py3-none-any.whl')}`),
        '  </body>',
        '</html>',
        '<!--SERIAL 24081517-->',
      ].join('\n'), HTML);
      return [
        { filename: 'Beta_Lib-0.9-py3-none-any.whl', hash: 'sha256', metadata: true, yanked: 'broken <build>' },
        { filename: 'Beta_Lib-1.0-py3-none-any.whl', hash: 'sha256', metadata: true },
        { filename: 'beta_lib-1.0.tar.gz', hash: 'sha256' },
        { filename: 'Beta_Lib-1.1-py3-none-any.whl', hash: 'sha256', metadata: true, requiresPython: '>=3.8' },
      ];
    },
    pip: { requirement: 'beta-lib==1.1', file: 'Beta_Lib-1.1-py3-none-any.whl' },
  },
  {
    title: 'PyPI JSON (api 1.3): size, upload-time, yanked reasons, versions, provenance',
    specs: [{ name: 'gamma', version: '2.0' }, { name: 'gamma', version: '2.1', requiresPython: '>=3.9' }],
    indexPath: '/simple/',
    project: 'gamma',
    setup: ({ index, files, serve, serveDist, dist, metadataSha256 }) => {
      const names = ['gamma-2.0-py3-none-any.whl', 'gamma-2.1-py3-none-any.whl'];
      for (const f of names) serveDist(files, `/packages/aa/bb/${f}`, f);
      serve(index, '/simple/gamma/', JSON.stringify({
        meta: { 'api-version': '1.3', '_last-serial': 24081517 },
        name: 'gamma',
        versions: ['2.0', '2.1'],
        files: names.map((f, i) => ({
          filename: f,
          url: `${files.url}/packages/aa/bb/${f}`,
          hashes: { sha256: dist(f).sha256 },
          'requires-python': i === 1 ? '>=3.9' : null,
          'core-metadata': { sha256: metadataSha256(f) },
          'data-dist-info-metadata': { sha256: metadataSha256(f) },
          size: dist(f).bytes.length,
          'upload-time': '2024-05-06T07:08:09.123456Z',
          yanked: i === 0 ? 'CVE-2024-0001' : false,
          provenance: i === 1 ? `${files.url}/integrity/gamma/2.1/${f}/provenance` : null,
        })),
      }), JSON_TYPE);
      return [
        { filename: names[0]!, hash: 'sha256', metadata: true, yanked: 'CVE-2024-0001' },
        { filename: names[1]!, hash: 'sha256', metadata: true, requiresPython: '>=3.9' },
      ];
    },
    pip: { requirement: 'gamma==2.1', file: 'gamma-2.1-py3-none-any.whl' },
  },
  {
    title: 'a PEP 691 JSON page that starts with a byte-order mark (RFC 8259 lets a parser ignore it)',
    specs: [{ name: 'omicron', version: '1.0' }],
    indexPath: '/simple/',
    project: 'omicron',
    setup: ({ index, files, serve, serveDist, dist }) => {
      const f = 'omicron-1.0-py3-none-any.whl';
      serveDist(files, `/packages/${f}`, f);
      const page = { meta: { 'api-version': '1.0' }, name: 'omicron', files: [{ filename: f, url: `${files.url}/packages/${f}`, hashes: { sha256: dist(f).sha256 } }] };
      serve(index, '/simple/omicron/', `\uFEFF${JSON.stringify(page)}`, JSON_TYPE);
      return [{ filename: f, hash: 'sha256' }];
    },
    pip: { requirement: 'omicron==1.0', file: 'omicron-1.0-py3-none-any.whl' },
  },
  {
    title: 'devpi: ../../+f/<hash dirs>/ links, relative to /root/pypi/+simple/',
    specs: [{ name: 'delta', version: '1.0', sdist: true }],
    indexPath: '/root/pypi/+simple/',
    project: 'delta',
    setup: ({ index, serve, serveDist, dist }) => {
      serveDist(index, '/root/pypi/+f/ab1/2cd3e4f5a6b7c8/delta-1.0.tar.gz', 'delta-1.0.tar.gz');
      serveDist(index, '/root/pypi/+f/9e8/7d6c5b4a39281/delta-1.0-py3-none-any.whl', 'delta-1.0-py3-none-any.whl');
      serve(index, '/root/pypi/+simple/delta/', `<!DOCTYPE html>
<html>
  <head>
    <title>root/pypi: links for delta</title>
  </head>
  <body>
    <h1>root/pypi: links for delta</h1>
    <a href="../../+f/ab1/2cd3e4f5a6b7c8/delta-1.0.tar.gz#sha256=${dist('delta-1.0.tar.gz').sha256}">delta-1.0.tar.gz</a><br/>
    <a data-requires-python="&gt;=3.6" href="../../+f/9e8/7d6c5b4a39281/delta-1.0-py3-none-any.whl#sha256=${dist('delta-1.0-py3-none-any.whl').sha256}">delta-1.0-py3-none-any.whl</a><br/>
  </body>
</html>
`, HTML);
      return [{ filename: 'delta-1.0.tar.gz', hash: 'sha256' }, { filename: 'delta-1.0-py3-none-any.whl', hash: 'sha256', requiresPython: '>=3.6' }];
    },
    pip: { requirement: 'delta==1.0', file: 'delta-1.0-py3-none-any.whl' },
  },
  {
    title: 'Sonatype Nexus: ../../packages/<name>/<version>/ links, rel="internal"',
    specs: [{ name: 'epsilon', version: '3.0', sdist: true }],
    indexPath: '/repository/pypi-proxy/simple/',
    project: 'epsilon',
    setup: ({ index, serve, serveDist, dist }) => {
      serveDist(index, '/repository/pypi-proxy/packages/epsilon/3.0/epsilon-3.0.tar.gz', 'epsilon-3.0.tar.gz');
      serveDist(index, '/repository/pypi-proxy/packages/epsilon/3.0/epsilon-3.0-py3-none-any.whl', 'epsilon-3.0-py3-none-any.whl');
      serve(index, '/repository/pypi-proxy/simple/epsilon/', `<html lang="en">
<head><title>Links for epsilon</title>
  <meta name="api-version" value="2"/>
</head>
<body><h1>Links for epsilon</h1>
<a href="../../packages/epsilon/3.0/epsilon-3.0.tar.gz#sha256=${dist('epsilon-3.0.tar.gz').sha256}" data-requires-python="&gt;=3.7" rel="internal">epsilon-3.0.tar.gz</a><br/>
<a href="../../packages/epsilon/3.0/epsilon-3.0-py3-none-any.whl#sha256=${dist('epsilon-3.0-py3-none-any.whl').sha256}" data-requires-python="&gt;=3.7" rel="internal">epsilon-3.0-py3-none-any.whl</a><br/>
</body>
</html>
`, 'text/html');
      return [
        { filename: 'epsilon-3.0.tar.gz', hash: 'sha256', requiresPython: '>=3.7' },
        { filename: 'epsilon-3.0-py3-none-any.whl', hash: 'sha256', requiresPython: '>=3.7' },
      ];
    },
    pip: { requirement: 'epsilon==3.0', file: 'epsilon-3.0-py3-none-any.whl' },
  },
  {
    title: 'JFrog Artifactory: ../../<name>/<version>/ links with an escaped Requires-Python',
    specs: [{ name: 'zeta', version: '0.5' }],
    indexPath: '/artifactory/api/pypi/pypi-remote/simple/',
    project: 'zeta',
    setup: ({ index, serve, serveDist, dist }) => {
      serveDist(index, '/artifactory/api/pypi/pypi-remote/zeta/0.5/zeta-0.5-py3-none-any.whl', 'zeta-0.5-py3-none-any.whl');
      serve(index, '/artifactory/api/pypi/pypi-remote/simple/zeta/', `<html>
<head><meta name="pypi:repository-version" content="1.0"><title>Links for zeta</title></head>
<body><h1>Links for zeta</h1><a data-requires-python="&gt;=3.7,&lt;4.0" href="../../zeta/0.5/zeta-0.5-py3-none-any.whl#sha256=${dist('zeta-0.5-py3-none-any.whl').sha256}" rel="internal">zeta-0.5-py3-none-any.whl</a><br/>
</body>
</html>`, HTML);
      return [{ filename: 'zeta-0.5-py3-none-any.whl', hash: 'sha256', requiresPython: '>=3.7,<4.0' }];
    },
    pip: { requirement: 'zeta==0.5', file: 'zeta-0.5-py3-none-any.whl' },
  },
  {
    title: 'GitLab package registry: absolute /api/v4/projects/N/packages/pypi/files/<sha>/ links, data-requires-python=""',
    specs: [{ name: 'eta', version: '1.2.3' }],
    indexPath: '/api/v4/projects/42/packages/pypi/simple/',
    project: 'eta',
    setup: ({ index, serve, serveDist, dist }) => {
      const f = 'eta-1.2.3-py3-none-any.whl';
      const path = `/api/v4/projects/42/packages/pypi/files/${dist(f).sha256}/${f}`;
      serveDist(index, path, f);
      serve(index, '/api/v4/projects/42/packages/pypi/simple/eta/', `<!DOCTYPE html>
<html>
  <head>
    <title>Links for eta</title>
  </head>
  <body>
    <h1>Links for eta</h1>
    <a href="${index.url}${path}#sha256=${dist(f).sha256}" data-requires-python="">${f}</a><br>
  </body>
</html>
`, HTML);
      return [{ filename: f, hash: 'sha256' }];
    },
    pip: { requirement: 'eta==1.2.3', file: 'eta-1.2.3-py3-none-any.whl' },
  },
  {
    title: 'Gitea/Forgejo: a `#sha256-<hex>` fragment (not a hash pip reads) is no hash, and the file still comes',
    specs: [{ name: 'theta', version: '0.1.0' }],
    indexPath: '/api/packages/org/pypi/simple/',
    project: 'theta',
    setup: ({ index, serve, serveDist, dist }) => {
      const f = 'theta-0.1.0-py3-none-any.whl';
      serveDist(index, `/api/packages/org/pypi/files/theta/0.1.0/${f}`, f);
      serve(index, '/api/packages/org/pypi/simple/theta/', `<!DOCTYPE html>
<html>
	<body>
		<a href="${index.url}/api/packages/org/pypi/files/theta/0.1.0/${f}#sha256-${dist(f).sha256}" data-requires-python="&gt;=3.8">${f}</a><br/>
	</body>
</html>`, HTML);
      return [{ filename: f, requiresPython: '>=3.8' }];
    },
    pip: { requirement: 'theta==0.1.0', file: 'theta-0.1.0-py3-none-any.whl' },
  },
  {
    title: 'Google Artifact Registry and AWS CodeArtifact: absolute links on the index host with a version folder',
    specs: [{ name: 'iota', version: '4.0' }, { name: 'iota', version: '4.1' }],
    indexPath: '/proj/repo/simple/',
    project: 'iota',
    setup: ({ index, serve, serveDist, dist }) => {
      serveDist(index, '/proj/repo/iota/iota-4.0-py3-none-any.whl', 'iota-4.0-py3-none-any.whl');
      serveDist(index, '/pypi/repo/simple/iota/4.1/iota-4.1-py3-none-any.whl', 'iota-4.1-py3-none-any.whl');
      serve(index, '/proj/repo/simple/iota/', `<html>
  <head>
    <title>Links for iota</title>
  </head>
  <body>
    <h1>Links for iota</h1>
    <a href="${index.url}/proj/repo/iota/iota-4.0-py3-none-any.whl#sha256=${dist('iota-4.0-py3-none-any.whl').sha256}">iota-4.0-py3-none-any.whl</a><br>
    <a href="../../../../pypi/repo/simple/iota/4.1/iota-4.1-py3-none-any.whl#sha256=${dist('iota-4.1-py3-none-any.whl').sha256}" data-requires-python="&gt;=3.6">iota-4.1-py3-none-any.whl</a><br/>
  </body>
</html>`, HTML);
      return [{ filename: 'iota-4.0-py3-none-any.whl', hash: 'sha256' }, { filename: 'iota-4.1-py3-none-any.whl', hash: 'sha256', requiresPython: '>=3.6' }];
    },
    pip: { requirement: 'iota==4.1', file: 'iota-4.1-py3-none-any.whl' },
  },
  {
    title: 'piwheels: relative file links in the project folder, data-requires-python, sha256',
    specs: [{ name: 'kappa', version: '1.0', tags: ['py3-none-any'] }],
    indexPath: '/simple/',
    project: 'kappa',
    setup: ({ index, serve, serveDist, dist }) => {
      const f = 'kappa-1.0-py3-none-any.whl';
      serveDist(index, `/simple/kappa/${f}`, f);
      serve(index, '/simple/kappa/', `<!DOCTYPE html>
<html>
<head>
<meta name="pypi:repository-version" content="1.0">
<title>Links for kappa</title>
</head>
<body>
<h1>Links for kappa</h1>
<a href="${f}#sha256=${dist(f).sha256}" data-requires-python="&gt;=3.5">${f}</a><br>
</body>
</html>`, HTML);
      return [{ filename: f, hash: 'sha256', requiresPython: '>=3.5' }];
    },
    pip: { requirement: 'kappa==1.0', file: 'kappa-1.0-py3-none-any.whl' },
  },
  {
    title: 'PyTorch wheel index: local versions, %2B-encoded and raw `+` links on another path, files on another host',
    specs: [{ name: 'torch', version: '2.1.0+cu121' }, { name: 'torch', version: '2.1.0+cpu' }, { name: 'torch', version: '2.0.1' }],
    indexPath: '/whl/cu121/',
    project: 'torch',
    setup: ({ index, files, serve, serveDist, dist, metadataSha256 }) => {
      const cu = 'torch-2.1.0+cu121-py3-none-any.whl';
      const cpu = 'torch-2.1.0+cpu-py3-none-any.whl';
      const old = 'torch-2.0.1-py3-none-any.whl';
      serveDist(index, `/whl/cu121/${cu}`, cu);
      serveDist(index, `/whl/cpu/${cpu}`, cpu);
      serveDist(files, `/whl/${old}`, old);
      serve(index, '/whl/cu121/torch/', `<!DOCTYPE html>
<html>
  <body>
    <h1>Links for torch</h1>
    <a href="/whl/cu121/torch-2.1.0%2Bcu121-py3-none-any.whl#sha256=${dist(cu).sha256}" data-dist-info-metadata="sha256=${metadataSha256(cu)}" data-core-metadata="sha256=${metadataSha256(cu)}">torch-2.1.0+cu121-py3-none-any.whl</a><br/>
    <a href="/whl/cpu/torch-2.1.0+cpu-py3-none-any.whl#sha256=${dist(cpu).sha256}">torch-2.1.0+cpu-py3-none-any.whl</a><br/>
    <a href="${files.url}/whl/${old}#sha256=${dist(old).sha256}">${old}</a><br/>
  </body>
</html>
<!--TIMESTAMP 1701234567-->`, HTML);
      return [{ filename: cu, hash: 'sha256', metadata: true }, { filename: cpu, hash: 'sha256' }, { filename: old, hash: 'sha256' }];
    },
    pip: { requirement: 'torch==2.1.0+cpu', file: 'torch-2.1.0+cpu-py3-none-any.whl' },
  },
  {
    title: 'pypiserver: ../../packages/ links with md5 fragments',
    specs: [{ name: 'lambda-pkg', version: '0.3', sdist: true }],
    indexPath: '/simple/',
    project: 'lambda-pkg',
    setup: ({ index, serve, serveDist, hex }) => {
      const names = ['lambda_pkg-0.3-py3-none-any.whl', 'lambda_pkg-0.3.tar.gz'];
      for (const f of names) serveDist(index, `/packages/${f}`, f);
      serve(index, '/simple/lambda-pkg/', `<!DOCTYPE html>
<html>
  <head>
    <title>Links for lambda-pkg</title>
  </head>
  <body>
    <h1>Links for lambda-pkg</h1>
${names.map((f) => `         <a href="../../packages/${f}#md5=${hex(f, 'md5')}">${f}</a><br>`).join('\n')}
  </body>
</html>`, HTML);
      return names.map((filename) => ({ filename, hash: 'md5' as const }));
    },
    pip: { requirement: 'lambda-pkg==0.3', file: 'lambda_pkg-0.3-py3-none-any.whl' },
  },
  {
    title: 'Pulp: file links whose query (`?redirect=<origin url>`) the content app needs',
    specs: [{ name: 'nu', version: '2.0' }],
    indexPath: '/pypi/foo/simple/',
    project: 'nu',
    setup: ({ index, serve, dist }) => {
      const f = 'nu-2.0-py3-none-any.whl';
      const query = `redirect=${encodeURIComponent(`${index.url}/origin/${f}`)}`;
      serve(index, `/pulp/content/foo/${f}?*`, '');
      serve(index, `/pulp/content/foo/${f}?${query}`, dist(f).bytes);
      serve(index, '/pypi/foo/simple/nu/', `<!DOCTYPE html>
<html>
  <head>
    <title>Links for nu</title>
  </head>
  <body>
    <h1>Links for nu</h1>
    <a href="${index.url}/pulp/content/foo/${f}?${query.replace(/&/g, '&amp;')}#sha256=${dist(f).sha256}" rel="internal">${f}</a><br/>
  </body>
</html>`, HTML);
      return [{ filename: f, hash: 'sha256' }];
    },
    pip: { requirement: 'nu==2.0', file: 'nu-2.0-py3-none-any.whl' },
  },
  {
    title: 'nginx autoindex as a project page: shortened anchor text, parent link, no hashes',
    specs: [{ name: 'a-very-long-project-name-indeed', version: '10.0.0' }],
    indexPath: '/wheels/',
    project: 'a-very-long-project-name-indeed',
    setup: ({ index, serve, serveDist }) => {
      const f = 'a_very_long_project_name_indeed-10.0.0-py3-none-any.whl';
      serveDist(index, `/wheels/a-very-long-project-name-indeed/${f}`, f);
      serve(index, '/wheels/a-very-long-project-name-indeed/', `<html>
<head><title>Index of /wheels/a-very-long-project-name-indeed/</title></head>
<body>
<h1>Index of /wheels/a-very-long-project-name-indeed/</h1><hr><pre><a href="../">../</a>
<a href="${f}">a_very_long_project_name_indeed-10.0.0-py3-no..&gt;</a> 02-Dec-2026 10:00                1234
</pre><hr></body>
</html>`, HTML);
      return [{ filename: f }];
    },
    pip: { requirement: 'a-very-long-project-name-indeed==10.0.0', file: 'a_very_long_project_name_indeed-10.0.0-py3-none-any.whl' },
  },
  {
    title: 'hand-written HTML: uppercase, single/no quotes, <base href>, &amp; in hrefs, newlines in tags, no </a>, comments',
    specs: [{ name: 'mu', version: '1.0' }, { name: 'mu', version: '1.1' }, { name: 'mu', version: '1.2' }, { name: 'mu', version: '1.3' }, { name: 'mu', version: '0.1' }],
    indexPath: '/simple/',
    project: 'mu',
    setup: ({ index, files, serve, serveDist, dist }) => {
      for (const v of ['1.0', '1.1', '1.2', '1.3']) serveDist(files, `/dl/mu/mu-${v}-py3-none-any.whl`, `mu-${v}-py3-none-any.whl`);
      const h = (v: string) => dist(`mu-${v}-py3-none-any.whl`).sha256;
      serve(index, '/simple/mu/', `<!DOCTYPE html>
<HTML><HEAD>
<META NAME="pypi:repository-version" CONTENT="1.0">
<BASE HREF='${files.url}/dl/mu/'>
<TITLE>Links for mu</TITLE></HEAD>
<BODY>
<!-- old: <a href="mu-0.1-py3-none-any.whl">mu-0.1-py3-none-any.whl</a> -->
<A HREF='mu-1.0-py3-none-any.whl#sha256=${h('1.0')}' DATA-REQUIRES-PYTHON='&gt;=3.7'>mu-1.0-py3-none-any.whl</A><BR>
<a
   href=mu-1.1-py3-none-any.whl#sha256=${h('1.1')}
   data-yanked
>mu-1.1-py3-none-any.whl
<a href="mu-1.2-py3-none-any.whl?x=1&amp;y=2#sha256=${h('1.2')}" data-requires-python = "&gt;=3.6" >mu-1.2</a>
<a href="./mu-1.3-py3-none-any.whl#sha256=${h('1.3')}">mu 1.3</a>
</BODY></HTML>`, HTML);
      return [
        { filename: 'mu-1.0-py3-none-any.whl', hash: 'sha256', requiresPython: '>=3.7' },
        { filename: 'mu-1.1-py3-none-any.whl', hash: 'sha256', yanked: true },
        { filename: 'mu-1.2-py3-none-any.whl', hash: 'sha256', requiresPython: '>=3.6' },
        { filename: 'mu-1.3-py3-none-any.whl', hash: 'sha256' },
      ];
    },
    pip: { requirement: 'mu==1.2', file: 'mu-1.2-py3-none-any.whl' },
  },
  {
    title: 'JetBrains Space: the fragment written `#sha256%3D<hex>` (astral-sh/uv#3654) is the file\'s hash, checked by the cache and handed to pip as #sha256=',
    specs: [{ name: 'xi', version: '1.0' }],
    indexPath: '/org/p/proj/pypi/simple/',
    project: 'xi',
    setup: ({ index, serve, serveDist, dist }) => {
      const f = 'xi-1.0-py3-none-any.whl';
      serveDist(index, `/org/p/proj/pypi/files/xi/1.0/${f}`, f);
      serve(index, '/org/p/proj/pypi/simple/xi/', `<html><body>
<a href="${index.url}/org/p/proj/pypi/files/xi/1.0/${f}#sha256%3D${dist(f).sha256}">${f}</a><br/>
</body></html>`, HTML);
      return [{ filename: f, hash: 'sha256' }];
    },
    pip: { requirement: 'xi==1.0', file: 'xi-1.0-py3-none-any.whl' },
  },
  {
    title: 'buf.build: a local version\'s `+` written as `&#43;` in the href and the text, attributes on lines of their own, no hash (astral-sh/uv#1338)',
    specs: [{ name: 'rho-grpc-python', version: '1.61.0.1.20230913231627+233fca715f49', requiresPython: '>=3.7' }],
    indexPath: '/gen/python/',
    project: 'rho-grpc-python',
    setup: ({ index, serve, serveDist }) => {
      const f = 'rho_grpc_python-1.61.0.1.20230913231627+233fca715f49-py3-none-any.whl';
      const escaped = f.replace('+', '&#43;');
      serveDist(index, `/gen/python/rho-grpc-python/${f}`, f);
      serve(index, '/gen/python/rho-grpc-python/', `<!DOCTYPE html>
<html>
  <body>
    <a
      href="${index.url}/gen/python/rho-grpc-python/${escaped}"
      data-requires-python="&gt;=3.7"
      >${escaped}</a>
  </body>
</html>`, HTML);
      return [{ filename: f, requiresPython: '>=3.7' }];
    },
    pip: { requirement: 'rho-grpc-python==1.61.0.1.20230913231627+233fca715f49', file: 'rho_grpc_python-1.61.0.1.20230913231627+233fca715f49-py3-none-any.whl' },
  },
  {
    title: 'an in-house index (astral-sh/uv#12383): no <html> or <head>, links in <ul><li>, files on a storage host, data-core-metadata alone',
    specs: [{ name: 'sigma', version: '0.4.9' }],
    indexPath: '/simple/',
    project: 'sigma',
    setup: ({ index, files, serve, serveDist, dist, metadataSha256 }) => {
      const f = 'sigma-0.4.9-py3-none-any.whl';
      serveDist(files, `/storage/${f}`, f);
      serve(index, '/simple/sigma/', `<!DOCTYPE html>
<body>
  <ul>
    <li><a href="${files.url}/storage/${f}#sha256=${dist(f).sha256}" data-core-metadata="sha256=${metadataSha256(f)}">${f}</a></li>
  </ul>
</body>
`, HTML);
      return [{ filename: f, hash: 'sha256', metadata: true }];
    },
    pip: { requirement: 'sigma==0.4.9', file: 'sigma-0.4.9-py3-none-any.whl' },
  },
  {
    title: 'AWS CodeArtifact: `<version>/<file>` links relative to the project page, data-gpg-sig="false", a blank before `>` (astral-sh/uv#1388)',
    specs: [{ name: 'tau', version: '0.1' }, { name: 'tau', version: '3.0.1', requiresPython: '>=3.8' }],
    indexPath: '/pypi/shared-packages-pypi/simple/',
    project: 'tau',
    setup: ({ index, serve, serveDist, dist }) => {
      const old = 'tau-0.1-py3-none-any.whl';
      const current = 'tau-3.0.1-py3-none-any.whl';
      serveDist(index, `/pypi/shared-packages-pypi/simple/tau/0.1/${old}`, old);
      serveDist(index, `/pypi/shared-packages-pypi/simple/tau/3.0.1/${current}`, current);
      serve(index, '/pypi/shared-packages-pypi/simple/tau/', `<!DOCTYPE html>
<html>
<head>
    <title>Links for tau</title>
</head>
<body>
    <h1>Links for tau</h1>
    <a href="0.1/${old}#sha256=${dist(old).sha256}" data-gpg-sig="false" >${old}</a>
    <br/>
    <a href="3.0.1/${current}#sha256=${dist(current).sha256}" data-requires-python="&gt;=3.8" data-gpg-sig="false" >${current}</a>
    <br/>
</body>
</html>`, HTML);
      return [{ filename: old, hash: 'sha256' }, { filename: current, hash: 'sha256', requiresPython: '>=3.8' }];
    },
    pip: { requirement: 'tau==3.0.1', file: 'tau-3.0.1-py3-none-any.whl' },
  },
  {
    title: 'a bandersnatch mirror\'s JSON page (digest_name = md5): ../../packages/ URLs, "" for no Requires-Python or upload time, yanked as a bare true',
    specs: [{ name: 'upsilon', version: '1.0' }, { name: 'upsilon', version: '2.0', requiresPython: '>=3.7' }],
    indexPath: '/simple/',
    project: 'upsilon',
    setup: ({ index, serve, serveDist, dist, hex }) => {
      // The entries of pypa/bandersnatch's generate_json_simple_page (src/bandersnatch/simple.py),
      // served as nginx serves its index.v1_json.
      const names = ['upsilon-1.0-py3-none-any.whl', 'upsilon-2.0-py3-none-any.whl'];
      for (const f of names) serveDist(index, `/packages/4f/1a/9c0e/${f}`, f);
      serve(index, '/simple/upsilon/', JSON.stringify({
        files: names.map((f, i) => ({
          filename: f,
          hashes: { md5: hex(f, 'md5') },
          'requires-python': i === 1 ? '>=3.7' : '',
          size: dist(f).bytes.length,
          'upload-time': i === 1 ? '2024-01-02T03:04:05.678901Z' : '',
          url: `../../packages/4f/1a/9c0e/${f}`,
          yanked: i === 0,
        })),
        meta: { 'api-version': '1.1', '_last-serial': '22000000' },
        name: 'upsilon',
        versions: ['1.0', '2.0'],
      }), JSON_TYPE);
      return [{ filename: names[0]!, hash: 'md5', yanked: true }, { filename: names[1]!, hash: 'md5', requiresPython: '>=3.7' }];
    },
    pip: { requirement: 'upsilon', file: 'upsilon-2.0-py3-none-any.whl' },
  },
  {
    title: 'a JSON page whose "yanked" is an empty string (PEP 691 wants a non-empty reason): pip reads it as not yanked, and so it stays',
    specs: [{ name: 'phi', version: '1.0' }, { name: 'phi', version: '2.0' }],
    indexPath: '/simple/',
    project: 'phi',
    setup: ({ index, serve, serveDist, hex }) => {
      const names = ['phi-1.0-py3-none-any.whl', 'phi-2.0-py3-none-any.whl'];
      for (const f of names) serveDist(index, `/files/${f}`, f);
      serve(index, '/simple/phi/', JSON.stringify({
        meta: { 'api-version': '1.0' },
        name: 'phi',
        files: names.map((f) => ({ filename: f, url: `/files/${f}`, hashes: { sha256: hex(f, 'sha256') }, yanked: f.includes('2.0') ? '' : false })),
      }), JSON_TYPE);
      return [{ filename: names[0]!, hash: 'sha256' }, { filename: names[1]!, hash: 'sha256', yanked: '' }];
    },
    // Were '' taken for a yank, pip would pass over 2.0 for an unpinned requirement.
    pip: { requirement: 'phi', file: 'phi-2.0-py3-none-any.whl' },
  },
  {
    title: 'pypiserver with a fallback: a project it lacks is a 302 to the fallback index, whose root-relative /packages/ links are on the fallback\'s host',
    specs: [{ name: 'chi', version: '1.0' }],
    indexPath: '/simple/',
    project: 'chi',
    setup: ({ index, files, serve, serveDist, redirect, hex }) => {
      // pypiserver's simple() (pypiserver/_app.py): no file of the project, redirect_to_fallback on,
      // redirect to '<fallback_url>/<project>/'; the fallback, another pypiserver, writes
      // urljoin(<request path>, '../../packages/<file>#md5=…').
      const f = 'chi-1.0-py3-none-any.whl';
      serveDist(files, `/packages/${f}`, f);
      redirect(index, '/simple/chi/', `${files.url}/simple/chi/`);
      serve(files, '/simple/chi/', `    <html>
        <head>
            <title>Links for chi</title>
        </head>
        <body>
            <h1>Links for chi</h1>
                 <a href="/packages/${f}#md5=${hex(f, 'md5')}">${f}</a><br>
        </body>
    </html>
`, HTML);
      return [{ filename: f, hash: 'md5' }];
    },
    pip: { requirement: 'chi==1.0', file: 'chi-1.0-py3-none-any.whl' },
  },
  {
    title: 'the vLLM wheel index: <meta> straight under <html>, no hash, `../../<commit>/<file>` links with the local version\'s `+` as %2B (S3 keys)',
    specs: [{ name: 'vllm', version: '0.11.2.dev363+ge2f56c309' }],
    indexPath: '/nightly/',
    project: 'vllm',
    setup: ({ index, serve, serveDist }) => {
      // As vllm-project/vllm's .buildkite/scripts/generate-nightly-index.py writes <index>/vllm/index.html:
      // quote(relative_path, safe=":%/") of a wheel in s3://…/<commit>/, one <a> per wheel.
      const f = 'vllm-0.11.2.dev363+ge2f56c309-py3-none-any.whl';
      serveDist(index, `/e2f56c309d2a28899c68975a7e104502d56deb8f/${f}`, f);
      serve(index, '/nightly/vllm/', `<!DOCTYPE html>
<html>
  <meta name="pypi:repository-version" content="1.0">
  <body>
    <a href="../../e2f56c309d2a28899c68975a7e104502d56deb8f/${f.replace('+', '%2B')}">${f}</a><br/>
  </body>
</html>
`, HTML);
      return [{ filename: f }];
    },
    pip: { requirement: 'vllm==0.11.2.dev363+ge2f56c309', file: 'vllm-0.11.2.dev363+ge2f56c309-py3-none-any.whl' },
  },
  {
    title: 'devpi as pasted in astral-sh/uv#8172: only <body>, the index name as text before each link, data-requires-python=">=2.7" with a raw `>`',
    specs: [{ name: 'psi', version: '0.2', sdist: true, tags: ['py2.py3-none-any'] }, { name: 'psi', version: '0.1.2', tags: ['py2.py3-none-any'] }],
    indexPath: '/root/namespace/+simple/',
    project: 'psi',
    setup: ({ index, serve, serveDist, dist }) => {
      const files = [
        ['psi-0.2.tar.gz', '086/8962b8e5583b4'],
        ['psi-0.2-py2.py3-none-any.whl', 'abe/2ed2f4444082c'],
        ['psi-0.1.2-py2.py3-none-any.whl', '97f/3f532c81bc708'],
      ] as const;
      for (const [f, dir] of files) serveDist(index, `/root/namespace/+f/${dir}/${f}`, f);
      serve(index, '/root/namespace/+simple/psi/', `<body><h1>root/namespace: links for psi</h1>
${files.map(([f, dir]) => `root/namespace <a href="../../+f/${dir}/${f}#sha256=${dist(f).sha256}" data-requires-python=">=2.7">${f}</a><br>`).join('\n')}
</body>`, HTML);
      return files.map(([filename]) => ({ filename, hash: 'sha256' as const, requiresPython: '>=2.7' }));
    },
    pip: { requirement: 'psi==0.2', file: 'psi-0.2-py2.py3-none-any.whl' },
  },
  {
    title: 'Azure Artifacts: absolute …/pypi/download/<name>/<version>/<file> links (astral-sh/uv#2138), answered with a redirect to blob storage on another host',
    specs: [{ name: 'omega-az', version: '40.0.2' }],
    indexPath: '/org/_packaging/feed/pypi/simple/',
    project: 'omega-az',
    setup: ({ index, files, serve, serveDist, redirect, dist }) => {
      const f = 'omega_az-40.0.2-py3-none-any.whl';
      serveDist(files, `/blob/5f/${f}`, f);
      redirect(index, `/org/_packaging/0c1d2e3f/pypi/download/omega-az/40.0.2/${f}`, `${files.url}/blob/5f/${f}`);
      serve(index, '/org/_packaging/feed/pypi/simple/omega-az/', `<!DOCTYPE html>
<html><head><title>Links for omega-az</title></head><body><h1>Links for omega-az</h1>
<a href="${index.url}/org/_packaging/0c1d2e3f/pypi/download/omega-az/40.0.2/${f}#sha256=${dist(f).sha256}" data-requires-python="&gt;=3.6">${f}</a><br/>
</body></html>`, HTML);
      return [{ filename: f, hash: 'sha256', requiresPython: '>=3.6' }];
    },
    pip: { requirement: 'omega-az==40.0.2', file: 'omega_az-40.0.2-py3-none-any.whl' },
  },
  {
    title: 'pypicloud on S3: root-relative /api/package/<name>/<file> links, each a 302 to a presigned S3 URL on another host (astral-sh/uv#13336)',
    specs: [{ name: 'pkg-from-private-registry', version: '0.13.0' }],
    indexPath: '/simple/',
    project: 'pkg-from-private-registry',
    setup: ({ index, files, serve, redirect, dist }) => {
      const f = 'pkg_from_private_registry-0.13.0-py3-none-any.whl';
      const presigned = `/pypi/6e60/pkg-from-private-registry/${f}?AWSAccessKeyId=scrubbed&Signature=scrubbed&x-amz-security-token=scrubbed&Expires=1746736049`;
      serve(files, `/pypi/6e60/pkg-from-private-registry/${f}?*`, '');
      serve(files, presigned, dist(f).bytes);
      redirect(index, `/api/package/pkg-from-private-registry/${f}`, `${files.url}${presigned}`);
      serve(index, '/simple/pkg-from-private-registry/', `<!DOCTYPE html>
<html><head><title>pkg-from-private-registry</title></head><body>
<a href="/api/package/pkg-from-private-registry/${f}#sha256=${dist(f).sha256}">${f}</a><br>
</body></html>`, HTML);
      return [{ filename: f, hash: 'sha256' }];
    },
    pip: { requirement: 'pkg-from-private-registry==0.13.0', file: 'pkg_from_private_registry-0.13.0-py3-none-any.whl' },
  },
  {
    title: 'CERN\'s simple-repository-server (PEP 691 JSON): ../../resources/<project>/<file> URLs, "core-metadata": true with no hash nor dist-info-metadata, "gpg-sig", upload-time',
    specs: [{ name: 'acc-py-tools', version: '2.0' }],
    indexPath: '/simple/',
    project: 'acc-py-tools',
    setup: ({ index, serve, serveDist, dist }) => {
      // simple-repository's SerializerJsonV1 (simple_repository/tests/test_serializer.py) behind
      // simple-repository-server's replace_urls (simple_repository_server/utils.py), which serves
      // the file and its .metadata under /resources/<project>/.
      const f = 'acc_py_tools-2.0-py3-none-any.whl';
      serveDist(index, `/resources/acc-py-tools/${f}`, f);
      serve(index, '/simple/acc-py-tools/', JSON.stringify({
        meta: { 'api-version': '1.1' },
        name: 'acc-py-tools',
        files: [{ filename: f, url: `../../resources/acc-py-tools/${f}`, hashes: { sha256: dist(f).sha256 }, 'requires-python': '>=3.8', 'core-metadata': true, 'gpg-sig': false, size: dist(f).bytes.length, 'upload-time': '2000-01-04T00:00:00Z' }],
      }), JSON_TYPE);
      return [{ filename: f, hash: 'sha256', requiresPython: '>=3.8', metadata: 'unhashed' }];
    },
    pip: { requirement: 'acc-py-tools==2.0', file: 'acc_py_tools-2.0-py3-none-any.whl' },
  },
];

describe('PyPI mirror in front of real index servers\' page shapes', { timeout: 300_000 }, () => {
  let index: Host;
  let files: Host;
  let work: string;
  const built = new Map<string, BuiltFile>();

  before(async () => {
    index = await startHost();
    files = await startHost();
    work = await mkdtemp(join(tmpdir(), 'offgrid-real-shapes-'));
    for (const shape of shapes) for (const spec of shape.specs) for (const b of buildDists(spec)) built.set(b.filename, b);
  });
  after(async () => {
    await index.close();
    await files.close();
    await rm(work, { recursive: true, force: true });
  });

  const context = (): ShapeContext => {
    const dist = (filename: string) => {
      const found = built.get(filename);
      if (!found) throw new Error(`no built file ${filename}: ${[...built.keys()].join(', ')}`);
      return found;
    };
    return {
      index,
      files,
      dist,
      hex: (filename, algorithm) => createHash(algorithm).update(dist(filename).bytes).digest('hex'),
      serve: (host, path, body, type = 'application/octet-stream') => host.routes.set(path, { body: Buffer.from(body), type }),
      redirect: (host, path, location) => host.routes.set(path, { body: Buffer.alloc(0), type: 'text/html', location }),
      serveDist: (host, path, filename) => {
        host.routes.set(path, { body: dist(filename).bytes, type: 'application/octet-stream' });
        host.routes.set(`${path}.metadata`, { body: metadataOf(dist(filename)), type: 'application/octet-stream' });
      },
      metadataSha256: (filename) => createHash('sha256').update(metadataOf(dist(filename))).digest('hex'),
    };
  };

  for (const shape of shapes) {
    it(shape.title, async () => {
      const ctx = context();
      const expected = shape.setup(ctx);
      const logs: string[] = [];
      const events: CaptureEvent[] = [];
      const upstream = new URL(`${index.url}${shape.indexPath}`);
      upstream.username = 'ci';
      upstream.password = SECRET;
      const start = () => startProxy({
        cacheDir: join(work, `cache-${shape.project}-${shapes.indexOf(shape)}`),
        offline: false,
        upstreams: { pypi: [upstream], npm: null, allowedHosts: new Set() },
        record: (event) => events.push(event),
        clock: systemClock,
        log: { debug: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) },
        routes: [pypiRoute()],
      });
      let proxy = await start();
      try {
        const paths = await checkShape(proxy, shape, expected, ctx);
        // A new process knows no links: it finds each again from the project's page,
        // however pip re-quotes the path.
        await proxy.close();
        proxy = await start();
        for (const [filename, path] of paths) {
          for (const spelling of new Set([path, path.replace(/\+/g, '%2B'), path.replace(/%2B/gi, '+')])) {
            const again = await fetch(`${proxy.url}${spelling}`);
            assert.equal(again.status, 200, `after a restart: ${spelling}`);
            assert.equal(again.headers.get('x-offgrid-cache'), 'hit', spelling);
            assert.ok(Buffer.from(await again.arrayBuffer()).equals(ctx.dist(filename).bytes));
          }
        }
        if (shape.pip) {
          const dest = await mkdtemp(join(work, 'dest-'));
          const run = await runPip(['download', '--isolated', '--no-cache-dir', '--no-deps', '-d', dest, '--index-url', `${proxy.url}/pypi/simple/`, shape.pip.requirement], { cwd: work });
          assert.equal(run.code, 0, run.output);
          assert.deepEqual(await readdir(dest), [shape.pip.file], run.output);
          assert.ok((await readFile(join(dest, shape.pip.file))).equals(ctx.dist(shape.pip.file).bytes));
          assert.ok(!run.output.includes(SECRET), run.output);
        }
        const everything = [...logs, JSON.stringify(events)].join('\n');
        assert.ok(!everything.includes(SECRET), 'the upstream password leaked into a log or the ledger');
      } finally {
        await proxy.close();
      }
    });
  }
});

/** Checks the page and every file through the proxy; returns each file's proxy path. */
async function checkShape(proxy: RunningProxy, shape: Shape, expected: readonly Expected[], ctx: ShapeContext): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  const pageUrl = `${proxy.url}/pypi/simple/${shape.project}/`;
  const htmlResponse = await fetch(pageUrl, { headers: { accept: 'text/html' } });
  assert.equal(htmlResponse.status, 200);
  const html = await htmlResponse.text();
  assert.ok(!html.includes(SECRET), html);
  const page = parseHtmlProjectPage(html, pageUrl, shape.project);
  assert.deepEqual(page.files.map((f) => f.filename).sort(), expected.map((e) => e.filename).sort(), html);

  const jsonResponse = await fetch(pageUrl, { headers: { accept: JSON_TYPE } });
  const jsonText = await jsonResponse.text();
  assert.ok(!jsonText.includes(SECRET), jsonText);
  const json = JSON.parse(jsonText) as { files: { filename: string; url: string; hashes: Record<string, string>; 'requires-python'?: string; yanked?: boolean | string; 'core-metadata'?: unknown }[] };
  assert.deepEqual(json.files.map((f) => f.filename).sort(), expected.map((e) => e.filename).sort());

  for (const want of expected) {
    const file = page.files.find((f) => f.filename === want.filename)!;
    const entry = json.files.find((f) => f.filename === want.filename)!;
    const bytes = ctx.dist(want.filename).bytes;
    assert.ok(new URL(file.url).host === new URL(proxy.url).host, `${want.filename} links to ${file.url}, not through offgrid`);
    if (want.hash) {
      assert.deepEqual(file.hashes, { [want.hash]: ctx.hex(want.filename, want.hash) }, `${want.filename} hash`);
      assert.deepEqual(entry.hashes, { [want.hash]: ctx.hex(want.filename, want.hash) });
    } else {
      assert.deepEqual(file.hashes, {});
    }
    assert.equal(file.requiresPython, want.requiresPython ?? null, `${want.filename} requires-python`);
    assert.equal(entry['requires-python'], want.requiresPython);
    // The HTML page says '' (an empty JSON reason) as pip reads it: not yanked.
    assert.equal(file.yanked, want.yanked === '' ? false : (want.yanked ?? false), `${want.filename} yanked`);
    assert.equal(entry.yanked, want.yanked);
    if (want.metadata) {
      const sha = ctx.metadataSha256(want.filename);
      const declared = want.metadata === 'unhashed' ? true : { sha256: sha };
      assert.deepEqual(file.coreMetadata, declared);
      assert.deepEqual(entry['core-metadata'], declared);
      const meta = await fetch(new URL(`${new URL(file.url).pathname}.metadata`, proxy.url));
      assert.equal(meta.status, 200, `${want.filename}.metadata`);
      assert.equal(createHash('sha256').update(Buffer.from(await meta.arrayBuffer())).digest('hex'), sha);
    } else {
      assert.equal(file.coreMetadata, false, `${want.filename} metadata`);
    }
    for (const href of [file.url, new URL(entry.url, pageUrl).href]) {
      const got = await fetch(href);
      assert.equal(got.status, 200, `${want.filename} through ${href}: ${got.status} ${await got.clone().text().catch(() => '')}`);
      assert.ok(Buffer.from(await got.arrayBuffer()).equals(bytes), `${want.filename}: wrong bytes`);
    }
    paths.set(want.filename, new URL(file.url).pathname);
    if (want.filename.includes('+')) {
      // pip asks for `%2B`, uv for `+`: both are the one file, stored once.
      for (const spelling of [file.url.replace(/\+/g, '%2B'), file.url.replace(/%2B/gi, '+')]) {
        const again = await fetch(spelling);
        assert.equal(again.status, 200, spelling);
        assert.equal(again.headers.get('x-offgrid-cache'), 'hit', spelling);
        assert.ok(Buffer.from(await again.arrayBuffer()).equals(bytes));
      }
    }
  }
  return paths;
}
