// What a wheelhouse manifest or a ledger still needs, so prune never removes it: every
// sha256 the document names (as a `sha256` field, or `sha256:`/`sha256=` prefixed) and
// every file name it lists. Reads any JSON shape, so offgrid's own manifests and ledgers
// and hand-written lists all work.
const SHA256 = /^(?:sha256[:=])?([0-9a-f]{64})$/i;

export interface KeepList {
  readonly sha256s: Set<string>;
  readonly filenames: Set<string>;
}

export function keepListOf(document: unknown): KeepList {
  const sha256s = new Set<string>();
  const filenames = new Set<string>();
  const walk = (value: unknown, key: string | null): void => {
    if (typeof value === 'string') {
      const hash = SHA256.exec(value);
      if (hash && (key === null || /sha256|hash|digest|integrity/i.test(key))) sha256s.add(hash[1]!.toLowerCase());
      else if (key !== null && /^(filename|file|name)$/i.test(key) && /\.(whl|tar\.gz|zip|deb|tgz)$/.test(value)) filenames.add(value.split('/').pop()!);
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item, key);
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, k);
    }
  };
  walk(document, null);
  return { sha256s, filenames };
}
