// The machine's own HTTP proxy, for offgrid's requests to its upstreams. On a network whose
// only way out is a proxy (a company's), curl, pip, npm and apt reach their servers through
// `http_proxy` / `https_proxy`; offgrid, which fetches on their behalf, must do the same or
// every miss fails. Read as curl reads them: the lower-case name first, then upper case,
// `all_proxy` for both schemes, `no_proxy` for the hosts reached directly. Loopback is always
// reached directly (a proxy elsewhere cannot see this machine's 127.0.0.1).
//
// http upstreams are asked through the proxy in absolute form (`GET http://host/path`);
// https upstreams, and the clients' own CONNECT tunnels, through a CONNECT tunnel opened
// on the proxy (TLS then runs end to end, so the proxy sees only the host and port).
import { type IncomingMessage, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { bareHost, basicAuthorization, isLoopbackHost } from './hosts.js';

/** A proxy to reach an upstream through, and the setting that named it (for messages). */
export interface ChosenProxy {
  readonly url: URL;
  /** `http_proxy`, `HTTPS_PROXY`, `Acquire::http::Proxy in apt's configuration`… */
  readonly setting: string;
}

/** How one client's requests reach their upstreams: the proxy for a URL, or null for directly. */
export type ProxyChoice = (url: URL) => ChosenProxy | null;

export interface ProxySettings {
  readonly http: ChosenProxy | null;
  readonly https: ChosenProxy | null;
  /** `no_proxy` entries: `*`, or a host (with its subdomains) and an optional port. */
  readonly noProxy: readonly NoProxyEntry[];
  /** Settings found but not usable (a SOCKS proxy, a malformed value), to warn about. */
  readonly ignored: readonly string[];
}

export interface NoProxyEntry {
  readonly host: string;
  readonly port: string | null;
}

export const NO_PROXY: ProxySettings = { http: null, https: null, noProxy: [], ignored: [] };

function firstSet(env: NodeJS.ProcessEnv, names: readonly string[]): { name: string; value: string } | null {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return null;
}

function proxyUrl(setting: { name: string; value: string } | null, ignored: string[]): ChosenProxy | null {
  if (!setting) return null;
  let url: URL;
  try {
    // A bare `host:port` is an http proxy, as curl takes it.
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(setting.value) ? setting.value : `http://${setting.value}`);
  } catch {
    ignored.push(`${setting.name} is not a URL; upstreams are reached directly`);
    return null;
  }
  if (url.protocol !== 'http:') {
    ignored.push(`${setting.name} names a ${url.protocol.slice(0, -1)} proxy; offgrid speaks to http:// proxies only, so upstreams are reached directly`);
    return null;
  }
  return { url, setting: setting.name };
}

function noProxyEntries(value: string): NoProxyEntry[] {
  const entries: NoProxyEntry[] = [];
  for (const raw of value.split(/[\s,]+/)) {
    let item = raw.trim().toLowerCase();
    if (!item) continue;
    if (item === '*') {
      entries.push({ host: '*', port: null });
      continue;
    }
    item = item.replace(/^\*?\./, '');
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(item);
    if (bracketed) {
      entries.push({ host: bracketed[1]!, port: bracketed[2] ?? null });
      continue;
    }
    const withPort = /^([^:]+):(\d+)$/.exec(item);
    entries.push(withPort ? { host: withPort[1]!, port: withPort[2]! } : { host: item, port: null });
  }
  return entries;
}

/** The proxy settings in an environment (the process's own, for a running offgrid). */
export function proxySettingsFromEnv(env: NodeJS.ProcessEnv): ProxySettings {
  const ignored: string[] = [];
  const all = firstSet(env, ['all_proxy', 'ALL_PROXY']);
  const http = proxyUrl(firstSet(env, ['http_proxy', 'HTTP_PROXY']) ?? all, ignored);
  const https = proxyUrl(firstSet(env, ['https_proxy', 'HTTPS_PROXY']) ?? all, ignored);
  const noProxy = firstSet(env, ['no_proxy', 'NO_PROXY']);
  return { http, https, noProxy: noProxy ? noProxyEntries(noProxy.value) : [], ignored };
}

/** The proxy to reach `url` through, or null to reach it directly. */
export function proxyFor(settings: ProxySettings, url: URL): ChosenProxy | null {
  const proxy = url.protocol === 'https:' ? settings.https : url.protocol === 'http:' ? settings.http : null;
  if (!proxy) return null;
  const host = bareHost(url.hostname.toLowerCase());
  if (isLoopbackHost(host)) return null;
  return bypassesProxy(settings.noProxy, url) ? null : proxy;
}

/** True when a `no_proxy` entry names `url`'s host (or a domain above it) and its port. */
export function bypassesProxy(noProxy: readonly NoProxyEntry[], url: URL): boolean {
  const host = bareHost(url.hostname.toLowerCase());
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return noProxy.some((entry) => entry.host === '*' || ((host === entry.host || host.endsWith(`.${entry.host}`)) && (entry.port === null || entry.port === port)));
}

/** The proxy as messages may show it: no credentials. */
export function shownProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/** A failure of the proxy between offgrid and an upstream; its message names the proxy and the setting that chose it. */
export class UpstreamProxyError extends Error {}

/** Thrown when the proxy answers a CONNECT with anything but 2xx (407: it wants credentials). */
export class TunnelRefused extends UpstreamProxyError {
  constructor(readonly status: number, proxy: ChosenProxy, target: string, reason: string) {
    super(status === 407 ? credentialsWanted(proxy) : `the proxy ${shownProxy(proxy.url)} refused a tunnel to ${target}: ${status} ${reason}`);
  }
}

/** What to tell a user whose proxy answered 407: where offgrid takes the credentials from. */
export function credentialsWanted({ url, setting }: ChosenProxy): string {
  return url.username
    ? `the proxy ${shownProxy(url)} refused the credentials in ${setting} (407 Proxy Authentication Required)`
    : `the proxy ${shownProxy(url)} wants credentials (407 Proxy Authentication Required); give them in ${setting} as http://USER:PASSWORD@${url.host}`;
}

/**
 * Opens a CONNECT tunnel to `host:port` through `proxy`; resolves with the socket once the
 * proxy answered 2xx. `idleTimeoutMs` bounds the wait for that answer.
 */
export function openTunnel(chosen: ChosenProxy, host: string, port: number, idleTimeoutMs: number): Promise<Socket> {
  const proxy = chosen.url;
  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const headers: Record<string, string> = { host: target };
  const authorization = basicAuthorization(proxy);
  if (authorization) headers['proxy-authorization'] = authorization;
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: bareHost(proxy.hostname), port: proxy.port || 80, method: 'CONNECT', path: target, headers, agent: false });
    const named = `the proxy ${shownProxy(proxy)} (named by ${chosen.setting})`;
    request.setTimeout(idleTimeoutMs, () => request.destroy(new UpstreamProxyError(`${named} did not answer a CONNECT to ${target} in ${Math.round(idleTimeoutMs / 1000)} s`)));
    // Node hands every answer to a CONNECT here, whatever its status (its body unread).
    request.once('connect', (response: IncomingMessage, socket: Socket) => {
      request.setTimeout(0);
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        resolve(socket);
        return;
      }
      socket.destroy();
      reject(new TunnelRefused(status, chosen, target, response.statusMessage ?? ''));
    });
    request.once('error', (error) => reject(new UpstreamProxyError(`${named} could not open a tunnel to ${target}: ${error.message}`)));
    request.end();
  });
}

let machine: ProxySettings | null = null;

/** This process's settings, read once (a proxy's environment does not change while it runs). */
export function machineProxySettings(): ProxySettings {
  machine ??= proxySettingsFromEnv(process.env);
  return machine;
}

/** Every client's requests but apt's (apt-proxy.ts): the machine's environment decides. */
export const machineProxyChoice: ProxyChoice = (url) => proxyFor(machineProxySettings(), url);
