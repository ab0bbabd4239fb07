// The per-line prefixes CI systems put in front of a job's output when it is saved:
//   2024-05-01T12:00:00.1234567Z text          GitHub Actions, Azure Pipelines, `docker logs -t`
//   2024-05-14T11:19:20.000000Z 00O text       GitLab runner (FF_TIMESTAMPS): stream 00, O/E;
//   2024-05-14T11:19:21.000000Z 00O+more       `+`: the runner split the line, this goes on
//   build<TAB>Run pip install<TAB>2024-…Z text   `gh run view --log` (job and step names first)
//   [2024-05-01T12:00:00.123Z] text            Jenkins `timestamps { }`
//   Dec 02 07:20:29 text                       moreutils' `ts` (`pip install … | ts`)
//   00:17:52.331 text                          Jenkins Timestamper in the classic console
//                                              (clock or elapsed time, no date: no timestamp)
//   web-1        | text                        `docker compose up`/`logs` (v1: `web_1  | `),
//                                              each container's lines named (`-t`: a time follows)
//   build  > text                              gitlab-ci-local: the job's name, padded to the
//                                              longest job's, then `> ` before the job's output
//   [CI/build   ]   | text                     nektos/act: workflow and job, then `  | `
//   remote: text                               `git push heroku`: the server's lines
//   Step #1 - "build": text                     Google Cloud Build (`Step #1: ` for a step without id)
//   [00:01:01] text                            a clock in brackets (build scripts' elapsed time)
//   [17:40:46] :\t [Step 1/2] text              TeamCity: its time, the level (` `, `i`, `W`, `E`),
//                                              then a tab per nesting level and the enclosing block
//   _bk;t=1712345678901text                    Buildkite's raw job log (`ESC _bk;t=… BEL`, or its text
//                                              alone where a copy lost the escape): milliseconds
//   [pod/web-7cfd7bf68f-nk5kr/app] text         `kubectl logs --prefix` (`--timestamps`: a time follows)
//   [builder] text                             `pack build`: the Cloud Native Buildpacks lifecycle's
//                                              phase (`[detector] `, `[builder] `, `[exporter] `…)
// Left in place, no tool line starts where its parser looks (`Get:1 …`, `#5 0.797 …`,
// `npm http …`).
// pip's own `--log` prefix (`2026-01-09T14:22:33,123 `, comma, no zone) is pip's to read.
import { isDigit, isHex } from './char-codes.js';

export interface CiLine {
  /** The line as the tool printed it. */
  readonly text: string;
  /** The CI system's time for the line, ISO 8601 UTC to the millisecond; null when it gave no date. */
  readonly timestamp: string | null;
  /** GitLab's stream marker was there: the line may go on in the next (`00O+`). */
  readonly gitlab: boolean;
  /** GitLab's `+`: this text continues the previous line. */
  readonly continued: boolean;
}

const BRACKET = 91; // [
const R = 114; // `remote:`
const S = 83; // `Step #1: `
const HASH = 35;
const UNDERSCORE = 95; // Buildkite's `_bk;t=`

/** The tool's text and the CI time of a prefixed line; null when `line` has no CI prefix. */
export function splitCiPrefix(line: string): CiLine | null {
  const first = line.charCodeAt(0);
  if (first === BRACKET) {
    const end = isoEnd(line, 1);
    if (end === -1 || line.charCodeAt(end) !== 93 /* ] */) return bracketedClock(line) ?? lifecyclePhase(line) ?? kubectlPrefix(line) ?? actPrefix(line);
    return split(line, 1, end, end + 1);
  }
  if (first === UNDERSCORE) return buildkitePrefix(line);
  let at = 0;
  if (first >= 65 && first <= 90 && line.charCodeAt(3) === 32 && line.charCodeAt(15) === 32) {
    const ts = tsPrefix(line);
    if (ts !== null) return ts;
  }
  if (first === R && line.startsWith('remote:')) {
    const heroku = herokuPrefix(line);
    if (heroku !== null) return heroku;
  }
  if (first === S && line.charCodeAt(5) === HASH) {
    const step = cloudBuildPrefix(line);
    if (step !== null) return step;
  }
  if (!isDigit(first)) {
    const compose = composePrefix(line);
    if (compose !== null) return compose;
    const local = gitlabCiLocalPrefix(line);
    if (local !== null) return local;
    // `gh run view --log`: two tab-separated names, then the timestamp.
    const tab = line.indexOf('\t');
    if (tab === -1) return null;
    at = line.indexOf('\t', tab + 1) + 1;
    if (at === 0 || !isDigit(line.charCodeAt(at))) return null;
  }
  const end = isoEnd(line, at);
  if (end === -1) return at === 0 ? clockPrefix(line) : null;
  return split(line, at, end, end);
}

/**
 * Buildkite's time in milliseconds before each line of a job's raw log: `_bk;t=1712345678901text`,
 * its escape (`ESC _ … BEL`) lost in a copy or kept as text by the line splitter (lines.ts). An
 * empty line may carry two.
 */
const BUILDKITE = /^(?:_bk;t=(\d{10,16}))+/;

function buildkitePrefix(line: string): CiLine | null {
  if (!line.startsWith('_bk;t=')) return null;
  const found = BUILDKITE.exec(line);
  if (found === null) return null;
  const time = new Date(Number(found[1]));
  const timestamp = Number.isNaN(time.getTime()) ? null : time.toISOString();
  return { text: line.slice(found[0].length), timestamp, gitlab: false, continued: false };
}

/** `Dec 02 07:20:29 text`: moreutils' `ts` in its default format (no year, no zone). */
function tsPrefix(line: string): CiLine | null {
  if (!MONTHS.includes(line.slice(0, 3))) return null;
  for (const [offset, code] of TS_SHAPE) {
    const c = line.charCodeAt(offset);
    if (code === DIGIT ? !isDigit(c) : c !== code) return null;
  }
  return untimed(line.slice(16));
}

/** Compose's container names: the service, then its replica number (`web-1`, v1's `web_1`). */
const COMPOSE_CONTAINER = /^[A-Za-z0-9][\w.-]*[-_]\d+$/;

/**
 * The text after a compose container's name that ends at `space`: Compose pads the name to
 * the longest one's, then writes `| `. Null when no `|` follows the padding.
 */
export function afterContainerName(line: string, space: number): string | null {
  let bar = space + 1;
  while (line.charCodeAt(bar) === 32) bar++;
  if (line.charCodeAt(bar) !== 124 /* | */) return null;
  return line.charCodeAt(bar + 1) === 32 ? line.slice(bar + 2) : line.slice(bar + 1);
}

/** `web-1        | text`: a container named by its service and replica number. */
function composePrefix(line: string): CiLine | null {
  const space = line.indexOf(' ');
  if (space < 3 || space > 64 || !isDigit(line.charCodeAt(space - 1))) return null;
  const text = afterContainerName(line, space);
  if (text === null || !COMPOSE_CONTAINER.test(line.slice(0, space))) return null;
  // `docker compose logs -t`: the container's own time follows the name.
  const timed = isDigit(text.charCodeAt(0)) ? splitCiPrefix(text) : null;
  return timed !== null && !timed.gitlab ? timed : untimed(text);
}

/**
 * A gitlab-ci-local job's output line: `build  > text`, `build  > ` for an empty one. Its own
 * lines (`build  $ docker build .`, `build  starting shell (build)`) are no job output. The
 * name is one word (GitLab allows blanks in job names, but `a > b` is more often prose).
 */
const GITLAB_CI_LOCAL = /^[A-Za-z0-9][\w.:/-]{0,99} +> ?/;

function gitlabCiLocalPrefix(line: string): CiLine | null {
  // Most lines hold no ` >` after a job name's length: a native search rules them out before the regex.
  const marker = line.indexOf(' >');
  if (marker < 1 || marker > 101) return null;
  const found = GITLAB_CI_LOCAL.exec(line);
  if (found === null) return null;
  const end = found[0].length;
  // `>` then a blank, or the line's end: `build  >>> x` and `build  >x` are not the prefix.
  if (line.charCodeAt(end - 1) !== 32 && end !== line.length) return null;
  return untimed(line.slice(end));
}

/**
 * `kubectl logs --prefix` (`-l app=web`, `--all-containers`): `[pod/NAME/CONTAINER] text`; with
 * `--timestamps` the container runtime's time follows (`[pod/api-0/app] 2026-09-02T01:00:00.000000000Z text`).
 * Pod and container names are DNS names: lower case, digits, `-` and `.`.
 */
const KUBECTL = /^\[pod\/[a-z0-9][a-z0-9.-]{0,252}\/[a-z0-9][a-z0-9-]{0,62}\](?: |$)/;

function kubectlPrefix(line: string): CiLine | null {
  if (!line.startsWith('[pod/')) return null;
  const found = KUBECTL.exec(line);
  if (found === null) return null;
  const text = line.slice(found[0].length);
  const timed = isDigit(text.charCodeAt(0)) ? splitCiPrefix(text) : null;
  return timed !== null && !timed.gitlab ? timed : untimed(text);
}

/**
 * nektos/act, running a workflow's jobs locally: `[CI/build   ]   | text` for a step's output
 * (the workflow and job padded to the longest). Its own lines (`[CI/build] ⭐ Run Main …`,
 * `  ✅  Success`) are no step output.
 */
const ACT = /^\[[^\]]{1,200}\] {3}\|(?: |$)/;

function actPrefix(line: string): CiLine | null {
  const found = ACT.exec(line);
  return found === null ? null : untimed(line.slice(found[0].length));
}

/**
 * `remote: text`: what the server printed during a `git push`, as Heroku's builds are most often
 * pasted (the buildpacks' seven-blank indent after it is buildpack-indent.ts's).
 */
function herokuPrefix(line: string): CiLine | null {
  if (line.length > 7 && line.charCodeAt(7) !== 32) return null;
  return untimed(line.slice(8));
}

/**
 * Google Cloud Build names each step's output line: `Step #0 - "build": text` (the step's id), or
 * `Step #0: text` for a step without one. Its own `Starting Step #0` lines are no step output.
 */
const CLOUD_BUILD = /^Step #\d{1,4}(?: - "[^"]*")?:(?: |$)/;

function cloudBuildPrefix(line: string): CiLine | null {
  const found = CLOUD_BUILD.exec(line);
  return found === null ? null : untimed(line.slice(found[0].length));
}

/** `00:17:52.331 text` / `12:34:56 text`: a time of day (or since the build began), no date. */
function clockPrefix(line: string): CiLine | null {
  for (const [offset, code] of CLOCK) {
    const c = line.charCodeAt(offset);
    if (code === DIGIT ? !isDigit(c) : c !== code) return null;
  }
  let i = 8;
  if (line.charCodeAt(i) === 46 /* . */) {
    i++;
    while (i < 12 && isDigit(line.charCodeAt(i))) i++;
    if (i === 9) return null;
  }
  if (line.charCodeAt(i) !== 32) return null;
  return untimed(line.slice(i + 1));
}

/** `[00:01:01] text`, or TeamCity's `[17:40:46] :\t [Step 1/2] text` (no date: no timestamp). */
function bracketedClock(line: string): CiLine | null {
  for (const [offset, code] of CLOCK) {
    const c = line.charCodeAt(offset + 1);
    if (code === DIGIT ? !isDigit(c) : c !== code) return null;
  }
  if (line.charCodeAt(9) !== 93 /* ] */) return null;
  if (line.length === 10) return untimed('');
  if (line.charCodeAt(10) === 32 && line.charCodeAt(11) !== 58 /* : */) return untimed(line.slice(11));
  return line.charCodeAt(11) === 58 ? teamCityText(line) : null;
}

/**
 * TeamCity's text after `[time]X:`: a blank at the top level; a tab per nesting level, a blank
 * and the enclosing block's name (`[Step 1/2] `) below it.
 */
function teamCityText(line: string): CiLine | null {
  let at = 12;
  while (line.charCodeAt(at) === 9 /* tab */) at++;
  const nested = at > 12;
  if (line.charCodeAt(at) !== 32) return at === line.length ? untimed('') : null;
  at++;
  if (nested && line.charCodeAt(at) === BRACKET) {
    const block = line.indexOf('] ', at);
    if (block !== -1) at = block + 2;
    else if (line.endsWith(']')) at = line.length;
  }
  return untimed(line.slice(at));
}

/** `[builder] text`: a Cloud Native Buildpacks lifecycle phase, as `pack build` prints them. */
function lifecyclePhase(line: string): CiLine | null {
  const end = line.indexOf('] ', 2);
  return end !== -1 && end < 11 && LIFECYCLE_PHASES.has(line.slice(1, end)) ? untimed(line.slice(end + 2)) : null;
}

const LIFECYCLE_PHASES = new Set(['analyzer', 'detector', 'restorer', 'extender', 'builder', 'exporter', 'rebaser']);

/** A line whose prefix gave no date. */
function untimed(text: string): CiLine {
  return { text, timestamp: null, gitlab: false, continued: false };
}

/** `line[from, end)` is the timestamp; the text follows one space (none on an empty line). */
function split(line: string, from: number, end: number, after: number): CiLine | null {
  let text = after;
  if (line.charCodeAt(text) === 32) text++;
  else if (text !== line.length) return null;
  let gitlab = false;
  let continued = false;
  // GitLab's stream marker: two hex digits, O or E, then a space, `+` or the line's end.
  if (isHex(line.charCodeAt(text)) && isHex(line.charCodeAt(text + 1))) {
    const stream = line.charCodeAt(text + 2);
    const next = line.charCodeAt(text + 3);
    if ((stream === 79 || stream === 69) && (next === 32 || next === 43 || Number.isNaN(next))) {
      gitlab = true;
      continued = next === 43;
      text = Math.min(text + 4, line.length);
    }
  }
  return { text: line.slice(text), timestamp: normalize(line.slice(from, end)), gitlab, continued };
}

/**
 * The index after `YYYY-MM-DDTHH:MM:SS[.fraction]Z` starting at `from`, or -1. The zone
 * must be `Z`: pip's `--log` stamps (`,123`, local time) are not a CI prefix.
 */
function isoEnd(line: string, from: number): number {
  if (line.length < from + 20) return -1;
  for (const [offset, code] of SHAPE) {
    const c = line.charCodeAt(from + offset);
    if (code === DIGIT ? !isDigit(c) : c !== code) return -1;
  }
  let i = from + 19;
  if (line.charCodeAt(i) === 46 /* . */) {
    i++;
    const digits = i;
    while (isDigit(line.charCodeAt(i))) i++;
    if (i === digits || i - digits > 9) return -1;
  }
  return line.charCodeAt(i) === 90 /* Z */ ? i + 1 : -1;
}

const DIGIT = -1;
/** `YYYY-MM-DDTHH:MM:SS`, as (offset, char code or DIGIT). */
const SHAPE: readonly (readonly [number, number])[] = [...'dddd-dd-ddTdd:dd:dd'].map((c, i) => [i, c === 'd' ? DIGIT : c.charCodeAt(0)]);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** ` DD HH:MM:SS ` after the month (`ts` pads the day with a zero). */
const TS_SHAPE: readonly (readonly [number, number])[] = [...' dd dd:dd:dd '].map((c, i) => [i + 3, c === 'd' ? DIGIT : c.charCodeAt(0)]);
const CLOCK: readonly (readonly [number, number])[] = [...'dd:dd:dd'].map((c, i) => [i, c === 'd' ? DIGIT : c.charCodeAt(0)]);

/** `2024-05-01T12:00:00.1234567Z` → `2024-05-01T12:00:00.123Z` (the ledger's precision). */
function normalize(stamp: string): string {
  const seconds = stamp.slice(0, 19);
  const fraction = stamp.length > 20 ? stamp.slice(20, -1) : '';
  return `${seconds}.${(fraction + '000').slice(0, 3)}Z`;
}
