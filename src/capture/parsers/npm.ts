// npm output at `--loglevel http` (or verbose/silly) → events. Each registry request is a
// `npm http fetch GET STATUS URL TIME (cache …)` line; a tarball npm takes from its own
// cache without a request is `npm http cache NAME@URL 0ms (cache hit)`, a packument npm 10+
// takes from it `npm http cache URL 15ms (cache hit)`. npm also prints that second form just
// before fetching a tarball it does not have, so such a line only counts if no fetch of the
// same URL follows before the stream ends. The registry's own endpoints (`/-/npm/v1/security/…`
// that `npm audit` posts to, `/-/v1/search`) are no packages.
import { downloadEvent, errorEvent, networkAttemptEvent, type Attribution, type CaptureEvent } from '../events.js';
import { errorHost, fetchError } from './node-errors.js';
import { answeredOverNetwork } from './http-answer.js';
import { readingLinesStartingWith, type ToolParser } from './tool-parser.js';
import { isDigit } from './char-codes.js';

const TOOL = 'npm';
const MAX_PENDING = 4096;

export interface NpmUrlInfo {
  readonly name: string | null;
  readonly version: string | null;
  readonly tarball: boolean;
}

/** A registry URL's part of a download record: packument (index) or tarball, package, version, file name. */
export function npmUrlRecord(url: string): { index: boolean; name: string | null; version: string | null; filename: string | null; source: string } {
  const info = parseNpmUrl(url);
  return { index: !info.tarball, name: info.name, version: info.version, filename: info.tarball ? filenameOf(url) : null, source: url };
}

/** Package name and version from a registry URL: `/@scope/name/-/name-1.2.3.tgz`, `/@scope%2fname`. */
export function parseNpmUrl(url: string): NpmUrlInfo {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return { name: null, version: null, tarball: false };
  }
  const dash = path.indexOf('/-/');
  if (dash !== -1 && path.endsWith('.tgz')) {
    const name = decode(path.slice(1, dash));
    const file = path.slice(dash + 3);
    const bare = name.slice(name.lastIndexOf('/') + 1);
    const version = file.startsWith(`${bare}-`) ? file.slice(bare.length + 1, -4) : null;
    return { name: lastPackageName(name), version, tarball: true };
  }
  if (dash !== -1 || path.startsWith('/-/')) return { name: null, version: null, tarball: false };
  const name = decode(path.slice(1));
  return { name: name === '' ? null : lastPackageName(name), version: null, tarball: false };
}

/** Registries may sit under a path prefix (`/npm/…`): keep the last `name` or `@scope/name`. */
function lastPackageName(path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  const last = parts[parts.length - 1] ?? '';
  const before = parts[parts.length - 2];
  return before !== undefined && before.startsWith('@') ? `${before}/${last}` : last;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// npm-registry-fetch writes `METHOD STATUS URL TIMEms`, then ` attempt #N` after retries,
// then the cache state: ` (cache hit|miss|revalidated|stale|updated)` from npm 7 on,
// ` (from cache)` in npm 6.
const FETCH_RE = /^(GET|HEAD|POST|PUT) (\d{3}) (\S+) (\d+)ms(?: attempt #\d+)?(?: \((cache [a-z]+|from cache)\))?/;
const ATTEMPT_RE = /^(GET|HEAD|POST|PUT) (\S+) attempt \d+ failed with (\S+)/;
const CACHE_RE = /^(?:(\S+?)@)?(https?:\/\/\S+) (\d+)ms \((cache [a-z]+)\)/;
/** npm 7+: a response cut off mid-body (`network Invalid response body while trying to fetch URL: aborted`). */
const BODY_FAILED_RE = /^Invalid response body while trying to fetch (\S+?): (.*)$/;
/** npm ≤ 10's ETIMEDOUT/ERR_SOCKET_TIMEOUT: `network timeout at: URL` (also after `warn audit`). */
const TIMEOUT_AT_RE = /^timeout at: (\S+)$/;
/** The registry's answer: `404 Not Found - GET URL - Not found`, npm 7+'s `403 403 Forbidden - GET URL`. */
const HTTP_ERROR_RE = /^(\d{3}) (?:\d{3} )?([A-Z][\w ]*?) - (?:GET|HEAD|POST|PUT|DELETE) (\S+)/;
/** `tarball data for NAME@URL (INTEGRITY) seems to be corrupted. Trying again.` (npm 7+ names the URL). */
const CORRUPT_RE = /^tarball tarball data for \S+?@(https?:\/\/\S+) \(\S*\) seems to be corrupted/;

/** Cache states in which the body came from npm's cache, not the network. */
function servedFromCache(state: string | undefined): boolean {
  return state === 'cache hit' || state === 'cache revalidated' || state === 'cache stale' || state === 'from cache';
}

// `npm …` on the console, `16 http fetch …` in the debug log, npm 5's headless `http fetch …`.
export const createNpmParser = readingLinesStartingWith('hn0123456789', (emit, at) => new NpmParser(emit, at));

class NpmParser implements ToolParser {
  private readonly pendingCacheHits = new Map<string, { name: string; ms: number }>();
  /** URLs whose failure an `attempt N failed` line already reported. */
  private readonly failedUrls = new Set<string>();
  /** npm ≤ 5: the URL of `npm ERR! fetch failed URL`, awaiting the reason on the next line. */
  private fetchFailed: string | null = null;
  /** The latest `error code X`: the reason of a failure npm printed without one. */
  private code: string | null = null;
  /** After `error code X`, npm's first `error network …` line says what failed; the rest is advice. */
  private networkMessageDue = false;
  /** Whether any failed try was reported, so that a final failure without a URL adds nothing. */
  private sawAttempt = false;

  constructor(
    private readonly emit: (event: CaptureEvent) => void,
    private readonly at: Attribution,
  ) {}

  line(text: string): void {
    const first = text.charCodeAt(0);
    if (first === 110) {
      if (text.startsWith('npm ')) this.message(text.slice(4));
    } else if (first === 104) {
      // npm 5 prints the tarball fetches of its extract step without the `npm ` heading
      // (`http fetch GET 200 URL 187ms`) while its packument fetches keep it.
      if (text.startsWith('http fetch ')) this.message(text);
    } else if (first >= 48 && first <= 57) {
      // npm's debug log (`_logs/…-debug-0.log`, npm 6's npm-debug.log) numbers its lines
      // instead: `16 http fetch GET 200 URL 76ms (cache miss)`, `26 error code ECONNREFUSED`.
      // It holds every level whatever the console showed, so every fetch is there.
      let i = 1;
      while (i < 12 && isDigit(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) === 32 && DEBUG_LOG_LEVELS.some((level) => text.startsWith(level, i + 1))) this.message(text.slice(i + 1));
    }
  }

  /** A message after npm's `npm ` (console) or line number (debug log). */
  private message(rest: string): void {
    // npm 10 and the debug log write `warn`, older consoles `WARN`.
    const warn = rest.startsWith('WARN ') || rest.startsWith('warn ');
    const retryReason = warn && rest.startsWith(OLD_RETRY, 5) ? rest.slice(5 + OLD_RETRY.length) : null;
    if (this.fetchFailed !== null) this.oldFetchFailed(retryReason);
    if (retryReason !== null) return;
    if (rest.startsWith('http fetch ')) this.fetch(rest.slice(11));
    else if (rest.startsWith('http cache ')) this.cacheLine(rest.slice(11));
    else if (rest.startsWith('error ')) this.error(rest.slice(6));
    else if (rest.startsWith('ERR! ')) this.error(rest.slice(5));
    else if (warn && rest.includes(' failed, reason:')) this.requestFailed(rest);
    else if (warn && rest.startsWith('audit network ', 5)) this.networkMessage(rest.slice(19));
    else if (warn) this.corrupted(rest.slice(5));
  }

  end(): void {
    if (this.fetchFailed !== null) this.oldFetchFailed(null);
    for (const [url, hit] of this.pendingCacheHits) {
      const record = npmUrlRecord(url);
      this.emit(
        downloadEvent({
          ...this.base(),
          kind: 'npm',
          cached: true,
          ...record,
          name: record.name ?? hit.name,
          duration_ms: hit.ms,
        }),
      );
    }
    this.pendingCacheHits.clear();
    this.failedUrls.clear();
    this.code = null;
    this.networkMessageDue = false;
    this.sawAttempt = false;
  }

  private base() {
    return { tool: TOOL, service: this.at.service, step: this.at.step, timestamp: null };
  }

  private fetch(rest: string): void {
    const m = FETCH_RE.exec(rest);
    if (m === null) {
      const attempt = ATTEMPT_RE.exec(rest);
      if (attempt?.[2] !== undefined) {
        remember(this.failedUrls, attempt[2]);
        this.attempt(attempt[2], attempt[3] ?? 'failed');
      }
      return;
    }
    const status = Number(m[2]);
    const url = m[3] ?? '';
    // 4xx/5xx are not downloads; npm reports them as errors (`npm error 404 …`). A POST
    // (`npm audit`'s) sends, it fetches no package.
    if (status >= 400 || m[1] !== 'GET') return;
    const record = npmUrlRecord(url);
    if (record.index && record.name === null) return;
    this.pendingCacheHits.delete(url);
    this.emit(
      downloadEvent({
        ...this.base(),
        kind: 'npm',
        cached: servedFromCache(m[5]),
        ...record,
        duration_ms: Number(m[4]),
      }),
    );
  }

  private cacheLine(rest: string): void {
    const m = CACHE_RE.exec(rest);
    if (m === null || m[2] === undefined || !servedFromCache(m[4])) return;
    const info = parseNpmUrl(m[2]);
    if (!info.tarball && info.name === null) return;
    this.pendingCacheHits.set(m[2], { name: m[1] ?? '', ms: Number(m[3]) });
    if (this.pendingCacheHits.size > MAX_PENDING) {
      const oldest = this.pendingCacheHits.keys().next().value;
      if (oldest !== undefined) this.pendingCacheHits.delete(oldest);
    }
  }

  private error(rest: string): void {
    // A failed install script's output (node-gyp's `gyp http …`, `gyp ERR! …`) is not npm's.
    if (rest.startsWith('gyp ')) return;
    // npm ≤ 5: `npm ERR! fetch failed URL` after each failed try, its reason on the next line.
    if (rest.startsWith('fetch failed http')) {
      this.fetchFailed = rest.slice(13).trim();
      return;
    }
    if (rest.startsWith('code ')) {
      this.code = rest.slice(5).trim();
      this.networkMessageDue = true;
      this.emit(errorEvent({ ...this.base(), message: `npm error ${rest}` }));
      return;
    }
    if (rest.startsWith('network ')) this.networkMessage(rest.slice(8));
    else if (HTTP_ERROR_RE.test(rest)) this.httpError(rest);
    else if (rest.includes(' failed, reason:')) this.requestFailed(rest);
    // npm ≤ 5 gave up with no `code` line (often after a failed request).
    else if (rest === 'cb() never called!') this.emit(errorEvent({ ...this.base(), message: `npm error ${rest}` }));
  }

  /**
   * `network request to URL failed, reason: …`; npm 7+'s `network Invalid response body while
   * trying to fetch URL: aborted`; or a failure without a URL (`network aborted`, npm ≤ 6's
   * `network connect ETIMEDOUT 1.2.3.4:443`), at the server it names if any.
   */
  private networkMessage(text: string): void {
    const first = this.networkMessageDue;
    this.networkMessageDue = false;
    if (this.requestFailed(text)) return;
    const message = text.trim();
    const timeout = TIMEOUT_AT_RE.exec(message);
    if (timeout?.[1] !== undefined) {
      this.finalFailure(timeout[1], 'network timeout');
      return;
    }
    const body = BODY_FAILED_RE.exec(message);
    if (body?.[1] !== undefined) {
      this.finalFailure(body[1], (body[2] ?? '').trim() || (this.code ?? 'failed'));
      return;
    }
    if (!first || this.sawAttempt || message === '') return;
    this.attempt(errorHost(message) ?? 'unknown host', message);
  }

  /** The registry answered with an HTTP error: an error and a failed try (http-answer.ts). */
  private httpError(rest: string): void {
    this.emit(errorEvent({ ...this.base(), message: `npm error ${rest}` }));
    const m = HTTP_ERROR_RE.exec(rest);
    if (m?.[3] !== undefined && answeredOverNetwork(m[3])) this.finalFailure(m[3], `${m[1]} ${m[2]}`);
  }

  /** npm 7+ names the tarball it fetched corrupt (it retries, then fails with EINTEGRITY). */
  private corrupted(rest: string): void {
    const url = CORRUPT_RE.exec(rest)?.[1];
    if (url !== undefined) this.attempt(url, 'tarball data corrupted (integrity check failed)');
  }

  /** A failure at `url` npm reports once it gave up, unless a failed try there was already reported. */
  private finalFailure(url: string, error: string): void {
    if (this.failedUrls.has(url)) return;
    remember(this.failedUrls, url);
    this.attempt(url, error);
  }

  private attempt(urlOrHost: string, error: string): void {
    this.sawAttempt = true;
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: urlOrHost, error }));
  }

  /** npm ≤ 5's failed try of `fetchFailed`, with the reason `npm WARN retry will retry, …` gave (none for the last). */
  private oldFetchFailed(reason: string | null): void {
    const url = this.fetchFailed ?? '';
    this.fetchFailed = null;
    remember(this.failedUrls, url);
    this.attempt(url, reason?.replace(/^Error: /, '') ?? 'fetch failed');
  }

  /**
   * `request to URL failed, reason: getaddrinfo ENOTFOUND host` (final, after any retries; npm 10
   * may leave the reason out, naming it only in `error code ETIMEDOUT`). False if `text` is not one.
   */
  private requestFailed(text: string): boolean {
    const failure = fetchError(text);
    if (failure !== null) this.finalFailure(failure.url, failure.reason || (this.code ?? 'failed'));
    return failure !== null;
  }
}

/** The debug log's levels that can hold what the console's `npm http`/`npm error`/`npm WARN` lines do. */
const DEBUG_LOG_LEVELS = ['http ', 'error ', 'warn '];
const OLD_RETRY = 'retry will retry, error on last attempt: ';

function filenameOf(url: string): string {
  const path = url.split(/[?#]/)[0] ?? url;
  return decode(path.slice(path.lastIndexOf('/') + 1));
}

function remember(set: Set<string>, value: string): void {
  if (set.size >= MAX_PENDING) set.clear();
  set.add(value);
}
