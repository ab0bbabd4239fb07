// The warm path: when the wheelhouse already satisfies the requirements, nothing needs
// the index. The files the previous manifest lists are linked into a directory pip
// resolves from with --no-index, and hashed while pip runs; if pip resolves the whole
// tree from them and every sha256 matches the manifest, every package is `skipped` and
// no network (and no proxy) is involved. Anything missing, changed or corrupt makes the
// answer null, and the caller resolves against the index.
// Like pip's own "already satisfied", an unpinned requirement is not upgraded here;
// `--refresh` always asks the index.
//
// pip is the slow part, so it starts as early as it can: `startLocalResolution` needs only
// the manifest's list of files, and the command starts it before loading the rest of
// offgrid (see cli/commands/wheelhouse.ts). `resolveFromWheelhouse` then uses that attempt
// only if the validated manifest lists exactly the same files.
import { copyFile, link, mkdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileDigest, makePartialDir } from './files.js';
import type { Manifest } from './manifest.js';
import type { ResolvedPackage } from './pip-report.js';
import { sourceArgs, targetArgs, type TargetOptions } from './pip-args.js';
import type { PipRunner } from './pip-runner.js';

/** File name → the sha256 a manifest gives it. */
export type Listing = ReadonlyMap<string, string>;

type Digest = { sha256: string; size: number };

export interface LocalResolution {
  readonly packages: readonly ResolvedPackage[];
  readonly pipVersion: { pip: string; python: string } | null;
  /** sha256 and size of every file, as hashed while pip ran. */
  readonly files: ReadonlyMap<string, Digest>;
}

type Outcome =
  | { readonly kind: 'resolved'; readonly names: readonly string[]; readonly files: ReadonlyMap<string, Digest> }
  /** Some files did not match the manifest: pip's answer may rest on them. */
  | { readonly kind: 'untrusted'; readonly trusted: ReadonlyMap<string, Digest> };

export interface LocalAttempt {
  readonly listing: Listing;
  /** Null when pip could not resolve everything from the files (or could not run). */
  readonly outcome: Promise<Outcome | null>;
  /** Stops pip (its answer is not wanted) and waits until its files are cleaned up. */
  cancel(): Promise<void>;
}

interface AttemptInput {
  readonly dest: string;
  readonly listing: Listing;
  readonly files: readonly string[];
  readonly packages: readonly string[];
  readonly target: TargetOptions;
  readonly pip: PipRunner;
}

/** A name that can only mean a file directly inside the wheelhouse. */
function isPlainFileName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && !name.startsWith('.') && !/[/\\\0]/.test(name);
}

/**
 * The files a manifest's package entries name, with their sha256: entries that did not
 * fail, whose name is a plain file of the wheelhouse and whose sha256 is well formed.
 * Checked here, not trusted from the schema, because the early start reads the manifest
 * before it is validated.
 */
function listingFrom(packages: readonly unknown[]): Map<string, string> {
  const listing = new Map<string, string>();
  for (const p of packages as ({ filename?: unknown; sha256?: unknown; status?: unknown } | null)[]) {
    if (p === null || typeof p !== 'object' || p.status === 'error') continue;
    if (isPlainFileName(p.filename) && typeof p.sha256 === 'string' && /^[0-9a-f]{64}$/.test(p.sha256)) listing.set(p.filename, p.sha256);
  }
  return listing;
}

/** A validated manifest's files with their sha256. */
export function listingOf(manifest: Pick<Manifest, 'packages'>): Map<string, string> {
  return listingFrom(manifest.packages);
}

/**
 * The file list of `dest`'s manifest, read without validating the rest (that happens
 * while pip runs). Null when there is no manifest, or it names no file.
 */
export async function readListing(manifestPath: string): Promise<Listing | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch {
    return null;
  }
  const packages = (parsed as { packages?: unknown } | null)?.packages;
  if (!Array.isArray(packages)) return null;
  const listing = listingFrom(packages);
  return listing.size > 0 ? listing : null;
}

function sameListing(a: Listing, b: Listing): boolean {
  return a.size === b.size && [...a].every(([name, sha256]) => b.get(name) === sha256);
}

/** Links the listed files into a scratch directory and runs pip --no-index on them, hashing them meanwhile. */
export function startLocalResolution(o: AttemptInput): LocalAttempt {
  const abort = new AbortController();
  const outcome = (async (): Promise<Outcome | null> => {
    let dir: string | null = null;
    try {
      dir = await makePartialDir(o.dest);
      const links = join(dir, 'trusted');
      await mkdir(links);
      const linked = new Map<string, string>();
      await Promise.all(
        [...o.listing].map(async ([name, sha256]) => {
          // A hard link costs nothing; a file system without them gets a copy. A file
          // that is gone is simply not offered to pip.
          const ok = await link(join(o.dest, name), join(links, name)).then(
            () => true,
            () => copyFile(join(o.dest, name), join(links, name)).then(() => true, () => false),
          );
          if (ok) linked.set(name, sha256);
        }),
      );
      if (linked.size === 0 || abort.signal.aborted) return null;
      // The same command as a bare `pip download --no-index --find-links W -d W`: with the
      // files already in -d, pip only resolves and says "File was already downloaded".
      const lines: string[] = [];
      const resolving = o.pip.run(['download', '--no-index', '--find-links', links, '--dest', links, ...targetArgs(o.target), ...sourceArgs(o.files, o.packages)], {
        onLine: (line) => void (/^\s*(File was already downloaded|Saved) /.test(line) && lines.push(line)),
        signal: abort.signal,
      });
      const hashing = Promise.all([...linked].map(async ([name]) => [name, await fileDigest(join(links, name))] as const));
      const [result, digests] = await Promise.all([resolving, hashing]);
      const trusted = new Map<string, Digest>();
      for (const [name, digest] of digests) if (digest !== null && digest.sha256 === linked.get(name)) trusted.set(name, digest);
      if (trusted.size < linked.size) return { kind: 'untrusted', trusted };
      if (result.code !== 0 || abort.signal.aborted) return null;
      const names = alreadyDownloaded(lines.join('\n'));
      if (names === null || names.some((n) => !trusted.has(n))) return null;
      return { kind: 'resolved', names, files: trusted };
    } catch {
      return null; // the caller resolves against the index, where the problem shows properly
    } finally {
      if (dir !== null) await rm(dir, { recursive: true, force: true }).catch(() => {});
    }
  })();
  return {
    listing: o.listing,
    outcome,
    cancel: async () => {
      abort.abort();
      await outcome;
    },
  };
}

export async function resolveFromWheelhouse(o: {
  dest: string;
  previous: Manifest;
  files: readonly string[];
  packages: readonly string[];
  target: TargetOptions;
  pip: PipRunner;
  /** An attempt started before the manifest was validated; used only if it ran on the same files. */
  early?: LocalAttempt | null;
}): Promise<LocalResolution | null> {
  const listing = listingOf(o.previous);
  const early = o.early && sameListing(o.early.listing, listing) ? o.early : null;
  if (o.early && !early) await o.early.cancel();
  if (listing.size === 0) return null;
  let outcome = await (early ?? startLocalResolution({ ...o, listing })).outcome;
  if (outcome?.kind === 'untrusted') {
    // Again with only the files whose sha256 matched (the others are downloaded anew if needed).
    const trusted = new Map([...outcome.trusted].map(([name, digest]) => [name, digest.sha256]));
    outcome = trusted.size === 0 ? null : await startLocalResolution({ ...o, listing: trusted }).outcome;
  }
  if (outcome?.kind !== 'resolved') return null;
  const previous = new Map(o.previous.packages.map((p) => [p.filename, p]));
  const packages = outcome.names.map((filename): ResolvedPackage => {
    const before = previous.get(filename)!;
    return { name: before.name ?? filename, version: before.version ?? '', url: `file://${join(o.dest, filename)}`, filename, sha256: before.sha256, requested: before.requested, origin: 'archive', editable: false, vcs: null };
  });
  return { packages, pipVersion: { pip: o.previous.pip_version, python: o.previous.python }, files: outcome.files };
}

/**
 * The files pip found already downloaded, in order; null when it saved anything (then
 * the wheelhouse did not hold the whole tree). Pure.
 */
export function alreadyDownloaded(output: string): string[] | null {
  const names: string[] = [];
  for (const line of output.split(/\r?\n/)) {
    const found = /^\s*File was already downloaded (.+?)\s*$/.exec(line);
    if (found) names.push(basename(found[1]!));
    else if (/^\s*Saved /.test(line)) return null;
  }
  return names.length > 0 ? names : null;
}
