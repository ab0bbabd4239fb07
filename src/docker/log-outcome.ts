// How a saved `docker build` log says its build ended, for a log no `offgrid build` wrote
// (so no exit code is known): from the steps and Docker errors the parsers found in it and
// from the lines only a build that got to the end prints. Pure.
import type { BuildStep, LedgerError } from '../ledger/schema.js';
import { SUMMARY_ONLY } from '../capture/parsers/docker-buildkit.js';

export interface LogOutcome {
  readonly result: 'success' | 'failed' | 'not-built' | 'unfinished';
  /** Why it failed or why it is unfinished, with the step; null for success. */
  readonly error: string | null;
}

/**
 * Lines a build prints once its image (or other output) is written: BuildKit's export
 * (`#12 naming to docker.io/library/api done`, `writing image sha256:… done`), the terminal
 * display's last header (`[+] Building 38.0s (14/14) FINISHED`), the legacy builder's
 * `Successfully built`/`Successfully tagged`, Compose's ` ✔ Service api  Built`. Matched
 * anywhere in the line: a CI system's prefix may stand before it.
 */
const BUILD_ENDED = [
  /\b(?:naming to|writing image|exporting manifest list|pushing manifest for) \S+.* done\s*$/,
  /\[\+\] Building \d+(?:\.\d+)?s \(\d+\/\d+\) FINISHED/,
  // pip says `Successfully built numpy pandas`: only an image id (12 hex digits) ends the line here.
  /\bSuccessfully (?:built [0-9a-f]{12}\s*$|tagged \S)/,
  /\s(?:Service \S+|Image \S+)\s+Built\b/,
];

/** The name of a step whose header the log does not hold (`#12`). */
const HEADERLESS = /^#\d+$/;
/** A heredoc's quoted script spans lines; the result's error is one line. */
const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();

/** Exit status 137 is 128 + SIGKILL: what a build step gets from the out-of-memory killer. */
const killed = (text: string): string =>
  /(?:exit code|non-zero code): 137\b/.test(text) ? " (137: the step was killed, most often by the kernel's out-of-memory killer: give the builder more memory)" : '';

/** True for a line only a build that reached its end prints (see BUILD_ENDED). */
export function endsBuild(line: string): boolean {
  return BUILD_ENDED.some((re) => re.test(line));
}

/**
 * `ended`: whether some line satisfied `endsBuild`. A finished image export vertex counts
 * too (its `naming to` line may have been cut from a pasted excerpt).
 */
export function logOutcome(steps: readonly BuildStep[], dockerErrors: readonly LedgerError[], ended: boolean): LogOutcome {
  const failed = steps.filter((s) => s.status === 'error' && s.error !== 'canceled');
  if (failed.length > 0) {
    const step = failed[0]!;
    // A step known only from BuildKit's error summary has no error of its own: Docker's last words say it.
    const lastWords = dockerErrors.filter((e) => !e.message.startsWith('build step ')).at(-1);
    // Output whose step the log never named (`#0 76.02 …` lines alone): the last words name its command.
    if (HEADERLESS.test(step.name) && lastWords !== undefined) return { result: 'failed', error: `${oneLine(lastWords.message)}${killed(lastWords.message)}` };
    const why = step.error === null || step.error === SUMMARY_ONLY ? (lastWords?.message ?? step.error) : step.error;
    return { result: 'failed', error: `step ${JSON.stringify(step.name)} failed${why !== null ? `: ${oneLine(why)}${killed(why)}` : ''}` };
  }
  const exported = steps.some((s) => /(?:^|\] )exporting to (?:image|docker image format|oci image format|client)/.test(s.name) && s.status === 'done');
  // BuildKit stops every build of a run (Compose's other services, other stages) when one fails.
  const canceled = steps.find((s) => s.status === 'error' && s.error === 'canceled');
  if (canceled !== undefined && !exported && !ended) {
    return { result: 'not-built', error: `its build was canceled at step ${JSON.stringify(canceled.name)}: another build of the same run failed` };
  }
  // Docker's last words (`ERROR: failed to solve: …`) with no step to pin them on: a failure
  // before any step ran (a base image not found, a Dockerfile that does not parse).
  if (dockerErrors.length > 0 && !ended) return { result: 'failed', error: `${oneLine(dockerErrors[0]!.message)}${killed(dockerErrors[0]!.message)}` };
  const running = steps.filter((s) => s.status === 'running');
  // A step still running at the end of a log in which another build ended (Compose): unfinished.
  if (exported || (ended && running.length === 0)) return { result: 'success', error: null };
  const last = running.at(-1) ?? steps.at(-1);
  return {
    result: 'unfinished',
    error:
      'the log ends before the build did (no image written, no failure printed): the build was cut off or killed, or the log was saved in part' +
      (last !== undefined ? `; its last step: ${JSON.stringify(last.name)}${last.status === 'running' ? ' (still running)' : ''}` : ''),
  };
}
