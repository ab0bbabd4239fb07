// `curl -v` output: the only place a successful curl
// names what it fetched. A transfer is
//   * Connected to HOST (IP) port PORT (#0)
//   > GET /path HTTP/1.1            (through a proxy: `> GET http://host/path HTTP/1.1`)
//   > Host: host:port
//   < HTTP/1.1 200 OK               (curl 8 with HTTP/2: `< HTTP/2 200`)
//   < Content-Length: 1234
//   * Connection #0 to host HOST left intact   |   * Closing connection 0
// A redirect (`* Issue another request to this URL`) ends one transfer and starts the next;
// only a GET answered 2xx is a download. `> CONNECT host:443` opens a proxy tunnel, not a fetch.

export interface CurlTransfer {
  readonly url: string;
  readonly size: number | null;
}

interface Request {
  readonly method: string;
  readonly target: string;
  host: string | null;
  status: number | null;
  size: number | null;
}

const REQUEST_RE = /^> ([A-Z]+) (\S+) HTTP\/[\d.]+$/;
const STATUS_RE = /^< HTTP\/[\d.]+ (\d{3})/;
const CONNECTED_RE = /^\* Connected to (\S+) \([^)]*\) port (\d+)/;
const REUSED_RE = / with host (\S+)/;

export class CurlVerbose {
  /** `host:port` of the open connection; `>`/`<` lines only count while one is open. */
  private connection: string | null = null;
  private tls = false;
  private request: Request | null = null;

  /** Takes a line starting with `*`, `>` or `<`; returns the transfer it completed, if any. */
  line(text: string): CurlTransfer | null {
    const first = text.charCodeAt(0);
    if (first === 42 /* * */) return this.info(text);
    if (this.connection === null) return null;
    if (first === 62 /* > */) return this.sent(text);
    if (first === 60 /* < */) this.received(text);
    return null;
  }

  /** The output ended (or curl failed): a transfer whose end was not printed is completed. */
  finish(): CurlTransfer | null {
    const request = this.request;
    this.request = null;
    if (request === null || request.method !== 'GET' || request.status === null || request.status < 200 || request.status > 299) {
      return null;
    }
    return { url: this.urlOf(request), size: request.size };
  }

  /** curl reported an error: the transfer in progress did not complete. */
  abandon(): void {
    this.request = null;
    this.connection = null;
  }

  private info(text: string): CurlTransfer | null {
    const connected = CONNECTED_RE.exec(text);
    if (connected !== null) {
      this.connection = `${connected[1] ?? ''}:${connected[2] ?? ''}`;
      this.tls = connected[2] === '443';
      return null;
    }
    if (text.startsWith('* SSL connection using') || text.startsWith('* TLSv1') || text.startsWith('* ALPN')) {
      this.tls = true;
      return null;
    }
    if (text.startsWith('* Re-using existing connection')) {
      this.connection ??= REUSED_RE.exec(text)?.[1] ?? 'unknown-host';
      return null;
    }
    if (text.startsWith('* Connection #') || text.startsWith('* Closing connection') || text.startsWith('* Issue another request')) {
      const done = this.finish();
      if (text.startsWith('* Closing')) this.connection = null;
      return done;
    }
    return null;
  }

  private sent(text: string): CurlTransfer | null {
    const m = REQUEST_RE.exec(text);
    if (m !== null) {
      const previous = this.finish();
      this.request = { method: m[1] ?? '', target: m[2] ?? '', host: null, status: null, size: null };
      return previous;
    }
    if (this.request !== null && /^> host: /i.test(text)) this.request.host = text.slice(8).trim();
    return null;
  }

  private received(text: string): void {
    const request = this.request;
    if (request === null) return;
    const status = STATUS_RE.exec(text);
    if (status !== null) {
      const code = Number(status[1]);
      // `100 Continue` precedes the real answer.
      if (code >= 200) {
        request.status = code;
        request.size = null;
      }
      return;
    }
    if (/^< content-length: /i.test(text)) {
      const size = Number(text.slice(18).trim());
      request.size = Number.isSafeInteger(size) ? size : null;
    }
  }

  private urlOf(request: Request): string {
    if (request.target.startsWith('http://') || request.target.startsWith('https://')) return request.target;
    const host = request.host ?? this.connection ?? 'unknown-host';
    return `${this.tls ? 'https' : 'http'}://${host}${request.target}`;
  }
}
