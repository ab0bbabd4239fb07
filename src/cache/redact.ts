// The store keeps the upstream URL of each entry; it must never keep credentials, even if
// a caller forgot to redact (pip#6891: a lone token in a URL leaked into logs).
const SECRET_PARAM = /^(?:token|access_token|auth|authorization|password|passwd|pwd|secret|key|api[-_]?key|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token)$/i;

export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.username || parsed.password) {
    parsed.username = '***';
    parsed.password = '';
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, '***');
  }
  return parsed.toString();
}
