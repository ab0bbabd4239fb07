// curl and wget output → events, plus the DNS failures any program prints
// (`Temporary failure in name resolution`, `Could not resolve host`, `getaddrinfo
// ENOTFOUND`). curl prints nothing on success unless `-v` shows the request and the answer
// (curl-verbose.ts), so mostly its failures are seen; wget announces each URL
// (`--DATE--  URL`) and says where it saved it. An HTTP error status (`ERROR 404: Not Found.`,
// `curl: (22)`) is an error and a failed try (http-answer.ts).
import { downloadEvent, errorEvent, networkAttemptEvent, type Attribution, type CaptureEvent } from '../events.js';
import type { ToolParser, ToolParserFactory } from './tool-parser.js';
import { CurlVerbose, type CurlTransfer } from './curl-verbose.js';
import { baseName } from './pip-files.js';
import { WGET_CERTIFICATE_ERROR } from './pip-messages.js';
import { answeredOverNetwork } from './http-answer.js';

/** curl exit codes that mean the network could not be reached, answered nothing usable, or with a certificate curl does not trust (60: a TLS-intercepting proxy, as pip's SSL retries count too). */
const CURL_NETWORK_CODES = new Set([5, 6, 7, 28, 35, 52, 55, 56, 60]);

const CURL_RE = /^curl: \((\d+)\) (.*)$/;
/** `curl -f`: `curl: (22) The requested URL returned error: 404`. */
const CURL_HTTP_ERROR = 22;
/**
 * A row of curl's progress meter (`  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0`).
 * curl ends each row with `\r`, not a newline, so its error message lands on the row's line.
 */
const CURL_METER_ROW = /^ *\d{1,3}(?: +\d[\d.]*[kMGTP]?){7} +[\d:-]+ +[\d:-]+ +[\d:-]+ +\d[\d.]*[kMGTP]?$/;
/** `--DATE TIME--  URL` (wget ≤ 1.10: `--TIME--  URL`); a retry puts `(try: 2)` (`(try:10)`) before the URL. */
const WGET_START_RE = /^--(?:(\d{4}-\d\d-\d\d) )?(\d\d:\d\d:\d\d)--\s+(?:\(try: ?\d+\)\s+)?(\S+)/;
/**
 * `DATE TIME (rate) - ‘file’ saved [n/n]`, or `- written to stdout [n/n]` for `-O -`. wget ≤ 1.10
 * prints a time without a date, which the log reader takes off as a CI clock prefix.
 */
const WGET_SAVED_RE = /^(?:(?:(\d{4}-\d\d-\d\d) )?(\d\d:\d\d:\d\d) )?\(.*\) - (?:[‘'"`](.*)[’'"] saved|written to stdout) \[(\d+)(?:\/\d+)?\]/;
/**
 * The same line in another language: `- 已保存 ‘x’ [n/n])`, `- “x” 已保存 [n]`, `- »x« gespeichert [n/n]`,
 * `— « x » sauvegardé [n/n]` (an em dash). The file is the quoted name, whatever the quotes.
 */
const WGET_SAVED_TRANSLATED_RE = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) \([^)]*\) [-\u2014] (.+) \[(\d+)(?:\/\d+)?\]\)?\s*$/;
const ANY_QUOTED = /[‘“«»„`'"]+\s*([^‘’“”«»„`'"]+?)\s*[’”»«“`'"]/;
/** A transfer cut short: `DATE TIME (rate) - Read error at byte n/m (reason). Retrying.` (or `Giving up.`). */
const WGET_BROKEN_RE = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) \(.*?\) - ((?:Read error|Connection closed) at byte .*?)\.? (?:Retrying|Giving up)\.$/;
const WGET_NV_RE = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) URL: ?(\S+) \[(\d+)(?:\/\d+)?\] -> "(.*)" \[\d+\]/;
const WGET_HTTP_ERROR_RE = /^(?:(?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d )?(ERROR \d+: .*)$/;
/** The same in another language (`FEHLER 404: Not Found.`, `错误 404：Not Found。`): a capitalised or non-Latin word. */
const WGET_HTTP_ERROR_TRANSLATED_RE = /^(?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d ((?:[A-ZÀ-Þ]+|[^\x00-\x7F]+) \d{3})[:：] ?(.*?)[.。]?$/;
/** Lines within which the same DNS failure counts once. */
const GENERIC_REPEAT_WINDOW = 64;
const DNS_HINT = /resol|ENOTFOUND|not known|dial tcp|net\/http: /;
/**
 * Go's net errors (the Docker daemon, BuildKit, registry clients): `dial tcp: lookup h on
 * 127.0.0.53:53: no such host`, `dial tcp 10.0.0.1:443: connect: connection refused`.
 */
const GO_DIAL_RE =
  /dial tcp(?: ([^\s:]+(?::\d+)?))?: (?:lookup ([^\s:]+)(?: on \S+)?: )?(?:no such host|server misbehaving|Temporary failure in name resolution|i\/o timeout|connect: (?:connection refused|network is unreachable|no route to host))/;

/**
 * Go's HTTP client giving up (the Docker daemon pulling an image): `Get "https://h/v2/":
 * net/http: TLS handshake timeout`, `… net/http: request canceled while waiting for
 * connection (Client.Timeout exceeded while awaiting headers)`; old daemons leave the URL unquoted.
 */
const GO_HTTP_RE = /\b(?:Get|Head) "?(https?:\/\/[^"\s]+?)"?: (net\/http: [^"]*?)\.?(?:"|$)/;

/** The URL (`Head "https://h/v2/…"`) or host a Go net error names, and the error; null if none. */
export function goDialFailure(text: string): { target: string; error: string } | null {
  const m = GO_DIAL_RE.exec(text);
  if (m === null) {
    const http = text.includes('net/http: ') ? GO_HTTP_RE.exec(text) : null;
    return http === null ? null : { target: http[1] ?? '', error: http[2] ?? '' };
  }
  const url = /"(https?:\/\/[^"\s]+)"/.exec(text)?.[1];
  return { target: url ?? m[2] ?? m[1] ?? 'unknown host', error: m[0] };
}
/** busybox wget's messages for a connection that broke: `wget: error getting response: Connection reset by peer`. */
const BUSYBOX_BROKEN = ['error getting response', 'download timed out', 'connection closed prematurely'];
const BUSYBOX_DONE = / 100% \|[* ]*\|\s*(\d+)([kMGTPEZY]?)\s+(?:\d+:\d\d:\d\d|--:--:--) ETA$/;
const GIT_FATAL = 'fatal: unable to ';
const GIT_RPC_FAILED = 'error: RPC failed; ';
/** ssh (git's transport for `git@host:` remotes) failing to reach its host. */
const SSH_UNRESOLVED = /^Could not resolve hostname ([^\s:]+): (.+)$/;
const SSH_CONNECT = /^connect to host (\S+) port (\d+): (.+)$/;
const WGET_AWAITING = 'HTTP request sent, awaiting response... ';
const QUOTED = /[‘'"`]([^’'"`]+)[’'"`]/;

export const createNetClientParser: ToolParserFactory = (emit, at) => new NetClientParser(emit, at);

class NetClientParser implements ToolParser {
  /** The URL wget is working on, from its `--DATE--  URL` line. */
  /** git's `fatal: unable to connect to h:`, whose reason is on the next line. */
  private gitHost: string | null = null;
  private wgetUrl: string | null = null;
  /** The URL whose certificate failure was reported (wget explains it in several lines). */
  private wgetCertificateUrl: string | null = null;
  private wgetTime: string | null = null;
  /** A host whose resolution failure was just reported (wget repeats it on the next line). */
  private lastFailedHost: string | null = null;
  private curlHost: string | null = null;
  private curlVerbose = new CurlVerbose();
  private busyboxHost: string | null = null;
  private wget2Destination: string | null = null;
  private busyboxDestination: string | null = null;
  /** From busybox's last progress line: `name  100% |****|  5175k  0:00:00 ETA`. */
  private busyboxSize: number | null = null;
  private lineNumber = 0;
  private lastGeneric: string | null = null;
  private lastGenericLine = 0;
  /**
   * Inside the traceback pip prints after `ERROR: Exception:`. Its chained exceptions name
   * one failed try three or four times (gaierror, NewConnectionError, MaxRetryError,
   * ConnectionError); the pip parser reports that try from the last line.
   */
  private pipTraceback = false;
  private pipTracebackLines = 0;

  constructor(
    private readonly emit: (event: CaptureEvent) => void,
    private readonly at: Attribution,
  ) {}

  line(text: string): void {
    if (this.pipTraceback) {
      if (++this.pipTracebackLines <= MAX_TRACEBACK_LINES && isTracebackLine(text)) return;
      this.pipTraceback = false;
    }
    // Only between busybox's `Connecting to` and its `saved`: the line starts with the file's name.
    if (this.busyboxHost !== null && this.busyboxProgress(text)) return;
    switch (text.charCodeAt(0)) {
      case 69: // E
        if (text === 'ERROR: Exception:') {
          this.pipTraceback = true;
          this.pipTracebackLines = 0;
          return;
        }
        if (this.wgetUrl !== null && text.startsWith('ERROR: ') && WGET_CERTIFICATE_ERROR.test(text.slice(7))) return this.wgetCertificate(text.slice(7));
        if (this.wgetUrl !== null && this.wgetSaved(text)) return; // old wget's `ERROR 404: Not Found.`, its time taken off
        break;
      case 40: // ( (old wget's `(1.11 MB/s) - `file' saved [1160/1160]`, its time taken off)
        if (this.wgetUrl !== null && this.wgetSaved(text)) return;
        break;
      case 99: // c
        if (text.startsWith('curl: (')) return this.curl(text);
        break;
      case 42: // *
        if (text.startsWith('*   Trying ')) this.curlHost = text.slice(11).replace(/\.\.\.$/, '') || null;
        else this.curlDownload(this.curlVerbose.line(text));
        return;
      case 60: // <
      case 62: // >
        this.curlDownload(this.curlVerbose.line(text));
        return;
      case 45: // -
        if (text.startsWith('--')) return this.wgetStart(text);
        break;
      case 82: // R
        if (text.startsWith('Resolving ') && text.includes('... failed: ')) return this.wgetFailed(text, true);
        break;
      case 67: // C
        if (text.startsWith('Connecting to ')) {
          if (text.includes('... failed: ')) return this.wgetFailed(text, false);
          // busybox: `Connecting to host:port (ip:port)` — it never prints the URL.
          if (text.endsWith(')')) this.busyboxHost = text.slice(14).split(' ')[0] || null;
          return;
        }
        break;
      case 83: // S (wget2: `Saving 'x.tar.gz'` before its `HTTP response 200 OK [URL]`)
        if (text.startsWith("Saving '") && text.endsWith("'")) {
          this.wget2Destination = text.slice(8, -1);
          return;
        }
        break;
      case 72: // H
        if (text.startsWith('HTTP response ')) return this.wget2Response(text);
        if (text.startsWith(WGET_AWAITING)) return this.wgetNoAnswer(text.slice(WGET_AWAITING.length));
        break;
      case 85: // U
        if (text === 'Unable to establish SSL connection.') return this.wgetBroken('Unable to establish SSL connection', null);
        break;
      case 115: // s
        if (text.startsWith("saving to '")) {
          this.busyboxDestination = text.slice(11, -1);
          return;
        }
        if (text.startsWith('ssh: ') && this.sshFailure(text.slice(5))) return;
        break;
      case 101: // e (git: `error: RPC failed; curl 56 …`, a fetch cut off mid-transfer)
        if (text.startsWith(GIT_RPC_FAILED)) return this.gitRpcFailed(text.slice(GIT_RPC_FAILED.length));
        break;
      case 39: // ' (busybox: `'/tmp/x.tar.gz' saved`)
        if (text.endsWith("' saved")) return this.busyboxSaved(text.slice(1, -7));
        break;
      case 119: // w
        if (text.startsWith('wget: unable to resolve host address ')) return this.wgetUnresolved(text);
        if (text.startsWith('wget: ')) return this.busyboxError(text);
        if (text === 'written to stdout') return this.busyboxSaved('-'); // busybox `-O -`
        break;
      case 48: // 0
      case 49: // 1
      case 50: // 2 (a date or a time: wget's `saved` and `-nv` lines; curl's meter at 100%)
        this.digitLine(text);
        return;
      case 102: // f (git: `fatal: unable to access 'URL': …`)
        if (text.startsWith(GIT_FATAL)) return this.gitFatal(text.slice(GIT_FATAL.length));
        break;
      case 32: // pip indents the output of the `git clone` it runs; curl's meter rows start with spaces
        if (this.curlAfterMeter(text) || this.gitIndented(text)) return;
        break;
      default:
        if (this.gitHost !== null) this.gitErrno(text);
        break;
    }
    this.genericDns(text);
  }

  private digitLine(text: string): void {
    if (text.charCodeAt(0) === 49 && this.curlAfterMeter(text)) return;
    // A date, or the time old wget (≤ 1.10) prints alone while it works on a URL.
    if ((text.startsWith('20') || this.wgetUrl !== null) && this.wgetSaved(text)) return;
    if (this.gitHost !== null) this.gitErrno(text); // `192.0.2.4[0: 192.0.2.4]: errno=…`
  }

  /** `  fatal: unable to access …` in pip's output: true if it was git's. */
  private gitIndented(text: string): boolean {
    let i = 1;
    while (i < 8 && text.charCodeAt(i) === 32) i++;
    if (text.charCodeAt(i) === 102 && text.startsWith(GIT_FATAL, i)) {
      this.gitFatal(text.slice(i + GIT_FATAL.length));
      return true;
    }
    if (this.gitHost !== null) this.gitErrno(text.slice(i));
    return false;
  }

  /**
   * `fatal: unable to access 'https://h/r.git/': Could not resolve host: h` (git over HTTP),
   * `fatal: unable to connect to h:` + `h[0: 192.0.2.1]: errno=Connection refused` (git://).
   */
  private gitFatal(rest: string): void {
    const access = /^access '([^']+)': (.*)$/.exec(rest);
    if (access !== null) {
      const url = access[1] ?? '';
      const reason = access[2] ?? '';
      if (reason.startsWith('The requested URL returned error: ')) this.httpError('git', url, reason, `${url}: ${reason}`);
      else this.emit(networkAttemptEvent({ ...this.base('git'), url_or_host: url, error: reason }));
      return;
    }
    const connect = /^connect to (\S+):$/.exec(rest);
    if (connect?.[1] !== undefined) this.gitHost = connect[1];
  }

  /** `ssh: Could not resolve hostname h: …`, `ssh: connect to host h port 22: …`; false if `rest` is neither. */
  private sshFailure(rest: string): boolean {
    const unresolved = SSH_UNRESOLVED.exec(rest);
    const connect = unresolved === null ? SSH_CONNECT.exec(rest) : null;
    if (unresolved !== null) this.emit(networkAttemptEvent({ ...this.base('ssh'), url_or_host: unresolved[1] ?? '', error: unresolved[2] ?? '' }));
    else if (connect !== null) this.emit(networkAttemptEvent({ ...this.base('ssh'), url_or_host: `${connect[1]}:${connect[2]}`, error: connect[3] ?? '' }));
    return unresolved !== null || connect !== null;
  }

  /**
   * `RPC failed; curl 56 GnuTLS recv error (-9): …`: git's HTTP transfer broke (git names no URL
   * there); `RPC failed; HTTP 500 curl 22 …`: the server answered with an error.
   */
  private gitRpcFailed(reason: string): void {
    const curl = /^curl (\d+) /.exec(reason);
    if (curl !== null && CURL_NETWORK_CODES.has(Number(curl[1]))) this.emit(networkAttemptEvent({ ...this.base('git'), url_or_host: 'unknown host', error: reason }));
    else this.emit(errorEvent({ ...this.base('git'), message: `RPC failed; ${reason}` }));
  }

  /** The line after `fatal: unable to connect to h:` says why (`h[0: ip]: errno=…`). */
  private gitErrno(text: string): void {
    const host = this.gitHost ?? '';
    this.gitHost = null;
    const errno = text.startsWith(`${host}[`) ? /\]: errno=(.*)$/.exec(text)?.[1] : undefined;
    this.emit(networkAttemptEvent({ ...this.base('git'), url_or_host: host, error: errno ?? 'unable to connect' }));
  }

  end(): void {
    this.curlDownload(this.curlVerbose.finish());
    this.curlVerbose = new CurlVerbose();
    if (this.gitHost !== null) this.gitErrno('');
    this.wgetUrl = null;
    this.wgetCertificateUrl = null;
    this.wgetTime = null;
    this.lastFailedHost = null;
    this.curlHost = null;
    this.busyboxHost = null;
    this.busyboxDestination = null;
    this.busyboxSize = null;
    this.wget2Destination = null;
    this.lastGeneric = null;
    this.pipTraceback = false;
  }

  /** wget2 (Fedora's wget): `HTTP response 200 OK [URL]`; a 3xx is followed by `Adding URL:`. */
  private wget2Response(text: string): void {
    const m = /^HTTP response (\d{3}) [^[]*\[(\S+)\]$/.exec(text);
    if (m === null) return;
    const status = Number(m[1]);
    if (status >= 200 && status <= 299) this.wgetDownload(m[2] ?? null, this.wget2Destination, null, null);
    else if (status >= 400) this.httpError('wget', m[2] ?? '', `HTTP response ${status}`, `${m[2] ?? ''}: HTTP response ${status}`);
    this.wget2Destination = null;
  }

  /** busybox wget names the host it connects to and the file it saved, never the URL. */
  private busyboxSaved(destination: string): void {
    this.wgetDownload(null, this.busyboxDestination ?? destination, this.busyboxSize, null);
    this.busyboxHost = null;
    this.busyboxDestination = null;
    this.busyboxSize = null;
  }

  /**
   * busybox's progress line at 100%: the bytes moved, below 100000 as they are, above in
   * units of 1024 (`1024k`, `12M`, rounded down), so a large file's size is approximate.
   */
  private busyboxProgress(text: string): boolean {
    const m = BUSYBOX_DONE.exec(text);
    if (m === null) return false;
    this.busyboxSize = Number(m[1]) * 1024 ** ' kMGTPEZY'.indexOf(m[2] || ' ');
    return true;
  }

  /** `wget: bad address 'h'`, `wget: can't connect to remote host (ip): Connection refused`, `wget: server returned error: …`. */
  private busyboxError(text: string): void {
    const bad = /^wget: bad address '([^']+)'/.exec(text);
    if (bad?.[1] !== undefined) {
      this.emit(networkAttemptEvent({ ...this.base('wget'), url_or_host: bad[1], error: 'bad address (DNS lookup failed)' }));
      return;
    }
    const refused = /^wget: can't connect to remote host \(([^)]+)\): (.*)$/.exec(text);
    if (refused?.[1] !== undefined) {
      this.emit(networkAttemptEvent({ ...this.base('wget'), url_or_host: this.busyboxHost ?? refused[1], error: refused[2] ?? 'cannot connect' }));
      return;
    }
    // The connection broke after it was made (busybox never retries).
    const broken = BUSYBOX_BROKEN.find((start) => text.startsWith(start, 6));
    if (broken !== undefined) {
      const error = text.slice(6);
      this.emit(networkAttemptEvent({ ...this.base('wget'), url_or_host: this.busyboxHost ?? 'unknown host', error }));
      return;
    }
    if (text.startsWith('wget: server returned error: ')) {
      this.httpError('wget', this.busyboxHost ?? 'unknown host', text.slice(29), `${this.busyboxHost ?? 'server'}: ${text.slice(29)}`);
      return;
    }
    this.wgetUnresolvedTranslated(text);
  }

  /** GNU wget's `unable to resolve host address ‘h’` in another language (`wget: 无法解析主机地址 “h”`), naming the host of the URL it was fetching. */
  private wgetUnresolvedTranslated(text: string): void {
    if (this.wgetUrl === null) return;
    const host = ANY_QUOTED.exec(text)?.[1];
    if (host === undefined || host !== urlHost(this.wgetUrl)) return;
    this.emit(networkAttemptEvent({ ...this.base('wget'), url_or_host: this.wgetUrl, error: text.slice(6).trim() }));
  }

  /** A server answered `url` with an HTTP error status (see http-answer.ts). */
  private httpError(tool: string, url: string, status: string, message: string): void {
    this.emit(errorEvent({ ...this.base(tool), message }));
    if (answeredOverNetwork(url)) this.emit(networkAttemptEvent({ ...this.base(tool), url_or_host: url, error: status }));
  }

  private base(tool: string) {
    return { tool, service: this.at.service, step: this.at.step, timestamp: tool === 'wget' ? this.wgetTime : null };
  }

  /** A transfer `curl -v` showed complete (a GET answered 2xx). */
  private curlDownload(transfer: CurlTransfer | null): void {
    if (transfer === null) return;
    const filename = baseName(transfer.url);
    this.emit(
      downloadEvent({
        ...this.base('curl'),
        kind: 'file',
        cached: false,
        filename: filename === '' ? null : filename,
        source: transfer.url,
        size: transfer.size,
      }),
    );
  }

  /** `  0     0 … --:--:--     0curl: (6) Could not resolve host: h`: true if it was one. */
  private curlAfterMeter(text: string): boolean {
    const at = text.indexOf('curl: (');
    if (at <= 0 || !CURL_METER_ROW.test(text.slice(0, at))) return false;
    this.curl(text.slice(at));
    return true;
  }

  private curl(text: string): void {
    const m = CURL_RE.exec(text);
    if (m === null) return;
    this.curlVerbose.abandon();
    const code = Number(m[1]);
    const message = m[2] ?? '';
    if (code === CURL_HTTP_ERROR) {
      this.httpError('curl', this.curlHost ?? 'unknown host', message, text);
      return;
    }
    if (!CURL_NETWORK_CODES.has(code)) {
      this.emit(errorEvent({ ...this.base('curl'), message: text }));
      return;
    }
    let host = this.curlHost ?? 'unknown host';
    const resolve = /^Could not resolve (?:proxy|host): (\S+)/.exec(message);
    const connect = /^Failed to connect to (\S+) port (\d+)/.exec(message);
    if (resolve?.[1] !== undefined) host = resolve[1];
    else if (connect?.[1] !== undefined) host = `${connect[1]}:${connect[2] ?? ''}`;
    this.emit(networkAttemptEvent({ ...this.base('curl'), url_or_host: host, error: message }));
  }

  private wgetStart(text: string): void {
    const m = WGET_START_RE.exec(text);
    if (m === null) return;
    this.wgetTime = m[1] === undefined ? null : `${m[1]}T${m[2]}`;
    this.wgetUrl = m[3] ?? null;
    this.lastFailedHost = null;
    this.wgetCertificateUrl = null;
  }

  /** `Resolving h (h)... failed: Name or service not known.` / `Connecting to h:1... failed: Connection refused.` */
  private wgetFailed(text: string, resolving: boolean): void {
    const at = text.indexOf('... failed: ');
    const reason = text.slice(at + 12).replace(/\.$/, '');
    const subject = text.slice(resolving ? 10 : 14, at).split(' ')[0] ?? '';
    if (resolving) this.lastFailedHost = subject;
    const target = this.wgetUrl ?? subject;
    if (target === '') return;
    this.emit(networkAttemptEvent({ ...this.base('wget'), url_or_host: target, error: reason }));
  }

  private wgetUnresolved(text: string): void {
    const host = QUOTED.exec(text)?.[1] ?? text.slice(37).trim();
    if (host === '' || host === this.lastFailedHost) return;
    this.emit(networkAttemptEvent({ ...this.base('wget'), url_or_host: host, error: 'unable to resolve host address' }));
  }

  /** wget's lines that start with a date or time; false if `text` is none of them. */
  private wgetSaved(text: string): boolean {
    const saved = WGET_SAVED_RE.exec(text);
    if (saved !== null && this.wgetUrl !== null) {
      // `-O -` names no file; `-nv` calls it `-` too.
      this.wgetDownload(this.wgetUrl, saved[3] ?? '-', Number(saved[4]), saved[1] === undefined ? null : `${saved[1]}T${saved[2]}`);
      return true;
    }
    const broken = WGET_BROKEN_RE.exec(text);
    if (broken !== null) {
      this.wgetBroken(broken[3] ?? '', `${broken[1]}T${broken[2]}`);
      return true;
    }
    const failed = WGET_HTTP_ERROR_RE.exec(text);
    if (failed !== null) {
      const url = this.wgetUrl;
      const error = (failed[1] ?? '').replace(/\.$/, '');
      this.httpError('wget', url ?? 'unknown host', error, url === null ? failed[1] ?? text : `${url}: ${failed[1] ?? ''}`);
      return true;
    }
    const nv = WGET_NV_RE.exec(text);
    if (nv?.[3] === undefined) return this.wgetSavedTranslated(text) || this.wgetHttpErrorTranslated(text);
    this.wgetDownload(nv[3], nv[5] ?? null, Number(nv[4]), `${nv[1]}T${nv[2]}`);
    return true;
  }

  /**
   * A translated wget's `Resolving h (h)... failed: …` (`正在解析主机 h (h)... 失败：…`): its
   * `wget: … ‘h’` line that follows is the failure, at the URL.
   */
  private wgetResolving(text: string): boolean {
    const host = this.wgetUrl === null ? null : urlHost(this.wgetUrl);
    return host !== null && host !== '' && text.includes(` ${host} (${host})`);
  }

  /** A translated wget's `ERROR 404: Not Found.` for the URL it is working on; false if `text` is none. */
  private wgetHttpErrorTranslated(text: string): boolean {
    const m = this.wgetUrl === null ? null : WGET_HTTP_ERROR_TRANSLATED_RE.exec(text);
    if (m === null || this.wgetUrl === null) return false;
    const error = `${m[1] ?? ''}: ${m[2] ?? ''}`;
    this.httpError('wget', this.wgetUrl, error, `${this.wgetUrl}: ${error}`);
    return true;
  }

  /** A translated wget's `saved` line for the URL it is working on; false if `text` is none. */
  private wgetSavedTranslated(text: string): boolean {
    if (this.wgetUrl === null) return false;
    const m = WGET_SAVED_TRANSLATED_RE.exec(text);
    const name = m === null ? undefined : ANY_QUOTED.exec(m[3] ?? '')?.[1];
    if (m === null || name === undefined) return false;
    this.wgetDownload(this.wgetUrl, name, Number(m[4]), `${m[1]}T${m[2]}`);
    return true;
  }

  /** `ERROR: The certificate of ‘h’ is not trusted.` (one try may print several such lines). */
  private wgetCertificate(error: string): void {
    if (this.wgetCertificateUrl === this.wgetUrl) return;
    this.wgetCertificateUrl = this.wgetUrl;
    this.wgetBroken(error.replace(/[.:]$/, ''), null);
  }

  /** `HTTP request sent, awaiting response... Read error (Connection reset by peer) in headers.` */
  private wgetNoAnswer(answer: string): void {
    if (answer.startsWith('Read error') || answer.startsWith('No data received')) this.wgetBroken(answer.replace(/\.$/, ''), null);
  }

  /** A try of the URL wget is working on that failed after connecting; a retry starts with a new `--DATE--` line. */
  private wgetBroken(error: string, timestamp: string | null): void {
    const url = this.wgetUrl ?? 'unknown host';
    this.emit(networkAttemptEvent({ ...this.base('wget'), url_or_host: url, error, timestamp: timestamp ?? this.wgetTime }));
  }

  private wgetDownload(url: string | null, destination: string | null, size: number | null, timestamp: string | null): void {
    const path = (url ?? destination ?? '').split(/[?#]/)[0] ?? '';
    const filename = path.slice(path.lastIndexOf('/') + 1);
    this.emit(
      downloadEvent({
        ...this.base('wget'),
        kind: 'file',
        cached: false,
        filename: filename === '' || filename === '-' ? null : filename,
        source: url,
        destination,
        size,
        timestamp,
      }),
    );
    this.wgetUrl = null;
  }


  /** `Error response from daemon: Get "https://h/v2/": dial tcp: lookup h …: no such host` */
  private goDial(text: string): boolean {
    const failure = text.includes('dial tcp') || text.includes('net/http: ') ? goDialFailure(text) : null;
    if (failure === null) return false;
    if (!ownedByAnotherParser(text)) this.reportOnce(failure.target, failure.error, text);
    return true;
  }

  /** One network attempt for a failure a few lines repeat (a traceback: gaierror, then URLError). */
  private reportOnce(target: string, error: string, text: string): void {
    const key = `${target}\0${error}`;
    if (key === this.lastGeneric && this.lineNumber - this.lastGenericLine <= GENERIC_REPEAT_WINDOW) return;
    this.lastGeneric = key;
    this.lastGenericLine = this.lineNumber;
    this.emit(networkAttemptEvent({ ...this.base(guessTool(text)), url_or_host: target, error }));
  }

  /**
   * DNS failures from any program. Lines other parsers own (apt's `W:`/`E:`/`Err:` and
   * indented reasons, pip's `WARNING:`/`ERROR:` and log lines, npm's `npm …`, pnpm's badges) are left to them.
   */
  private genericDns(text: string): void {
    this.lineNumber++;
    // One alternation regex rejects almost every line in a single scan (measured faster
    // than three indexOf calls on real build output).
    if (!DNS_HINT.test(text)) return;
    if (this.goDial(text)) return;
    const resol = text.indexOf('resol');
    const notFound = resol === -1 ? text.indexOf('ENOTFOUND') : -1;
    const notKnown = resol === -1 && notFound === -1 ? text.indexOf('not known') : -1;
    if (ownedByAnotherParser(text) || this.wgetResolving(text)) return;
    let host: string | null = null;
    let error: string;
    if (notFound !== -1) {
      const m = /getaddrinfo ENOTFOUND (\S+)/.exec(text);
      if (m === null) return;
      host = m[1] ?? null;
      error = m[0];
    } else if (notKnown !== -1) {
      error = 'Name or service not known';
    } else if (text.includes('Could not resolve host')) {
      const m = /Could not resolve host:? ['"]?([^\s'"]+)/.exec(text);
      host = m?.[1] ?? null;
      error = 'Could not resolve host';
    } else if (text.includes('Temporary failure in name resolution')) {
      error = 'Temporary failure in name resolution';
    } else {
      return;
    }
    host ??= /host='([^']+)'/.exec(text)?.[1] ?? /https?:\/\/[^\s'"<>)]+/.exec(text)?.[0] ?? 'unknown host';
    this.reportOnce(host, error, text);
  }
}

/** Longest pip traceback skipped (pip 23's for a failed download is about 110 lines). */
const MAX_TRACEBACK_LINES = 1000;
/** `socket.gaierror: …`, `ConnectionRefusedError: …` (not `curl: (6) …`). */
const EXCEPTION_LINE = /^(?:(?:[A-Za-z_]\w*\.)+\w+|\w*(?:Error|Exception))(?::|$)/;

/** A line of a Python traceback: indented, blank, a header, or `module.Exception: message`. */
function isTracebackLine(text: string): boolean {
  const first = text.charCodeAt(0);
  if (Number.isNaN(first) || first === 32 || first === 9) return true;
  return (
    text === 'Traceback (most recent call last):' ||
    text.startsWith('During handling of the above exception') ||
    text.startsWith('The above exception was the direct cause') ||
    EXCEPTION_LINE.test(text)
  );
}

function ownedByAnotherParser(text: string): boolean {
  const first = text.charCodeAt(0);
  if (first === 32 || first === 9 || first === 0x2009) return true; // 0x2009: pnpm 10's badge padding
  if (first >= 48 && first <= 57) return true; // pip --log, wget dates
  return (
    text.startsWith('W: ') ||
    text.startsWith('E: ') ||
    text.startsWith('Err:') ||
    text.startsWith('WARNING: ') ||
    text.startsWith('ERROR: ') ||
    // pip < 19.3 printed its network failures without `WARNING:`/`ERROR:`.
    text.startsWith('Retrying (Retry(') ||
    text.startsWith('Could not install packages due to an ') ||
    text.startsWith('Could not fetch URL ') ||
    text.startsWith('npm ') ||
    text.startsWith('ERR_PNPM_') ||
    text.startsWith('WARN  GET ') || // pnpm, its badge's padding trimmed
    text.startsWith('error An unexpected error occurred: ') || // yarn
    text.startsWith('error Error: http') ||
    text.startsWith('➤ YN') || // yarn 2–4
    text.startsWith('Download error') || // easy_install
    text.startsWith('curl: ') ||
    text.startsWith('wget: ')
  );
}

function guessTool(text: string): string {
  if (text.includes('Error response from daemon') || text.includes('/v2/') || text.includes('net/http: ')) return 'docker';
  if (text.includes('gaierror') || text.includes('urllib') || text.includes('Errno')) return 'python';
  if (text.includes('ENOTFOUND')) return 'node';
  return 'unknown';
}

/** The host of `url` (`http://wget/` → `wget`), or null if it is none. */
function urlHost(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}
