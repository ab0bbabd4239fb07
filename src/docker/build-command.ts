// The `docker build` command line for one service. Pure.
//
// Online builds run with --network=host: the engine offgrid tests on has no bridge, and
// with host networking the build containers reach offgrid's proxy on the host's
// 127.0.0.1 without exposing the proxy on another interface. Offline builds and
// verification run with --network=none and no proxy arguments: nothing is reachable, and
// a step that tries the network then names the real origin it wanted, not the proxy.
import type { Builder } from './engine.js';
import type { ServiceSpec } from './service.js';

export type BuildNetwork = 'host' | 'none';

export interface BuildPlan {
  readonly builder: Builder;
  readonly network: BuildNetwork;
  readonly noCache: boolean;
  /** Build args that point the build's tools at offgrid's proxy (empty offline). */
  readonly proxyArgs: Readonly<Record<string, string>>;
}

/**
 * The proxy variables handed to build containers. http(s)_proxy and no_proxy are Docker's
 * predefined build args: every RUN step sees them without an ARG line, and BuildKit keeps
 * them out of the cache key, so a new proxy port does not invalidate the cache. PIP_INDEX_URL,
 * PIP_TRUSTED_HOST and npm_config_registry reach a step only where the Dockerfile declares
 * them with ARG (and then are part of its cache key: use a fixed --proxy-port).
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
}

export function dockerBuildCommand(spec: ServiceSpec, plan: BuildPlan): DockerInvocation {
  const args = ['build'];
  if (plan.builder === 'buildkit') args.push('--progress=plain');
  args.push('-f', spec.dockerfile, '-t', spec.image, `--network=${plan.network}`);
  if (plan.noCache) args.push('--no-cache');
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
  const buildArgs = { ...spec.args, ...(plan.network === 'none' ? {} : plan.proxyArgs) };
  for (const [key, value] of Object.entries(buildArgs)) args.push('--build-arg', `${key}=${value}`);
  args.push(spec.context);
  return { args, env: { DOCKER_BUILDKIT: plan.builder === 'buildkit' ? '1' : '0' } };
}
