// A real npm registry on 127.0.0.1 for tests: packuments (full and abbreviated) and real
// package tarballs (gzip'd ustar with `package/package.json`, what `npm pack` writes),
// with correct `dist.integrity` (sha512) and `dist.shasum` (sha1). Counts requests per
// path, can be stopped and restarted on the same port.
import { restartable } from './restartable-server.js';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';

export interface NpmPackageSpec {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
}

/**
 * A small tree with a scoped package and a range to resolve: top-level@3.1.0 →
 * @acme/core@2.0.0 → left-part@^1.0.0 (1.0.0 and 1.2.0 exist; npm picks 1.2.0).
 */
export const ACME_TREE: readonly NpmPackageSpec[] = [
  { name: 'left-part', version: '1.0.0' },
  { name: 'left-part', version: '1.2.0' },
  { name: '@acme/core', version: '2.0.0', dependencies: { 'left-part': '^1.0.0' } },
  { name: 'top-level', version: '3.1.0', dependencies: { '@acme/core': '^2.0.0' } },
];

export interface BuiltTarball {
  readonly spec: NpmPackageSpec;
  /** Path on the registry: `/<name>/-/<basename>-<version>.tgz`. */
  readonly path: string;
  readonly bytes: Buffer;
  readonly integrity: string;
  readonly shasum: string;
}

export interface NpmRegistry {
  readonly url: string;
  readonly port: number;
  readonly requests: Map<string, number>;
  readonly tarballs: ReadonlyMap<string, BuiltTarball>;
  /** Requests for tarballs. */
  tarballRequests(): number;
  /** Requests for `/objects/…` (where redirected tarballs land). */
  storageRequests(): number;
  close(): Promise<void>;
  restart(): Promise<void>;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(size, 12), 124);
  header.write(octal(499162500, 12), 136); // npm pack's fixed mtime (1985-10-26)
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return header;
}

/** A gzip'd ustar archive of `files` under `package/`. */
export function packTarball(files: Readonly<Record<string, string>>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    parts.push(tarHeader(`package/${name}`, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

function build(spec: NpmPackageSpec): BuiltTarball {
  const pkg = { name: spec.name, version: spec.version, main: 'index.js', license: 'MIT', dependencies: spec.dependencies ?? {} };
  const bytes = packTarball({
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    'index.js': `module.exports = ${JSON.stringify(`${spec.name}@${spec.version}`)};\n`,
  });
  const basename = spec.name.split('/').pop()!;
  return {
    spec,
    path: `/${spec.name}/-/${basename}-${spec.version}.tgz`,
    bytes,
    integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
    shasum: createHash('sha1').update(bytes).digest('hex'),
  };
}

export interface NpmRegistryOptions {
  /**
   * Where a tarball is served (default `/<name>/-/<basename>-<version>.tgz`). GitHub
   * Packages, for one, serves them at `/download/<name>/<version>/<digest>`.
   */
  readonly tarballPath?: (spec: NpmPackageSpec, shasum: string) => string;
  /** Answer tarball requests with a 302 to `/objects/<shasum>` (GitHub Packages sends downloads on to its storage). */
  readonly redirectTarballs?: boolean;
  /** Where redirected tarballs go (another host: object storage); default this registry. */
  readonly redirectBase?: () => string;
  /** Answer 400 to a request with an Authorization (presigned storage URLs refuse a second credential). */
  readonly refuseAuthorization?: boolean;
  /** Answer 401 to every request without exactly this Authorization (a private registry). */
  readonly authorization?: string;
  /**
   * The registry's path prefix (`/artifactory/api/npm/npm-remote`, `/repository/npm-group`,
   * `/api/v4/projects/7/packages/npm`): packuments and tarballs live under it.
   */
  readonly prefix?: string;
  /**
   * Route packuments on the raw path as npm sends it (`@scope%2fname`, lowercase, or
   * `@scope/name`), as registries that match their routes before decoding do.
   */
  readonly rawPaths?: boolean;
  /** The base of tarball URLs in packuments (a CDN on another host); default this registry. */
  readonly tarballBase?: () => string;
  /** Rewrites each version's `dist` (drop `integrity`, add `signatures`, a query string…). */
  readonly dist?: (dist: Record<string, unknown>, built: BuiltTarball) => Record<string, unknown>;
  /** Adds to each full packument (`deprecated`, `_attachments`, a long `time`…). */
  readonly full?: (doc: Record<string, unknown>) => Record<string, unknown>;
  /** Answer the abbreviated Accept with the full document, as `application/json`. */
  readonly ignoreAccept?: boolean;
  /** Send packuments gzip'd whatever the request's Accept-Encoding (a CDN that ignores it). */
  readonly gzipPackuments?: boolean;
  /** Start each packument with a UTF-8 byte-order mark (as text written by Windows tools). */
  readonly bomPackuments?: boolean;
  /** The tarballs' Cache-Control (default `public, max-age=31536000`). */
  readonly tarballCacheControl?: string;
  /** `name@version`s whose served bytes are not the ones their integrity declares. */
  readonly corrupt?: ReadonlySet<string>;
}

export async function startNpmRegistry(packages: readonly NpmPackageSpec[], options: NpmRegistryOptions = {}): Promise<NpmRegistry> {
  const tarballs = new Map<string, BuiltTarball>();
  const byName = new Map<string, BuiltTarball[]>();
  for (const spec of packages) {
    const standard = build(spec);
    const built = options.tarballPath ? { ...standard, path: options.tarballPath(spec, standard.shasum) } : standard;
    tarballs.set(decodeURIComponent(built.path), built); // requests are matched decoded
    byName.set(spec.name, [...(byName.get(spec.name) ?? []), built]);
  }
  const requests = new Map<string, number>();
  let base = '';
  const prefix = options.prefix ?? '';

  const packument = (name: string, abbreviated: boolean): object => {
    const list = byName.get(name)!;
    const latest = list[list.length - 1]!.spec.version;
    const versions = Object.fromEntries(
      list.map((t) => {
        const plain = { tarball: `${options.tarballBase?.() ?? base}${prefix}${t.path}`, integrity: t.integrity, shasum: t.shasum };
        const dist = options.dist ? options.dist(plain, t) : plain;
        const deps = t.spec.dependencies ?? {};
        return [t.spec.version, abbreviated ? { name, version: t.spec.version, dependencies: deps, dist } : { name, version: t.spec.version, main: 'index.js', license: 'MIT', dependencies: deps, _id: `${name}@${t.spec.version}`, dist }];
      }),
    );
    if (abbreviated) return { name, modified: '2026-01-01T00:00:00.000Z', 'dist-tags': { latest }, versions };
    const doc = { _id: name, name, 'dist-tags': { latest }, versions, time: { modified: '2026-01-01T00:00:00.000Z' } };
    return options.full ? options.full(doc) : doc;
  };

  const server: Server = createServer((req, res) => {
    const rawFull = new URL(req.url ?? '/', 'http://x').pathname;
    const fullPath = decodeURIComponent(rawFull);
    requests.set(fullPath, (requests.get(fullPath) ?? 0) + 1);
    if (!fullPath.startsWith(`${prefix}/`)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
      return;
    }
    const path = fullPath.slice(prefix.length);
    const raw = rawFull.slice(prefix.length);
    if (options.refuseAuthorization && req.headers.authorization !== undefined) {
      res.writeHead(400, { 'content-type': 'application/xml' }).end('<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>');
      return;
    }
    if (options.authorization !== undefined && req.headers.authorization !== options.authorization) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end('{"error":"authentication required"}');
      return;
    }
    const tarball = tarballs.get(path) ?? (path.startsWith('/objects/') ? [...tarballs.values()].find((t) => path === `/objects/${t.shasum}`) : undefined);
    if (tarball && options.redirectTarballs && !path.startsWith('/objects/')) {
      res.writeHead(302, { location: `${options.redirectBase?.() ?? ''}${prefix}/objects/${tarball.shasum}?X-Amz-Signature=0123abcd` }).end();
      return;
    }
    if (tarball) {
      const bytes = options.corrupt?.has(`${tarball.spec.name}@${tarball.spec.version}`) ? Buffer.concat([tarball.bytes.subarray(0, -1), Buffer.from([tarball.bytes.at(-1)! ^ 1])]) : tarball.bytes;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length, 'cache-control': options.tarballCacheControl ?? 'public, max-age=31536000' });
      res.end(bytes);
      return;
    }
    const name = path.slice(1);
    const routed = !options.rawPaths || raw.slice(1) === name || raw.slice(1) === name.replace('/', '%2f');
    if (byName.has(name) && routed) {
      const abbreviated = !options.ignoreAccept && (req.headers.accept ?? '').includes('application/vnd.npm.install-v1+json');
      const body = Buffer.from(`${options.bomPackuments ? '\uFEFF' : ''}${JSON.stringify(packument(name, abbreviated))}`);
      const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
      const headers = { 'content-type': abbreviated ? 'application/vnd.npm.install-v1+json' : 'application/json', etag, 'cache-control': 'public, max-age=300' };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers).end();
        return;
      }
      const sent = options.gzipPackuments ? gzipSync(body) : body;
      res.writeHead(200, { ...headers, 'content-length': sent.length, ...(options.gzipPackuments ? { 'content-encoding': 'gzip' } : {}) });
      res.end(sent);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
  });
  const lifecycle = restartable(server);
  const port = await lifecycle.start();
  base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}/`,
    port,
    requests,
    tarballs,
    storageRequests: () => [...requests].reduce((sum, [path, n]) => (path.startsWith(`${prefix}/objects/`) ? sum + n : sum), 0),
    tarballRequests: () => [...requests].reduce((sum, [path, n]) => (tarballs.has(path.slice(prefix.length)) ? sum + n : sum), 0),
    close: lifecycle.close,
    restart: lifecycle.restart,
  };
}
