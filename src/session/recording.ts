// A recording: a session plus the caching proxy that every tool of the build is pointed
// at. `offgrid run`, `wheelhouse`, `build` and `verify` all record this way:
//   start → hand `env` to the build's processes → feed their output to `capture` → finish.
import { join } from 'node:path';
import { homedir } from 'node:os';
import { rmSync } from 'node:fs';
import type { CaptureEvent } from '../capture/events.js';
import { createOutputCapture, type OutputCapture } from '../capture/output-capture.js';
import { startProxy, type RunningProxy, type StartProxyOptions } from '../capture/proxy/server.js';
import { proxyEnvironment } from '../capture/proxy/env.js';
import { pypiRoute } from '../capture/proxy/pypi.js';
import { npmRoute } from '../capture/proxy/npm.js';
import { execRunner, onceRunner, resolveUpstreams, type UpstreamFlags } from '../capture/proxy/upstreams.js';
import { pipExtraIndexOverride } from '../capture/proxy/pip-extras.js';
import { buildAllowList, listedHost, withUpstreamHosts } from '../capture/proxy/allow-list.js';
import { type AptProxyConfig, aptProxyWarnings, readAptProxyConfig } from '../capture/proxy/apt-proxy.js';
import type { ProxyLogger } from '../capture/proxy/types.js';
import type { Ledger } from '../ledger/schema.js';
import { Session } from './session.js';
import type { Clock } from './time.js';

export interface RecordingOptions {
  readonly logDir: string;
  /** The command line the ledger names. */
  readonly command: readonly string[];
  readonly offline: boolean;
  /** null: record from output only, with no proxy (`--no-proxy`). */
  readonly cacheDir: string | null;
  readonly upstreams: UpstreamFlags;
  readonly clock: Clock;
  readonly log: ProxyLogger;
  /** The environment the build would run with (its tool settings pick the upstreams). */
  readonly env: NodeJS.ProcessEnv;
  /** Extra hosts the forward proxy may reach. */
  readonly allowHosts?: readonly string[];
  /** Where the proxy listens: default a free port on 127.0.0.1. */
  readonly listen?: ListenOptions;
  /**
   * The recorded tools read this machine's configuration (default). False for builds in
   * containers: their pip never sees this machine's pip.conf, so it is not asked about
   * extra indexes to override (which costs a pip start-up).
   */
  readonly hostTools?: boolean;
}

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  readonly allowRemote: boolean;
  /** Behind hit workers: see StartProxyOptions.internal. */
  readonly internal?: StartProxyOptions['internal'];
}

export interface Recording {
  readonly session: Session;
  readonly proxy: RunningProxy | null;
  /** Variables that point pip, npm, apt, curl and wget at the proxy (empty without one). */
  readonly env: Record<string, string>;
  /** Notes about the upstreams chosen (a skipped file:// index, a default used); filled when they are first needed. */
  readonly notes: readonly string[];
  /** A parser for one build's output, attributed to `service`. */
  capture(service: string | null): OutputCapture;
  /**
   * Until called again with null, each event the proxy records passes through `attribute`
   * first: a build runner names the service and step a request came from, which the proxy
   * cannot see.
   */
  attributeProxyEvents(attribute: ((event: CaptureEvent) => CaptureEvent) | null): void;
  finish(exitCode: number | null): Promise<Ledger>;
}

/** Where the cache lives unless told: $OFFGRID_CACHE_DIR, else ~/.cache/offgrid. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return env.OFFGRID_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'offgrid');
}

export async function startRecording(options: RecordingOptions): Promise<Recording> {
  const session = Session.open({ logDir: options.logDir, command: options.command, offline: options.offline, clock: options.clock });
  let proxy: RunningProxy | null = null;
  let attribute: ((event: CaptureEvent) => CaptureEvent) | null = null;
  let env: Record<string, string> = {};
  const notes: string[] = [];
  const aptConfigDir = join(options.logDir, 'build', '.journal', `apt-${session.id}`);
  try {
    if (options.cacheDir !== null) {
      // Asked while the proxy starts (pip's start-up is the slow part).
      const toolConfig = onceRunner(execRunner);
      const pipExtrasPending = options.hostTools === false ? Promise.resolve(null) : pipExtraIndexOverride(options.env, toolConfig);
      // The hosts known without asking pip or npm: --allow-host at once, the machine's apt
      // sources (through apt-config) when a request first needs a host not yet on the list.
      // A build whose steps are all cached never spends the apt-config process.
      const knownHosts = new Set<string>((options.allowHosts ?? []).map(listedHost));
      const log = options.log;
      // apt's own proxy settings (apt-config dump) are read at the same moment as its sources,
      // or when an apt request first goes upstream, whichever comes first; offline (nothing goes
      // upstream), never.
      let aptProxiesRead: Promise<AptProxyConfig> | null = null;
      const readAptProxies = (): Promise<AptProxyConfig> =>
        (aptProxiesRead ??= readAptProxyConfig(execRunner).then((config) => {
          for (const warning of aptProxyWarnings(config)) log.warn(warning);
          return config;
        }));
      let knownHostsRead: Promise<void> | null = null;
      const readKnownHosts = (): Promise<void> => {
        if (!options.offline) void readAptProxies();
        return (knownHostsRead ??= buildAllowList({ upstreams: [] }).then(
          (hosts) => {
            for (const host of hosts) knownHosts.add(host);
          },
          (error: Error) => log.warn(`reading the machine's apt sources for the proxy's allow-list failed: ${error.message}`),
        ));
      };
      proxy = await startProxy({
        cacheDir: options.cacheDir,
        offline: options.offline,
        // pip and npm are asked for their indexes only when a request needs them (see LazyUpstreams).
        upstreams: {
          knownHosts,
          readKnownHosts,
          resolve: async () => {
            const upstreams = await resolveUpstreams(options.upstreams, toolConfig, options.env);
            await readKnownHosts();
            notes.push(...upstreams.notes);
            for (const note of upstreams.notes) log.debug(note);
            return { pypi: upstreams.pypi, npm: upstreams.npm, npmAuthorization: upstreams.npmAuthorization, allowedHosts: withUpstreamHosts(knownHosts, upstreams) };
          },
        },
        record: (event, durability) => session.record(attribute === null ? event : attribute(event), durability),
        clock: options.clock,
        log: options.log,
        routes: [pypiRoute(), npmRoute()],
        ...(options.offline ? {} : { aptProxies: readAptProxies }),
        ...(options.listen ?? {}),
      });
      const pipExtras = await pipExtrasPending;
      env = {
        ...(pipExtras === null ? {} : { PIP_EXTRA_INDEX_URL: pipExtras }),
        // npm is pointed at the mirror even before its registry is known (without npm, unused).
        ...(await proxyEnvironment(proxy.url, { aptConfigDir, existingAptConfig: options.env.APT_CONFIG ?? null })),
        // pip's self-check asks the index for pip itself: noise, and a network attempt offline.
        PIP_DISABLE_PIP_VERSION_CHECK: '1',
        // Lockfiles record the registry they were made against; send their tarball URLs
        // to the mirror instead (npm keeps only the path).
        npm_config_replace_registry_host: 'always',
      };
    }
  } catch (error) {
    await proxy?.close();
    await session.finish(null);
    throw error;
  }
  return {
    session,
    proxy,
    env,
    notes,
    capture: (service) => createOutputCapture(session, service),
    attributeProxyEvents(given) {
      attribute = given;
    },
    async finish(exitCode) {
      // The proxy may still be streaming a response: close it first so its last events
      // reach the journal before the ledger is compiled.
      if (proxy) await proxy.close();
      rmSync(aptConfigDir, { recursive: true, force: true });
      return session.finish(exitCode);
    },
  };
}
