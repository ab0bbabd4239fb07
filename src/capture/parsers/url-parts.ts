// The parts of a URL the parsers need, read from text as tools print it (a URL may be cut,
// or a bare `host:port`), so without `new URL`'s exceptions.

/** `scheme://host[:port]` of a URL, or null when it is none. */
export function urlOrigin(url: string): string | null {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/\s]+/i.exec(url)?.[0] ?? null;
}

/** The host a URL (`http://127.0.0.1:8765/npm/x`) or a bare `host[:port]` names (an IPv6 literal in brackets). */
export function hostOf(urlOrHost: string): string {
  return /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^@/\s]*@)?(\[[^\]\s]+\]|[^:/\s]+)/i.exec(urlOrHost)?.[1] ?? '';
}
