// Compose's build fields that `docker build` takes as options: network, cache_from,
// cache_to, platforms, labels, shm_size, tags, pull and no_cache, read as compose-go reads
// them (interpolated, maps or lists where compose allows both). What each mode passes on
// is build-command.ts's decision. Pure.
import { interpolate } from './interpolate.js';
import type { BuildOptions } from './service.js';

type Plain = Record<string, unknown>;
const isMap = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The shape compose gives build.args, additional_contexts, ssh, extra_hosts and labels: a map
 * (`KEY: value`, `KEY:` with none) or a list of strings split at the first `separator`
 * (`KEY=value`, `KEY` with none). A value is null where none is written.
 */
export function keyedEntries(raw: unknown, separator: RegExp, field: string, where: string): [string, string | null][] {
  if (raw === undefined || raw === null) return [];
  if (isMap(raw)) {
    return Object.entries(raw).map(([key, value]) => {
      if (value === null || value === undefined) return [key, null];
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new Error(`${where}: build.${field}.${key} must be a string`);
      return [key, String(value)];
    });
  }
  if (!Array.isArray(raw)) throw new Error(`${where}: build.${field} must be a map or a list`);
  return raw.map((item) => {
    if (typeof item !== 'string') throw new Error(`${where}: build.${field} entries must be strings`);
    const at = item.search(separator);
    return at <= 0 ? [item, null] : [item.slice(0, at), item.slice(at + 1)];
  });
}

/** Build fields of the compose specification that docker build has no use for here, or that need what offgrid does not set up. */
const UNUSED_FIELDS = ['isolation', 'privileged', 'ulimits', 'entitlements', 'provenance', 'sbom'] as const;

function strings(raw: unknown, field: string, env: NodeJS.ProcessEnv, where: string): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.some((item) => typeof item !== 'string')) throw new Error(`${where}: build.${field} must be a list of strings`);
  return (raw as string[]).map((item) => interpolate(item, env, where));
}

/** A boolean field; compose also takes the strings true and false (from interpolation). */
function flag(raw: unknown, field: string, env: NodeJS.ProcessEnv, where: string): boolean {
  if (raw === undefined || raw === null) return false;
  const value = typeof raw === 'string' ? interpolate(raw, env, where).toLowerCase() : raw;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`${where}: build.${field} must be true or false`);
}

export function buildOptions(build: Plain, env: NodeJS.ProcessEnv, where: string): BuildOptions {
  if (build.network !== undefined && build.network !== null && typeof build.network !== 'string') throw new Error(`${where}: build.network must be a string`);
  const shm = build.shm_size;
  if (shm !== undefined && shm !== null && typeof shm !== 'string' && typeof shm !== 'number') throw new Error(`${where}: build.shm_size must be a size (2gb) or a number of bytes`);
  const labels: Record<string, string> = {};
  for (const [key, value] of keyedEntries(build.labels, /=/, 'labels', where)) labels[interpolate(key, env, where)] = value === null ? '' : interpolate(value, env, where);
  return {
    network: typeof build.network === 'string' ? interpolate(build.network, env, where) : null,
    cacheFrom: strings(build.cache_from, 'cache_from', env, where),
    cacheTo: strings(build.cache_to, 'cache_to', env, where),
    platforms: strings(build.platforms, 'platforms', env, where),
    labels,
    shmSize: shm === undefined || shm === null ? null : interpolate(String(shm), env, where),
    tags: strings(build.tags, 'tags', env, where),
    pull: flag(build.pull, 'pull', env, where),
    noCache: flag(build.no_cache, 'no_cache', env, where),
    unused: UNUSED_FIELDS.filter((field) => build[field] !== undefined && build[field] !== null),
  };
}
