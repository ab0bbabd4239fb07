// An HTTP error status in a tool's output (`ERROR 404: Not Found.`, `Request failed "500 …"`,
// `npm error 404 Not Found - GET URL`) is the server's answer: an error, and a try at the URL
// that failed, as apt's `Err:` lines count — so `report to-cache` lists it with the fetches the
// build could not make. Not when the server is on this machine: offgrid's own proxy and
// mirrors answer an offline miss with such a status and record the miss themselves, and a
// loopback server is no network.

import { isLoopbackHost } from '../proxy/hosts.js';
import { hostOf } from './url-parts.js';

/** False for an answer from this machine (loopback), which is no network attempt. */
export function answeredOverNetwork(urlOrHost: string): boolean {
  return !isLoopbackHost(hostOf(urlOrHost));
}
