// Every error offgrid reports on purpose has a stable code, an exit code and a message
// that says what to do next. Anything else reaching the CLI is a bug (see cli/main.ts).

/** Exit codes: 0 ok, 1 the checked thing failed, 2 usage or input error. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export const ERROR_CODES = {
  EUSAGE: 'the command line is not valid',
  EINPUT: 'an input file is missing, unreadable or malformed',
  ELOGDIR: 'the log directory cannot be created or written',
  ENOSESSION: 'no recorded session matches',
  ELEDGER: 'a ledger file is not a valid offgrid ledger',
  ESPAWN: 'the command to run could not be started',
  EPROXY: 'the caching proxy could not start',
  EDOCKER: 'the Docker engine is missing, not running, or cannot build',
  ENOSANDBOX: 'no way to cut the network on this machine (unshare, user namespaces, bwrap)',
  ESANDBOX: 'the offline run inside the network namespace did not complete',
  EARCHIVE: 'a cache archive is malformed, tampered with or truncated',
  ECACHE: 'the cache could not be read or changed',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export class OffgridError extends Error {
  override readonly name = 'OffgridError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly exitCode: number = EXIT_USAGE,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isOffgridError(error: unknown): error is OffgridError {
  return error instanceof OffgridError;
}

/** The message of a Node system error (ENOENT, EACCES, ...) without its stack. */
export function describeSystemError(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    const e = error as NodeJS.ErrnoException;
    const what = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory', ENOTDIR: 'not a directory', EROFS: 'read-only file system', ENOSPC: 'no space left on device', EPERM: 'operation not permitted', EEXIST: 'already exists', ENAMETOOLONG: 'name too long', ELOOP: 'too many levels of symbolic links', EDQUOT: 'disk quota exceeded' }[e.code ?? ''];
    return what ? `${what}${e.path ? `: ${e.path}` : ''}` : e.message;
  }
  return error instanceof Error ? error.message : String(error);
}
