// The wheelhouse directory on disk. Nothing half-written ever carries a final name:
// pip saves into a `.offgrid-partial-*` directory inside the wheelhouse (same file
// system), finished files are renamed into place, and the manifest is written to a
// temporary file, synced, then renamed over the old one.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const PARTIAL_PREFIX = '.offgrid-partial-';
export const MANIFEST_FILE = 'wheelhouse_manifest.json';

export async function sha256File(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** sha256 and size of `path`, or null when there is no regular file there. */
export async function fileDigest(path: string): Promise<{ sha256: string; size: number } | null> {
  try {
    if (!(await stat(path)).isFile()) return null;
    return await sha256File(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Writes `text` so that a reader sees the old content or all of the new, never a mix. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Partial directories this process made: in use (or removed by their user), never stale. */
const ownPartials = new Set<string>();

/** A fresh directory for pip to save into, inside the wheelhouse (unique: one run may use several at once). */
export async function makePartialDir(dest: string): Promise<string> {
  await mkdir(dest, { recursive: true });
  const dir = await mkdtemp(join(dest, `${PARTIAL_PREFIX}${process.pid}-`));
  ownPartials.add(dir);
  return dir;
}

/** Removes partial directories left by runs that were killed (not this process's own). Returns how many. */
export async function removeStalePartials(dest: string): Promise<number> {
  let removed = 0;
  for (const name of await listNames(dest)) {
    if (!name.startsWith(PARTIAL_PREFIX) || ownPartials.has(join(dest, name))) continue;
    await rm(join(dest, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** Names in a directory (empty when it does not exist). */
export async function listNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
