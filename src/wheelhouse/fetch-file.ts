// Fetching a requirements or constraints file that a `-r`/`-c` line names by URL (pip
// accepts http(s) there: Airflow's constraints, a team's shared requirements). Through
// offgrid's proxy when one runs, so that the file is recorded in the session and, for
// http, cached and there for an --offline run; else directly, by way of the machine's
// own proxy settings. Credentials in the URL go as Basic auth, never into a message.
import type { IncomingMessage } from 'node:http';
import { requestUpstreamFollowing } from '../capture/proxy/cached-fetch.js';
import { type ChosenProxy, type ProxyChoice, proxyFor, proxySettingsFromEnv } from '../capture/proxy/upstream-proxy.js';
import { redact } from '../redact.js';

/** Why a file could not be fetched, as the message shows it (no credentials). */
export class FetchFileError extends Error {}

/** Requirements files are small; a larger answer is no requirements file. */
const MAX_BYTES = 16 * 1024 * 1024;
const IDLE_TIMEOUT_MS = 60_000;

export type FetchFile = (url: string) => Promise<Uint8Array>;

/** A fetcher through offgrid's proxy at `proxyUrl`, or, when null, direct (with the proxy settings of `env`). */
export function fileFetcher(proxyUrl: string | null, env: NodeJS.ProcessEnv): FetchFile {
  // Through offgrid's proxy, every URL goes there (absolute form for http, a CONNECT tunnel for https).
  const offgrid: ChosenProxy | null = proxyUrl === null ? null : { url: new URL(proxyUrl), setting: "offgrid's own proxy" };
  const settings = proxySettingsFromEnv(env);
  const proxies: ProxyChoice = offgrid !== null ? () => offgrid : (target) => proxyFor(settings, target);
  return async (raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new FetchFileError('not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchFileError(`pip fetches only http:// and https:// URLs, not ${url.protocol}`);
    let response: IncomingMessage;
    try {
      ({ response } = await requestUpstreamFollowing(url, { proxies, idleTimeoutMs: IDLE_TIMEOUT_MS, headers: { 'user-agent': USER_AGENT } }));
    } catch (error) {
      throw new FetchFileError(redact(error instanceof Error ? error.message : String(error)));
    }
    return readBody(response);
  };
}

// The proxy's ledger attributes a request to a tool by its user agent.
const USER_AGENT = 'offgrid-wheelhouse (requirements file)';

/** The body of a 2xx answer; any other status is the error, with the first line of a plain-text body (offgrid's proxy explains itself there). */
async function readBody(response: IncomingMessage): Promise<Uint8Array> {
  const status = response.statusCode ?? 0;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BYTES) {
      response.destroy();
      throw new FetchFileError(`the answer is larger than ${MAX_BYTES / 1024 / 1024} MB, which no requirements file is`);
    }
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  if (status >= 200 && status < 300) return body;
  const plain = /^text\/plain\b/i.test(response.headers['content-type'] ?? '') ? body.toString('utf8').trim().split(/\r?\n/)[0]!.slice(0, 300) : '';
  throw new FetchFileError(redact(`HTTP ${status} ${response.statusMessage ?? ''}`.trim() + (plain ? ` (${plain})` : '')));
}
