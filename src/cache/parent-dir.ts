// The store's own directories (tmp/, writers/) exist from its start (store.ts). Making sure
// of one before each temp file cost a mkdir and a stat every time, several per download;
// the file is created instead, and the directory made only when it is missing (removed by
// hand while the store runs). Shard directories (content-v1/sha256/ab/cd, index-v1/ab/cd)
// are another matter: most are new when written to, so they are made first.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hasErrno } from './errors.js';

/** Runs `operation`, which creates `path`; when that fails for want of its directory, makes it and runs it again. */
export async function inParentDir<T>(path: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (!hasErrno(error, 'ENOENT')) throw error;
    await mkdir(dirname(path), { recursive: true });
    return operation();
  }
}
