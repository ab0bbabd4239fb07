// node-gyp → events. Building a native addon (`npm install`, `yarn`, `node-gyp rebuild`)
// downloads Node's headers first, once per Node version:
//   gyp http GET https://nodejs.org/download/release/v18.15.0/node-v18.15.0-headers.tar.gz
//   gyp http 200 https://nodejs.org/download/release/v18.15.0/node-v18.15.0-headers.tar.gz
// npm 7+ shows a failed script's output as `npm error gyp …` (`npm ERR! gyp …`), yarn 2–4
// as `➤ YN0000: │ pkg@npm:1.0.0 STDERR gyp …`. A failed fetch:
//   gyp ERR! stack FetchError: request to URL failed, reason: connect ETIMEDOUT 1.2.3.4:443
//   gyp http fetch GET URL attempt 1 failed with ECONNRESET                       (node-gyp 10+)
// node-gyp 10 logs a try that failed, then the same failure as FetchError: one failed try.
import { downloadEvent, networkAttemptEvent, type Attribution, type CaptureEvent } from '../events.js';
import { fetchError } from './node-errors.js';
import { readingLinesStartingWith, type ToolParser } from './tool-parser.js';

const TOOL = 'node-gyp';
const FETCHED = /^gyp http (\d{3}) (https?:\/\/\S+)$/;
const RETRY = /^gyp http fetch GET (https?:\/\/\S+) attempt \d+ failed with (\S+)/;
/** Where a wrapping tool put node-gyp's line: npm's error report, yarn berry's build output. */
const WRAPPERS = ['npm error ', 'npm ERR! '];
const BERRY_OUTPUT = / STD(?:ERR|OUT) (gyp .*)$/;
/** Bound on the URLs remembered as failed. */
const MAX_FAILED = 1000;

// `g` alone, `n` under npm; yarn's `➤` lines reach every parser.
export const createNodeGypParser = readingLinesStartingWith('gn', (emit, at) => new NodeGypParser(emit, at));

class NodeGypParser implements ToolParser {
  private readonly failed = new Set<string>();

  constructor(
    private readonly emit: (event: CaptureEvent) => void,
    private readonly at: Attribution,
  ) {}

  line(text: string): void {
    const gyp = gypLine(text);
    if (gyp === null) return;
    const fetched = FETCHED.exec(gyp);
    if (fetched !== null) {
      const status = Number(fetched[1]);
      if (status >= 200 && status < 300) this.download(fetched[2] ?? '');
      return;
    }
    const retry = RETRY.exec(gyp);
    const failure = retry !== null ? { url: retry[1] ?? '', reason: retry[2] ?? '' } : gyp.startsWith('gyp ERR! ') ? fetchError(gyp) : null;
    if (failure === null || (retry === null && this.failed.has(failure.url))) return;
    if (this.failed.size >= MAX_FAILED) this.failed.clear();
    this.failed.add(failure.url);
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: failure.url, error: failure.reason }));
  }

  end(): void {
    this.failed.clear();
  }

  private base() {
    return { tool: TOOL, service: this.at.service, step: this.at.step, timestamp: null };
  }

  private download(url: string): void {
    const path = url.split(/[?#]/)[0] ?? url;
    const filename = path.slice(path.lastIndexOf('/') + 1);
    this.emit(downloadEvent({ ...this.base(), kind: 'file', cached: false, name: filename, filename, source: url }));
  }
}

/** node-gyp's own line inside `text`, or null. */
function gypLine(text: string): string | null {
  if (text.startsWith('gyp ')) return text;
  for (const prefix of WRAPPERS) if (text.startsWith(prefix) && text.startsWith('gyp ', prefix.length)) return text.slice(prefix.length);
  if (text.charCodeAt(0) === 0x27a4 /* ➤ */) return BERRY_OUTPUT.exec(text)?.[1] ?? null;
  return null;
}
