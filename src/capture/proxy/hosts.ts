// Small facts about a URL's host and credentials that the proxy's parts all need.

/** A host without the brackets a URL puts around an IPv6 literal (`[::1]` → `::1`). */
export function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function isLoopbackHost(host: string): boolean {
  const bare = bareHost(host).toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** `Basic …` for the user and password a URL carries (percent-decoded as pip decodes them), else null. */
export function basicAuthorization(url: URL): string | null {
  if (!url.username && !url.password) return null;
  return `Basic ${Buffer.from(`${unquote(url.username)}:${unquote(url.password)}`).toString('base64')}`;
}

/**
 * Percent-decoding as Python's `urllib.parse.unquote`, which pip applies to an index URL's
 * credentials: each run of valid escapes is decoded and a '%' that starts none stays itself.
 * People write passwords unencoded (`https://user:%password%@host/`, pypa/pip#7604), and pip
 * accepts them; decodeURIComponent throws on the whole.
 */
function unquote(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run; // not UTF-8 (Python substitutes U+FFFD; keeping the bytes' text is as good a guess)
    }
  });
}
