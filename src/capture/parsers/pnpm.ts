// pnpm → events. pnpm names a request only when it fails; a successful fetch shows up in
// counters alone (`Progress: resolved 3, reused 0, downloaded 3, added 3`), which name no
// package and so give no event. What it does name:
//    WARN  GET URL error (ECONNREFUSED). Will retry in 10 seconds. 2 retries left.   a failed try
//    ERR_PNPM_META_FETCH_FAIL  GET URL: request to URL failed, reason: connect …   the last try
//    ECONNREFUSED  request to URL failed, reason: …                                  the last try (tarball)
//    ERR_PNPM_FETCH_404  GET URL: Not Found - 404                                    the registry's answer
//    ERR_PNPM_TARBALL_INTEGRITY  Got unexpected checksum for "URL". …               bytes not as locked
//    Downloading big@1.0.0: 7.03 MB/7.03 MB, done                                   a tarball over 5 MB
//    WARN  Tarball download average speed 6 KiB/s (size 12 KiB) is below 50 KiB/s: URL (GET)   a slow one, once fetched
// (the last only from the default reporter, on a terminal; piped output is `append-only`).
// pnpm ≤ 5 printed final errors as ` ERROR  GET URL: Not Found - 404`, pnpm 2 as
// ` ERROR  418 I'm a teapot: name (via URL)`. An HTTP error status is an error and a failed
// try (http-answer.ts). pnpm 10 pads the
// badge with thin spaces (U+2009: `\u2009WARN\u2009 GET`), older ones with spaces; pnpm 11
// brackets it instead (`[WARN] GET …`, `[ERR_PNPM_FETCH_404] GET …`). On a terminal the
// progress lines are redrawn in place, so a saved log can hold two messages on one line.
import { downloadEvent, errorEvent, networkAttemptEvent, type Attribution, type CaptureEvent } from '../events.js';
import { parsePipSize } from './pip-files.js';
import { fetchError } from './node-errors.js';
import { npmUrlRecord } from './npm.js';
import { answeredOverNetwork } from './http-answer.js';
import { readingLinesStartingWith, type ToolParser } from './tool-parser.js';

const TOOL = 'pnpm';
const RETRY = /(?:WARN {2}|\[WARN\] )GET (\S+) error \(([^)]+)\)\. Will retry/g;
/** pnpm 11's `[CODE] message`, read as older pnpm's padded `CODE  message`. */
const BRACKETED = /^\[([A-Z][A-Z0-9_]+)\] /;
/** ` CODE  message`: pnpm's error line (ERR_PNPM_…, an errno name, or pnpm ≤ 5's ERROR). */
const ERROR_LINE = /^([A-Z][A-Z0-9_]+) {2}(\S.*)$/;
const GET_FAILED = /^GET (\S+?): (.*)$/;
/** The end of `GET URL: Not Found - 404`. */
const HTTP_STATUS = / - (\d{3})$/;
/** pnpm 2: `418 I'm a teapot: react-slick (via http://h/react-slick)`. */
const VIA_FAILED = /^(\d{3}) [^:]+: \S+ \(via (https?:\/\/\S+)\)$/;
const SLOW_TARBALL = /^WARN {2}Tarball download average speed .*?\(size (\d+(?:\.\d+)?) (B|KiB|MiB|GiB)\) is below .*?: (https?:\/\/\S+) \(GET\)$/;
const BINARY_UNITS: Readonly<Record<string, number>> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const BIG_TARBALL = /^Downloading (\S+): (\d+(?:\.\d+)? [kMGT]?B)\/(\d+(?:\.\d+)? [kMGT]?B), done$/;

const THIN_SPACE = 0x2009;

// The badge's leading space or thin space, pnpm 11's bracket, none (pasted or trimmed logs), or `Downloading`.
export const createPnpmParser = readingLinesStartingWith(' \u2009[WED', (emit, at) => new PnpmParser(emit, at));

class PnpmParser implements ToolParser {
  constructor(
    private readonly emit: (event: CaptureEvent) => void,
    private readonly at: Attribution,
  ) {}

  line(text: string): void {
    // Indented lines are common in any log: skip the padding and reject on one character
    // before building a string.
    let i = 0;
    while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === THIN_SPACE) i++;
    const first = text.charCodeAt(i);
    if (first === 91) {
      // [
      const badge = BRACKETED.exec(text);
      if (badge !== null) this.line(`${badge[1] ?? ''}  ${text.slice(badge[0].length)}`);
      return;
    }
    if (first !== 87 && first !== 69 && first !== 68) return; // W, E, D
    const rest = (i === 0 ? text : text.slice(i)).replaceAll('\u2009', ' ');
    if (rest.startsWith('WARN  GET ')) this.retries(rest);
    else if (rest.startsWith('WARN  Tarball download average speed ')) this.slowTarball(rest);
    else if (rest.startsWith('Downloading ')) this.bigTarball(rest);
    else if (rest.charCodeAt(0) === 69) this.error(rest); // E
  }

  end(): void {}

  private base() {
    return { tool: TOOL, service: this.at.service, step: this.at.step, timestamp: null };
  }

  /** Every `WARN  GET … error (…)` on the line: a terminal's redraw can put several on one. */
  private retries(text: string): void {
    for (const m of text.matchAll(RETRY)) {
      const code = m[2] ?? '';
      this.attempt(m[1] ?? '', /^\d{3}$/.test(code) ? `HTTP ${code}` : code);
    }
  }

  private error(text: string): void {
    const m = ERROR_LINE.exec(text);
    if (m === null) return;
    const code = m[1] ?? '';
    const message = (m[2] ?? '').trim();
    const pnpmCode = code.startsWith('ERR_PNPM_');
    if (code === 'ERROR') {
      // pnpm ≤ 5 says no code; only its fetch failures are known to be its own.
      if (!message.startsWith('GET http') && !message.startsWith('Got unexpected checksum') && !message.startsWith('request to http') && !VIA_FAILED.test(message)) return;
    } else if (!pnpmCode && !message.startsWith('request to http')) {
      return;
    }
    this.emit(errorEvent({ ...this.base(), message: `${code} ${message}` }));
    // A wrong checksum is an error only; a request that got no answer, or an HTTP error, is also a failed try.
    const get = GET_FAILED.exec(message);
    const failed = fetchError(get?.[2] ?? message);
    const status = get === null ? null : HTTP_STATUS.exec(get[2] ?? '');
    const via = VIA_FAILED.exec(message);
    if (failed !== null) this.attempt(failed.url, failed.reason);
    else if (status !== null) this.answered(get?.[1] ?? '', `HTTP ${status[1]}`);
    else if (via !== null) this.answered(via[2] ?? '', `HTTP ${via[1]}`);
    else if (code === 'ERR_PNPM_META_FETCH_FAIL' && get !== null) this.attempt(get[1] ?? '', (get[2] ?? '').trim());
  }

  private answered(url: string, error: string): void {
    if (answeredOverNetwork(url)) this.attempt(url, error);
  }

  private attempt(url: string, error: string): void {
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error }));
  }

  /**
   * pnpm (tarball-fetcher) warns once the whole tarball arrived and matched its expected size:
   * the warning names a download, its size rounded down to a KiB.
   */
  private slowTarball(text: string): void {
    const m = SLOW_TARBALL.exec(text);
    if (m === null || m[3] === undefined) return;
    const record = npmUrlRecord(m[3]);
    if (record.index) return;
    const size = Math.round(Number(m[1]) * (BINARY_UNITS[m[2] ?? ''] ?? 1));
    this.emit(downloadEvent({ ...this.base(), kind: 'npm', cached: false, ...record, size }));
  }

  /** A tarball over 5 MB, its size as pnpm rounded it. */
  private bigTarball(text: string): void {
    const m = BIG_TARBALL.exec(text);
    if (m === null) return;
    const id = packageId(m[1] ?? '');
    if (id === null) return;
    const bare = id.name.slice(id.name.lastIndexOf('/') + 1);
    this.emit(
      downloadEvent({
        ...this.base(),
        kind: 'npm',
        cached: false,
        name: id.name,
        version: id.version,
        // The registry's name for the tarball, so the proxy's record of it is paired with this one.
        filename: `${bare}-${id.version}.tgz`,
        size: parsePipSize(m[3] ?? ''),
      }),
    );
  }
}

/** pnpm 10's `@scope/name@1.0.0` or pnpm 7's `registry.host/@scope/name/1.0.0` (the host dropped). */
function packageId(id: string): { name: string; version: string } | null {
  const at = id.lastIndexOf('@');
  const slash = id.lastIndexOf('/');
  const [path, version] = at > 0 && at > slash ? [id.slice(0, at), id.slice(at + 1)] : [id.slice(0, slash), id.slice(slash + 1)];
  const parts = path.split('/').filter((p) => p !== '');
  const name = parts[parts.length - 1];
  if (name === undefined || version === '') return null;
  const scope = parts[parts.length - 2];
  return { name: scope?.startsWith('@') ? `${scope}/${name}` : name, version };
}
