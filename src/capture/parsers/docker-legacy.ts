// The legacy Docker builder (DOCKER_BUILDKIT=0, `docker-compose` v1, old CI logs):
//   Step 2/3 : RUN apt-get update            a step starts
//    ---> Running in 73f8224ad939            its command runs; the lines after it are its output
//    ---> Using cache                        the step was cached
//   Removing intermediate container 73f8…
//    ---> a1147db66c6e                       the step's image: the step is over
//   The command '/bin/sh -c …' returned a non-zero code: 100     the step failed (`[/bin/sh -c …]` before Docker 1.10)
//   ADD failed: failed to GET https://… with status 404 Not Found: …   the builder's own ADD/COPY failed
//   Successfully built f04e6f06d681
// Steps run one at a time, so one open step is all the state there is. Step numbers only
// grow in a build (a later stage goes on counting): a number that does not starts another
// build in the same log.
import type { StepFrames } from './docker-frames.js';

const ARROW = ' ---> ';
/** `Step 2/3 : RUN …`; Docker before 1.13 printed no total (`Step 2 : RUN …`). */
const STEP = /^Step (\d+)(?:\/\d+)? : (.*)$/;
/** Docker before 1.10 quoted the command as a list: `The command [/bin/sh -c …] returned a non-zero code: 100`. */
const FAILED = /^The command (?:'.*'|\[.*\]) returned a non-zero code: \d+$/;

interface OpenStep {
  readonly id: string;
  cached: boolean;
}

export class LegacyFramer {
  private step: OpenStep | null = null;
  /** The number of the latest `Step N`. */
  private lastNumber = 0;

  constructor(private readonly frames: StepFrames) {}

  /** Takes a line if it is legacy-builder framing or output of its open step. */
  line(text: string): boolean {
    const c = text.charCodeAt(0);
    if (c === 83 /* S */) {
      if (text.startsWith('Step ')) {
        const match = STEP.exec(text);
        if (match !== null) {
          this.finish('done');
          const number = Number(match[1]);
          if (number <= this.lastNumber) this.frames.newBuild();
          this.lastNumber = number;
          this.step = { id: match[1] ?? '', cached: false };
          this.frames.start(this.step.id, match[2] ?? '');
          return true;
        }
      } else if (text.startsWith('Successfully built ') || text.startsWith('Successfully tagged ')) {
        this.finish('done');
        return true;
      }
    } else if (c === 32 /* space */ && text.startsWith(ARROW)) {
      return this.arrow(text.slice(ARROW.length));
    } else if (c === 32 /* space */ && this.step !== null && this.indentedFailure(text)) {
      return this.fail(text.trimStart());
    } else if (c === 84 /* T */ && this.step !== null && text.startsWith('The command ') && FAILED.test(text)) {
      return this.fail(text);
    } else if ((c === 65 /* A */ || c === 67 /* C */) && this.step !== null && (text.startsWith('ADD failed: ') || text.startsWith('COPY failed: '))) {
      return this.fail(text);
    } else if (c === 82 /* R */ && this.step !== null && text.startsWith('Removing intermediate container ')) {
      return true;
    }
    if (this.step === null) return false;
    this.frames.log(this.step.id, text);
    return true;
  }

  /**
   * Another program reported the open step's failure (Compose v1: `ERROR: Service 'web' failed
   * to build: The command '/bin/sh -c …' returned a non-zero code: 1`); false when none is open.
   */
  fail(error: string): boolean {
    const step = this.step;
    if (step === null) return false;
    this.step = null;
    this.frames.end(step.id, { status: 'error', durationSeconds: null, error });
    return true;
  }

  /**
   * The failure indented like the rest of a build copied from the GitHub Actions web view, whose
   * first line (`Step 4/5 : RUN …`) the copy left at the margin.
   */
  private indentedFailure(text: string): boolean {
    const trimmed = text.trimStart();
    return trimmed.startsWith('The command ') && FAILED.test(trimmed);
  }

  /** The step still open when the log ends, if any. */
  openStep(): string | null {
    return this.step?.id ?? null;
  }

  private arrow(rest: string): boolean {
    if (this.step === null) return true;
    if (rest === 'Using cache') this.step.cached = true;
    else if (/^[0-9a-f]{12,64}$/.test(rest)) this.finish('done');
    // `Running in <id>`, `[Warning] …`: nothing to record
    return true;
  }

  private finish(status: 'done'): void {
    const step = this.step;
    if (step === null) return;
    this.step = null;
    this.frames.end(step.id, { status: step.cached ? 'cached' : status, durationSeconds: null, error: null });
  }
}
