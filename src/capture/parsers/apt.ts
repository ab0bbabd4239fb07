// apt-get / apt output → events (apt 2's and apt 3's plans). `Get:` lines are fetches (index files or .debs), `Hit:`
// is an unchanged index, `Err:` + its indented reason a failed try. A .deb taken from
// apt's own archive cache prints no `Get:` line at all, so packages that were planned or
// unpacked without one are reported as cached when the stream ends — but only when apt
// showed its fetch phase (`Need to get 0 B/14.6 kB of archives.`, or `Get:`/`Err:` lines of
// .debs): `apt-get -qq` prints none of it, and then an unpacked package's source is unknown.
import { downloadEvent, errorEvent, networkAttemptEvent, type Attribution, type CaptureEvent, type DownloadEvent } from '../events.js';
import type { ToolParser, ToolParserFactory } from './tool-parser.js';
import { debFilename, PACKAGE_NAME, parseAptItem, type AptItem } from './apt-item.js';
import { isUncountedAptStatus, parseAptStatus, type AptStatus } from './apt-status.js';
import { parseAptArchives, type AptArchives } from './apt-archives.js';
import { urlOrigin } from './url-parts.js';

const TOOL = 'apt';
/** Bound on the packages remembered per stream (a full distribution upgrade is ~3000). */
const MAX_PACKAGES = 50_000;
/** Bound on the fetches held back (see hold): apt's item lines rarely run past a few thousand. */
const MAX_HELD = 10_000;

/** `.../03-libfoo_2%3a1.2-3_amd64.deb` or `/var/cache/apt/archives/libfoo_1.2-3_amd64.deb` (old dpkg wraps it in `(… )`). */
const UNPACK_ARCHIVE = /(?:^|\s|\()(?:\.\.\.|\/var\/cache\/apt\/archives)\/(?:\d+-)?([a-z0-9][a-z0-9+.-]+)_([^_\s/]+)_([a-z0-9-]+)\.deb\)?\s/;

interface Unpacked {
  version: string | null;
  arch: string | null;
}

export const createAptParser: ToolParserFactory = (emit, at) => new AptParser(emit, at);

class AptParser implements ToolParser {
  /** Packages named by `The following NEW packages …`/`… upgraded:` lists. */
  private readonly planned = new Set<string>();
  private readonly unpacked = new Map<string, Unpacked>();
  private readonly fetched = new Set<string>();
  private readonly failed = new Set<string>();
  /** `host\0reason` of failures already reported from `Err:` lines. */
  private readonly attempted = new Set<string>();
  /**
   * .debs whose `Err:N` line said why they failed, by `name_version` as their file is named:
   * apt prints their URL only in the `E: Failed to fetch URL` line at the end of the run.
   */
  private readonly failedDebs = new Map<string, { item: AptItem; reason: string }>();
  private inPlan = false;
  private pendingErr: AptItem | null = null;
  /** The fetch (`Get:N`) of the item whose `Err:N` reason is still to come. */
  private pendingErrFetch: CaptureEvent | null = null;
  /** Fetches by apt's item counter, not yet known to have succeeded (see hold). */
  private readonly held = new Map<string, CaptureEvent>();
  /** An `E:` line, or a .deb that failed to download: apt installs nothing of its plan. */
  private sawError = false;
  /** What apt's `Need to get … of archives.` line said, if it printed one. */
  private archives: AptArchives | null = null;
  /** A `Get:` or `Err:` line of a .deb: apt printed its fetch phase. */
  private sawDebFetch = false;
  /**
   * Index fetches from a repository printed as a bare host (`Get:3 http://h jessie Release.gpg`),
   * kept to the end: apt ≤ 1.0 prints every repository that way, and only a `W:`/`E:` line
   * of the log may show its path.
   */
  private readonly bareHostIndexes: DownloadEvent[] = [];
  /** Repository paths by origin, from the URLs of `Failed to fetch` lines (`http://h` → `/debian`). */
  private readonly repositoryPaths = new Map<string, string>();
  /** An uncounted `Hit URL`/`Ign URL` line: the log is apt ≤ 1.0's. */
  private sawUncounted = false;

  constructor(
    private readonly emit: (event: CaptureEvent) => void,
    private readonly at: Attribution,
  ) {}

  line(text: string): void {
    const first = text.charCodeAt(0);
    if (first === 32) {
      this.indented(text);
      return;
    }
    if (this.pendingErr !== null) this.errReason(this.pendingErr, '(no reason given)');
    const status = parseAptStatus(text);
    if (status !== null) {
      this.inPlan = false;
      this.status(status);
      return;
    }
    if (!this.sawUncounted && isUncountedAptStatus(text)) {
      this.sawUncounted = true;
      return;
    }
    // apt's item lines end with `Fetched …` and then other output: the fetches still held
    // can no longer fail (an empty line is not such an end: apt 1.0 separated its W: lines with them).
    if (text !== '') this.flushFetches();
    this.inPlan = false;
    const archives = parseAptArchives(text);
    if (archives !== null) {
      this.archives = archives;
      return;
    }
    // Many tools end lines with `...` (`Compiling 'x.py'...`): only one whose .deb ends it
    // (`.../x.deb ...`, `.../x.deb) ...`) can be dpkg's.
    const last = text.charCodeAt(text.length - 1);
    if ((last === 46 || last === 0x2026) && text.indexOf('.deb', text.length - 12) !== -1) this.preparing(text); // . or …
    switch (first) {
      case 69: // E
        if (text.startsWith('E: ')) this.warnOrError(text.slice(3), true);
        // apt 3 spells E: out; other tools print `Error: …` too, so only apt's own messages.
        else if (text.startsWith('Error: ') && APT3_ERRORS.some((start) => text.startsWith(start, 7))) this.warnOrError(text.slice(7), true);
        return;
      case 87: // W
        if (text.startsWith('W: Failed to fetch ')) this.warnOrError(text.slice(3), false);
        else if (text.startsWith('Warning: Failed to fetch ')) this.warnOrError(text.slice(9), false); // apt 3
        return;
      case 84: // T
        if (text.startsWith('The following ')) this.inPlan = isPlanHeader(text);
        return;
      case 73: // I (apt 3: `Installing:`, `Installing dependencies:`)
      case 68: // D (apt 3: `Downgrading:`)
      case 82: // R (apt 3: `Reinstalling:`)
        this.inPlan = APT3_PLAN_HEADERS.has(text.trimEnd());
        return;
      case 85: // U
        if (text.startsWith('Unpacking ')) this.unpacking(text.slice(10));
        else this.inPlan = APT3_PLAN_HEADERS.has(text.trimEnd()); // apt 3: `Upgrading:`
        return;
      default:
        return;
    }
  }

  private status(status: AptStatus): void {
    switch (status.kind) {
      case 'get':
        this.get(status, false);
        return;
      case 'hit':
        this.get(status, true);
        return;
      case 'err':
        this.pendingErrFetch = this.held.get(status.id) ?? null;
        this.dropFetch(status.id);
        this.err(status.rest);
        return;
      case 'ign':
        // `Get:3 …` then `Ign:3 …`: that fetch failed and apt went on without it.
        this.dropFetch(status.id);
        return;
    }
  }

  end(): void {
    if (this.pendingErr !== null) this.errReason(this.pendingErr, '(no reason given)');
    this.flushFetches();
    this.flushFailedDebs();
    this.emitBareHostIndexes();
    const cacheShown = this.archives === 'some-cached' || (this.archives === null && this.sawDebFetch);
    // A planned package with no Get: line is only known to be in the cache if it was
    // unpacked or nothing failed; one unpacked while apt hid its fetch phase (or said none
    // was cached) came from somewhere unknown, most likely the network.
    const candidates = new Set(this.unpacked.keys());
    if (!this.sawError && cacheShown) for (const name of this.planned) candidates.add(name);
    for (const name of candidates) {
      if (this.fetched.has(name) || this.failed.has(name)) continue;
      const info = this.unpacked.get(name);
      const version = info?.version ?? null;
      const arch = info?.arch ?? null;
      this.emit(
        downloadEvent({
          ...this.base(),
          kind: 'apt',
          cached: cacheShown,
          name,
          version,
          filename: version !== null && arch !== null ? debFilename(name, version, arch) : null,
        }),
      );
    }
    this.planned.clear();
    this.unpacked.clear();
    this.fetched.clear();
    this.failed.clear();
    this.attempted.clear();
    this.inPlan = false;
    this.sawError = false;
    this.archives = null;
    this.sawDebFetch = false;
    this.repositoryPaths.clear();
    this.sawUncounted = false;
  }

  /** apt ≥ 1.1 prints a repository's full URL, so a bare host is one at the server's root unless apt ≤ 1.0 or a W: line says otherwise. */
  private emitBareHostIndexes(): void {
    for (const event of this.bareHostIndexes) {
      const origin = urlOrigin(event.source ?? '') ?? '';
      const path = this.repositoryPaths.get(origin);
      const source = path !== undefined ? `${origin}${path}${(event.source ?? '').slice(origin.length)}` : this.sawUncounted ? null : event.source;
      this.emit({ ...event, source });
    }
    this.bareHostIndexes.length = 0;
  }

  private base() {
    return { tool: TOOL, service: this.at.service, step: this.at.step, timestamp: null };
  }

  private indented(text: string): void {
    if (this.pendingErr !== null) {
      this.errReason(this.pendingErr, text.trim());
      return;
    }
    const archives = text.charCodeAt(2) === 68 ? parseAptArchives(text.trim()) : null; // D: apt 3's `  Download size: …`
    if (archives !== null) {
      this.archives = archives;
      return;
    }
    if (!this.inPlan) return;
    for (const word of text.trim().split(/\s+/)) {
      // `apt -V` adds `(1.2-3)` or `(1.0 => 1.1)` after each name.
      if (word.startsWith('(') || word.endsWith(')') || word === '=>') continue;
      const name = stripArch(word);
      if (PACKAGE_NAME.test(name)) remember(this.planned, name);
    }
  }

  private get(status: AptStatus, hit: boolean): void {
    if (status.rest.startsWith('/')) {
      // `apt install ./x.deb` reads the file it was given: nothing is downloaded, and
      // its later `Preparing to unpack` is no cache hit.
      const name = status.rest.split(/\s+/)[1] ?? '';
      if (PACKAGE_NAME.test(name)) remember(this.fetched, name);
      this.sawDebFetch = true;
      return;
    }
    const item = parseAptItem(status.rest);
    if (item === null) return;
    if (item.deb === null) {
      this.hold(
        status.id,
        downloadEvent({
          ...this.base(),
          kind: 'apt',
          cached: hit,
          index: true,
          source: item.indexUrl,
          filename: item.indexUrl === null ? null : item.indexUrl.slice(item.indexUrl.lastIndexOf('/') + 1),
          size: item.size,
        }),
      );
      return;
    }
    const { name, version, arch } = item.deb;
    this.sawDebFetch = true;
    remember(this.fetched, name);
    this.hold(
      status.id,
      downloadEvent({
        ...this.base(),
        kind: 'apt',
        cached: hit,
        name,
        version,
        filename: arch === null ? null : debFilename(name, version, arch),
        source: item.base,
        size: item.size,
      }),
    );
  }

  /**
   * apt prints `Get:N` when a transfer starts (`Hit:N` when an index is unchanged); a hash
   * mismatch, a short file or a bad signature shows up later as `Err:N` (or `Ign:N`) for the
   * same N, after other items' lines. So each is held until apt's item lines end, in order,
   * and dropped if its N failed.
   */
  private hold(id: string, event: CaptureEvent): void {
    // apt retries an item under the same N: the earlier try did not fail, or it would say so.
    const earlier = this.held.get(id);
    if (earlier !== undefined) {
      this.release(earlier);
      this.held.delete(id);
    }
    this.held.set(id, event);
    if (this.held.size > MAX_HELD) this.flushFetches();
  }

  private dropFetch(id: string): void {
    this.held.delete(id);
  }

  private flushFetches(): void {
    if (this.held.size === 0) return; // most lines: no iterator made
    for (const event of this.held.values()) this.release(event);
    this.held.clear();
  }

  private release(event: CaptureEvent): void {
    if (event.type === 'download' && event.index && event.source !== null && isBareHost(event.source) && this.bareHostIndexes.length < MAX_HELD) {
      this.bareHostIndexes.push(event);
    } else {
      this.emit(event);
    }
  }

  private err(rest: string): void {
    const item = parseAptItem(rest);
    if (item === null) return;
    if (item.deb !== null) {
      // apt stops before dpkg when an archive cannot be fetched.
      remember(this.failed, item.deb.name);
      this.sawDebFetch = true;
      this.sawError = true;
    }
    this.pendingErr = item;
  }

  private errReason(item: AptItem, reason: string): void {
    this.pendingErr = null;
    const fetched = this.pendingErrFetch;
    this.pendingErrFetch = null;
    // apt fetched the file, then could not check its signature: a download, and no network failure.
    if (KEY_PROBLEM.test(reason)) {
      if (fetched !== null) this.release(fetched);
      return;
    }
    if (item.deb !== null && this.failedDebs.size < MAX_HELD) {
      this.failedDebs.set(debKey(item.deb.name, item.deb.version), { item, reason });
      return;
    }
    const url = item.indexUrl ?? item.base;
    remember(this.attempted, `${hostOf(url)}\0${reason}`);
    // apt 1.0 gives an InRelease it could not fetch no reason; the Release.gpg line after it has one.
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error: reason === '' ? 'failed to fetch (apt gave no reason)' : reason }));
  }

  /**
   * A .deb that failed with no `Failed to fetch` line for it (the run's end was not in the
   * log): its repository and file name, which is as close to its URL as apt's line comes.
   */
  private flushFailedDebs(): void {
    if (this.failedDebs.size === 0) return;
    for (const { item, reason } of this.failedDebs.values()) {
      const { name, version, arch } = item.deb ?? { name: '', version: '', arch: null };
      const file = arch === null ? `${name} ${version}` : debFilename(name, version, arch);
      this.emit(networkAttemptEvent({ ...this.base(), url_or_host: `${item.base} ${file}`, error: reason }));
    }
    this.failedDebs.clear();
  }

  /** `W:`/`E: Failed to fetch URL  REASON`, and other `E:` lines. */
  private warnOrError(message: string, isError: boolean): void {
    if (isError) {
      this.sawError = true;
      this.emit(errorEvent({ ...this.base(), message }));
    }
    if (!message.startsWith('Failed to fetch ')) {
      if (this.failedDebs.size > 0 && this.translatedFailedFetch(message)) return;
      // `E: Unable to fetch some archives` follows the run's last `Failed to fetch` line.
      if (isError) this.flushFailedDebs();
      return;
    }
    // apt puts two spaces between the URL and the reason; pastes often keep only one.
    const rest = message.slice(16).trim();
    const gap = rest.search(/\s/);
    const url = gap === -1 ? rest : rest.slice(0, gap);
    const reason = gap === -1 ? '' : rest.slice(gap).trim();
    if (url === '') return;
    this.rememberRepositoryPath(url);
    const deb = this.failedDebs.size === 0 ? undefined : this.failedDebFor(url);
    if (deb !== undefined) {
      this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error: deb.reason }));
      return;
    }
    // The Err: line before it already counted this try.
    if (this.attempted.has(`${hostOf(url)}\0${reason}`)) return;
    // apt 1.0 gives an InRelease it could not fetch no reason; the Release.gpg line after it has one.
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error: reason === '' ? 'failed to fetch (apt gave no reason)' : reason }));
  }

  /**
   * `Failed to fetch` in another language, whose words may come after the URL (`E: URL の取得に
   * 失敗しました  404 …`): the URL of a .deb an `Err:` line said failed, wherever it stands.
   * False if the line names none.
   */
  private translatedFailedFetch(message: string): boolean {
    let named = false;
    for (const m of message.matchAll(DEB_URL)) {
      const deb = this.failedDebFor(m[0]);
      if (deb === undefined) continue;
      named = true;
      this.rememberRepositoryPath(m[0]);
      this.emit(networkAttemptEvent({ ...this.base(), url_or_host: m[0], error: deb.reason }));
    }
    return named;
  }

  /** `http://h/debian/dists/…` or `…/debian/pool/…`: the repository at `h` is `/debian`. */
  private rememberRepositoryPath(url: string): void {
    const m = /^([a-z][a-z0-9+.-]*:\/\/[^/\s]+)(\/\S*?)?\/(?:dists|pool)\//.exec(url);
    if (m?.[1] !== undefined && this.repositoryPaths.size < MAX_HELD) this.repositoryPaths.set(m[1], m[2] ?? '');
  }

  /** The failure an `Err:` line reported for `…/pool/…/name_version_arch.deb`, taken off the list. */
  private failedDebFor(url: string): { item: AptItem; reason: string } | undefined {
    if (!url.endsWith('.deb')) return undefined;
    // apt escapes the file name in URLs: `2%3a1.2`, `3%2bb1`.
    const file = url.slice(url.lastIndexOf('/') + 1).replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    const key = file.slice(0, file.lastIndexOf('_'));
    const deb = this.failedDebs.get(key);
    this.failedDebs.delete(key);
    return deb;
  }

  /**
   * dpkg's `Preparing to unpack .../00-libfoo_1.2-3_amd64.deb ...` in whatever language it
   * speaks (`Vorbereitung zum Entpacken von .../x.deb ...`, `准备解压 .../x.deb  ...`): the
   * archive apt handed it.
   */
  private preparing(text: string): void {
    const m = UNPACK_ARCHIVE.exec(text);
    if (m === null || m[1] === undefined || m[2] === undefined || m[3] === undefined) return;
    this.unpack(m[1], m[2].replace(/%3a/gi, ':'), m[3]);
  }

  /** `libfoo:amd64 (1.2-3) ...` or `cowsay (3.03) over (3.03) ...` */
  private unpacking(rest: string): void {
    const m = /^(\S+) \(([^)\s]+)\)/.exec(rest);
    if (m === null || m[1] === undefined) return;
    const colon = m[1].indexOf(':');
    const name = colon === -1 ? m[1] : m[1].slice(0, colon);
    const arch = colon === -1 ? null : m[1].slice(colon + 1);
    if (PACKAGE_NAME.test(name)) this.unpack(name, m[2] ?? null, arch);
  }

  private unpack(name: string, version: string | null, arch: string | null): void {
    const known = this.unpacked.get(name);
    if (known !== undefined) {
      known.version ??= version;
      known.arch ??= arch;
      return;
    }
    if (this.unpacked.size < MAX_PACKAGES) this.unpacked.set(name, { version, arch });
  }
}

/**
 * GPG's status words for a signature made by a key apt does not have or no longer trusts
 * (the sentence around them is translated: `… NO_PUBKEY 9D6D8F6BC857C906`). A bad signature
 * (BADSIG) or none at all (NODATA) is left a failed try: a proxy or portal can cause both.
 */
const KEY_PROBLEM = /\b(?:NO_PUBKEY|EXPKEYSIG|KEYEXPIRED|REVKEYSIG)\b/;

/** A .deb's URL inside a sentence. */
const DEB_URL = /[a-z][a-z0-9+.-]*:\/\/\S+?\.deb(?=\s|$)/g;

/** `name_version`: the start of the .deb's file name, unescaped. */
function debKey(name: string, version: string): string {
  return `${name}_${version}`;
}

function remember(set: Set<string>, value: string): void {
  if (set.size < MAX_PACKAGES) set.add(value);
}

function stripArch(word: string): string {
  const colon = word.indexOf(':');
  return colon === -1 ? word : word.slice(0, colon);
}

/** `http://h/dists/jessie/Release.gpg` rebuilt on a base of `http://h`: its path is apt's own. */
function isBareHost(source: string): boolean {
  return source.startsWith('/dists/', (urlOrigin(source) ?? '').length);
}

function hostOf(url: string): string {
  const m = /^[a-z]+:\/\/([^/\s]+)/.exec(url);
  return m?.[1] ?? url;
}

/**
 * apt 3.0 (Debian 13) heads its plan with these instead of `The following …`; the package
 * names follow indented, several to a line. `Suggested packages:`, `Recommended packages:`,
 * `REMOVING:` and `Summary:` are not plans.
 */
/** apt's `E:` messages that apt 3 prints as `Error: …` and no other tool does. */
const APT3_ERRORS = ['Failed to fetch ', 'Unable to fetch some archives', 'Unable to locate package ', 'Some index files failed to download', "The repository '"];

const APT3_PLAN_HEADERS: ReadonlySet<string> = new Set(['Installing:', 'Installing dependencies:', 'Upgrading:', 'Downgrading:', 'Reinstalling:']);

function isPlanHeader(text: string): boolean {
  return (
    text.startsWith('The following NEW packages will be installed') ||
    text.startsWith('The following packages will be upgraded') ||
    text.startsWith('The following packages will be REINSTALLED') ||
    text.startsWith('The following packages will be DOWNGRADED') ||
    text.startsWith('The following additional packages will be installed')
  );
}
