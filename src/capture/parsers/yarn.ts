// Yarn 1 ("classic", the yarn of the node images) → events. At its default level it names
// no fetch; `--verbose` does (`verbose 1.2 Request "URL" finished with status code 200.`).
// Its failures:
//   info There appears to be trouble with your network connection. Retrying...   a failed try, no URL
//   error An unexpected error occurred: "https://h/x/-/x-1.0.tgz: ESOCKETTIMEDOUT".
//   error Error: https://h/x/-/x-1.0.tgz: ESOCKETTIMEDOUT                       (newer 1.22)
// The tries without a URL are reported at the server of the URL that finally failed, else
// at the end as an unknown host.
import { downloadEvent, errorEvent, networkAttemptEvent, type Attribution, type CaptureEvent, type NetworkAttemptEvent } from '../events.js';
import { parseNpmUrl } from './npm.js';
import { readingLinesStartingWith, type ToolParser } from './tool-parser.js';

const TOOL = 'yarn';
const TROUBLE = 'info There appears to be trouble with your network connection. Retrying...';
const FAILED = /^error (?:An unexpected error occurred: "|Error: )(https?:\/\/[^\s"]+?): ([^"]+?)"?\.?$/;
const FINISHED = /^verbose [\d.]+ Request "(https?:\/\/[^"]+)" finished with status code (\d{3})\.$/;
/** Bound on held tries (yarn retries each request a few times). */
const MAX_HELD = 1000;

export const createYarnParser = readingLinesStartingWith('iev', (emit, at) => new YarnParser(emit, at));

class YarnParser implements ToolParser {
  private readonly held: NetworkAttemptEvent[] = [];

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
        if (text.startsWith('error ')) this.failed(text);
        return;
      case 118: // v
        if (text.startsWith('verbose ')) this.finished(text);
        return;
      default:
        return;
    }
  }

  end(): void {
    for (const event of this.held.splice(0)) this.emit(event);
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
    const origin = /^https?:\/\/[^/]+/.exec(url)?.[0] ?? url;
    for (const event of this.held.splice(0)) this.emit({ ...event, url_or_host: origin });
    const reason = (m[2] ?? '').trim();
    // `Not found`, `Request failed "404 Not Found"`: the registry answered.
    if (reason === 'Not found' || reason.startsWith('Request failed ')) this.emit(errorEvent({ ...this.base(), message: `${url}: ${reason}` }));
    else this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error: reason }));
  }

  private finished(text: string): void {
    const m = FINISHED.exec(text);
    if (m === null) return;
    const status = Number(m[2]);
    if (status < 200 || status > 399) return;
    const url = m[1] ?? '';
    const info = parseNpmUrl(url);
    this.emit(
      downloadEvent({
        ...this.base(),
        kind: 'npm',
        cached: status === 304,
        index: !info.tarball,
        name: info.name,
        version: info.version,
        filename: info.tarball ? url.slice(url.lastIndexOf('/') + 1) : null,
        source: url,
      }),
    );
  }
}
