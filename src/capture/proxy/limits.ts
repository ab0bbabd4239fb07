// The proxy's limits in one place: how long a slow client or upstream may take and how big
// a request head may be. Chosen so a real client on a loaded machine never hits them and a
// stuck or hostile peer cannot hold a socket forever.

/** Largest request head (request line + headers) accepted; bigger gets 431. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** A client must finish sending its request head within this (slowloris). */
export const HEADERS_TIMEOUT_MS = 20_000;
/** A client must finish sending its whole request within this. */
export const REQUEST_TIMEOUT_MS = 60_000;
/** An idle keep-alive connection is closed after this. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** An upstream that sends nothing for this long is given up on (the transfer fails, nothing is stored). */
export const UPSTREAM_IDLE_TIMEOUT_MS = 60_000;
/** A CONNECT tunnel with no traffic either way for this long is closed. */
export const TUNNEL_IDLE_TIMEOUT_MS = 300_000;
/** A request body the proxy reads itself (it reads none today) may not exceed this. */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;
