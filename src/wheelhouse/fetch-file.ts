// Fetching a requirements or constraints file that a `-r`/`-c` line names by URL (pip
// accepts http(s) there: Airflow's constraints, a team's shared requirements). Through
// offgrid's proxy when one runs, so that the file is recorded in the session and, for
// http, cached and there for an --offline run; else directly, by way of the machine's
// own proxy settings. Credentials in the URL go as Basic auth, never into a message.
import type { IncomingMessage } from 'node:http';
import { type ClientRequest, request as httpRequest } from 'node:http';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { requestUpstreamFollowing } from '../capture/proxy/cached-fetch.js';
import { bareHost, basicAuthorization } from '../capture/proxy/hosts.js';
import { openTunnel, proxyFor, proxySettingsFromEnv } from '../capture/proxy/upstream-proxy.js';
import { redact } from '../redact.js';

/** Why a file could not be fetched, as the message shows it (no credentials). */
export class FetchFileError extends Error {}

/** Requirements files are small; a larger answer is no requirements file. */
const MAX_BYTES = 16 * 1024 * 1024;
const IDLE_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export type FetchFile = (url: string) => Promise<Uint8Array>;

/** A fetcher through offgrid's proxy at `proxyUrl`, or, when null, direct (with the proxy settings of `env`). */
export function fileFetcher(proxyUrl: string | null, env: NodeJS.ProcessEnv): FetchFile {
  const settings = proxySettingsFromEnv(env);
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
      response = proxyUrl === null
        ? (await requestUpstreamFollowing(url, { proxies: (target) => proxyFor(settings, target), idleTimeoutMs: IDLE_TIMEOUT_MS, headers: { 'user-agent': USER_AGENT } })).response
        : await throughProxy(url, new URL(proxyUrl));
    } catch (error) {
      if (error instanceof FetchFileError) throw error;
      throw new FetchFileError(redact(error instanceof Error ? error.message : String(error)));
    }
    return readBody(response);
  };
}

// The proxy's ledger attributes a request to a tool by its user agent.
const USER_AGENT = 'offgrid-wheelhouse (requirements file)';

/** A GET through offgrid's proxy (absolute form for http, a CONNECT tunnel for https), following redirects. */
async function throughProxy(start: URL, proxy: URL): Promise<IncomingMessage> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const response = await proxiedGet(url, proxy, url.host === start.host ? basicAuthorization(start) : null);
    const location = response.headers.location;
    if (!REDIRECTS.has(response.statusCode ?? 0) || !location || hop >= MAX_REDIRECTS) return response;
    response.resume();
    url = new URL(location, url);
  }
}

async function proxiedGet(url: URL, proxy: URL, authorization: string | null): Promise<IncomingMessage> {
  const headers: Record<string, string> = { host: url.host, 'user-agent': USER_AGENT };
  if (authorization !== null) headers['authorization'] = authorization;
  const path = `${url.pathname}${url.search}`;
  let request: ClientRequest;
  if (url.protocol === 'http:') {
    request = httpRequest({ host: bareHost(proxy.hostname), port: proxy.port, method: 'GET', path: `http://${url.host}${path}`, headers, agent: false });
  } else {
    const host = bareHost(url.hostname);
    // offgrid's own proxy, named by the wheelhouse run itself.
    const socket = await openTunnel({ url: proxy, setting: 'offgrid' }, host, Number(url.port || 443), IDLE_TIMEOUT_MS);
    const secure = tlsConnect({ socket, servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] });
    request = httpRequest({ host, method: 'GET', path, headers, createConnection: () => secure });
  }
  return new Promise((resolve, reject) => {
    request.once('response', resolve);
    request.setTimeout(IDLE_TIMEOUT_MS, () => request.destroy(new Error(`${url.host} sent nothing for ${IDLE_TIMEOUT_MS / 1000} s`)));
    request.on('error', reject);
    request.end();
  });
}

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
