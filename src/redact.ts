// Credentials must never reach a file offgrid writes: not the ledger, not the item logs,
// not the full session log. pip itself has missed a lone token in a URL (pip#6891), so
// user names are redacted as well as passwords, and so are token-like query parameters
// and token-like path segments (indexes that carry their token in the path).

export const REDACTED = '***';

const SECRET_PARAM =
  /^(?:.*token.*|.*secret.*|.*passw(?:or)?d.*|.*api[-_]?key.*|key|auth|authorization|credentials?|sig|signature|x-amz-(?:signature|credential|security-token)|x-goog-(?:signature|credential))$/i;

// scheme://userinfo@ — userinfo may itself contain ':' and '@' (an e-mail address as the user,
// `@` in a password: pypa/pip#6776, #6792). As in URL parsers, the LAST '@' before the path,
// or query ends it, so no part of the password is left after the first '@'. Neither a quote
// nor a '#' ends it: apt sources carry passwords as written (`https://uat:s3c'ret@host/apt`,
// `s3c'\''ret` in a shell trace), and pip prints a password holding '#' unmasked, its own
// parser taking the rest for a fragment (`https://user:pass#word@host/…`, pypa/pipenv#3085).
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^\s/?"<>]+)@/gi;
// ?name=value or &name=value (also ;) — the value ends at a delimiter or whitespace.
const QUERY_PARAM = /([?&;])([^=&;#\s"'<>]+)=([^&;#\s"'<>]*)/g;

// npm's credential settings (`//host/:_authToken=…`, `_auth = "…"`, `:_password=…`), as
// written to an .npmrc by a build step (`echo "//…/:_authToken=$TOKEN" > .npmrc` under
// `set -x`) or given to `npm config set KEY VALUE`.
const NPMRC_SECRET = /((?:^|[^A-Za-z0-9_])_(?:authToken|auth|password))(\s*=\s*|\s+)(["']?)([^\s"']+)/g;

// Credentials sent as HTTP headers, as `curl -v` prints them or a command line gives them
// (`-H "Authorization: Bearer …"`, GitLab's `PRIVATE-TOKEN: …`, `X-JFrog-Art-Api: …`). An
// Authorization keeps its scheme.
const AUTH_HEADER = /\b((?:proxy-)?authorization\s*:\s*)(?:(basic|bearer|token|digest|negotiate|ntlm)\s+)?([^\s"']+)/gi;
const SECRET_HEADER = /(?<![\w-])((?:(?:[A-Za-z0-9]+-)+(?:token|secret|api-?key|art-api)|api-?key)\s*:\s*)([^\s"']+)/gi;

// The variable an .npmrc or a requirements file names for its token (`NPM_TOKEN=… npm ci`,
// `export PYPI_PASSWORD=…`) and tokens whose format says what they are (npm, GitHub,
// GitLab, PyPI), wherever they appear.
const SECRET_VARIABLE = /\b((?:[A-Z][A-Z0-9_]*_)?(?:TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|APIKEY|SECRET_ACCESS_KEY)=)("[^"]*"|'[^']*'|[^\s"';&|]+)/g;
const KNOWN_TOKEN = /\b(?:npm_[A-Za-z0-9]{36}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|glpat-[A-Za-z0-9_-]{20,}|pypi-AgE[A-Za-z0-9_-]{20,})\b/g;

// A URL as Rust's `url` crate prints it for debugging, which uv's `-vv`/`RUST_LOG=trace` logs
// show: `Url { scheme: "https", …, username: "user", password: Some("pass"), host: … }`.
const RUST_URL_CREDENTIALS = /\b(username: |password: Some\()"((?:[^"\\]|\\.)+)"/g;

// Every pattern above needs one of these words in the line (most lines have none).
const MAYBE_SECRET = /authorization|token|secret|passw|username: "|api-?key|art-api|_auth|npm_|gh[pousr]_|github_pat_|glpat-|pypi-age/i;

// A URL in text, up to the first character no URL holds unescaped.
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;
// A path segment of 16+ letters and digits. Hosted indexes put their token there
// (`https://pypi.fury.io/TOKEN/user/`, `https://dl.cloudsmith.io/TOKEN/org/repo/…`).
const LONG_SEGMENT = /\/([A-Za-z0-9]{16,})(?=[/?#]|$)/g;
// anaconda.org's token segment (`https://conda.anaconda.org/t/TOKEN/channel/`), which conda
// itself redacts: letters, digits and dashes, so the rule above misses it.
const ANACONDA_TOKEN = /\/t\/([A-Za-z0-9-]{16,})(?=[/?#]|$)/g;

/**
 * Only a random string mixes upper case, lower case and digits in 16+ characters: hex
 * digests (by-hash, PyPI's /packages/ paths) are lower case, names and versions carry
 * dots or dashes, so they are kept.
 */
function isTokenLike(segment: string): boolean {
  return /[A-Z]/.test(segment) && /[a-z]/.test(segment) && /[0-9]/.test(segment);
}

function redactPathTokens(url: string): string {
  const pathStart = url.indexOf('/', url.indexOf('://') + 3);
  if (pathStart < 0) return url;
  const queryStart = url.slice(pathStart).search(/[?#]/);
  const pathEnd = queryStart < 0 ? url.length : pathStart + queryStart;
  const path = url
    .slice(pathStart, pathEnd)
    .replace(LONG_SEGMENT, (whole, segment: string) => (isTokenLike(segment) ? `/${REDACTED}` : whole))
    .replace(ANACONDA_TOKEN, (whole, segment: string) => (/[0-9]/.test(segment) ? `/t/${REDACTED}` : whole));
  return url.slice(0, pathStart) + path + url.slice(pathEnd);
}

/** Redacts credentials in one URL (or any text holding URLs). Cheap when there is nothing to do. */
export function redact(text: string): string {
  // One cheap look decides whether any of the secret-shaped patterns can apply at all.
  const secretish = MAYBE_SECRET.test(text);
  if (!secretish && !text.includes('://') && !text.includes('=')) return text;
  let out = text;
  if (secretish) {
    out = out
      .replace(AUTH_HEADER, (whole, name: string, scheme: string | undefined, value: string) => (value === REDACTED ? whole : `${name}${scheme ? `${scheme} ` : ''}${REDACTED}`))
      .replace(SECRET_HEADER, (whole, name: string, value: string) => (value === REDACTED || value.startsWith('//') ? whole : `${name}${REDACTED}`))
      .replace(SECRET_VARIABLE, (whole, name: string, value: string) => (value === REDACTED ? whole : `${name}${REDACTED}`))
      .replace(KNOWN_TOKEN, REDACTED)
      .replace(NPMRC_SECRET, (whole, key: string, sep: string, quote: string, value: string) => (value === REDACTED ? whole : `${key}${sep}${quote}${REDACTED}`))
      .replace(RUST_URL_CREDENTIALS, `$1"${REDACTED}"`);
  }
  if (out.includes('://')) out = out.replace(URL_IN_TEXT, redactPathTokens);
  if (out.includes('@')) out = out.replace(USERINFO, `$1${REDACTED}@`);
  if (out.includes('=')) {
    out = out.replace(QUERY_PARAM, (whole, sep: string, name: string, value: string) =>
      value !== '' && value !== REDACTED && SECRET_PARAM.test(decodeSafe(name)) ? `${sep}${name}=${REDACTED}` : whole,
    );
  }
  return out;
}

/** Same as redact, but for a value that may be null. */
export function redactNullable(text: string | null): string | null {
  return text === null ? null : redact(text);
}

function decodeSafe(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}
