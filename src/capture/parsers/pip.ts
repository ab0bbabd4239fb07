// pip's console output and its `--log FILE` format → download, network-attempt and error
// events. One event per artifact: pip prints `Downloading` when it fetches and `Saved`
// much later (`pip download`), so a fetched file waits here until its `Saved` line, or
// until pip moves on to installing or the stream ends.
import { downloadEvent, errorEvent, networkAttemptEvent, type Attribution, type CaptureEvent, type NetworkAttemptEvent } from '../events.js';
import type { ToolParser, ToolParserFactory } from './tool-parser.js';
import { APK_ERROR } from './apk.js';
import { isDigit } from './char-codes.js';
import { gradleDistributionVersion } from './gradle-wrapper.js';
import { baseName, httpUrls, isUrl, looksLikeDistribution, normalizeProjectName, parseDistributionFilename, parsePipSize, pathOf } from './pip-files.js';
import {
  CLONING_RE,
  collectedProject,
  CREDENTIALS_REFUSED,
  DEFAULT_INDEX,
  DOWNLOAD_RE,
  downloadedSize,
  FETCH_HTTP_ERROR_RE,
  HASH_MISMATCH,
  HTTP_ERROR_EXCEPTION_RE,
  HTTP_ERROR_RE,
  logTimestamp,
  NOT_MODIFIED_RE,
  OS_ERROR,
  PIP_ERROR,
  PIPENV_INSTALL_ERROR,
  isPipenvLogLine,
  pipenvLevelLength,
  PIPENV_LOGGER,
  REQUIREMENT_HTTP_ERROR_RE,
  SSL_PROBLEM,
  WGET_CERTIFICATE_ERROR,
} from './pip-messages.js';
import { readProgress } from './pip-progress.js';
import { BROKEN_TRANSFER_RE, connectionErrorReason, isBareTransferError, MAX_RETRIES_RE, NEW_CONNECTION_RE, POOL_RE, poolOrigin, RETRY_RE } from './pip-urllib3.js';

const TOOL = 'pip';
/** Bound on artifacts awaiting their `Saved` line (and on remembered file names). */
const MAX_PENDING = 4096;

/** How many lines after urllib3 opened a connection a retry may be the failure of that connection. */
const CONNECTION_LINES = 5;

type Pending = Parameters<typeof downloadEvent>[0];

/** See PipParser.easyInstall: no file name is empty. */
const EASY_INSTALL_MATCHED = '';

/** The third character of pip's lines that start with `C` (Could, Collecting, Cloning, Cannot, ChunkedEncodingError). */
const PIP_C_THIRD = new Set([117, 108, 111, 110]); // u l o n

export const createPipParser: ToolParserFactory = (emit, at) => new PipParser(emit, at);

class PipParser implements ToolParser {
  private readonly pending = new Map<string, Pending>();
  /** File names already reported, so a late `Saved` for them adds nothing. */
  private readonly reported = new Set<string>();
  /** The http(s) indexes of `Looking in indexes:`. */
  private indexUrls: URL[] = [];
  /** The http(s) pages of `Looking in links:` (`-f`), each fetched at its own URL. */
  private links: URL[] = [];
  /** pip printed `Looking in indexes:`: its index is not the default one. */
  private indexesNamed = false;
  private lastPageUrl: string | null = null;
  /**
   * Retries of a path pip never named, whose server is only a guess (the index's): held
   * until pip's last try names the server, else reported with the guess at the end.
   */
  private readonly guessed: { path: string; event: NetworkAttemptEvent }[] = [];
  /** URLs pip named (`Collecting URL`, `Downloading URL`) by path, to complete a retry's path. */
  private readonly namedUrls = new Map<string, string>();
  /** The project a `Collecting` line named for a URL whose file name does not (`…/archive/master.zip`). */
  private readonly urlProjects = new Map<string, string>();
  private timestamp: string | null = null;
  /** The server of the connection urllib3 opened last (`-v`), and the lines since. */
  private connection: string | null = null;
  private linesSinceConnection = 0;
  /** The file of the last `Downloading` line: the one being fetched when a transfer breaks. */
  private inProgress: string | null = null;
  /** The size pip announced for it (`1.3MB`), as pip wrote it. */
  private inProgressSize: string | null = null;
  /** Its progress bar's last reading, if below its size (`346.0/797.2 MB`): the transfer is unfinished. */
  private shortReading: string | null = null;
  /** pip crashed (`Exception:`): the next exception line may end its traceback. */
  private traceback = false;
  /** The status of `HTTP error 403 while getting` whose URL is on the next line (a wrapped paste). */
  private wrappedStatus: string | null = null;
  /** The path of urllib3's last `304` response (`-vv`): its page came from pip's cache. */
  private notModified: string | null = null;
  /** `status url` of the last HTTP error, which pip's next line repeats. */
  private lastRefusal: string | null = null;
  /** The repository pip is cloning (`Cloning URL … to DIR`), until the clone proves done or failed. */
  private clone: { url: string; revision: string | null; name: string | null; timestamp: string | null } | null = null;
  /** The project of the last `Collecting` line: the one a clone that follows is of. */
  private collecting: string | null = null;
  /** A line only pip prints (`Collecting`, `Requirement already satisfied`…) was seen: pip is at work. */
  private pipSeen = false;
  /** Tries of a file that broke mid-transfer (pip ≥ 25.1 resumes them), reported with the file. */
  private readonly brokenTries = new Map<string, { error: string; timestamp: string | null }[]>();
  /** The reference of a rich error (`error: incomplete-download`) awaiting its `×` line. */
  private diagnostic: string | null = null;
  private diagnosticMessage: string | null = null;
  private diagnosticTtl = 0;
  private lastDiagnostic: string | null = null;
  /** Inside the list under `THESE PACKAGES DO NOT MATCH THE HASHES`. */
  private hashBlock = false;
  /** The URL of the file that list names now (`x from https://h/x.whl (from …):`). */
  private hashFile: string | null = null;
  /**
   * easy_install's `Best match:` was the last line (EASY_INSTALL_MATCHED), or the file of the
   * `Downloading` line after it, until its `Processing` line: easy_install's lines (easy-install.ts).
   */
  private easyInstall: string | null = null;

  constructor(
    private readonly emit: (event: CaptureEvent) => void,
    private readonly at: Attribution,
  ) {}

  line(raw: string): void {
    this.linesSinceConnection++;
    // A rich error's `×` and `╰─>` lines follow its `error:` line within a few lines.
    if (this.diagnosticTtl > 0 && --this.diagnosticTtl === 0) {
      this.diagnostic = null;
      this.diagnosticMessage = null;
    }
    const first = raw.charCodeAt(0);
    // Most lines of a log are neither pip's `--log` lines nor indented: they take the
    // short path, which keeps this hot function small enough for V8 to optimise well.
    if (this.wrappedStatus !== null && this.wrappedUrl(raw)) return;
    if (this.easyInstall !== null && this.easyInstallLine(raw)) return;
    // A tab: pip's output repeated by a tool that indents it so (PyBuilder's `BUILD FAILED` report).
    if (first === 32 || first === 9 || isDigit(first)) this.prefixedLine(raw, first);
    else if (isPipenvLogLine(raw, first)) this.pipenvLine(raw, pipenvLevelLength(first));
    else if (first === 91 && raw.startsWith(PIPENV_INSTALL_ERROR)) this.pipenvFailedInstall(raw.slice(PIPENV_INSTALL_ERROR.length));
    else this.pipLine(raw, first);
  }

  /**
   * pipenv ≥ 2022 repeats the output of a pip that failed, each line after
   * `[pipenv.exceptions.InstallError]: ` (`[…]:   Downloading x.whl (209 kB)`): pip's lines.
   */
  private pipenvFailedInstall(rest: string): void {
    const text = rest.startsWith(' ') ? rest.slice(1) : rest;
    const first = text.charCodeAt(0);
    if (first === 32) this.prefixedLine(text, first);
    else this.pipLine(text, first);
  }

  /**
   * pipenv runs pip in-process and logs through Python's logging:
   * `INFO:pipenv.patched.pip._internal.network.download:Using cached https://h/x.whl (20 kB)`,
   * `CRITICAL:pipenv.patched.pip._internal.network.download:HTTP error 403 while getting …`.
   */
  private pipenvLine(raw: string, levelLength: number): void {
    const colon = raw.indexOf(':', levelLength + PIPENV_LOGGER.length);
    if (colon === -1) return;
    const message = raw.slice(colon + 1).trimStart();
    const level = raw.slice(0, levelLength);
    const text = level === 'ERROR' || level === 'CRITICAL' ? `ERROR: ${message}` : message;
    this.pipLine(text, text.charCodeAt(0));
  }

  /** The URL of `HTTP error 403 while getting`, wrapped onto the next line: true if `raw` was it. */
  private wrappedUrl(raw: string): boolean {
    const status = this.wrappedStatus ?? '';
    this.wrappedStatus = null;
    const url = raw.split(' ')[0] ?? '';
    if (!isUrl(url)) return false;
    this.refused(url, status);
    return true;
  }

  /** A `--log` line (`2026-01-09T14:22:33,123 `) or an indented one: the prefix comes off. */
  private prefixedLine(raw: string, first: number): void {
    let text = raw;
    if (isDigit(first)) {
      const stamp = logTimestamp(raw);
      if (stamp === null) return;
      this.timestamp = stamp;
      text = raw.slice(24);
    }
    const indent = text.charCodeAt(0);
    if (indent === 32 || indent === 9) text = text.trimStart();
    this.pipLine(text, text.charCodeAt(0));
  }

  /** easy_install's `Downloading` after its `Best match:`, and its `Processing` of that file: true if `raw` was one. */
  private easyInstallLine(line: string): boolean {
    const raw = line.charCodeAt(0) === 32 ? line.trimStart() : line;
    const file = this.easyInstall;
    if (file === EASY_INSTALL_MATCHED) {
      this.easyInstall = raw.startsWith('Downloading ') ? baseName(raw.slice(12).trim()) : null;
      return this.easyInstall !== null;
    }
    if (raw.startsWith('Processing ') && raw.slice(11).trim() === file) {
      this.easyInstall = null;
      return true;
    }
    if (raw.startsWith('Searching for ') || raw.startsWith("error: Can't download ")) this.easyInstall = null;
    return false;
  }

  /** `text` starts with pip's own words; `first` is its first character code. */
  private pipLine(text: string, first: number): void {
    if (this.hashBlock && this.hashLine(text)) return;
    switch (first) {
      case 66: // B (easy_install's, not pip's: its next lines are not pip's either)
        if (text.startsWith('Best match: ')) this.easyInstall = EASY_INSTALL_MATCHED;
        return;
      case 68: // D
        if (text.startsWith('Downloading ')) this.fetched(text.slice(12), false);
        else if (text.startsWith('Downloading/unpacking ')) this.pipSeen = true; // pip ≤ 1.5's `Collecting`
        return;
      case 85: // U
        if (text.startsWith('Using cached ')) {
          this.pipSeen = true;
          this.fetched(text.slice(13), true);
        }
        return;
      case 70: // F
        if (text.startsWith('File was already downloaded ')) this.alreadyDownloaded(text.slice(28).trim());
        else if (text.startsWith('Fetched page ')) this.fetchedPage(text.slice(13));
        return;
      case 80: // P
        if (text.startsWith('Processing ')) this.processing(text.slice(11));
        else this.bareTransferError(text);
        return;
      case 112: // p (the last line of pip's traceback)
        if (text.startsWith('pip._vendor.requests.exceptions.ConnectionError: ')) this.lastTry(text);
        else if (text.startsWith('pip._vendor.requests.exceptions.HTTPError: ')) this.httpErrorException(text);
        else if (text.startsWith('pip._vendor.')) this.brokenTransferLine(text);
        return;
      case 101: // e (pip ≥ 22: a rich error, `error: externally-managed-environment`)
        if (text.startsWith('error: ')) this.diagnosticStart(text.slice(7));
        // git's own: `error: https://h/r.git did not send all necessary objects`
        if (this.clone !== null && text.startsWith('error: http')) this.cloneFailed(text.slice(7));
        return;
      case 102: // f (git's `fatal: …` while pip clones)
        if (this.clone !== null && text.startsWith('fatal: ')) this.cloneFailed(text.slice(7));
        return;
      case 215: // × (the rich error's message)
        if (this.diagnostic !== null) this.diagnosticEnd(text.slice(1).trim());
        return;
      case 9584: // ╰ (`╰─> URL: …`, the rich error's context)
        if (this.diagnosticMessage !== null && text.startsWith('╰─> ')) this.diagnosticContext(text.slice(4).trim());
        return;
      case 72: // H (pip < 19.3: no `ERROR: `)
        if (text.startsWith('HTTP error ')) this.httpError(text);
        else if (text.startsWith('HTTPError: ')) this.httpErrorException(text); // Python 2
        return;
      case 78: // N (pip < 19.3's last words, no `ERROR: `)
        if (text.startsWith('No distributions at all found for ') || text.startsWith('No matching distribution found for ')) this.error(text);
        return;
      case 82: // R
        if (text.startsWith('Retrying (')) this.retry(text); // pip < 19.2
        else if (text.startsWith('Resolved ')) this.cloned(text.slice(9));
        else if (text.startsWith('Requirement already satisfied: ')) this.pipSeen = true;
        else this.bareTransferError(text);
        return;
      case 83: // S
        if (text.startsWith('Saved ')) this.saved(text.slice(6).trim());
        else if (text.startsWith('Starting new HTTP')) this.newConnection(text);
        else if (text.startsWith('Successfully ')) this.flush();
        return;
      case 73: // I
        if (text.startsWith('Installing collected packages')) {
          this.pipSeen = true;
          this.flush();
        } else this.bareTransferError(text);
        return;
      case 76: // L
        if (text.startsWith('Looking in indexes: ')) this.indexes(text.slice(20));
        else if (text.startsWith('Looking in links: ')) this.links = httpUrls(text.slice(18));
        this.pipSeen ||= text.startsWith('Looking in ');
        return;
      case 71: // G
        if (text.startsWith('Getting page ')) this.lastPageUrl = text.slice(13).trim();
        return;
      case 104: // h (urllib3's debug line of a response, `-vv`)
        if (text.startsWith('http')) this.response(text);
        return;
      case 87: // W
        if (text.startsWith('WARNING: Retrying ')) this.retry(text);
        // pip ≥ 25.1 keeps the bytes it has and resumes (or gives up with incomplete-download).
        else if (text.startsWith('WARNING: Connection ') && text.endsWith(' while downloading.')) this.brokenTry(text.slice(9, -1));
        // pip ≥ 19.3, when the credentials it sent (the URL's, keyring's, typed) were refused.
        else if (text.startsWith(CREDENTIALS_REFUSED)) this.refused(text.slice(CREDENTIALS_REFUSED.length).trim(), '401');
        return;
      case 69: // E
        if (text.startsWith('ERROR: ') && this.isPipError(text.slice(7))) this.error(text.slice(7));
        else if (text === 'Exception:') this.error(text); // pip < 19.3
        return;
      case 84: // T (pip < 19.3: no `ERROR: `)
        if (text.startsWith(HASH_MISMATCH)) this.error(text);
        return;
      case 67: // C
        // Build output is full of `C` lines (`Compiling …`): pip's own start Cou, Col, Clo, Can, Chu.
        if (!PIP_C_THIRD.has(text.charCodeAt(2))) return;
        if (text.startsWith('Could not fetch URL ')) this.couldNotFetch(text.slice(20));
        else if (text.startsWith('Collecting ')) {
          this.pipSeen = true;
          this.releaseClone();
          this.collecting = collectedProject(text.slice(11));
          this.nameUrl(text.slice(11));
        } else if (text.startsWith('Cloning ')) this.cloning(text.slice(8));
        // pip < 19.3 printed its last try of a file without `ERROR: `.
        else if (text.startsWith('Could not install packages due to an ') || text.startsWith('Could not install requirement ')) this.error(text);
        else if (text.startsWith('Cannot fetch index base URL ')) this.indexUnreachable(text.slice(28).trim());
        else this.bareTransferError(text);
        return;
      case 114: // r
        if (text.startsWith('requests.exceptions.HTTPError: ')) this.httpErrorException(text); // Debian's pip
        else this.bareTransferError(text);
        return;
      case 117: // u
        this.bareTransferError(text);
        return;
      case 124: // | (pip 8–21's bar)
      case 9473: // ━ (pip ≥ 22's bar)
      case 9592: // ╸
      case 9594: // ╺
        this.progress(text);
        return;
      default:
        if (isDigit(first)) this.progress(text); // `1% |▌    | 20kB …`
        return;
    }
  }

  end(): void {
    this.settleUnfinished();
    this.flush();
    this.clone = null;
    this.collecting = null;
    for (const key of [...this.brokenTries.keys()]) this.reportBrokenTries(key, this.namedUrl(key) ?? key);
    for (const held of this.guessed.splice(0)) this.emit(held.event);
    this.reported.clear();
    this.indexUrls = [];
    this.indexesNamed = false;
    this.links = [];
    this.lastPageUrl = null;
    this.namedUrls.clear();
    this.urlProjects.clear();
    this.connection = null;
    this.timestamp = null;
    this.inProgress = null;
    this.inProgressSize = null;
    this.shortReading = null;
    this.traceback = false;
    this.pipSeen = false;
    this.lastRefusal = null;
    this.notModified = null;
    this.wrappedStatus = null;
    this.brokenTries.clear();
    this.diagnostic = null;
    this.diagnosticMessage = null;
    this.diagnosticTtl = 0;
    this.lastDiagnostic = null;
    this.hashBlock = false;
    this.hashFile = null;
  }

  private base() {
    return { tool: TOOL, service: this.at.service, step: this.at.step, timestamp: this.timestamp };
  }

  private fetched(rest: string, cached: boolean): void {
    if (!cached && rest.startsWith('from URL ')) {
      this.fetchedFromUrl(rest.slice(9));
      return;
    }
    // pip ≤ 1.5 wrote its progress after the size, on the same line.
    const progressAt = cached ? -1 : rest.indexOf('): ');
    const announced = progressAt === -1 ? rest.trim() : rest.slice(0, progressAt + 1);
    const m = DOWNLOAD_RE.exec(announced);
    if (m === null || m[1] === undefined) return;
    const target = m[1];
    const filename = baseName(target);
    // The Gradle wrapper's `Downloading URL` line (gradle-wrapper.ts).
    if (gradleDistributionVersion(filename) !== null) return;
    if (!cached) this.startTransfer(filename, m[2] ?? null);
    if (progressAt !== -1) this.progress(rest.slice(progressAt + 3).trim());
    if (isUrl(target)) this.rememberUrl(target);
    if (!looksLikeDistribution(filename)) return;
    const parsed = parseDistributionFilename(filename);
    const project = parsed.name === null && isUrl(target) ? this.urlProjects.get(target.split('#')[0] ?? target) : undefined;
    const dist = project === undefined ? parsed : { ...parsed, name: project };
    this.hold({
      ...this.base(),
      ...dist,
      cached,
      filename,
      source: isUrl(target) ? target : null,
      size: downloadedSize(progressAt === -1 ? '' : rest.slice(progressAt + 3)) ?? (m[2] === undefined ? null : parsePipSize(m[2])),
    });
  }

  /**
   * pip 1.x `-v`: `Downloading from URL https://h/x.tar.gz#md5=… (from https://h/simple/x/)`,
   * after (or instead of) the `Downloading x.tar.gz (size): …` line of the same file.
   */
  private fetchedFromUrl(rest: string): void {
    const url = rest.split(' ')[0] ?? '';
    if (!isUrl(url)) return;
    const source = url.split('#')[0] ?? url;
    const filename = baseName(source);
    const held = this.pending.get(filename);
    if (held !== undefined && held.source == null) {
      this.pending.set(filename, { ...held, source });
      this.rememberUrl(url);
      return;
    }
    this.fetched(source, false);
  }

  private hold(fields: Pending): void {
    const key = fields.filename ?? '';
    // Two URLs with one file name (GitHub's `…/archive/master.zip`): two downloads.
    const held = this.pending.get(key)?.source;
    if (held != null && fields.source != null && held !== fields.source) this.release(key, null);
    this.pending.delete(key);
    this.pending.set(key, fields);
    if (this.pending.size > MAX_PENDING) {
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.release(oldest, null);
    }
  }

  private release(key: string, destination: string | null): void {
    const fields = this.pending.get(key);
    if (fields === undefined) return;
    this.pending.delete(key);
    this.reportBrokenTries(key, fields.source ?? key);
    this.report(destination === null ? fields : { ...fields, destination });
  }

  /** The pending file whose transfer broke is no download: it ends as a network attempt at `url`. */
  private abandon(key: string, url: string | null, error: string | null): void {
    const fields = this.pending.get(key);
    this.pending.delete(key);
    const target = fields?.source ?? url ?? key;
    this.reportBrokenTries(key, target);
    if (error !== null) this.emit(networkAttemptEvent({ ...this.base(), url_or_host: target, error }));
    if (this.inProgress === key) this.inProgress = null;
  }

  private reportBrokenTries(key: string, url: string): void {
    const tries = this.brokenTries.get(key);
    if (tries === undefined) return;
    this.brokenTries.delete(key);
    for (const broken of tries) this.emit(networkAttemptEvent({ ...this.base(), timestamp: broken.timestamp, url_or_host: url, error: broken.error }));
  }

  /** pip fetches one file at a time: a transfer that starts means the last one ended. */
  private startTransfer(filename: string, size: string | null): void {
    const last = this.inProgress;
    // A file that is not held (`.whl.metadata`) has no later line that would report its tries.
    if (last !== null && last !== filename && !this.pending.has(last)) this.reportBrokenTries(last, this.namedUrl(last) ?? last);
    this.inProgress = filename;
    this.inProgressSize = size;
    this.shortReading = null;
  }

  /** A progress bar of the file in progress: where its transfer stands. */
  private progress(text: string): void {
    if (this.inProgress === null) return;
    const reading = readProgress(text, this.inProgressSize);
    if (reading === null) return;
    this.shortReading = reading.stoppedAt;
    if (reading.crashed) this.error('Exception:');
  }

  /** The file in progress stopped short, as its bar shows (pip crashed, or the log ends there): no download. */
  private settleUnfinished(): void {
    const key = this.inProgress;
    if (key === null || this.shortReading === null || !this.pending.has(key)) return;
    this.abandon(key, null, `download stopped at ${this.shortReading}`);
  }

  /** An exception line without `pip._vendor.`: pip's only inside its traceback, or when it names urllib3's pool. */
  private bareTransferError(text: string): void {
    if (!isBareTransferError(text) || !(this.traceback || POOL_RE.test(text))) return;
    this.brokenTransferLine(text);
  }

  /** `WARNING: Connection timed out while downloading.`: the try broke; pip may resume it. */
  private brokenTry(error: string): void {
    const key = this.inProgress;
    if (key === null) return;
    const tries = this.brokenTries.get(key) ?? [];
    if (tries.length === 0) {
      if (this.brokenTries.size >= MAX_PENDING) this.brokenTries.clear();
      this.brokenTries.set(key, tries);
    }
    tries.push({ error, timestamp: this.timestamp });
  }

  /**
   * The last line of the traceback of a transfer that broke (pip < 25.1 gives up at once):
   * `pip._vendor.urllib3.exceptions.ReadTimeoutError: HTTPSConnectionPool(host='h', port=443): Read timed out.`
   */
  private brokenTransferLine(text: string): void {
    const m = BROKEN_TRANSFER_RE.exec(text);
    if (m !== null) this.brokenTransfer(m[2] ?? '', m[3] ?? '');
  }

  /** A transfer broke: `exception` (urllib3's or requests') said why. */
  private brokenTransfer(exception: string, reason: string): void {
    // `HTTPSConnectionPool(…): Read timed out.`; `("Connection broken: ConnectionResetError(104, …)", …)`
    const error = exception.startsWith('ReadTimeout') ? reason.slice(reason.indexOf(': ') + 2) : (/^\((["'])(.*?)\1, /.exec(reason)?.[2] ?? reason);
    const key = this.inProgress;
    // The file being fetched, held for its `Saved` line, never arrived.
    if (key !== null && this.pending.has(key)) {
      this.abandon(key, poolOrigin(reason), error);
      return;
    }
    // Something else (a page, a `.whl.metadata` file): the server the error names is all that is sure.
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: poolOrigin(reason) ?? 'unknown host', error }));
  }

  /** The URL pip named for a file (`Downloading https://h/x.whl`), if it did. */
  private namedUrl(filename: string): string | null {
    const pending = this.pending.get(filename)?.source;
    if (pending != null) return pending;
    for (const url of this.namedUrls.values()) if (baseName(url) === filename) return url;
    return null;
  }

  private diagnosticStart(reference: string): void {
    // Only pip's kebab-case references (`incomplete-download`), not another tool's `error: …`.
    this.diagnostic = /^[a-z]+(?:-[a-z]+)+$/.test(reference) ? reference : null;
    this.diagnosticMessage = null;
    this.diagnosticTtl = 4;
  }

  private diagnosticEnd(message: string): void {
    const reference = this.diagnostic ?? '';
    this.diagnostic = null;
    this.diagnosticMessage = message;
    this.diagnosticTtl = 3;
    if (reference !== 'incomplete-download') {
      this.diagnosticMessage = null;
      const text = `${reference}: ${message}`;
      // pip prints a subprocess's failure twice, indented where it happened and at the end.
      if (text !== this.lastDiagnostic) this.emit(errorEvent({ ...this.base(), message: text }));
      this.lastDiagnostic = text;
    }
  }

  /** `╰─> URL: https://h/x.whl` of `incomplete-download`: that file was not downloaded. */
  private diagnosticContext(context: string): void {
    const message = this.diagnosticMessage ?? '';
    this.diagnosticMessage = null;
    const url = context.startsWith('URL: ') ? context.slice(5) : null;
    const key = url === null ? null : baseName(url);
    if (key !== null) this.abandon(key, url, null);
    this.emit(errorEvent({ ...this.base(), message: `incomplete-download: ${message}${url === null ? '' : ` (${url})`}` }));
  }

  private report(fields: Pending): void {
    if (fields.filename != null) {
      this.reported.add(fields.filename);
      if (this.reported.size > MAX_PENDING) this.reported.clear();
    }
    this.emit(downloadEvent(fields));
  }

  private flush(): void {
    this.releaseClone();
    for (const key of [...this.pending.keys()]) this.release(key, null);
  }

  private saved(path: string): void {
    const filename = baseName(path);
    if (this.pending.has(filename)) {
      this.release(filename, path);
      return;
    }
    if (this.reported.has(filename) || !looksLikeDistribution(filename)) return;
    // Saved with no earlier line about it (a log cut at the start): pip wrote the file,
    // where from is unknown.
    this.report({ ...this.base(), ...parseDistributionFilename(filename), cached: false, filename, destination: path });
  }

  private alreadyDownloaded(path: string): void {
    const filename = baseName(path);
    this.pending.delete(filename);
    this.report({ ...this.base(), ...parseDistributionFilename(filename), cached: true, filename, destination: path });
  }

  /** `Processing ./wheelhouse/x.whl (from -r req.txt (line 1))`: a local file, so a cache. */
  private processing(rest: string): void {
    const space = rest.indexOf(' ');
    const path = space === -1 ? rest : rest.slice(0, space);
    const filename = baseName(path);
    if (!looksLikeDistribution(filename)) return;
    this.pending.delete(filename);
    this.report({ ...this.base(), ...parseDistributionFilename(filename), cached: true, filename, source: path });
  }

  /** `Fetched page URL as TYPE` (`--log` only): a simple-index page. */
  private fetchedPage(rest: string): void {
    const space = rest.indexOf(' ');
    const url = space === -1 ? rest : rest.slice(0, space);
    const notModified = this.notModified !== null && this.notModified === pathOf(url);
    this.notModified = null;
    const project = /\/simple\/([^/]+)\/?$/.exec(url)?.[1];
    this.emit(
      downloadEvent({
        ...this.base(),
        kind: 'wheel',
        // pip asks for index pages with `max-age=0`: a 304 means its cached copy was used.
        cached: notModified,
        index: true,
        source: url,
        name: project === undefined ? null : normalizeProjectName(baseName(project)),
      }),
    );
  }

  /** `https://pypi.org:443 "GET /simple/einops/ HTTP/1.1" 304 0` */
  private response(text: string): void {
    const m = NOT_MODIFIED_RE.exec(text);
    if (m !== null) this.notModified = m[1] ?? null;
  }

  private indexes(rest: string): void {
    this.indexesNamed = true;
    this.indexUrls = httpUrls(rest);
  }

  /** `Collecting https://h/x-1.0.tar.gz` or old pip's `Collecting x==1.0 from https://h/x-1.0.tar.gz#egg=x`. */
  private nameUrl(rest: string): void {
    const words = rest.split(' ');
    const url = words.find((word) => word.startsWith('http://') || word.startsWith('https://'));
    if (url === undefined) return;
    this.rememberUrl(url);
    // `name from URL#egg=name (from -r …)` (pip < 20), `name@ URL`, `name @ URL`; a bare URL names none.
    const project = /#egg=([A-Za-z0-9][\w.-]*)/.exec(url)?.[1] ?? (words[0] === url ? undefined : /^[A-Za-z0-9][\w.-]*/.exec(words[0] ?? '')?.[0]);
    if (project === undefined) return;
    if (this.urlProjects.size >= MAX_PENDING) this.urlProjects.clear();
    this.urlProjects.set(url.split('#')[0] ?? url, normalizeProjectName(project));
  }

  private rememberUrl(url: string): void {
    const path = pathOf(url);
    if (path === null) return;
    if (this.namedUrls.size >= MAX_PENDING) this.namedUrls.clear();
    this.namedUrls.set(path, url.split('#')[0] ?? url);
  }

  /** `WARNING: Retrying (Retry(...)) after connection broken by '...': /simple/x/` */
  private retry(text: string): void {
    const m = RETRY_RE.exec(text);
    if (m === null) return;
    const reason = m[1] ?? '';
    const path = m[2] ?? '';
    const error = connectionErrorReason(reason);
    const url = this.urlOf(path, reason);
    if (url !== null) {
      this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error }));
      return;
    }
    const guess = `${this.indexUrls[0]?.origin ?? this.defaultOrigin(path)}${path}`;
    const oldest = this.guessed.length >= MAX_PENDING ? this.guessed.shift() : undefined;
    if (oldest !== undefined) this.emit(oldest.event);
    this.guessed.push({ path, event: networkAttemptEvent({ ...this.base(), url_or_host: guess, error }) });
  }

  /**
   * The URL of a path urllib3 retried: the page or file pip named, else the server the
   * error names, else the one index whose path holds it. Null when the path lies outside
   * the only index (a file: its server may be the index's or another, as on PyPI).
   */
  private urlOf(path: string, reason: string): string | null {
    // With -v, the connection urllib3 opened just before (unless the error names its server):
    // after a redirect (pypi.python.org to pypi.org) it is not the server of the page pip asked for.
    const opened = this.linesSinceConnection <= CONNECTION_LINES && path.startsWith('/') ? (poolOrigin(reason) ?? this.connection) : null;
    if (opened !== null) {
      const named = this.lastPageUrl?.endsWith(path) === true ? this.lastPageUrl : this.namedUrls.get(path);
      return named?.startsWith(`${opened}/`) === true ? named : opened + path;
    }
    if (this.lastPageUrl !== null && this.lastPageUrl.endsWith(path)) return this.lastPageUrl;
    const named = this.namedUrls.get(path);
    if (named !== undefined) return named;
    if (!path.startsWith('/')) return path;
    const link = this.links.find((url) => url.pathname === path);
    if (link !== undefined) return link.href;
    const origin = poolOrigin(reason);
    if (origin !== null) return origin + path;
    const holders = this.indexUrls.filter((index) => path.startsWith(index.pathname.endsWith('/') ? index.pathname : `${index.pathname}/`));
    if (holders.length === 1) return (holders[0]?.origin ?? '') + path;
    if (this.indexUrls.length === 0 && !this.indexesNamed) return null;
    return this.indexUrls.length === 1 && holders.length === 0 ? null : path;
  }

  /** The host of pip's default index that serves `path`, or '' (a bare path is all there is). */
  private defaultOrigin(path: string): string {
    if (this.indexesNamed) return '';
    return DEFAULT_INDEX.find((index) => path.startsWith(index.path))?.origin ?? '';
  }

  private newConnection(text: string): void {
    const m = NEW_CONNECTION_RE.exec(text);
    if (m === null) return;
    const scheme = m[1] === 'HTTPS' ? 'https' : 'http';
    const port = m[3] === undefined || m[3] === (scheme === 'https' ? '443' : '80') ? '' : `:${m[3]}`;
    this.connection = `${scheme}://${m[2] ?? ''}${port}`;
    this.linesSinceConnection = 0;
  }

  /** A later line named the URL of `path`: the retries held with a guessed server take it. */
  private resolveGuesses(path: string, url: string): void {
    for (let i = 0; i < this.guessed.length; ) {
      const held = this.guessed[i];
      if (held?.path === path) {
        this.emit({ ...held.event, url_or_host: url });
        this.guessed.splice(i, 1);
      } else i++;
    }
  }

  /** The try after the last retry of a file, as the last line of pip's traceback. */
  private lastTry(text: string): void {
    const m = MAX_RETRIES_RE.exec(text);
    const origin = poolOrigin(text);
    if (m === null || origin === null) return;
    const path = m[1] ?? '';
    const url = this.namedUrls.get(path) ?? origin + path;
    this.resolveGuesses(path, url);
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error: connectionErrorReason(m[2] ?? '') }));
  }

  /**
   * `Resolved https://h/r.git to commit 0123abc`: pip cloned a VCS requirement (its git
   * clone succeeded; a failed one is git's `fatal:` line). No file, but a fetch all the same.
   */
  private cloned(rest: string): void {
    const m = /^(\S+) to commit ([0-9a-f]{7,64})$/.exec(rest);
    const url = m?.[1] ?? '';
    if (m === null || !/^(?:https?|git|ssh):\/\//.test(url)) return;
    // pip clones one repository at a time: this is the clone its `Cloning` line began.
    const name = this.clone?.name ?? this.collecting;
    this.clone = null;
    this.emit(downloadEvent({ ...this.base(), kind: 'file', cached: false, source: url, name, version: m[2] ?? null }));
  }

  /** `Cloning URL (to revision REV) to DIR`: a fetch, once no `fatal:` line of git's follows. */
  private cloning(rest: string): void {
    this.releaseClone();
    const m = CLONING_RE.exec(rest);
    if (m !== null) this.clone = { url: m[1] ?? '', revision: m[2] ?? null, name: this.collecting, timestamp: this.timestamp };
  }

  /** pip moved on with no `Resolved` line (pip < 21) and no failure from git: the clone was made. */
  private releaseClone(): void {
    const clone = this.clone;
    if (clone === null) return;
    this.clone = null;
    this.emit(downloadEvent({ ...this.base(), timestamp: clone.timestamp, kind: 'file', cached: false, source: clone.url, name: clone.name, version: clone.revision }));
  }

  /**
   * git's `fatal: …` or `error: URL …` during pip's clone: no fetch. git's own network
   * failures (`fatal: unable to access 'URL/': …`) are git's attempts (netclients.ts);
   * any other is a failed attempt at the repository.
   */
  private cloneFailed(message: string): void {
    const url = this.clone?.url ?? '';
    this.clone = null;
    if (!message.startsWith('unable to access ')) this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error: message }));
  }

  /**
   * `Could not fetch URL X: REASON - skipping`: the try after the last retry. pip logs a
   * `connection error: …` or `timed out` at debug level (`--log`, `-v`), a certificate
   * pip does not trust at info level (the console too).
   */
  private couldNotFetch(rest: string): void {
    const colon = rest.indexOf(': ');
    if (colon <= 0) return;
    const reason = rest.slice(colon + 2);
    let error: string;
    if (reason.startsWith('connection error')) error = connectionErrorReason(reason);
    else if (reason.startsWith('timed out')) error = 'timed out';
    else if (FETCH_HTTP_ERROR_RE.test(reason)) error = `HTTP error ${reason.slice(0, 3)}`;
    else if (reason.startsWith(SSL_PROBLEM)) {
      const detail = reason.endsWith(' - skipping') ? reason.slice(SSL_PROBLEM.length, -11) : reason.slice(SSL_PROBLEM.length);
      error = connectionErrorReason(MAX_RETRIES_RE.exec(detail)?.[2] ?? detail);
    } else if (reason.trimEnd() === SSL_PROBLEM.slice(0, -2)) {
      // pip 9 said no more than that on the console.
      error = 'There was a problem confirming the ssl certificate';
    } else return;
    const url = rest.slice(0, colon);
    const path = pathOf(url);
    if (path !== null) this.resolveGuesses(path, url);
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error }));
  }

  /**
   * A line of the list under `THESE PACKAGES DO NOT MATCH THE HASHES`: the file it names
   * arrived, but not as the requirements file pinned it (often cut short, or changed by a
   * proxy), so pip did not use it: no download, a failed attempt. False at the list's end.
   */
  private hashLine(text: string): boolean {
    if (text.startsWith('Expected ')) return true;
    if (text.startsWith('Got ')) {
      const url = this.hashFile;
      this.hashFile = null;
      const key = url === null ? null : baseName(url);
      // A file from pip's cache that does not match is no network failure.
      if (key !== null && this.pending.get(key)?.cached !== true) this.abandon(key, url, `hash mismatch: got ${text.slice(4).trim()}`);
      return true;
    }
    if (text.endsWith(':')) {
      // `name from https://h/x.whl#sha256=… (from -r req.txt (line 3)):`, `name from https://h/x.whl:`
      // (a requirement no other names: the colon ends the URL), or `unknown package:`
      const url = / from (https?:\/\/[^\s#]+?):?(?=[\s#]|$)/.exec(text)?.[1];
      this.hashFile = url ?? null;
      return true;
    }
    this.hashBlock = false;
    this.hashFile = null;
    return false;
  }

  /**
   * `HTTP error 403 while getting https://h/x.whl (from …)`: the server refused the file
   * (pip ≥ 19.3 with `ERROR: `). pip's next line, `Could not install requirement … because
   * of HTTP error 403 …`, is the same failure.
   */
  private httpError(text: string): void {
    const m = HTTP_ERROR_RE.exec(text);
    if (m !== null) this.refused(m[2] ?? '', m[1] ?? '');
    else this.wrappedStatus = /^HTTP error (\d{3}) while getting$/.exec(text.trimEnd())?.[1] ?? null;
  }

  /** `Could not install requirement … because of HTTP error 404 … for URL X`: alone when the line before it is not in the log. */
  private requirementHttpError(message: string): void {
    const m = REQUIREMENT_HTTP_ERROR_RE.exec(message);
    if (m !== null) this.refused(m[2] ?? '', m[1] ?? '');
  }

  /** `requests.exceptions.HTTPError: 404 Client Error: Not Found for url: X`, the last line of pip's traceback. */
  private httpErrorException(text: string): void {
    const m = HTTP_ERROR_EXCEPTION_RE.exec(text);
    if (m !== null) this.refused(m[2] ?? '', m[1] ?? '');
  }

  /** The server answered `url` with HTTP `status`: one attempt, however many of pip's lines say so. */
  private refused(url: string, status: string): void {
    const target = url.split('#')[0] ?? url;
    const key = `${status} ${target}`;
    if (key === this.lastRefusal) return;
    this.lastRefusal = key;
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: target, error: `HTTP error ${status}` }));
  }

  /** pip 1.x: `Cannot fetch index base URL https://h/simple/` (why, only its `--log` says). */
  private indexUnreachable(url: string): void {
    if (!isUrl(url)) return;
    this.emit(networkAttemptEvent({ ...this.base(), url_or_host: url, error: 'Cannot fetch index base URL' }));
  }

  /**
   * apk, wget, phpcs and others print `ERROR: ` too: pip's own messages are pip's anywhere,
   * the others (pip prints its exceptions' text) once pip has been seen at work.
   */
  private isPipError(message: string): boolean {
    if (PIP_ERROR.test(message)) return true;
    return this.pipSeen && !WGET_CERTIFICATE_ERROR.test(message) && !APK_ERROR.test(message);
  }

  private error(message: string): void {
    if (message === 'Exception:') this.traceback = true;
    if (message.startsWith('HTTP error ')) this.httpError(message);
    else if (message.startsWith('Could not install requirement ')) this.requirementHttpError(message);
    // requests' errors are OSErrors: `Could not install packages due to an OSError: ('Connection broken: …', …)`.
    if (message.startsWith(OS_ERROR) && message.includes('Connection broken: ')) this.brokenTransfer('ChunkedEncodingError', message.slice(OS_ERROR.length));
    // After `ERROR: Exception:` the traceback's last line may show the file being fetched broke;
    // after a hash mismatch, the list that follows names the files that were wrong.
    this.hashBlock = message.startsWith(HASH_MISMATCH);
    if (message !== 'Exception:' && !this.hashBlock) {
      this.settleUnfinished();
      this.flush();
    }
    this.emit(errorEvent({ ...this.base(), message }));
    // pip ≤ 22 ends a failed file download with `ERROR: Could not install packages due to
    // an OSError: HTTPSConnectionPool(…): Max retries exceeded …` instead of a traceback.
    if (message.startsWith('Could not install packages due to an ')) this.lastTry(message);
  }
}
