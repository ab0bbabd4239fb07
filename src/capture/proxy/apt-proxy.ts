// apt's own proxy settings, for the requests offgrid makes on apt's behalf. Many machines and
// CI images reach their Debian mirror only through a proxy named in apt's configuration
// (`Acquire::http::Proxy "http://apt-cache.corp:3142";` in apt.conf.d: an apt-cacher-ng or a
// squid), not in http_proxy. offgrid's APT_CONFIG sends apt to offgrid instead (env.ts), so
// offgrid must fetch the way apt would have: through that proxy.
//
// apt's rule (methods/http.cc HttpServerState::Open and aptmethod.h ConfigFind, apt 2.6): for
// a URL on HOST, `Acquire::SCHEME::Proxy::HOST` (a URL, or DIRECT), else
// `Acquire::SCHEME::Proxy` (DIRECT there too), else the environment's proxy; then a host
// `no_proxy` names is reached directly, whichever setting named the proxy. An https URL looks
// each key up under `https` first, then `http` (apt-transport-https(1): its options default to
// the http ones). Keys are case-insensitive.
//
// Which requests: those whose client is apt (its User-Agent, which apt also sends with
// CONNECT). apt applies these settings to every request it makes, whatever the host (a
// source's, a mirror list's mirror, a redirect's target), and curl or pip on the same machine
// never read apt.conf: so each request reaches its upstream the way its own client would have
// without offgrid. Choosing by host (the apt sources') would miss apt's requests to mirrors
// and redirect targets, and send curl's requests to a mirror through apt's proxy.
import { bareHost } from './hosts.js';
import { type ChosenProxy, type ProxyChoice, type ProxySettings, bypassesProxy, proxyFor } from './upstream-proxy.js';
import type { CommandRunner } from './upstreams.js';

export interface AptProxyConfig {
  /** `Acquire::http(s)::Proxy` and its per-host values by lower-cased key (empty ones left out), with the key as written. */
  readonly values: ReadonlyMap<string, { readonly key: string; readonly value: string }>;
  /** The auto-detect settings that name a script (offgrid does not run it), as apt printed them. */
  readonly autoDetect: readonly string[];
  /** Why apt's configuration could not be read (apt-config's error), or null. */
  readonly unreadable: string | null;
}

export const NO_APT_PROXY: AptProxyConfig = { values: new Map(), autoDetect: [], unreadable: null };

/** A line of `apt-config dump` in its default format `%F "%v";`. */
const DUMP_LINE = /^(\S+) "(.*)";$/;
const PROXY_KEY = /^acquire::https?::proxy(?:::.+)?$/;
const AUTO_DETECT_KEY = /^acquire::https?::(?:proxy-auto-detect|proxyautodetect)$/;

/** The proxy settings in `apt-config dump` output (the whole dump, or its Acquire::http(s) subtrees). */
export function parseAptConfigDump(output: string): AptProxyConfig {
  const values = new Map<string, { key: string; value: string }>();
  const autoDetect: string[] = [];
  for (const line of output.split(/\r?\n/)) {
    const match = DUMP_LINE.exec(line.trim());
    if (!match || match[2] === '') continue; // a parent printed for its children (`Acquire::http::Proxy "";`)
    const key = match[1]!.toLowerCase();
    if (PROXY_KEY.test(key)) values.set(key, { key: match[1]!, value: match[2]! });
    else if (AUTO_DETECT_KEY.test(key)) autoDetect.push(match[1]!);
  }
  return { values, autoDetect, unreadable: null };
}

/**
 * apt's proxy settings as apt resolves them for this user (APT_CONFIG, apt.conf.d, apt.conf),
 * run through `runner` (the user's environment); none on a machine without apt, and why
 * when apt-config cannot read the configuration.
 */
export async function readAptProxyConfig(runner: CommandRunner): Promise<AptProxyConfig> {
  const result = await runner('apt-config', ['dump', 'Acquire::http', 'Acquire::https']);
  if (result.code === 0) return parseAptConfigDump(result.stdout);
  // No exit code: no apt-config to run (a machine without apt), nothing to say.
  if (result.code === null) return NO_APT_PROXY;
  const error = result.stderr.split(/\r?\n/).find((line) => line.startsWith('E: ')) ?? `apt-config exited with ${result.code}`;
  return { ...NO_APT_PROXY, unreadable: error };
}

/** A value apt reads as a proxy: DIRECT, an http:// URL, or something offgrid cannot use. */
type AptProxyValue = { readonly direct: true } | { readonly url: URL } | { readonly unusable: string };

function readValue(value: string): AptProxyValue {
  // A value with no scheme and host apt connects directly for, as for DIRECT (checked on apt
  // 2.6: `Acquire::https::Proxy "false";`, which apt-cacher-ng setups write, goes direct).
  if (!value.includes(':')) return { direct: true };
  const url = URL.canParse(value) ? new URL(value) : null;
  if (url === null || !/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || url.hostname === '') return { unusable: 'is not a proxy URL (apt says "Unsupported proxy configured")' };
  // apt also speaks to socks5h:// and https:// proxies; offgrid to http:// ones only.
  if (url.protocol !== 'http:') return { unusable: `names a ${url.protocol.slice(0, -1)} proxy; offgrid speaks to http:// proxies only` };
  return { url };
}

/** What the user is told about settings offgrid cannot follow (no credentials shown: no values). */
export function aptProxyWarnings(config: AptProxyConfig): string[] {
  if (config.unreadable !== null) return [`apt's configuration could not be read for its proxy settings (${config.unreadable}); offgrid fetches for apt through http_proxy or directly`];
  const warnings = config.autoDetect.map(
    (key) => `apt's configuration picks its proxy with a script (${key}); offgrid does not run it, so it fetches for apt through Acquire::http::Proxy or http_proxy instead`,
  );
  for (const { key, value } of config.values.values()) {
    const read = readValue(value);
    if ('unusable' in read) warnings.push(`${key} in apt's configuration ${read.unusable}; offgrid fetches what apt asks for there directly`);
  }
  return warnings;
}

/** apt's ConfigFind: the first value of `Acquire::METHOD::postfix`, https before http for an https URL. */
function configFind(config: AptProxyConfig, url: URL, postfix: string): { setting: string; value: string } | null {
  for (const method of url.protocol === 'https:' ? ['https', 'http'] : ['http']) {
    const setting = `Acquire::${method}::${postfix}`;
    const found = config.values.get(setting.toLowerCase());
    if (found !== undefined) return { setting: found.key, value: found.value };
  }
  return null;
}

/** The proxy apt would use for `url`, falling back to the environment's (`env`) as apt does. */
export function aptProxyFor(config: AptProxyConfig, env: ProxySettings, url: URL): ChosenProxy | null {
  const found = configFind(config, url, `Proxy::${bareHost(url.hostname.toLowerCase())}`) ?? configFind(config, url, 'Proxy');
  if (found === null) return proxyFor(env, url);
  const read = readValue(found.value);
  if (!('url' in read) || bypassesProxy(env.noProxy, url)) return null;
  return { url: read.url, setting: `${found.setting} in apt's configuration` };
}

/** How a client's requests reach their upstreams: apt's by apt's settings, the rest by the environment's. */
export function clientProxyChoice(client: string, config: AptProxyConfig, env: ProxySettings): ProxyChoice {
  if (client !== 'apt') return (url) => proxyFor(env, url);
  return (url) => aptProxyFor(config, env, url);
}
