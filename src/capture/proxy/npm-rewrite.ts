// The npm registry API, pure: which package a mirror path names, and a packument with
// every `dist.tarball` pointing back at the proxy. `dist.integrity` and `dist.shasum` are
// kept as they are: npm checks the tarball against them itself.

export type NpmPath =
  | { readonly type: 'packument'; readonly name: string }
  | { readonly type: 'tarball'; readonly name: string; readonly file: string };

const SEGMENT = /^[A-Za-z0-9._~-][A-Za-z0-9._~-]{0,213}$/;
/**
 * A tarball file name: a package name's characters, and `+` for a SemVer build-metadata
 * version (`pkg-1.0.0+build.7.tgz`), which registries such as Verdaccio keep
 * (verdaccio/verdaccio#1399). No `/`, `%` or `..` can pass.
 */
const TARBALL_FILE = /^[A-Za-z0-9_~-][A-Za-z0-9._~+-]{0,213}$/;

function validName(name: string): boolean {
  const parts = name.split('/');
  if (parts.length === 1) return SEGMENT.test(name) && !name.startsWith('.');
  return parts.length === 2 && parts[0]!.startsWith('@') && SEGMENT.test(parts[0]!.slice(1)) && SEGMENT.test(parts[1]!) && !parts[1]!.startsWith('.');
}

/**
 * A tarball path: `<name>/-/<file>`, or as the registry that wrote a lockfile had it, under
 * that registry's own prefix (Nexus `/repository/npm-group/`, Artifactory `/artifactory/api/npm/npm-remote/`,
 * GitLab `/api/v4/projects/1/packages/npm/`, whose file part repeats the scope:
 * `@scope/pkg/-/@scope/pkg-1.0.0.tgz`). The shortest prefix wins, so a scope is kept.
 */
const TARBALL = /^(?:[^?#]*?\/)??((?:@[^/]+\/)?[^/@][^/]*)\/-\/(?:@[^/]+\/)?([^/]+\.tgz)$/;
const MAX_PATH = 2048;

/**
 * Parses `/npm/<name>`, `/npm/@scope%2fname`, `/npm/@scope/name` and the tarball paths
 * `/npm/<name>/-/<file>.tgz`. Tarball paths may also carry the path prefix of the registry
 * a lockfile was made with, under `/npm/` or at the root (`[/npm]/<prefix>/<name>/-/…`):
 * npm maps a lockfile's `resolved` URLs onto the configured registry
 * (`replace-registry-host`) keeping their whole path, and puts it under the registry's
 * path (npm 11) or at the root (older npm).
 */
export function parseNpmPath(rawPath: string): NpmPath | null {
  let path: string;
  try {
    path = decodeURIComponent(rawPath.split('?')[0] ?? '');
  } catch {
    return null;
  }
  if (path.length > MAX_PATH || !path.startsWith('/')) return null;
  const underMirror = path.startsWith('/npm/');
  const rest = underMirror ? path.slice(5) : path.slice(1);
  const tarball = TARBALL.exec(rest);
  if (tarball) {
    const name = tarball[1]!;
    return validName(name) && TARBALL_FILE.test(tarball[2]!) ? { type: 'tarball', name, file: tarball[2]! } : null;
  }
  if (!underMirror) return null;
  return validName(rest) ? { type: 'packument', name: rest } : null;
}

/**
 * The packument's path on a registry, byte for byte what npm asks for (npm-package-arg's
 * `escapedName`): a scoped name's `/` as a lowercase `%2f`. Registries that route on the
 * raw path (Nexus, Verdaccio's `@scope%2fname` route) know only that form.
 */
export function packumentPath(name: string): string {
  return name.startsWith('@') ? name.replace('/', '%2f') : name;
}

export interface TarballLink {
  readonly name: string;
  readonly version: string;
  readonly file: string;
  /** The upstream's tarball URL (as the packument says it). */
  readonly url: string;
  readonly integrity: string | null;
  readonly shasum: string | null;
}

/** The URL's file name, decoded; a `%2f`-encoded scope in it (`@scope%2fpkg-1.0.0.tgz`) is dropped like a `/` one. */
function lastSegment(url: string): string | null {
  try {
    const last = new URL(url).pathname.split('/').pop();
    return last ? decodeURIComponent(last).split('/').pop() || null : null;
  } catch {
    return null;
  }
}

/**
 * The file name a tarball gets under the proxy: the upstream's own when it is a `.tgz`,
 * else `<name>-<version>.tgz`. Some registries serve tarballs from URLs with no such name
 * (GitHub Packages: `…/download/@scope/name/1.2.3/<digest>`), and npm's registry paths
 * (`<name>/-/<file>.tgz`) need one. Only a name the route accepts back (parseNpmPath) is
 * given: a link the mirror itself would refuse is no link.
 */
function tarballFile(name: string, version: string, url: string): string | null {
  const last = lastSegment(url);
  if (last === null) return null;
  if (last.endsWith('.tgz') && TARBALL_FILE.test(last)) return last;
  const file = `${name.split('/').pop()}-${version}.tgz`;
  return TARBALL_FILE.test(file) ? file : null;
}

/** Every tarball a packument lists. */
export function tarballLinks(name: string, packument: unknown): TarballLink[] {
  const versions = (packument as { versions?: unknown } | null)?.versions;
  if (typeof versions !== 'object' || versions === null) return [];
  const links: TarballLink[] = [];
  for (const [version, manifest] of Object.entries(versions as Record<string, unknown>)) {
    const dist = (manifest as { dist?: Record<string, unknown> } | null)?.dist;
    if (!dist || typeof dist['tarball'] !== 'string') continue;
    const file = tarballFile(name, version, dist['tarball']);
    if (!file) continue;
    links.push({
      name,
      version,
      file,
      url: dist['tarball'],
      integrity: typeof dist['integrity'] === 'string' ? dist['integrity'] : null,
      shasum: typeof dist['shasum'] === 'string' ? dist['shasum'] : null,
    });
  }
  return links;
}

/** The proxy URL of a tarball: `<base>/npm/<name>/-/<file>`. */
export function proxyTarballUrl(base: string, name: string, file: string): string {
  return `${base}/npm/${name}/-/${encodeURIComponent(file)}`;
}

/** A copy of the packument with every `dist.tarball` rewritten to come back through the proxy. */
export function rewritePackument(name: string, packument: unknown, base: string): unknown {
  const doc = structuredClone(packument) as { versions?: Record<string, { dist?: Record<string, unknown> }> };
  for (const [version, manifest] of Object.entries(doc.versions ?? {})) {
    const dist = manifest?.dist;
    if (!dist || typeof dist['tarball'] !== 'string') continue;
    const file = tarballFile(name, version, dist['tarball']);
    if (file) dist['tarball'] = proxyTarballUrl(base, name, file);
  }
  return doc;
}

/** Subresource Integrity (`sha512-<base64> sha1-<base64>`): the strongest algorithm's digests. */
export function parseIntegrity(sri: string): { algorithm: 'sha512' | 'sha384' | 'sha256' | 'sha1'; digests: string[] } | null {
  const byAlgorithm = new Map<string, string[]>();
  for (const token of sri.trim().split(/\s+/)) {
    const match = /^(sha512|sha384|sha256|sha1)-([A-Za-z0-9+/]+={0,2})(?:\?.*)?$/.exec(token);
    if (match) byAlgorithm.set(match[1]!, [...(byAlgorithm.get(match[1]!) ?? []), match[2]!]);
  }
  for (const algorithm of ['sha512', 'sha384', 'sha256', 'sha1'] as const) {
    const digests = byAlgorithm.get(algorithm);
    if (digests) return { algorithm, digests };
  }
  return null;
}

/** The hex sha256 an integrity string declares, when it declares one (then the cache can check it while storing). */
export function sha256FromIntegrity(sri: string | null): string | null {
  if (!sri) return null;
  for (const token of sri.trim().split(/\s+/)) {
    const match = /^sha256-([A-Za-z0-9+/]{43}=)$/.exec(token);
    if (match) return Buffer.from(match[1]!, 'base64').toString('hex');
  }
  return null;
}

/** A base URL for links from a Host header, or null when it is not a plain host[:port]. */
export function baseFromHost(host: string | undefined): string | null {
  if (!host || !/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host)) return null;
  return `http://${host}`;
}
