// Yarn 2–4 ("berry") → events. Every line is a report: `➤ YN0013: │ message`, the code
// naming its kind, `│` (`┌`/`└` open and close a step, `·` in yarn 4's header) its place
// in the step tree. What a build engineer needs from it:
//   YN0013 │ lodash@npm:4.17.21 can't be found in the cache and will be fetched from the remote registry
//          (… from GitHub, … from the remote repository for git dependencies; … from the disk for a local patch)
//          a download (yarn 2–3 print it once or more per package not in the cache; yarn 4
//          prints only `N packages were added to the project (+ size)`, which names none)
//   YN0001 │ RequestError: getaddrinfo ENOTFOUND registry.example     a failed request, no URL
//   YN0035 │ pkg@npm:1.0.0: The remote server failed to provide the requested resource
//   YN0035 │   Response Code: 404 (Not Found)
//   YN0035 │   Request URL: https://registry.example/pkg                the registry's answer (YN0041: auth)
//   YN0018 │ pkg@npm:1.0.0: The remote archive doesn't match the expected checksum
import { downloadEvent, errorEvent, networkAttemptEvent, type Attribution, type CaptureEvent } from '../events.js';
import { errorHost } from './node-errors.js';
import { answeredOverNetwork } from './http-answer.js';
import { readingLinesStartingWith, type ToolParser } from './tool-parser.js';

const TOOL = 'yarn';
const REPORT = /^➤ YN(\d{4}): (?:[│┌└·] ?)?(.*)$/;
const NOT_CACHED = / can't be found in the cache and will be fetched from (?:the )?(.+)$/;
const REQUEST_ERROR = /^RequestError(?:: (.*))?$/;
const DETAIL = /^ {2}(Response Code|Request Method|Request URL): (.*)$/;
/** Bound on the locators remembered to skip yarn's repeated YN0013 lines. */
const MAX_SEEN = 100_000;

// Its lines start with `➤`, which the router hands every parser (no ASCII first character to name).
export const createYarnBerryParser = readingLinesStartingWith('', (emit, at) => new YarnBerryParser(emit, at));

interface Failure {
  readonly code: string;
  readonly subject: string;
  responseCode: string | null;
}

class YarnBerryParser implements ToolParser {
  private readonly seen = new Set<string>();
  /** A YN0035/YN0041-style report awaiting its `Request URL:` detail line. */
  private failure: Failure | null = null;

  constructor(
    private readonly emit: (event: CaptureEvent) => void,
    private readonly at: Attribution,
  ) {}

  line(text: string): void {
    if (text.charCodeAt(0) !== 0x27a4) return; // ➤
    const m = REPORT.exec(text);
    if (m === null) return;
    const code = m[1] ?? '';
    const body = (m[2] ?? '').trimEnd();
    const detail = DETAIL.exec(body);
    if (detail !== null && this.failure?.code === code) {
      this.detail(detail[1] ?? '', (detail[2] ?? '').trim());
      return;
    }
    this.flushFailure();
    if (code === '0013') this.notCached(body);
    else if (code === '0001') this.exception(body);
    else if (code === '0018') this.emit(errorEvent({ ...this.base(), message: body }));
    else if (code === '0035' || code === '0041') this.failure = { code, subject: body, responseCode: null };
  }

  end(): void {
    this.flushFailure();
    this.seen.clear();
  }

  private base() {
    return { tool: TOOL, service: this.at.service, step: this.at.step, timestamp: null };
  }

  private notCached(body: string): void {
    const m = NOT_CACHED.exec(body);
    // `… will be fetched from the disk`: a patch yarn applies locally.
    if (m === null || m[1] === 'disk') return;
    const locator = body.slice(0, m.index);
    if (this.seen.has(locator)) return;
    if (this.seen.size >= MAX_SEEN) this.seen.clear();
    this.seen.add(locator);
    const { name, version } = parseLocator(locator);
    this.emit(downloadEvent({ ...this.base(), kind: 'npm', cached: false, name, version }));
  }

  /** YN0001 is yarn's catch-all; only its request errors are about the network. */
  private exception(body: string): void {
    const m = REQUEST_ERROR.exec(body);
    if (m === null) return;
    const error = (m[1] ?? '').trim();
    const host = errorHost(error) ?? 'unknown host';
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: host, error: error === '' ? 'RequestError' : error }));
  }

  private detail(key: string, value: string): void {
    const failure = this.failure as Failure;
    if (key === 'Response Code') failure.responseCode = value;
    else if (key === 'Request URL') {
      this.failure = null;
      const answer = failure.responseCode ?? failure.subject.slice(failure.subject.lastIndexOf(': ') + 2);
      this.emit(errorEvent({ ...this.base(), message: `${value}: ${answer}` }));
      if (answeredOverNetwork(value)) this.emit(networkAttemptEvent({ ...this.base(), url_or_host: value, error: answer })); // http-answer.ts
    }
  }

  /** A failure report whose URL never came: the report alone. */
  private flushFailure(): void {
    if (this.failure === null) return;
    const { subject, responseCode } = this.failure;
    this.failure = null;
    this.emit(errorEvent({ ...this.base(), message: responseCode === null ? subject : `${subject} (${responseCode})` }));
  }
}

/**
 * `lodash@npm:4.17.21`, `@babel/core@npm:7.0.0`, an alias `string-width-cjs@npm:string-width@4.2.3`
 * (the package fetched is string-width), `pkg@https://github.com/o/r.git#commit=…` (no version).
 */
export function parseLocator(locator: string): { name: string; version: string | null } {
  const at = locator.indexOf('@', 1);
  if (at === -1) return { name: locator, version: null };
  const name = locator.slice(0, at);
  const reference = locator.slice(at + 1);
  if (!reference.startsWith('npm:')) return { name, version: null };
  const range = reference.slice(4);
  const alias = range.lastIndexOf('@');
  return alias > 0 ? { name: range.slice(0, alias), version: range.slice(alias + 1) } : { name, version: range };
}
