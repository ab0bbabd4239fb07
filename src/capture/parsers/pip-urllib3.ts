// What urllib3 and requests say, through pip, when a connection or a transfer fails: the
// server they name, the reason worth keeping, and the exception lines that end pip's traceback.

/** The useful part of urllib3's `NewConnectionError('<...>: Failed to establish ...: [Errno 111] Connection refused')`. */
export function connectionErrorReason(text: string): string {
  const marker = 'Failed to establish a new connection: ';
  const at = text.indexOf(marker);
  if (at !== -1) {
    const rest = text.slice(at + marker.length);
    const end = rest.indexOf("')");
    return end === -1 ? rest : rest.slice(0, end);
  }
  const errno = /\[Errno -?\d+\][^'")]*/.exec(text);
  if (errno !== null) return errno[0].trim();
  // Timeouts name an object at an address that changes each try: keep urllib3's sentence,
  // so that a file's five retries read (and count) as one failure.
  const timeout = /'(Connection to \S+ timed out\. \(connect timeout=[\d.]+\))'/.exec(text) ?? /: (Read timed out\. \(read timeout=[\d.]+\))/.exec(text);
  if (timeout !== null) return timeout[1] ?? text;
  return text.length > 300 ? text.slice(0, 300) : text;
}

// pip ≥ 19.2 prefixes `WARNING: `; older pips print the bare urllib3 message.
export const RETRY_RE = /^(?:WARNING: )?Retrying \(.*\) after connection broken by '(.*)': (\S+)$/;
/** urllib3 names the server it tried: `HTTPSConnectionPool(host='h', port=443)`. */
export const POOL_RE = /(HTTPS?)ConnectionPool\(host='([^']+)', port=(\d+)\)/;
/** pip's last try of a file: `…ConnectionPool(host=…): Max retries exceeded with url: /p (Caused by X)`. */
export const MAX_RETRIES_RE = /: Max retries exceeded with url: (\S+) \(Caused by (.*)\)$/;

/** `ConnectTimeoutError(<…HTTPSConnection object at 0x…>, 'Connection to h timed out. …')` */
export const TIMEOUT_RE = /(HTTPS?)Connection object at [^>]*>, 'Connection to ([^\s']+) timed out/;

/** `https://h` (default port left out) of the server urllib3 names in `text`, or null. */
export function poolOrigin(text: string): string | null {
  const pool = POOL_RE.exec(text);
  const timeout = pool === null ? TIMEOUT_RE.exec(text) : null;
  const m = pool ?? timeout;
  if (m === null) return null;
  const scheme = m[1] === 'HTTPS' ? 'https' : 'http';
  const port = pool === null || m[3] === (scheme === 'https' ? '443' : '80') ? '' : `:${m[3] ?? ''}`;
  const host = (m[2] ?? '').includes(':') ? `[${m[2] ?? ''}]` : m[2] ?? '';
  return `${scheme}://${host}${port}`;
}
/**
 * The last line of pip's traceback when a file's transfer broke (old pips:
 * `requests.packages.urllib3`; Debian's pip, unvendored, has no `pip._vendor.`; Python 2
 * prints the bare class name: `ReadTimeoutError: HTTPSConnectionPool(…): Read timed out.`).
 */
export const BROKEN_TRANSFER_RE =
  /^(pip\._vendor\.)?(?:(?:requests\.packages\.)?(?:urllib3|requests)\.exceptions\.)?(ReadTimeoutError|ReadTimeout|ProtocolError|IncompleteRead|ChunkedEncodingError): (.*)$/;
/** The first words of the exception names BROKEN_TRANSFER_RE reads without `pip._vendor.`. */
const BARE_TRANSFER_ERRORS = ['requests.', 'urllib3.', 'ReadTimeout', 'ProtocolError', 'IncompleteRead', 'ChunkedEncodingError'];

/** Asked of every line pip's parser does not otherwise know: prefixes, not a regex, so a miss costs next to nothing. */
export function isBareTransferError(text: string): boolean {
  return BARE_TRANSFER_ERRORS.some((start) => text.startsWith(start));
}

/** urllib3's debug line (`-v`) as it opens a connection: `Starting new HTTPS connection (2): pypi.org:443`. */
export const NEW_CONNECTION_RE = /^Starting new (HTTPS?) connection \(\d+\): (\S+?)(?::(\d+))?$/;
