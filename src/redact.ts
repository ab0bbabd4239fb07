// Credentials must never reach a file offgrid writes: not the ledger, not the item logs,
// not the full session log. pip itself has missed a lone token in a URL (pip#6891), so
// user names are redacted as well as passwords, and so are token-like query parameters.

export const REDACTED = '***';

const SECRET_PARAM =
  /^(?:.*token.*|.*secret.*|.*passw(?:or)?d.*|.*api[-_]?key.*|key|auth|authorization|credentials?|sig|signature|x-amz-(?:signature|credential|security-token)|x-goog-(?:signature|credential))$/i;

// scheme://userinfo@  — userinfo may itself contain ':' (user:password).
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>]+)@/gi;
// ?name=value or &name=value (also ;) — the value ends at a delimiter or whitespace.
const QUERY_PARAM = /([?&;])([^=&;#\s"'<>]+)=([^&;#\s"'<>]*)/g;

/** Redacts credentials in one URL (or any text holding URLs). Cheap when there is nothing to do. */
export function redact(text: string): string {
  if (!text.includes('://') && !text.includes('=')) return text;
  let out = text;
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
