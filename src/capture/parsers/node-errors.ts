// What Node's HTTP clients print when a request fails, whichever tool wraps them: the
// FetchError of node-fetch and minipass-fetch (npm, pnpm, node-gyp) and the system error
// inside it (also yarn 2–4's RequestError).
//   request to https://registry.example/pkg failed, reason: getaddrinfo ENOTFOUND registry.example
//   request to https://registry.example/pkg/-/pkg-1.0.0.tgz failed        (npm 10: the reason only in `code`)
//   connect ETIMEDOUT 1.2.3.4:443
//   getaddrinfo ENOTFOUND registry.example registry.example:443           (Node ≤ 6 adds host:port)

const FETCH_ERROR = /request to (\S+) failed(?:, reason:(.*))?$/;
const ERROR_HOST = /^(?:connect|getaddrinfo) [A-Z_]+ (\S+)(?: \S+:\d+)?$/;

/** The URL and the reason of `request to URL failed, reason: …` anywhere in `text` (npm 10 may leave the reason out or empty). */
export function fetchError(text: string): { url: string; reason: string } | null {
  const m = FETCH_ERROR.exec(text);
  return m?.[1] === undefined ? null : { url: m[1], reason: (m[2] ?? '').trim() };
}

/** The server a system error names (`getaddrinfo ENOTFOUND host`, `connect ETIMEDOUT 1.2.3.4:443`), or null. */
export function errorHost(reason: string): string | null {
  return ERROR_HOST.exec(reason)?.[1] ?? null;
}
