// Maintenance (verify, prune) runs under an exclusive lock that writers respect, so a
// maintenance pass never deletes content a writer is about to reference.
//
// The protocol is two-sided, like Dekker's: a committing writer first drops a marker in
// writers/ and THEN looks for the lock; maintenance first takes the lock and THEN waits
// until no live writer marker remains. Either the writer sees the lock (it withdraws its
// marker and waits) or maintenance sees the marker (it waits for the commit to finish).
// Writers never block each other; only the short commit step (rename + index write) is
// gated, not the download. Readers take no lock: prune removes the index entry before the
// content, and a reader treats a vanished file as a miss.
//
// A lock or marker whose pid is dead is stale and taken over, so a killed `prune` does not
// wedge the cache.
import { randomBytes } from 'node:crypto';
import { link, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CacheError, hasErrno } from './errors.js';
import { LOCK_FILE, TMP_DIR, WRITERS_DIR, pidOfTmpName, tmpName } from './layout.js';
import { inParentDir } from './parent-dir.js';
import { type CacheContext, isoTime, sleep } from './options.js';

export type Release = () => Promise<void>;

interface LockHolder {
  readonly pid: number;
  readonly token: string;
  readonly since: string;
}

export function isPidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return hasErrno(error, 'EPERM');
  }
}

async function readHolder(lockPath: string): Promise<LockHolder | 'none' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (error) {
    if (hasErrno(error, 'ENOENT')) return 'none';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.token === 'string') {
      return { pid: parsed.pid, token: parsed.token, since: String(parsed.since) };
    }
  } catch {
    // Falls through: the lock is written whole via link(), so garbage means a hand edit.
  }
  return 'unreadable';
}

function isHeld(holder: LockHolder | 'none' | 'unreadable'): holder is LockHolder {
  return typeof holder === 'object' && isPidAlive(holder.pid);
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (!hasErrno(error, 'ENOENT')) throw error;
  }
}

function lockedError(ctx: CacheContext, holder: LockHolder | null, waitingFor: string): CacheError {
  const who = holder ? `process ${holder.pid} (since ${holder.since})` : 'another process';
  return new CacheError(
    'ELOCKED',
    `cache ${ctx.root} is locked by ${who}; waited ${ctx.lockTimeoutMs} ms for ${waitingFor} ` +
      '(wait for the running `offgrid cache verify/prune` to finish, or remove the lock file if that process is gone)',
    { root: ctx.root, holderPid: holder?.pid ?? null },
  );
}

/** Moves a stale lock aside atomically, so two processes taking it over do not both win. */
async function takeOverStaleLock(ctx: CacheContext, lockPath: string, stale: LockHolder | 'unreadable'): Promise<void> {
  const aside = join(ctx.root, TMP_DIR, tmpName(process.pid, 'lock'));
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if (hasErrno(error, 'ENOENT')) return; // someone else took it over first
    throw error;
  }
  const moved = await readHolder(aside);
  if (typeof moved === 'object' && typeof stale === 'object' && moved.token !== stale.token) {
    // We raced and moved a fresh lock; put it back unless yet another one exists.
    try {
      await link(aside, lockPath);
    } catch (error) {
      if (!hasErrno(error, 'EEXIST')) throw error;
      ctx.logger.warn('cache lock: moved a live lock aside while taking over a stale one', { pid: moved.pid });
    }
  } else {
    ctx.logger.warn('cache lock: took over a stale lock', { stale: typeof stale === 'object' ? stale.pid : 'unreadable' });
  }
  await unlinkIfPresent(aside);
}

export async function acquireMaintenanceLock(ctx: CacheContext): Promise<Release> {
  const lockPath = join(ctx.root, LOCK_FILE);
  const deadline = performance.now() + ctx.lockTimeoutMs;
  const mine: LockHolder = { pid: process.pid, token: randomBytes(12).toString('hex'), since: isoTime(ctx.clock()) };
  for (;;) {
    // Written whole to a temp file, then link()ed: the lock appears complete or not at all.
    const candidate = join(ctx.root, TMP_DIR, tmpName(process.pid, 'lock'));
    ctx.activeTmp.add(candidate);
    await writeFile(candidate, JSON.stringify(mine), { flag: 'wx' });
    try {
      await link(candidate, lockPath);
      break;
    } catch (error) {
      if (!hasErrno(error, 'EEXIST')) throw error;
    } finally {
      await unlinkIfPresent(candidate);
      ctx.activeTmp.delete(candidate);
    }
    const holder = await readHolder(lockPath);
    if (holder === 'none') continue;
    if (!isHeld(holder)) {
      await takeOverStaleLock(ctx, lockPath, holder);
      continue;
    }
    if (performance.now() > deadline) throw lockedError(ctx, holder, 'the maintenance lock');
    await sleep(ctx.lockPollMs);
  }
  const release: Release = async () => {
    const holder = await readHolder(lockPath);
    if (typeof holder === 'object' && holder.token === mine.token) await unlinkIfPresent(lockPath);
  };
  try {
    await waitForCommitsToFinish(ctx, deadline);
  } catch (error) {
    await release();
    throw error;
  }
  return release;
}

async function waitForCommitsToFinish(ctx: CacheContext, deadline: number): Promise<void> {
  const dir = join(ctx.root, WRITERS_DIR);
  for (;;) {
    let live = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const pid = pidOfTmpName(name);
      if (pid !== null && isPidAlive(pid)) live += 1;
      else await unlinkIfPresent(join(dir, name)); // a writer killed mid-commit
    }
    if (live === 0) return;
    if (performance.now() > deadline) throw lockedError(ctx, null, `${live} writer(s) to finish committing`);
    await sleep(ctx.lockPollMs);
  }
}

/** Waits until no maintenance runs, and keeps it out until the returned release is called. */
export async function enterCommit(ctx: CacheContext): Promise<Release> {
  const lockPath = join(ctx.root, LOCK_FILE);
  const dir = join(ctx.root, WRITERS_DIR);
  const deadline = performance.now() + ctx.lockTimeoutMs;
  for (;;) {
    const marker = join(dir, tmpName(process.pid, 'commit'));
    await inParentDir(marker, () => writeFile(marker, '', { flag: 'wx' }));
    const holder = await readHolder(lockPath);
    if (!isHeld(holder)) return () => unlinkIfPresent(marker);
    await unlinkIfPresent(marker);
    if (performance.now() > deadline) throw lockedError(ctx, holder, 'maintenance to finish before committing a download');
    await sleep(ctx.lockPollMs);
  }
}

export { unlinkIfPresent };
