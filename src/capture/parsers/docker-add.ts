// `ADD <url>` and `ADD <git repository>` steps: the builder itself fetches these sources,
// on the daemon's network. `docker build --network=none` cuts off RUN steps only, so such a
// step succeeds offline-looking builds while still needing the network, and nothing in the
// step's output says what it fetched: the step's own name is the record.

/** The source of the builder's registry lookup of an image (a `# syntax=` frontend): BuildKit's own notation. */
export const IMAGE_LOOKUP_SOURCE = 'docker-image://';

/** The image a registry lookup record names, or null for any other source. */
export function lookedUpImage(source: string | null): string | null {
  return source !== null && source.startsWith(IMAGE_LOOKUP_SOURCE) ? source.slice(IMAGE_LOOKUP_SOURCE.length) : null;
}

/** A source BuildKit fetches rather than reads from the context: http(s) URLs and git repositories. */
const REMOTE_SOURCE = /^(?:(?:https?|git|ssh):\/\/|git@[^\s:]+:)\S/i;

/** The words of an ADD step's arguments, flags dropped, in shell form or JSON (exec) form. */
function addArguments(stepName: string): string[] | null {
  const match = /^ADD\s+(.*)$/is.exec(stepName);
  if (match === null) return null;
  let rest = match[1]!.trim();
  // Flags (`--chown=1000:1000`, `--checksum=sha256:…`, `--keep-git-dir=true`) come first, each one word.
  while (rest.startsWith('--')) {
    const space = rest.search(/\s/);
    if (space === -1) return null;
    rest = rest.slice(space).trimStart();
  }
  if (rest.startsWith('[')) {
    try {
      const words: unknown = JSON.parse(rest);
      if (Array.isArray(words) && words.every((w) => typeof w === 'string')) return words as string[];
    } catch {
      // Not JSON after all: shell form, as BuildKit reads it.
    }
  }
  return rest.split(/\s+/).filter((word) => word !== '');
}

/**
 * The remote sources of an ADD step (`ADD https://x/y.tar.gz /opt/`, `ADD --checksum=… URL
 * DEST`, `ADD ["URL", "DEST"]`, `ADD https://github.com/o/r.git#v1 /src`), in order; empty for
 * any other step. The last word is the destination, never a source.
 */
export function remoteAddSources(stepName: string): string[] {
  const words = addArguments(stepName);
  if (words === null || words.length < 2) return [];
  return words.slice(0, -1).filter((word) => REMOTE_SOURCE.test(word));
}

/** The file name a remote source names (`…/pandoc-3.1.deb?x=1` → `pandoc-3.1.deb`), or null. */
export function remoteSourceFilename(source: string): string | null {
  const path = source.replace(/[?#].*$/, '').replace(/\/+$/, '');
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf(':'));
  const name = path.slice(slash + 1);
  return name === '' || /^(?:https?|git|ssh)$/i.test(name) ? null : name;
}
