// The `docker build` command line for one service. Pure.
//
// Online builds run with --network=host: the engine offgrid tests on has no bridge, and
// with host networking the build containers reach offgrid's proxy on the host's
// 127.0.0.1 without exposing the proxy on another interface. Offline builds and
// verification run with --network=none and no proxy arguments: nothing is reachable, and
// a step that tries the network then names the real origin it wanted, not the proxy.
import type { Builder } from './engine.js';
import type { BuildOptions, ServiceSpec } from './service.js';

export type BuildNetwork = 'host' | 'none';

export interface BuildPlan {
  readonly builder: Builder;
  readonly network: BuildNetwork;
  readonly noCache: boolean;
  /** Build args that point the build's tools at offgrid's proxy (empty offline). */
  readonly proxyArgs: Readonly<Record<string, string>>;
  /** The platform of this machine (`linux/amd64`): offline, the only one whose base images are sure to be here. */
  readonly platform: string;
}

/**
 * The proxy variables handed to build containers. http(s)_proxy and no_proxy are Docker's
 * predefined build args: every RUN step sees them without an ARG line, and BuildKit keeps
 * them out of the cache key, so a new proxy port does not invalidate the cache. PIP_INDEX_URL,
 * PIP_TRUSTED_HOST and npm_config_registry reach a step only where the Dockerfile declares
 * them with ARG (and then are part of its cache key: `offgrid build` keeps a project's proxy port
 * from one build to the next, proxy-port.ts).
 */
export const PROXY_BUILD_ARGS = [
  'http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY',
  'PIP_INDEX_URL', 'PIP_TRUSTED_HOST', 'npm_config_registry',
] as const;

export function proxyBuildArgs(recordingEnv: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PROXY_BUILD_ARGS) if (recordingEnv[name] !== undefined) out[name] = recordingEnv[name];
  return out;
}

export interface DockerInvocation {
  readonly args: string[];
  readonly env: Record<string, string>;
  /** The compose build fields not passed on in this mode, each named with why (printed before the build). */
  readonly notes: string[];
  /** The platform the build targets when compose names one (`linux/arm64`), else null: this machine's. */
  readonly platform: string | null;
}

/** A cache on this machine's disk, which needs no registry: `type=local,src=DIR` (`dest=` for export). */
const LOCAL_CACHE = /^type=local(?:,|$)/;

/**
 * What compose's build fields (build.network, cache_from, cache_to, platforms, labels, shm_size,
 * tags, pull, no_cache) add to the command in this mode. Offline nothing may reach a registry:
 * a registry cache, build.pull and a platform other than this machine's (whose base images
 * the builder would fetch) are left out and named, as are fields offgrid never passes.
 */
function composeOptions(o: BuildOptions, plan: BuildPlan): { args: string[]; notes: string[]; platform: string | null } {
  const offline = plan.network === 'none';
  const args: string[] = [];
  const notes: string[] = [];
  // host, none and default need nothing; another network's names are not reachable from the host's network.
  if (!offline && o.network !== null && !['host', 'none', 'default'].includes(o.network)) {
    notes.push(
      `build.network ${o.network} is not used: offgrid builds online with the host's network (its proxy listens on loopback), ` +
        'so the names of that network do not resolve in the build: give them with build.extra_hosts',
    );
  }
  const caches = (values: readonly string[], option: '--cache-from' | '--cache-to', field: string): void => {
    // The legacy builder exports no cache and imports only images (no type=…), which offline it could not pull.
    const why = (value: string): string | null => {
      if (plan.builder === 'buildkit') return offline && !LOCAL_CACHE.test(value) ? 'is not used offline: it would reach a registry (a type=local cache is used)' : null;
      if (option === '--cache-to') return 'is not used: the legacy builder has no --cache-to';
      if (/^type=/.test(value)) return 'is not used: the legacy builder takes only images as --cache-from';
      return offline ? 'is not used offline: the legacy builder would pull it from a registry' : null;
    };
    const dropped = new Map<string, string[]>();
    for (const value of values) {
      const reason = why(value);
      if (reason === null) args.push(option, value);
      else dropped.set(reason, [...(dropped.get(reason) ?? []), value]);
    }
    for (const [reason, list] of dropped) notes.push(`build.${field} ${list.join(', ')} ${reason}`);
  };
  caches(o.cacheFrom, '--cache-from', 'cache_from');
  caches(o.cacheTo, '--cache-to', 'cache_to');
  let platform: string | null = null;
  if (o.platforms.length > 0) {
    const built = offline ? o.platforms.filter((p) => p === plan.platform) : o.platforms;
    if (built.length > 0) {
      args.push('--platform', built.join(','));
      platform = built[0]!;
    }
    const left = o.platforms.filter((p) => !built.includes(p));
    if (left.length > 0) {
      notes.push(
        `build.platforms ${left.join(', ')} ${left.length > 1 ? 'are' : 'is'} not built offline: the builder would fetch base images for ${left.length > 1 ? 'those platforms' : 'that platform'} ` +
          `from their registry; this build is for ${plan.platform}, this machine's platform`,
      );
    }
  }
  for (const [key, value] of Object.entries(o.labels)) args.push('--label', `${key}=${value}`);
  if (o.shmSize !== null) args.push('--shm-size', o.shmSize);
  for (const tag of o.tags) args.push('-t', tag);
  if (o.pull && !offline) args.push('--pull');
  if (o.pull && offline) notes.push('build.pull is not used offline: nothing is pulled, the base images on this machine are used');
  if (o.noCache && !plan.noCache) args.push('--no-cache');
  if (o.unused.length > 0) {
    notes.push(`${o.unused.map((f) => `build.${f}`).join(', ')} ${o.unused.length > 1 ? 'are' : 'is'} not passed on by offgrid build: docker build runs with its defaults for ${o.unused.length > 1 ? 'them' : 'it'}`);
  }
  return { args, notes, platform };
}

export function dockerBuildCommand(spec: ServiceSpec, plan: BuildPlan): DockerInvocation {
  const args = ['build'];
  if (plan.builder === 'buildkit') args.push('--progress=plain');
  // build.network: none keeps an online build off the network too (it then needs no proxy).
  const network: BuildNetwork = spec.options.network === 'none' ? 'none' : plan.network;
  args.push('-f', spec.dockerfile, '-t', spec.image, `--network=${network}`);
  if (plan.noCache) args.push('--no-cache');
  const compose = composeOptions(spec.options, plan);
  args.push(...compose.args);
  if (spec.target !== null) args.push('--target', spec.target);
  // Only buildx takes these; preflight stops a service that has them on another client.
  for (const [name, value] of Object.entries(spec.additionalContexts)) args.push('--build-context', `${name}=${value}`);
  // What the compose file hands the build besides args: SSH agents and secrets for
  // `RUN --mount=type=ssh|secret` (BuildKit), and host names the build resolves.
  for (const ssh of spec.ssh) args.push('--ssh', ssh);
  for (const secret of spec.secrets) args.push('--secret', secret);
  for (const host of spec.extraHosts) args.push('--add-host', host);
  // offgrid's proxy settings win over the same names in the compose file: they are how
  // the build's downloads are recorded.
  const buildArgs = { ...spec.args, ...(network === 'none' ? {} : plan.proxyArgs) };
  for (const [key, value] of Object.entries(buildArgs)) args.push('--build-arg', `${key}=${value}`);
  args.push(spec.context);
  return { args, env: { ...spec.secretEnv, DOCKER_BUILDKIT: plan.builder === 'buildkit' ? '1' : '0' }, notes: compose.notes, platform: compose.platform };
}
