// The warm path: when the wheelhouse already satisfies the requirements, nothing needs
// the index. Files whose sha256 matches the previous manifest are linked into a
// directory pip resolves from with --no-index; if that resolves the whole tree, every
// package is `skipped` and no network (and no proxy) is involved. Anything missing,
// changed or corrupt makes this answer null, and the caller resolves against the index.
// Like pip's own "already satisfied", an unpinned requirement is not upgraded here;
// `--refresh` always asks the index.
import { copyFile, link, mkdir, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { join } from 'node:path';
import { fileDigest, makePartialDir } from './files.js';
import type { Manifest } from './manifest.js';
import type { ResolvedPackage } from './pip-report.js';
import { sourceArgs, targetArgs, type TargetOptions } from './pip-args.js';
import type { PipRunner } from './pip-runner.js';

export interface LocalResolution {
  readonly packages: readonly ResolvedPackage[];
  readonly pipVersion: { pip: string; python: string } | null;
  /** sha256 and size of every file, as checked before pip ran. */
  readonly files: ReadonlyMap<string, { sha256: string; size: number }>;
}

export async function resolveFromWheelhouse(o: {
  dest: string;
  previous: Manifest;
  files: readonly string[];
  packages: readonly string[];
  target: TargetOptions;
  pip: PipRunner;
  workDir: string;
}): Promise<LocalResolution | null> {
  const trusted = new Map<string, { sha256: string; size: number }>();
  await Promise.all(
    o.previous.packages.map(async (p) => {
      if (p.filename === null || p.sha256 === null || p.status === 'error') return;
      const found = await fileDigest(join(o.dest, p.filename));
      if (found !== null && found.sha256 === p.sha256) trusted.set(p.filename, found);
    }),
  );
  if (trusted.size === 0) return null;
  const dir = await makePartialDir(o.dest);
  try {
    const links = join(dir, 'trusted');
    await mkdir(links);
    for (const name of trusted.keys()) {
      // A hard link costs nothing; a file system without them gets a copy.
      await link(join(o.dest, name), join(links, name)).catch(() => copyFile(join(o.dest, name), join(links, name)));
    }
    // The same command as a bare `pip download --no-index --find-links W -d W`: with the
    // files already in -d, pip only resolves and says "File was already downloaded".
    const lines: string[] = [];
    const result = await o.pip.run(['download', '--no-index', '--find-links', links, '--dest', links, ...targetArgs(o.target), ...sourceArgs(o.files, o.packages)], {
      onLine: (line) => void (/^\s*(File was already downloaded|Saved) /.test(line) && lines.push(line)),
    });
    if (result.code !== 0) return null;
    const names = alreadyDownloaded(lines.join('\n'));
    if (names === null || names.some((n) => !trusted.has(n))) return null;
    const previous = new Map(o.previous.packages.map((p) => [p.filename, p]));
    const packages = names.map((filename): ResolvedPackage => {
      const before = previous.get(filename)!;
      return { name: before.name ?? filename, version: before.version ?? '', url: `file://${join(o.dest, filename)}`, filename, sha256: before.sha256, requested: before.requested, notAFile: false };
    });
    return { packages, pipVersion: { pip: o.previous.pip_version, python: o.previous.python }, files: trusted };
  } catch {
    return null;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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
