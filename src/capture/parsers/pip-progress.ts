// pip's progress bars, read for where a transfer stopped. pip draws a bar's last state when
// the transfer ends, so a reading below the file's size is where it broke off (on a
// terminal, the bar's redraws are resolved to that state before a parser sees the line).

import { parsePipSize } from './pip-files.js';

/** pip ≥ 22's progress bar (rich): `━━━━━━━╸━━━━━━━ 346.0/797.2 MB 201.3 kB/s eta 0:37:22`. */
const RICH_READING_RE = / (\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?) ([kMG]?B|bytes) /;
/** pip 8–21's: `1% |▌      | 20kB 4.1kB/s eta 0:04:58`, `|████████| 1.5 MB 2.1 MB/s`; pip ≤ 1.5's ` 45%  147kB`. */
const OLD_READING_RE = /^(?:(\d+)%\s*)?(?:\|[^|]*\| )?(\d+(?:\.\d+)? ?[kMG]?B)\b/;
/** pip < 20 ends the bar's line with no newline before its crash: `… eta 0:04:58Exception:`. */
const GLUED_EXCEPTION_RE = /(?:ERROR: )?Exception:$/;

export interface ProgressReading {
  /** Where the transfer stood, if short of the file's size (`346.0/797.2 MB`, `20kB of 1.3MB`), else null. */
  readonly stoppedAt: string | null;
  /** pip's `Exception:` is glued to the bar: pip crashed during this transfer. */
  readonly crashed: boolean;
}

/** The reading of a bar line of the file whose announced size is `size` (`1.3MB`, as pip wrote it), or null if `text` is no bar. */
export function readProgress(text: string, size: string | null): ProgressReading | null {
  const crashed = GLUED_EXCEPTION_RE.test(text);
  const rich = RICH_READING_RE.exec(text);
  if (rich !== null) {
    const stoppedAt = Number(rich[1]) < Number(rich[2]) ? `${rich[1] ?? ''}/${rich[2] ?? ''} ${rich[3] ?? ''}` : null;
    return { stoppedAt, crashed };
  }
  const old = OLD_READING_RE.exec(text);
  if (old === null) return null;
  const done = parsePipSize(old[2] ?? '');
  const total = size === null ? null : parsePipSize(size);
  const short = (old[1] !== undefined && Number(old[1]) < 100) || (done !== null && total !== null && done < total);
  return { stoppedAt: short ? `${old[2] ?? ''} of ${size ?? 'unknown size'}` : null, crashed };
}
