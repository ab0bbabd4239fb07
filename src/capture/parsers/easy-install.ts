// setuptools' easy_install (`easy_install x`, and `python setup.py install|develop` fetching a
// project's dependencies), as old CI logs and Dockerfiles still show it:
//   Searching for click>=2.0
//   Reading https://pypi.python.org/simple/click/                      its index page
//   Best match: click 6.6
//   Downloading https://pypi.python.org/packages/7a/00/…/click-6.6.tar.gz#md5=d0b0…
//   Processing click-6.6.tar.gz                                         the download arrived
// and its failures:
//   error: Can't download http://h/pathos-0.1a1.tgz: 404 Not Found
//   Download error on https://pypi.python.org/simple/x/: [Errno -2] Name or service not known -- Some packages may not be found!
//   Download error: [Errno 101] Network is unreachable -- Some packages may not be found!   (older: the URL is the `Reading` line's)
// pip prints `Downloading URL` and `Processing FILE` too; it leaves the pair after `Best match:` alone (pip.ts).
import { downloadEvent, networkAttemptEvent, type Attribution, type CaptureEvent } from '../events.js';
import { readingLinesStartingWith, type ToolParser } from './tool-parser.js';
import { baseName, parseDistributionFilename } from './pip-files.js';

const TOOL = 'easy_install';
const MAY_NOT_BE_FOUND = ' -- Some packages may not be found!';
const DOWNLOAD_ERROR_ON = /^Download error on (\S+?): (.+)$/;
const CANT_DOWNLOAD = /^error: Can't download (\S+?): (.+)$/;

export const createEasyInstallParser = readingLinesStartingWith('BDPRe ', (emit, at) => new EasyInstallParser(emit, at));

/** The first characters of the lines read here, by code. */
const FIRST = new Set([66, 68, 80, 82, 101]);
/** Blanks in front of a pasted excerpt (a Markdown code block's four) taken off, at most. */
const MAX_INDENT = 8;

class EasyInstallParser implements ToolParser {
  /**
   * The version of the last `Best match: NAME VERSION`, while the line after it is to come: a
   * `Downloading` line of a file with that version is easy_install's. (Lines this parser is not
   * handed may come between: the version keeps another tool's download from being taken.)
   */
  private matched: string | null = null;
  /** The file easy_install is fetching, until `Processing` shows it arrived or an error that it did not. */
  private fetching: { url: string; filename: string } | null = null;
  /** The index page of the last `Reading` line, which an old `Download error:` does not name. */
  private reading: string | null = null;

  constructor(
    private readonly emit: (event: CaptureEvent) => void,
    private readonly at: Attribution,
  ) {}

  line(raw: string): void {
    let text = raw;
    if (raw.charCodeAt(0) === 32) {
      // easy_install indents nothing: blanks are a paste's (git-fat#4's `    Best match: …`).
      let at = 1;
      while (at < MAX_INDENT && raw.charCodeAt(at) === 32) at++;
      if (!FIRST.has(raw.charCodeAt(at))) return;
      text = raw.slice(at);
    }
    const matched = this.matched;
    this.matched = null;
    switch (text.charCodeAt(0)) {
      case 66: // B
        if (text.startsWith('Best match: ')) {
          this.arrived();
          this.matched = text.slice(text.lastIndexOf(' ') + 1);
        }
        return;
      case 68: // D
        if (matched !== null && text.startsWith('Downloading ') && text.includes(matched, 12)) this.downloading(text.slice(12).trim());
        else if (text.startsWith('Download error')) this.downloadError(text);
        return;
      case 80: // P
        if (this.fetching !== null && text.startsWith('Processing ') && text.slice(11).trim() === this.fetching.filename) this.arrived();
        return;
      case 82: // R
        if (text.startsWith('Reading http')) this.reading = text.slice(8).trim();
        return;
      case 101: // e
        if (text.startsWith("error: Can't download ")) this.cannotDownload(text);
        return;
    }
  }

  end(): void {
    this.arrived();
  }

  private downloading(url: string): void {
    this.arrived();
    this.fetching = { url: url.split('#')[0] ?? url, filename: baseName(url) };
  }

  /** The file being fetched got there (or nothing said it did not): a download. */
  private arrived(): void {
    const fetching = this.fetching;
    if (fetching === null) return;
    this.fetching = null;
    const dist = parseDistributionFilename(fetching.filename);
    this.emit(
      downloadEvent({
        ...this.base(),
        ...dist,
        cached: false,
        filename: fetching.filename,
        source: fetching.url,
      }),
    );
  }

  /** `Download error on URL: reason -- …`, or `Download error: reason -- …` after the `Reading URL` it failed. */
  private downloadError(text: string): void {
    const message = text.endsWith(MAY_NOT_BE_FOUND) ? text.slice(0, -MAY_NOT_BE_FOUND.length) : text;
    const on = DOWNLOAD_ERROR_ON.exec(message);
    if (on !== null) this.failed(on[1] ?? '', on[2] ?? '');
    else if (message.startsWith('Download error: ')) this.failed(this.reading ?? 'unknown host', message.slice(16));
  }

  /** `error: Can't download URL: 404 Not Found`: the file easy_install was fetching did not come. */
  private cannotDownload(text: string): void {
    const m = CANT_DOWNLOAD.exec(text);
    if (m === null) return;
    const url = (m[1] ?? '').split('#')[0] ?? '';
    if (this.fetching?.url === url) this.fetching = null;
    this.failed(url, m[2] ?? '');
  }

  private failed(url: string, error: string): void {
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error: error.replace(/^\[Errno -?\d+\] /, '') }));
  }

  private base() {
    return { tool: TOOL, service: this.at.service, step: this.at.step, timestamp: null };
  }
}
