// Alpine's apk (`apk add`, `apk update`; apk-tools 2) → events:
//   fetch https://h/alpine/v3.19/main/x86_64/APKINDEX.tar.gz          an index fetch begins
//   WARNING: fetching https://h/alpine/v3.20/main: Permission denied   …and failed (Alpine 3.19–3.22)
//   WARNING: updating and opening https://h/…/main: DNS lookup error  (Alpine 3.21+)
//   WARNING: Ignoring https://h/…/APKINDEX.tar.gz: temporary error …   (older)
//   ERROR: https://h/alpine/v3.16/main: temporary error …             (`apk update`, 2.x)
//   (1/4) Installing ca-certificates (20240226-r0)                     a package installed
//   ERROR: curl-8.5.0-r0: temporary error (try again later)           a package fetch failed
//   ERROR: unable to select packages: / unsatisfiable constraints:    the install failed
// apk prints nothing when a fetch succeeds, so an index fetch counts once apk's next line
// shows it did not fail. Every package installed counts as fetched: apk takes it from its
// repository whether or not this step fetched the index (a Dockerfile's `RUN apk update`
// fetches it a step earlier, a container may hold it already), and its output is the same for
// the rare exceptions (a local repository, a configured /etc/apk/cache).
import { downloadEvent, errorEvent, networkAttemptEvent, type Attribution, type CaptureEvent } from '../events.js';
import { readingLinesStartingWith, type ToolParser } from './tool-parser.js';
import { urlOrigin } from './url-parts.js';

const TOOL = 'apk';
/** `(1/4) Installing curl (8.5.0-r0)`, `(2/4) Upgrading musl (1.2.4-r1 -> 1.2.4-r2)`: apk's versions end in `-rN`. */
const INSTALLING = /^\(\d+\/\d+\) (?:Installing|Upgrading) (\S+) \(([^)\s]+-r\d+)(?: -> ([^)\s]+-r\d+))?\)/;
/** `https://h/…: reason` after `ERROR: `, `WARNING: Ignoring ` or `WARNING: fetching `. */
const URL_FAILURE = /^(https?:\/\/\S+?):? (.*)$/;

/**
 * apk's `ERROR:` lines, which are not pip's: a repository or package and its failure, or
 * the solver giving up. pip.ts leaves them to this parser.
 */
export const APK_ERROR = /^(?:unable to select packages:|unsatisfiable constraints:|https?:\/\/\S+: |[a-z0-9][\w.+-]*-\d[\w.+]*-r\d+: )/;

// The space: the problems apk lists, indented, under `ERROR: unable to select packages:`.
export const createApkParser = readingLinesStartingWith('f(EW ', (emit, at) => new ApkParser(emit, at));

/** Bound on the problems kept for one solver error (apk lists one or two per package asked for). */
const MAX_PROBLEMS = 50;
const MAX_PROBLEM_LENGTH = 500;

class ApkParser implements ToolParser {
  /** The index URL of the last `fetch` line, not yet known to have succeeded. */
  private fetching: string | null = null;
  /** The origin of a remote index this stream fetched: where a package that failed to download came from. */
  private remote: string | null = null;
  /** The origin of the last index apk tried to fetch. */
  private lastOrigin: string | null = null;
  /** Repositories whose failure was reported (apk follows one with `Ignoring …: No such file`). */
  private readonly failed = new Set<string>();
  /** The solver's `ERROR: unable to select packages:`, until the problems listed under it end. */
  private unsatisfied: { message: string; problems: string[] } | null = null;

  constructor(
    private readonly emit: (event: CaptureEvent) => void,
    private readonly at: Attribution,
  ) {}

  line(text: string): void {
    const first = text.charCodeAt(0);
    if (first === 32) {
      if (this.unsatisfied !== null) this.problem(text);
      return;
    }
    // f(etch), (, E(RROR), W(ARNING): the parser reads nothing else (see firstChars), so a
    // pending fetch is settled by apk's next line or the end of the stream.
    if (first !== 102 && first !== 40 && first !== 69 && first !== 87) return;
    this.settleUnsatisfied();
    if (first === 69 && text.startsWith('ERROR: ')) {
      this.error(text.slice(7));
      return;
    }
    if (first === 87 && text.startsWith('WARNING: ')) {
      const rest = text.slice(9);
      if (rest.startsWith('Ignoring ')) this.failure(rest.slice(9));
      else if (rest.startsWith('fetching ')) this.failure(rest.slice(9));
      else if (rest.startsWith('updating and opening ')) this.failure(rest.slice(21));
      else if (this.fetching !== null) this.fetched();
      return;
    }
    if (this.fetching !== null) this.fetched();
    if (first === 102 && text.startsWith('fetch http')) {
      const url = text.slice(6).trim();
      this.lastOrigin = urlOrigin(url);
      // A terminal paste can cut the line (`fetch http://h/alpine/v3.8/main/x`): that is no URL apk fetched.
      this.fetching = url.endsWith('/APKINDEX.tar.gz') ? url : null;
    } else if (first === 40) {
      const m = INSTALLING.exec(text);
      if (m !== null) this.installed(m[1] ?? '', m[3] ?? m[2] ?? '');
    }
  }

  end(): void {
    this.settleUnsatisfied();
    if (this.fetching !== null) this.fetched();
    this.remote = null;
    this.lastOrigin = null;
    this.failed.clear();
  }

  private base() {
    return { tool: TOOL, service: this.at.service, step: this.at.step, timestamp: null };
  }

  private fetched(): void {
    const url = this.fetching ?? '';
    this.fetching = null;
    this.remote ??= urlOrigin(url);
    this.emit(downloadEvent({ ...this.base(), kind: 'file', cached: false, index: true, source: url, filename: url.slice(url.lastIndexOf('/') + 1) }));
  }

  /** `https://h/alpine/v3.19/main: temporary error (try again later)` (a repository or its index). */
  private failure(rest: string): void {
    const m = URL_FAILURE.exec(rest);
    if (m === null) {
      // `Ignoring APKINDEX.167438ca.tar.gz: No such file or directory`: the local copy.
      if (this.fetching !== null) this.fetched();
      return;
    }
    const url = m[1] ?? '';
    const reason = (m[2] ?? '').trim();
    const repository = url.endsWith('/APKINDEX.tar.gz') ? url.slice(0, url.lastIndexOf('/', url.length - 17)) : url.replace(/\/$/, '');
    if (this.fetching !== null && this.fetching.startsWith(`${repository}/`)) this.fetching = null;
    else if (this.fetching !== null) this.fetched();
    // `ERROR: repo: temporary error` is followed by `WARNING: Ignoring repo: No such file or directory`.
    if (this.failed.has(repository) && reason === 'No such file or directory') return;
    if (this.failed.size < 1000) this.failed.add(repository);
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error: reason }));
  }

  private error(message: string): void {
    if (message.startsWith('http://') || message.startsWith('https://')) {
      this.failure(message);
      return;
    }
    if (this.fetching !== null) this.fetched();
    if (!APK_ERROR.test(message)) return;
    const colon = message.indexOf(': ');
    // `curl-8.5.0-r0: temporary error (try again later)`: the package's fetch from the repository failed.
    if (colon !== -1 && NETWORK_REASON.test(message.slice(colon + 2))) {
      this.emit(networkAttemptEvent({ ...this.base(), url_or_host: this.remote ?? this.lastOrigin ?? message.slice(0, colon), error: message.slice(colon + 2) }));
      return;
    }
    if (message.endsWith(':')) {
      // `unable to select packages:` names nothing; the packages follow, indented.
      this.unsatisfied = { message, problems: [] };
      return;
    }
    this.emit(errorEvent({ ...this.base(), message }));
  }

  /**
   * `  git (no such package):` starts a problem; `    breaks: world[curl~8.0]` details it
   * (`    required by: world[git]` only repeats what was asked for).
   */
  private problem(text: string): void {
    const problems = this.unsatisfied?.problems;
    if (problems === undefined) return;
    const line = text.trim().replace(/:$/, '');
    if (line === '' || line.startsWith('required by')) return;
    const last = problems[problems.length - 1];
    if (!text.startsWith('   ') || last === undefined) {
      if (problems.length < MAX_PROBLEMS) problems.push(line);
    } else if (last.length < MAX_PROBLEM_LENGTH) {
      problems[problems.length - 1] = `${last}: ${line}`;
    }
  }

  private settleUnsatisfied(): void {
    const pending = this.unsatisfied;
    if (pending === null) return;
    this.unsatisfied = null;
    const message = pending.problems.length === 0 ? pending.message : `${pending.message} ${pending.problems.join('; ')}`;
    this.emit(errorEvent({ ...this.base(), message }));
  }

  private installed(name: string, version: string): void {
    // apk names no package URL: only its repository's host is known.
    this.emit(downloadEvent({ ...this.base(), kind: 'file', cached: false, name, version, filename: `${name}-${version}.apk` }));
  }
}

const NETWORK_REASON = /temporary error|network error|DNS lookup error|connection refused|timed out|network unreachable/i;

