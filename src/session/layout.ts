// Where a session's files live (the guide's "Logging Locations").
import { join } from 'node:path';

export interface SessionPaths {
  readonly buildDir: string;
  readonly sessionLog: string;
  readonly ledger: string;
  readonly aptLog: string;
  readonly wheelLog: string;
  readonly journal: string;
}

/** `logDir` is the guide's `logs/`; a session's files go to `logs/build/`. */
export function sessionPaths(logDir: string, sessionId: string): SessionPaths {
  const buildDir = join(logDir, 'build');
  return {
    buildDir,
    sessionLog: join(buildDir, `build_session_${sessionId}.log`),
    ledger: join(buildDir, `downloads_${sessionId}.json`),
    aptLog: join(buildDir, `apt_downloads_${sessionId}.log`),
    wheelLog: join(buildDir, `wheel_downloads_${sessionId}.log`),
    journal: join(journalDir(logDir), `session_${sessionId}.jsonl`),
  };
}

export function journalDir(logDir: string): string {
  return join(logDir, 'build', '.journal');
}

export const LEDGER_FILE = /^downloads_(\d{8}_\d{6}(?:_\d+)?)\.json$/;
export const JOURNAL_FILE = /^session_(\d{8}_\d{6}(?:_\d+)?)\.jsonl$/;
