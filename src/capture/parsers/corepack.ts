// Corepack (Node's shim that fetches the pnpm or yarn a project's `packageManager` names,
// as `corepack enable` sets up in Docker images) → events. Before fetching a release it says
//   ! Corepack is about to download https://registry/pnpm/-/pnpm-9.15.4.tgz      (0.2x on)
//   Corepack is about to download https://registry/pnpm/-/pnpm-7.32.5.tgz.        (older, a prompt)
// and when a request fails (0.34 writes `Error:`, older `Internal Error:`)
//   Internal Error: Error when performing the request to URL; for troubleshooting help, see …
//   Internal Error: Server answered with HTTP 404 when performing the request to URL; …
// A release announced is a download unless a failure of its URL follows before the end.
import { downloadEvent, errorEvent, networkAttemptEvent, type Attribution, type CaptureEvent } from '../events.js';
import { npmUrlRecord } from './npm.js';
import { readingLinesStartingWith, type ToolParser } from './tool-parser.js';

const TOOL = 'corepack';
const ABOUT = /^(?:! )?Corepack is about to download (https?:\/\/\S+?)\.?$/;
const FAILED = /^(?:Internal )?Error: (?:Error when performing the request to (\S+?)|Server answered with HTTP (\d{3}) when performing the request to (\S+?));/;
/** Bound on announced releases awaiting the end (a build fetches one or two). */
const MAX_PENDING = 64;

export const createCorepackParser = readingLinesStartingWith('!CEI', (emit, at) => new CorepackParser(emit, at));

class CorepackParser implements ToolParser {
  private readonly pending: string[] = [];

  constructor(
    private readonly emit: (event: CaptureEvent) => void,
    private readonly at: Attribution,
  ) {}

  line(text: string): void {
    const first = text.charCodeAt(0);
    if (first === 33 || first === 67) {
      // ! or C; most lines starting so are other tools' (`Collecting`, `Compiling`).
      if (!text.startsWith('Corepack is about', first === 33 ? 2 : 0)) return;
      const url = ABOUT.exec(text)?.[1];
      if (url === undefined) return;
      if (this.pending.length >= MAX_PENDING) this.pending.shift();
      this.pending.push(url);
    } else if (first === 69 || first === 73) {
      // E or I
      if (!text.startsWith('Error: ', first === 73 ? 9 : 0)) return;
      const m = FAILED.exec(text);
      if (m !== null) this.failed(m[1] ?? m[3] ?? '', m[2] ?? null);
    }
  }

  end(): void {
    for (const url of this.pending.splice(0)) this.emit(downloadEvent({ ...this.base(), kind: 'npm', cached: false, ...npmUrlRecord(url), index: false }));
  }

  private base() {
    return { tool: TOOL, service: this.at.service, step: this.at.step, timestamp: null };
  }

  private failed(url: string, status: string | null): void {
    const announced = this.pending.indexOf(url);
    if (announced !== -1) this.pending.splice(announced, 1);
    // An HTTP status is the registry's answer; no status, no answer.
    if (status !== null) this.emit(errorEvent({ ...this.base(), message: `${url}: HTTP ${status}` }));
    else this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error: 'request failed' }));
  }
}
