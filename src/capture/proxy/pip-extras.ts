// pip reads extra indexes from its own configuration as well as from PIP_INDEX_URL, so a
// build pointed at the mirror would still fetch from an http(s) extra index directly,
// unseen. The mirror already merges those extras into its pages; the child therefore gets
// PIP_EXTRA_INDEX_URL naming only the local (file://) extras, which are no network at
// all — or a single space, which pip reads as "no extra index". A local (file://)
// index-url would be lost under the mirror's PIP_INDEX_URL (the mirror does not read local
// indexes), so it becomes one of those local extras.
import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parsePipConfigList, pipSettingsFromEnv, type CommandRunner, execRunner } from './upstreams.js';

/** Where pip looks for configuration (pip's docs, "Configuration": site, user, global). */
export function pipConfigFiles(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? homedir();
  const files = ['/etc/pip.conf', '/etc/xdg/pip/pip.conf', join(home, '.pip', 'pip.conf'), join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'pip', 'pip.conf')];
  if (env.VIRTUAL_ENV) files.push(join(env.VIRTUAL_ENV, 'pip.conf'));
  if (env.PIP_CONFIG_FILE && env.PIP_CONFIG_FILE !== '/dev/null') files.push(env.PIP_CONFIG_FILE);
  return files;
}

async function anyExists(paths: readonly string[]): Promise<boolean> {
  const found = await Promise.all(paths.map((p) => access(p).then(() => true, () => false)));
  return found.includes(true);
}

/**
 * The PIP_EXTRA_INDEX_URL value that keeps pip's local indexes (extra ones, and a local
 * index-url) and drops its remote extras, or null when there is nothing to override. pip
 * is asked only when a configuration file or a variable exists, so most runs pay nothing.
 */
export async function pipExtraIndexOverride(
  env: NodeJS.ProcessEnv,
  runner: CommandRunner = execRunner,
  configFiles: readonly string[] = pipConfigFiles(env),
): Promise<string | null> {
  if (env.PIP_EXTRA_INDEX_URL === undefined && env.PIP_INDEX_URL === undefined && !(await anyExists(configFiles))) return null;
  const result = await runner('python3', ['-m', 'pip', 'config', 'list']);
  const settings = result.code === 0 ? parsePipConfigList(result.stdout) : pipSettingsFromEnv(env);
  const localIndex = settings.indexUrl !== null && settings.indexUrl.startsWith('file:') ? [settings.indexUrl] : [];
  if (settings.extraIndexUrls.length === 0 && localIndex.length === 0) return null;
  const local = [...localIndex, ...settings.extraIndexUrls.filter((url) => url.startsWith('file:'))];
  return local.length > 0 ? local.join(' ') : ' ';
}
