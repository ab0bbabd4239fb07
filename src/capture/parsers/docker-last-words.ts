// Docker's last words after a failed build, in the wordings real logs show:
//   ERROR: failed to solve: process "/bin/sh -c …" did not complete successfully: exit code: 1   buildx
//   ERROR: failed to build: failed to solve: …                                                  buildx ≥ 0.13
//   error: failed to solve: executor failed running [/bin/sh -c …]: exit code: 6                buildx ≤ 0.7
//   executor failed running [/bin/sh -c …]: exit code: 1                                         Docker 20.10
//   failed to solve: process "…" did not complete successfully: exit code: 1                     Compose v2
//   ##[error]buildx failed with: error: failed to solve: …                                       docker/build-push-action
//   Error: buildx call failed with: ERROR: failed to build: …                                    docker/build-push-action v6
// pasted indented too. pip also writes `ERROR: …`, but never these: they are Docker's even
// where they follow a step's output directly (a log cut before the step's `#N ERROR` line).

const LAST_WORDS = /^\s*(##\[error\]buildx failed with: |Error: buildx call failed with: )?((?:ERROR|error): )?(failed to (?:solve|build)\b.*|executor failed running \[.*)$/;
/** The command a failed RUN step ran, quoted by the builder's error (a heredoc's spans lines). */
const FAILED_PROCESS = /(?:process "\/bin\/sh -c ([\s\S]*)" did not complete successfully|executor failed running \[\/bin\/sh -c ([\s\S]*)\]: )/;
/** How the builder's quote of a failed command ends: a heredoc's command goes on over lines until it. */
const QUOTE_END = /(?:" did not complete successfully|\]): exit code: \d+\s*$/;
/** Lines a quoted command may span before the last words are taken as they are. */
export const MAX_QUOTE_LINES = 60;

/**
 * Whether last words quote a command whose end is on a later line: a `RUN <<EOF` heredoc's
 * script, newlines and all (`executor failed running [/bin/sh -c     set -eux`, …, `]: exit code: 2`).
 */
export function quoteGoesOn(message: string): boolean {
  return /^(?:failed to (?:solve|build): )*(?:process "|executor failed running \[)/.test(message) && !QUOTE_END.test(message);
}

/** Whether a line ends a quoted command that `quoteGoesOn` said goes on. */
export function endsQuote(text: string): boolean {
  return QUOTE_END.test(text);
}

const HASH = 35;
const SPACE = 32;
const TAB = 9;

/**
 * The message of Docker's last words (without `ERROR: ` and the like), or null. `afterBuild`:
 * a Docker build was seen; only then is a bare `failed to solve` Docker's.
 */
export function dockerLastWords(text: string, afterBuild: boolean): string | null {
  let i = 0;
  while (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB) i++;
  // Most lines fail here: E(RROR), e(rror, xecutor), f(ailed), `##[error]`.
  const c = text.charCodeAt(i);
  if (c !== 69 && c !== 101 && c !== 102 && !(c === HASH && text.charCodeAt(i + 1) === HASH)) return null;
  const words = LAST_WORDS.exec(text);
  if (words === null) return null;
  const message = words[3]!;
  // `error: failed to build …` is also other tools' (cargo's, go's); buildx wrote `error: failed to solve`.
  if (words[2] === 'error: ' && !message.startsWith('failed to solve')) return null;
  const marked = words[1] !== undefined || words[2] !== undefined;
  return marked || afterBuild || message.startsWith('executor') ? message : null;
}

/** The shell command of the RUN step the last words say failed (`apt-get update`), or null. */
export function failedCommand(message: string): string | null {
  const process = FAILED_PROCESS.exec(message);
  return process === null ? null : (process[1] ?? process[2] ?? null);
}
