// The options of every command that records through the caching proxy, declared once.
import { Option, type Command } from 'commander';
import type { ProxyFlags } from './commands/session-common.js';
import type { CliIO } from './io.js';

export interface ProxyOptionValues {
  logDir: string;
  offline: boolean;
  proxy: boolean;
  cacheDir?: string;
  pypiUpstream?: string[];
  npmUpstream?: string;
  allowHost?: string[];
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function addProxyOptions(command: Command, io: CliIO): Command {
  return command
    .option('--offline', 'never contact an upstream: serve from the cache, record every miss as a network attempt', false)
    .option('--no-proxy', 'do not start the caching proxy; record from the output only')
    .addOption(new Option('--cache-dir <dir>', 'the cache (default: $OFFGRID_CACHE_DIR or ~/.cache/offgrid)').default(io.env.OFFGRID_CACHE_DIR))
    .option('--pypi-upstream <url>', "a PyPI simple index to mirror (repeatable; default: pip's own index settings)", collect)
    .option('--npm-upstream <url>', "the npm registry to mirror (default: npm's own registry setting)")
    .option('--allow-host <host>', 'another host the forward proxy may reach (repeatable)', collect);
}

export function proxyFlags(o: ProxyOptionValues, debug: boolean): ProxyFlags {
  return {
    logDir: o.logDir,
    offline: o.offline,
    proxy: o.proxy,
    cacheDir: o.cacheDir ?? null,
    pypiUpstream: o.pypiUpstream ?? [],
    npmUpstream: o.npmUpstream ?? null,
    allowHost: o.allowHost ?? [],
    debug,
  };
}
