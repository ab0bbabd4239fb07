// Index options written in requirements files (`-i`, `--index-url`, `--extra-index-url`).
// pip obeys them over its environment, so a file naming its own index would send pip around
// offgrid's mirror: nothing cached, nothing for an offline run. The wheelhouse instead
// makes those indexes upstreams of the mirror (with pip's precedence: a file's index-url
// replaces every index configured before it, its extra indexes add to them) and gives pip
// the requirements without those lines. file:// indexes stay: they are no network. Pure.
// Values are read after pip's own `${NAME}` expansion, as pip reads them (a file written
// `--index-url https://__token__:${TOKEN}@${HOST}/simple` names the host in $HOST).
import type { OptionLine } from './requirement-set.js';
import { expandPipEnv } from './requirements.js';

export interface FileIndexes {
  /** The last http(s) `--index-url` of the files, which replaces the configured indexes. */
  readonly indexUrl: string | null;
  readonly extraIndexUrls: readonly string[];
  /** http(s) `--find-links` pages: pip fetches them itself, so their hosts must be let through. */
  readonly findLinks: readonly string[];
}

const INDEX_URL = new Set(['-i', '--index-url']);

function isRemote(value: string | null): value is string {
  return value !== null && /^https?:\/\//i.test(value);
}

/** True for a line that names a remote index (the mirror takes it over). */
export function namesRemoteIndex(option: Pick<OptionLine, 'name' | 'value'>, env: NodeJS.ProcessEnv): boolean {
  return (INDEX_URL.has(option.name) || option.name === '--extra-index-url') && isRemote(option.value === null ? null : expandPipEnv(option.value, env));
}

/** The remote indexes and find-links pages the files name (their variables expanded), or null when they name none. */
export function remoteIndexes(options: readonly Pick<OptionLine, 'name' | 'value'>[], env: NodeJS.ProcessEnv): FileIndexes | null {
  let indexUrl: string | null = null;
  const extraIndexUrls: string[] = [];
  const findLinks: string[] = [];
  for (const option of options) {
    const link = (option.name === '-f' || option.name === '--find-links') && option.value !== null ? expandPipEnv(option.value, env) : null;
    if (isRemote(link) && !findLinks.includes(link)) findLinks.push(link);
    if (!namesRemoteIndex(option, env)) continue;
    const value = expandPipEnv(option.value!, env);
    if (INDEX_URL.has(option.name)) indexUrl = value;
    else if (!extraIndexUrls.includes(value)) extraIndexUrls.push(value);
  }
  return indexUrl === null && extraIndexUrls.length === 0 && findLinks.length === 0 ? null : { indexUrl, extraIndexUrls, findLinks };
}
