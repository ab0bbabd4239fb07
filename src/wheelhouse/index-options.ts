// Index options written in requirements files (`-i`, `--index-url`, `--extra-index-url`).
// pip obeys them over its environment, so a file naming its own index would send pip around
// offgrid's mirror: nothing cached, nothing for an offline run. The wheelhouse instead
// makes those indexes upstreams of the mirror (with pip's precedence: a file's index-url
// replaces every index configured before it, its extra indexes add to them) and gives pip
// the requirements without those lines. file:// indexes stay: they are no network. Pure.
import type { OptionLine } from './requirement-set.js';

export interface FileIndexes {
  /** The last http(s) `--index-url` of the files, which replaces the configured indexes. */
  readonly indexUrl: string | null;
  readonly extraIndexUrls: readonly string[];
}

const INDEX_URL = new Set(['-i', '--index-url']);

function isRemote(value: string | null): value is string {
  return value !== null && /^https?:\/\//i.test(value);
}

/** True for a line that names a remote index (the mirror takes it over). */
export function namesRemoteIndex(option: Pick<OptionLine, 'name' | 'value'>): boolean {
  return (INDEX_URL.has(option.name) || option.name === '--extra-index-url') && isRemote(option.value);
}

/** The remote indexes the files name, or null when they name none. */
export function remoteIndexes(options: readonly Pick<OptionLine, 'name' | 'value'>[]): FileIndexes | null {
  let indexUrl: string | null = null;
  const extraIndexUrls: string[] = [];
  for (const option of options) {
    if (!namesRemoteIndex(option)) continue;
    if (INDEX_URL.has(option.name)) indexUrl = option.value;
    else if (!extraIndexUrls.includes(option.value!)) extraIndexUrls.push(option.value!);
  }
  return indexUrl === null && extraIndexUrls.length === 0 ? null : { indexUrl, extraIndexUrls };
}
