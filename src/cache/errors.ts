// The store's failures, each with a stable code and the data a caller needs to act on.
// The proxy branches on `code` (EINTEGRITY → abort the response, refetch); the CLI prints
// `message`, which says what happened and what to do next.

export const CACHE_ERROR_CODES = {
  EINTEGRITY: 'stored or received bytes do not hash to the expected sha256',
  ESIZE: 'received byte count differs from the declared size',
  ECACHECORRUPT: 'an index entry or content file in the cache is unreadable or malformed',
  EABORTED: 'a cache write was abandoned before it finished',
  ELOCKED: 'cache maintenance holds the lock for longer than the caller waits',
  EBADINPUT: 'an argument to the cache API is not valid',
} as const;
export type CacheErrorCode = keyof typeof CACHE_ERROR_CODES;

export class CacheError extends Error {
  override readonly name = 'CacheError';
  constructor(
    readonly code: CacheErrorCode,
    message: string,
    /** Data to act on, e.g. `{ expected, found }` for EINTEGRITY and ESIZE. */
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isCacheError(error: unknown, code?: CacheErrorCode): error is CacheError {
  return error instanceof CacheError && (code === undefined || error.code === code);
}

export function integrityError(what: string, expected: string, found: string, algorithm = 'sha256'): CacheError {
  return new CacheError(
    'EINTEGRITY',
    `${what}: expected ${algorithm} ${expected} but the bytes hash to ${found}; the data is not stored or served ` +
      '(retry the download; if it repeats, the upstream or its declared hash is wrong)',
    { expected, found },
  );
}

export function sizeError(what: string, expected: number, found: number): CacheError {
  const which = found < expected ? 'short' : 'long';
  return new CacheError(
    'ESIZE',
    `${what}: expected ${expected} bytes but got ${found} (${which}); the data is not stored ` +
      '(the transfer was cut off or the upstream sent a wrong Content-Length; retry the download)',
    { expected, found },
  );
}

/** True for a Node system error with the given code (ENOENT, EEXIST, ...). */
export function hasErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}
