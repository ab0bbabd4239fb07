// Which hosts the forward proxy and CONNECT may reach. By default: the configured upstreams
// and the hosts of the machine's apt sources — so `apt-get` works through offgrid and the
// proxy is never an open relay for anything else.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BoundedMap } from '../../bounded-map.js';
import { bareHost } from './hosts.js';
import { execRunner, type CommandRunner, type UpstreamChoice } from './upstreams.js';

export interface AptSourcePaths {
  /** The one-line-format list (`/etc/apt/sources.list`). */
  readonly sourcesList: string;
  /** The directory of `*.list` (one-line) and `*.sources` (deb822) files. */
  readonly sourcesDir: string;
}

export const MACHINE_APT_SOURCES: AptSourcePaths = { sourcesList: '/etc/apt/sources.list', sourcesDir: '/etc/apt/sources.list.d' };

/**
 * `apt-config shell SL Dir::Etc::SourceList/f SP Dir::Etc::SourceParts/d` → where apt reads
 * its sources (null when apt printed neither). apt quotes each value for sh: '…', with a
 * quote inside written '\''.
 */
export function parseAptConfigShell(output: string): AptSourcePaths | null {
  const values = new Map<string, string>();
  for (const line of output.split(/\r?\n/)) {
    const match = /^(SL|SP)='(.*)'$/.exec(line.trim());
    if (match) values.set(match[1]!, match[2]!.replace(/'\\''/g, "'"));
  }
  const sourcesList = values.get('SL');
  const sourcesDir = values.get('SP');
  if (sourcesList === undefined && sourcesDir === undefined) return null;
  return { sourcesList: sourcesList ?? MACHINE_APT_SOURCES.sourcesList, sourcesDir: sourcesDir ?? MACHINE_APT_SOURCES.sourcesDir };
}

/**
 * Where this machine's apt reads its sources, as apt resolves them (APT_CONFIG, apt.conf.d,
 * `Dir`, `Dir::Etc::SourceList`/`SourceParts`); the usual paths when apt-config cannot run.
 */
export async function machineAptSources(runner: CommandRunner = execRunner): Promise<AptSourcePaths> {
  const result = await runner('apt-config', ['shell', 'SL', 'Dir::Etc::SourceList/f', 'SP', 'Dir::Etc::SourceParts/d']);
  return (result.code === 0 ? parseAptConfigShell(result.stdout) : null) ?? MACHINE_APT_SOURCES;
}

/** URIs of `deb`/`deb-src` lines: `deb [arch=amd64 signed-by=...] URI suite component...`. */
export function parseOneLineSources(text: string): string[] {
  const uris: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!/^deb(-src)?\s/.test(line)) continue;
    // Options in brackets may contain spaces (`[ arch=amd64 ]`); drop them first.
    const rest = line.replace(/^deb(-src)?\s+/, '').replace(/^\[[^\]]*\]\s*/, '');
    // apt's ParseQuoteWord: "…" and […] do not end a word, and the quotes are dropped
    // (`deb "file:/media/my disk/debian" ./`, `deb cdrom:[Debian GNU/Linux 12]/ bookworm main`).
    const uri = /^(?:"[^"]*"|\[[^\]]*\]|[^\s"[])+/.exec(rest)?.[0].replace(/"/g, '');
    if (uri) uris.push(uri);
  }
  return uris;
}

/**
 * The fields of each deb822 stanza, read the way apt reads `*.sources` (checked against
 * `apt-get update --print-uris` on apt 2.6): a line starting with a space or tab continues
 * the field above (`URIs:` on one line, one URI per folded line below), a line starting
 * with `#` is skipped even inside a fold, only an empty line ends a stanza, field names
 * are case-insensitive, and CRLF line ends are accepted.
 */
export function deb822Stanzas(text: string): Map<string, string>[] {
  const stanzas: Map<string, string>[] = [];
  let fields = new Map<string, string>();
  let last: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') {
      if (fields.size > 0) stanzas.push(fields);
      fields = new Map();
      last = null;
    } else if (line.startsWith('#')) {
      continue;
    } else if (/^[ \t]/.test(line)) {
      if (last !== null) fields.set(last, `${fields.get(last) ?? ''}\n${line.trim()}`);
    } else {
      const field = /^([^:\s]+):(.*)$/.exec(line);
      if (!field) continue;
      last = field[1]!.toLowerCase();
      fields.set(last, field[2]!.trim());
    }
  }
  if (fields.size > 0) stanzas.push(fields);
  return stanzas;
}

/** apt's StringToBool: `Enabled: no|false|off|without|disable|0` (any case) turns a stanza off. */
function aptFalse(value: string): boolean {
  return /^(no|false|off|without|disable|[+-]?0+|[+-]?0x0+)$/i.test(value.trim());
}

/** URIs of deb822 stanzas (`URIs: a b`, also folded over lines), skipping disabled stanzas. */
export function parseDeb822Sources(text: string): string[] {
  return deb822Stanzas(text).flatMap((fields) => {
    const enabled = fields.get('enabled');
    if (enabled !== undefined && aptFalse(enabled)) return [];
    return (fields.get('uris') ?? '').split(/\s+/).filter(Boolean);
  });
}

/**
 * The host of an apt URI (`http://h/debian`, `mirror+http://...`, `tor+https://...`, and
 * `mirror://h/list`, the older spelling of `mirror+http:`), or null for file:, cdrom: etc.
 */
export function hostOfSourceUri(uri: string): string | null {
  const plain = uri.replace(/^[a-z]+\+(?=https?:)/i, '').replace(/^mirror:/i, 'http:');
  try {
    const url = new URL(plain);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.hostname.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * The local mirror list a `mirror+file:` (or `mirror+copy:`) source names, or null. apt
 * fetches from the mirrors listed in that file, so their hosts belong on the allow-list.
 */
export function localMirrorListPath(uri: string): string | null {
  const match = /^mirror\+(?:file|copy):(.+)$/i.exec(uri);
  if (!match) return null;
  try {
    return fileURLToPath(new URL(`file:${match[1]!}`));
  } catch {
    return null;
  }
}

/** The mirror URIs of an apt mirror list: one a line, metadata after a tab, `#` lines skipped (apt-transport-mirror(1)). */
export function parseMirrorList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((uri) => uri.length > 0);
}

async function readIfPresent(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The names apt reads in sources.list.d (apt-pkg/contrib/fileutl.cc, checked on apt 2.6):
 * `*.list` and `*.sources` only (`x.list.disabled`, `x.list~` are ignored), and like
 * run-parts only letters, digits, `_`, `-`, `:` and `.`, not starting with a dot.
 */
export function aptReadsPart(name: string): boolean {
  return /\.(list|sources)$/.test(name) && /^[A-Za-z0-9_:-][A-Za-z0-9_:.-]*$/.test(name);
}

/** Every http(s) host named by the apt sources at `paths` (missing files are skipped). */
export async function aptSourceHosts(paths: AptSourcePaths = MACHINE_APT_SOURCES): Promise<string[]> {
  const uris: string[] = [];
  const main = await readIfPresent(paths.sourcesList);
  if (main) uris.push(...parseOneLineSources(main));
  let names: string[] = [];
  try {
    names = (await readdir(paths.sourcesDir)).sort();
  } catch {
    names = [];
  }
  for (const name of names) {
    if (!aptReadsPart(name)) continue;
    const text = await readIfPresent(join(paths.sourcesDir, name));
    if (!text) continue;
    uris.push(...(name.endsWith('.list') ? parseOneLineSources(text) : parseDeb822Sources(text)));
  }
  for (const uri of [...uris]) {
    const mirrorList = localMirrorListPath(uri);
    const text = mirrorList === null ? null : await readIfPresent(mirrorList);
    if (text) uris.push(...parseMirrorList(text));
  }
  const hosts = uris.map(hostOfSourceUri).filter((host): host is string => host !== null);
  return [...new Set(hosts)];
}

export interface AllowListOptions {
  /** The upstreams' URLs (PyPI indexes, the npm registry). */
  readonly upstreams: readonly URL[];
  /** Where to read apt sources (default: where apt-config says); null to skip them. */
  readonly aptSources?: AptSourcePaths | null;
  /** More hosts (`host` or `host:port`). */
  readonly extraHosts?: readonly string[];
}

/** The default allow-list: upstream hosts + apt source hosts + extras, lower-cased. */
export async function buildAllowList(options: AllowListOptions): Promise<Set<string>> {
  const hosts = new Set<string>();
  for (const url of options.upstreams) hosts.add(listedHost(url.hostname));
  if (options.aptSources !== null) for (const host of await aptSourceHosts(options.aptSources ?? (await machineAptSources()))) hosts.add(listedHost(host));
  for (const host of options.extraHosts ?? []) hosts.add(listedHost(host));
  return hosts;
}

/** The allow-list once the upstreams are known: `known`, the mirrors' upstreams, and where the tools fetch directly. */
export function withUpstreamHosts(known: ReadonlySet<string>, choice: Pick<UpstreamChoice, 'pypi' | 'npm' | 'direct'>): Set<string> {
  const hosts = new Set(known);
  for (const url of [...choice.pypi, ...(choice.npm ? [choice.npm] : []), ...choice.direct]) hosts.add(listedHost(url.hostname));
  return hosts;
}

/**
 * Hosts an allowed upstream sent a client on to with a redirect: an apt mirror redirector, a
 * release download whose file lives on a CDN. The client's next request goes there, so it may
 * (only hosts an allowed upstream named, by host and port, the most recent thousand).
 * Redirects inside a CONNECT tunnel cannot be seen: their targets need --allow-host.
 */
export class RedirectTargets {
  private readonly hosts = new BoundedMap<string, true>(1_000);
  private readonly pending = new Set<Promise<void>>();

  /** Notes where a redirect of an allowed upstream pointed (http and https targets only). */
  add(target: URL): void {
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return;
    this.hosts.set(redirectKey(target.hostname, target.port, target.protocol), true);
  }

  /**
   * Notes the targets `found` names once it settles (the mirrors of an apt mirror list still
   * being served): the client may ask the first of them before that, so `settled` waits.
   */
  addLater(found: Promise<readonly URL[]>): void {
    const adding: Promise<void> = found
      .then((targets) => targets.forEach((target) => this.add(target)), () => undefined)
      .finally(() => this.pending.delete(adding));
    this.pending.add(adding);
  }

  /** Resolves once every `addLater` so far has added its targets. */
  async settled(): Promise<void> {
    await Promise.all(this.pending);
  }

  allows(hostname: string, port: string | number, protocol: 'http:' | 'https:'): boolean {
    return this.hosts.get(redirectKey(hostname, port, protocol)) === true;
  }
}

function redirectKey(hostname: string, port: string | number, protocol: string): string {
  const given = String(port);
  return `${listedHost(hostname)}:${given === '' ? (protocol === 'https:' ? '443' : '80') : given}`;
}

/** What a refused client is told: why, and the flag that lets the host through. */
export function notAllowedMessage(hostPort: string): string {
  return (
    `offgrid: ${hostPort} is not on the proxy's allow-list (by default: the configured upstreams and the hosts in the machine's apt sources); ` +
    `to fetch from it through offgrid, pass --allow-host ${hostPort}`
  );
}

/** True when `hostname` (or `hostname:port`) is on the list. */
export function isHostAllowed(allowed: ReadonlySet<string>, hostname: string, port?: string | number): boolean {
  const host = listedHost(hostname);
  if (allowed.has(host)) return true;
  return port !== undefined && String(port) !== '' && allowed.has(`${host.includes(':') ? `[${host}]` : host}:${port}`);
}

/**
 * A host as the list keeps it: lower case, an IPv6 literal without brackets (a URL's
 * hostname has them, a CONNECT target's host not); `[v6]:port` stays as written.
 */
export function listedHost(host: string): string {
  return bareHost(host.toLowerCase());
}
