// Yarn 1 ("classic", the yarn of the node images) → events. At its default level it names
// no fetch; `--verbose` does: `verbose 1.2 Performing "GET" request to "URL".` before every
// request, and `Request "URL" finished with status code 200.` after a packument (a tarball,
// streamed to disk, gets no such line: its request is the only trace of it).
// Its failures:
//   info There appears to be trouble with your network connection. Retrying...   a failed try, no URL
//   error An unexpected error occurred: "https://h/x/-/x-1.0.tgz: ESOCKETTIMEDOUT".
//   error Error: https://h/x/-/x-1.0.tgz: ESOCKETTIMEDOUT                       (newer 1.22)
//   error An unexpected error occurred: "https://h/x/-/x-1.0.tgz: Request failed \"404 Not Found\"".
//   error https://h/x/-/x-1.0.tgz: Integrity check failed for "x" (computed integrity doesn't match our records, got "sha512-…")
// The tries without a URL are reported at the server of the URL that finally failed, else
// at the server last asked (`--verbose`), else at the end as an unknown host.
import { downloadEvent, errorEvent, networkAttemptEvent, type Attribution, type CaptureEvent, type DownloadEvent, type NetworkAttemptEvent } from '../events.js';
import { npmUrlRecord, parseNpmUrl } from './npm.js';
import { answeredOverNetwork } from './http-answer.js';
import { readingLinesStartingWith, type ToolParser } from './tool-parser.js';
import { urlOrigin } from './url-parts.js';

const TOOL = 'yarn';
const TROUBLE = 'info There appears to be trouble with your network connection. Retrying...';
const FAILED = /^error (?:An unexpected error occurred: "|Error: )?(https?:\/\/[^\s"]+?): (.+?)"?\.?$/;
/** Failures where the server answered (or sent bytes that were not the package): errors. */
const ANSWERED = /^(?:Not found$|Request failed |Integrity check failed |Extracting tar content )/;
/** An answer with an HTTP error status is also a failed try (http-answer.ts); bytes that were not the package are not. */
const HTTP_STATUS = /^(?:Not found$|Request failed )/;
const FINISHED = /^verbose [\d.]+ Request "(https?:\/\/[^"]+)" finished with status code (\d{3})\.$/;
const PERFORMING = /^verbose [\d.]+ Performing "GET" request to "(https?:\/\/[^"]+)"\.$/;
/** The registry's answer that a name does not exist (yarn asked, got a 404). */
const NOT_FOUND = 'error Couldn\'t find package "';
/** Bound on held tries and on requested tarballs awaiting the end (yarn retries each request a few times). */
const MAX_HELD = 1000;

export const createYarnParser = readingLinesStartingWith('iev', (emit, at) => new YarnParser(emit, at));

class YarnParser implements ToolParser {
  private readonly held: NetworkAttemptEvent[] = [];
  /** Tarballs requested (`--verbose`), by URL: downloads unless their URL finally fails. */
  private readonly tarballs = new Map<string, DownloadEvent>();
  /** The server of the latest request `--verbose` named. */
  private lastOrigin: string | null = null;

  constructor(
    private readonly emit: (event: CaptureEvent) => void,
    private readonly at: Attribution,
  ) {}

  line(text: string): void {
    switch (text.charCodeAt(0)) {
      case 105: // i
        if (text === TROUBLE) this.trouble();
        return;
      case 101: // e
        if (text.startsWith(NOT_FOUND)) this.emit(errorEvent({ ...this.base(), message: text.slice(6) }));
        else if (text.startsWith('error ')) this.failed(text);
        return;
      case 118: // v
        if (text.startsWith('verbose ')) this.verbose(text);
        return;
      default:
        return;
    }
  }

  end(): void {
    for (const event of this.held.splice(0)) this.emit(this.lastOrigin === null ? event : { ...event, url_or_host: this.lastOrigin });
    for (const event of this.tarballs.values()) this.emit(event);
    this.tarballs.clear();
    this.lastOrigin = null;
  }

  private base() {
    return { tool: TOOL, service: this.at.service, step: this.at.step, timestamp: null };
  }

  private trouble(): void {
    if (this.held.length >= MAX_HELD) this.held.shift();
    this.held.push(networkAttemptEvent({ ...this.base(), url_or_host: 'unknown host', error: 'network connection trouble, retrying' }));
  }

  private failed(text: string): void {
    const m = FAILED.exec(text);
    if (m === null) return;
    const url = m[1] ?? '';
    this.tarballs.delete(url);
    for (const event of this.held.splice(0)) this.emit({ ...event, url_or_host: urlOrigin(url) ?? url });
    const reason = (m[2] ?? '').replaceAll('\\"', '"').trim();
    const answered = ANSWERED.test(reason);
    if (answered) this.emit(errorEvent({ ...this.base(), message: `${url}: ${reason}` }));
    if (!answered || (HTTP_STATUS.test(reason) && answeredOverNetwork(url))) this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error: reason }));
  }

  private verbose(text: string): void {
    const performing = PERFORMING.exec(text);
    if (performing !== null) {
      this.requested(performing[1] ?? '');
      return;
    }
    const m = FINISHED.exec(text);
    if (m === null) return;
    const status = Number(m[2]);
    if (status < 200 || status > 399) return;
    const url = m[1] ?? '';
    const info = parseNpmUrl(url);
    // The registry's own endpoints (`yarn audit` posts to `/-/npm/v1/security/audits`) are no packages.
    if (!info.tarball && info.name === null) return;
    this.emit(this.download(url, status === 304, !info.tarball));
  }

  private requested(url: string): void {
    this.lastOrigin = urlOrigin(url) ?? url;
    if (!parseNpmUrl(url).tarball || this.tarballs.has(url)) return;
    if (this.tarballs.size >= MAX_HELD) {
      const oldest = this.tarballs.entries().next().value;
      if (oldest !== undefined) {
        this.tarballs.delete(oldest[0]);
        this.emit(oldest[1]);
      }
    }
    this.tarballs.set(url, this.download(url, false, false));
  }

  private download(url: string, cached: boolean, index: boolean): DownloadEvent {
    return downloadEvent({ ...this.base(), kind: 'npm', cached, ...npmUrlRecord(url), index });
  }
}

