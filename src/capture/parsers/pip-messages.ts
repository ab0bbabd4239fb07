// The words of pip's own lines that the parser reads: its `ERROR:` messages (told apart
// from other tools' `ERROR:` lines), its HTTP errors, clones, `--log` timestamps and pipenv's
// logging prefix. Patterns only; what each line means for the ledger is decided in pip.ts.
import { isDigit } from './char-codes.js';
import { normalizeProjectName, parsePipSize } from './pip-files.js';

/**
 * wget's certificate errors start `ERROR: ` as pip's do (`ERROR: The certificate of ‘h’ is
 * not trusted.`, `ERROR: cannot verify h's certificate, issued by …:`): not pip's.
 */
export const WGET_CERTIFICATE_ERROR = /^(?:The certificate of |cannot verify |certificate common name |no certificate subject alternative name|No certificate presented by )/;
/**
 * The first words of the messages pip prints after `ERROR: ` (pip ≥ 19.3; `logger.error`
 * and `logger.critical` in pip 10–25), which no other tool's `ERROR:` lines start with.
 */
export const PIP_ERROR = new RegExp(
  `^(?:${[
    'Could not (?:find a version|install|build wheels|open requirements file|satisfy constraints|import setuptools|find an activated virtualenv)',
    'No matching distribution found for ',
    'Exception:$',
    'HTTP error \\d{3} while getting',
    'THESE PACKAGES DO NOT MATCH THE HASHES',
    'In --require-hashes mode',
    'Hashes are required in --require-hashes mode',
    'Command errored out with exit status ',
    'Failed (?:building wheel|building editable|cleaning build dir|to build) ',
    'Cannot install .+ because these package versions have conflicting dependencies',
    'ResolutionImpossible',
    "pip's (?:legacy )?dependency resolver",
    'Invalid requirement: ',
    'Double requirement given: ',
    "Directory '[^']*' is not installable",
    'File "setup\\.py"',
    "Package '[^']+' requires a different Python",
    'Requested .+ has (?:different name in metadata|inconsistent version)',
    'Cannot uninstall ',
    'Operation cancelled by user',
    'Error \\[Errno -?\\d+\\] .* while executing command ',
    "Cannot find command '",
    'Cannot unpack file ',
    'Can not (?:perform a |combine )',
    'Ignored the following versions that require a different python version',
    'unknown command "',
    'You must give at least one requirement',
    'Will not install to the user site',
    'To modify pip, please run',
    '\\S+ is not a supported wheel on this platform',
    "\\S+ \\S+ has requirement .+, but you(?:'ll| will) have .+ which is incompatible",
  ].join('|')})`,
);
export const SSL_PROBLEM = 'There was a problem confirming the ssl certificate: ';
export const OS_ERROR = 'Could not install packages due to an OSError: ';
/** pip's warning when a server refused the credentials it sent (`WARNING: 401 Error, Credentials not correct for URL`). */
export const CREDENTIALS_REFUSED = 'WARNING: 401 Error, Credentials not correct for ';
export const HASH_MISMATCH = 'THESE PACKAGES DO NOT MATCH THE HASHES';
/** `HTTP error 403 while getting https://h/x.whl (from https://h/simple/x/) (requires-python:>=3.8)` */
export const HTTP_ERROR_RE = /^HTTP error (\d{3}) while getting (\S+)/;
/**
 * `Could not install requirement x from URL because of HTTP error 404 Client Error: … for URL
 * https://h/x.whl#sha256=… (from …)` (pip 1: `because of HTTP error HTTP Error 403: Forbidden for URL …`).
 */
export const REQUIREMENT_HTTP_ERROR_RE = /because of HTTP error \D*(\d{3})\b.* for URL (\S+)/;
/** requests' exception as the last line of a traceback: `HTTPError: 404 Client Error: Not Found for url: https://h/simple/x/`. */
export const HTTP_ERROR_EXCEPTION_RE = /^(?:pip\._vendor\.)?(?:requests\.exceptions\.)?HTTPError: (\d{3}) (?:Client|Server) Error: .* for url: (\S+)$/;
/** pip's `Could not fetch URL X: 404 Client Error: Not Found for url: X - skipping` (`-v`). */
export const FETCH_HTTP_ERROR_RE = /^(\d{3}) (?:Client|Server) Error/;
/**
 * pip's default index, used when no `Looking in indexes:` line names another: its pages
 * (`/simple/x/`) and its files (`/packages/…`) are on two hosts. (pip 9's was
 * pypi.python.org; a later line naming the URL, as pip 9's `Could not fetch URL`, corrects it.)
 */
export const DEFAULT_INDEX = [
  { path: '/simple/', origin: 'https://pypi.org' },
  { path: '/packages/', origin: 'https://files.pythonhosted.org' },
];
/** `Cloning https://h/r.git (to revision v1.2) to /tmp/pip-req-build-x` (pip 7 and later; pip < 21 prints no `Resolved` line). */
export const CLONING_RE = /^((?:https?|git|ssh):\/\/\S+)(?: \(to (?:revision )?(\S+)\))? to \S/;
/** urllib3's debug line (`-vv`) of a `304 Not Modified` response, naming the path asked for. */
export const NOT_MODIFIED_RE = /^https?:\/\/\S+ "GET (\S+) HTTP\/[\d.]+" 304 /;
/** The length of the Python logging level (`INFO`, `CRITICAL`) a line starting with `first` may carry (0: none); pipenv's logger follows it. */
export function pipenvLevelLength(first: number): number {
  switch (first) {
    case 68: // DEBUG
    case 69: // ERROR
      return 5;
    case 73: // INFO
      return 4;
    case 87: // WARNING
      return 7;
    case 67: // CRITICAL
      return 8;
    default:
      return 0;
  }
}

export const PIPENV_LOGGER = ':pipenv.patched.pip.';

/** `INFO:pipenv.patched.pip.…:` — checked on the colon first: nearly every line fails there. */
export function isPipenvLogLine(raw: string, first: number): boolean {
  const level = pipenvLevelLength(first);
  return level > 0 && raw.charCodeAt(level) === 58 && raw.startsWith(PIPENV_LOGGER, level);
}

/** pipenv's prefix on each line of a failed pip's output (alone, with nothing after it, on an empty one). */
export const PIPENV_INSTALL_ERROR = '[pipenv.exceptions.InstallError]:';
export const DOWNLOAD_RE = /^(\S+)(?: \((\d+(?:\.\d+)? ?[a-zA-Z]+|unknown size)\))?$/;
/** pip ≤ 1.5 ends a download's line with its progress: `x.tar.gz (324kB): 324kB downloaded`. */
const OLD_DOWNLOADED_RE = /^(\d+(?:\.\d+)? ?[a-zA-Z]+) downloaded$/;

/** The project a `Collecting` line names (`six==1.0`, `name@ git+https://h/r.git`, `git+https://h/r.git#egg=name`), or null. */
export function collectedProject(rest: string): string | null {
  const first = rest.split(' ')[0] ?? '';
  const named = first.includes('://') ? /#egg=([A-Za-z0-9][\w.-]*)/.exec(first)?.[1] : /^[A-Za-z0-9][\w.-]*/.exec(first)?.[0];
  return named === undefined ? null : normalizeProjectName(named);
}

/** The size of pip ≤ 1.5's finished progress (`324kB downloaded`), or null. */
export function downloadedSize(progress: string): number | null {
  const m = OLD_DOWNLOADED_RE.exec(progress.trim());
  return m === null ? null : parsePipSize(m[1] ?? '');
}

/** `2026-01-09T14:22:33,123 ` — the prefix of every line of a `pip --log` file. */
export function logTimestamp(line: string): string | null {
  if (
    line.length >= 24 &&
    isDigit(line.charCodeAt(0)) &&
    line.charCodeAt(4) === 45 &&
    line.charCodeAt(10) === 84 &&
    line.charCodeAt(19) === 44 &&
    line.charCodeAt(23) === 32
  ) {
    return `${line.slice(0, 19)}.${line.slice(20, 23)}`;
  }
  return null;
}
