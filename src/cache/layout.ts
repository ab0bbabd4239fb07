// Where things live under a cache root. The format version is in the directory names so
// a future layout can sit beside this one. Index file names are a hash of the key, never
// the key text: keys are URLs chosen by whoever sends the proxy a request, and a hashed
// name cannot contain `..`, `/`, NUL or be too long.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CacheError } from './errors.js';

export const CONTENT_DIR = 'content-v1';
export const INDEX_DIR = 'index-v1';
export const TMP_DIR = 'tmp';
/** One marker file per writer that is committing (see lock.ts). */
export const WRITERS_DIR = 'writers';
export const LOCK_FILE = 'lock';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

export function assertSha256(value: string, what: string): void {
  if (!isSha256(value)) {
    throw new CacheError('EBADINPUT', `${what} must be 64 lowercase hex digits (a sha256), got ${JSON.stringify(String(value).slice(0, 80))}`);
  }
}

export function contentPath(root: string, sha256: string): string {
  assertSha256(sha256, 'content sha256');
  return join(root, CONTENT_DIR, 'sha256', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function indexPath(root: string, key: string): string {
  const hashed = hashKey(key);
  return join(root, INDEX_DIR, hashed.slice(0, 2), hashed.slice(2, 4), hashed);
}

/** A temp file name that records its writer's pid, so `cleanTmp` can tell dead writers' files. */
export function tmpName(pid: number, purpose: 'content' | 'index' | 'lock' | 'commit'): string {
  return `${pid}-${randomBytes(8).toString('hex')}.${purpose}`;
}

export function pidOfTmpName(name: string): number | null {
  const match = /^(\d+)-/.exec(name);
  return match ? Number(match[1]) : null;
}
