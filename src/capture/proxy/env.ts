// The environment that points a child process at the proxy, without changing any of the
// user's own configuration files.
//
// apt has no proxy environment variable it always honours, but it reads the file named by
// APT_CONFIG. Its order (apt-pkg/init.cc, checked with `apt-config dump` on apt 2.6):
// APT_CONFIG first, then every apt.conf.d part, then the main file `Dir::Etc::main`. A
// proxy set in APT_CONFIG would therefore lose to any part that sets one. So APT_CONFIG
// only re-points `Dir::Etc::main` at a second generated file, read LAST, which includes the
// machine's own main file (when it exists) and then sets the proxy, clearing the machine's
// per-host proxies and auto-detect script first. Every other apt setting of the machine (the
// parts, sources, keys) still applies.
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ProxyEnvironmentOptions {
  /** Directory (created) for the generated apt configuration files. */
  readonly aptConfigDir: string;
  /** The machine's main apt configuration file. Default /etc/apt/apt.conf. */
  readonly aptMainConfig?: string;
  /** An APT_CONFIG the parent already had (included first, so it keeps working). */
  readonly existingAptConfig?: string | null;
  /** Point pip at the PyPI mirror (default true). */
  readonly pypi?: boolean;
  /** Point npm at the npm mirror (default true). */
  readonly npm?: boolean;
  /** Also send https through the proxy as CONNECT tunnels, so they are logged (default true). */
  readonly tunnelHttps?: boolean;
}

/** Hosts that must never go through the proxy (the proxy itself lives there). */
export const NO_PROXY = 'localhost,127.0.0.1,::1';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** apt's config syntax: a double-quoted string; quotes and newlines cannot be escaped, so refuse them. */
function aptString(value: string): string {
  if (/["\n\r]/.test(value)) throw new Error(`cannot put ${JSON.stringify(value)} into an apt configuration file`);
  return `"${value}"`;
}

/**
 * apt's proxy for one scheme, and nothing that overrides it. apt takes a host's own setting
 * (`Acquire::http::Proxy::HOST "DIRECT"`, as squid-deb-proxy setups exempt PPAs) over the
 * general one, and an auto-detect script (`Proxy-Auto-Detect`, auto-apt-proxy) sets such a
 * host setting: either would send apt around offgrid, unrecorded. `#clear` drops the
 * machine's values and every host under them (apt-pkg/contrib/configuration.cc).
 */
function proxyLines(scheme: string, proxyUrl: string): string[] {
  const base = `Acquire::${scheme}::Proxy`;
  return [`#clear ${base};`, `#clear ${base}-Auto-Detect;`, `#clear Acquire::${scheme}::ProxyAutoDetect;`, `${base} ${aptString(proxyUrl)};`];
}

/** Writes the two apt configuration files; returns the path for APT_CONFIG. */
export async function writeAptConfig(proxyUrl: string, options: ProxyEnvironmentOptions): Promise<string> {
  await mkdir(options.aptConfigDir, { recursive: true });
  const first = join(options.aptConfigDir, 'apt.conf');
  const last = join(options.aptConfigDir, 'apt-last.conf');
  const machineMain = options.aptMainConfig ?? '/etc/apt/apt.conf';
  const firstLines = ['// Written by offgrid for one run; the machine\'s configuration is unchanged.'];
  if (options.existingAptConfig && (await exists(options.existingAptConfig))) firstLines.push(`#include ${aptString(options.existingAptConfig)};`);
  firstLines.push(`Dir::Etc::main ${aptString(last)};`);
  const lastLines = ['// Read after apt.conf.d, so this proxy setting wins over any there.'];
  if (await exists(machineMain)) lastLines.push(`#include ${aptString(machineMain)};`);
  for (const scheme of options.tunnelHttps ?? true ? ['http', 'https'] : ['http']) lastLines.push(...proxyLines(scheme, proxyUrl));
  await writeFile(first, `${firstLines.join('\n')}\n`, 'utf8');
  await writeFile(last, `${lastLines.join('\n')}\n`, 'utf8');
  return first;
}

/**
 * The variables to add to a child's environment: http(s)_proxy with no_proxy for loopback,
 * PIP_INDEX_URL (+ PIP_TRUSTED_HOST, the mirror is plain http), npm_config_registry, APT_CONFIG.
 */
export async function proxyEnvironment(proxyUrl: string, options: ProxyEnvironmentOptions): Promise<Record<string, string>> {
  const base = proxyUrl.replace(/\/+$/, '');
  const env: Record<string, string> = {
    http_proxy: base,
    HTTP_PROXY: base,
    no_proxy: NO_PROXY,
    NO_PROXY,
  };
  if (options.tunnelHttps ?? true) {
    env.https_proxy = base;
    env.HTTPS_PROXY = base;
  }
  if (options.pypi ?? true) {
    env.PIP_INDEX_URL = `${base}/pypi/simple/`;
    env.PIP_TRUSTED_HOST = new URL(base).host;
  }
  if (options.npm ?? true) env.npm_config_registry = `${base}/npm/`;
  env.APT_CONFIG = await writeAptConfig(base, options);
  return env;
}
