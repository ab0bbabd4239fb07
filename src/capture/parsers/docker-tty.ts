// BuildKit's terminal display, as people paste it from a terminal (`docker build` without
// --progress=plain):
//   [+] Building 3.5s (8/14)                                        docker:desktop-linux
//    => [internal] load build definition from Dockerfile                        0.0s
//    => => transferring dockerfile: 368B                                          0.0s
//    => CACHED [ 2/10] WORKDIR /app                                               0.0s
//    => ERROR [ 4/10] RUN npm ci --production                                     2.8s
//    => => # Collecting flask            (a running step's last lines, while it runs)
//    => => sha256:0ae6… 75.23MB / 75.23MB  6.1s   (a layer the step pulled; the digest cut to fit)
// The display redraws the whole screen as the build goes on; a scrollback holds one screen
// after another, so a screen counts only once another line than a redraw follows it (the
// error summary, a prompt, the end of the log). A finished step's output is not on the
// screen: a failed step is left open for the error summary that follows
// (docker-buildkit.ts), which claims it and gives it the output BuildKit kept.
import { parseSize } from './docker-buildkit.js';
import type { LayerPull, StepFrames } from './docker-frames.js';

/**
 * ` => [2/6] RUN pip install …   40.1s`, ` => CACHED [2/6] …`, ` => ERROR [4/5] …`; the time ends
 * the line, but a redraw may leave a character or two of the line it overwrote after it (`0.5sn`).
 */
const STEP = /^\s*=> (?:(CACHED|ERROR|CANCELED) )?(.+?)\s+(\d+(?:\.\d+)?)s\S{0,2}$/;
/** A step without its time (a paste cut at the terminal's width): only a BuildKit vertex name counts. */
const UNTIMED_STEP = /^\s*=> (?:(CACHED|ERROR|CANCELED) )?(\[[^\]]+\] \S.*|exporting to image|resolve image config for \S+)$/;
/** ` => => # Collecting flask`: a line of the running step's output. */
const OUTPUT = /^\s*=> => # ?(.*)$/;
/** ` => => sha256:0ae6… 75.23MB / 75.23MB  6.1s`: a layer transfer of the step above. */
const LAYER = /^\s*=> => (sha256:[0-9a-f]+) (\S+) \/ (\S+)\s+(\d+(?:\.\d+)?)s/;
/** ` => => transferring context: 2B   0.0s`: a status of the step above, nothing to record. */
const STATUS = /^\s*=> => /;
/** `[+] Building 3.5s (8/14)`, with ` FINISHED` once the build ended. */
const HEADER = /^\[\+\] Building \d+(?:\.\d+)?s \(\d+\/\d+\)( FINISHED)?/;

interface ScreenStep {
  readonly name: string;
  readonly status: 'done' | 'cached' | 'error' | 'canceled';
  readonly seconds: number | null;
  readonly output: string[];
  /** The layers it pulled in full. */
  readonly layers: LayerPull[];
}

interface Screen {
  /** The header said FINISHED: no step on it is still running. */
  readonly finished: boolean;
  readonly steps: ScreenStep[];
}

const squeeze = (text: string): string => text.replace(/\s+/g, ' ');

export class TtyFramer {
  /** The screen being read; its steps are recorded once a line other than a redraw follows it. */
  private screen: Screen | null = null;
  private steps = 0;
  /**
   * Failed steps a screen showed, by the name it showed, for the error summary to claim. They
   * start only then: the screen cuts a long name at the terminal's width, the summary does not.
   */
  private readonly failed = new Map<string, { readonly id: string; readonly step: ScreenStep }>();
  /** The layers recorded: every redraw shows them again. */
  private readonly pulled = new Set<string>();
  /** True once a screen was read: Docker's last words (`failed to solve: …`) follow it. */
  seen = false;

  constructor(private readonly frames: StepFrames) {}

  /** Takes a line of the display; false for any other line (the caller then calls interrupt). */
  line(raw: string): boolean {
    // Compose pads the display's lines with a blank after the time.
    const text = raw.trimEnd();
    if (text.charCodeAt(0) === 91 /* [ */) {
      const header = HEADER.exec(text);
      if (header === null) return false;
      // A redraw replaces the screen before it.
      this.screen = { finished: header[1] !== undefined, steps: [] };
      this.seen = true;
      return true;
    }
    const arrow = text.indexOf('=> ');
    if (arrow === -1 || text.slice(0, arrow).trim() !== '') return false;
    const output = OUTPUT.exec(text);
    if (output !== null) {
      this.screen?.steps.at(-1)?.output.push(output[1]!);
      return true;
    }
    if (STATUS.test(text)) {
      const layer = LAYER.exec(text);
      const puller = this.screen?.steps.at(-1);
      // Only a finished transfer (`75.23MB / 75.23MB`) is a download; under `exporting to image` a blob is pushed.
      if (layer !== null && layer[2] === layer[3] && puller !== undefined && !puller.name.startsWith('exporting ')) {
        puller.layers.push({ digest: layer[1]!, bytes: parseSize(layer[3]!), seconds: Number(layer[4]) });
      }
      return true;
    }
    const step = STEP.exec(text) ?? UNTIMED_STEP.exec(text);
    if (step === null) return false;
    const status = step[1] === 'CACHED' ? 'cached' : step[1] === 'ERROR' ? 'error' : step[1] === 'CANCELED' ? 'canceled' : 'done';
    // A paste may start below the header: whether that screen was the last one is not known.
    this.screen ??= { finished: false, steps: [] };
    // The same step again on one screen: a paste that joined two screens and lost the header between them.
    const again = this.screen.steps.findIndex((s) => s.name === step[2]);
    if (again !== -1) this.screen.steps.splice(again, 1);
    this.screen.steps.push({ name: step[2]!, status, seconds: step[3] === undefined ? null : Number(step[3]), output: [], layers: [] });
    this.seen = true;
    return true;
  }

  /** Another program's line: the screen before it is final. */
  interrupt(): void {
    if (this.screen !== null) this.flush();
  }

  /**
   * The failed step of this name that a screen showed, for the error summary (` > name:`)
   * to give its output and end; null when there is none. The screen may have cut the name
   * at the terminal's width, the summary does not: the longest name the summary's starts with.
   */
  claim(name: string): { readonly id: string; readonly seconds: number | null } | null {
    this.flush();
    let shown: string | null = this.failed.has(name) ? name : null;
    if (shown === null) {
      // The display squeezes a command's runs of blanks (`npm  &&` for the summary's `npm       &&`),
      // and a paste may cut the summary's header shorter than the screen's name.
      const whole = squeeze(name);
      for (const cut of this.failed.keys()) {
        const screen = squeeze(cut);
        if ((whole.startsWith(screen) || screen.startsWith(whole)) && cut.length > (shown?.length ?? 0)) shown = cut;
      }
    }
    if (shown === null) return null;
    const { id, step } = this.failed.get(shown)!;
    this.failed.delete(shown);
    this.open(id, { ...step, name });
    return { id, seconds: step.seconds };
  }

  /** The log ended: the last screen counts, and a failed step no summary claimed ends without one. */
  end(): void {
    this.flush();
    for (const { id, step } of this.failed.values()) {
      this.open(id, step);
      this.frames.end(id, { status: 'error', durationSeconds: step.seconds, error: 'no error summary followed in the log' });
    }
    this.failed.clear();
  }

  private flush(): void {
    const screen = this.screen;
    this.screen = null;
    if (screen === null) return;
    for (const step of screen.steps) {
      const id = `tty-${++this.steps}`;
      if (step.status === 'error') {
        this.failed.set(step.name, { id, step });
        continue;
      }
      this.open(id, step);
      // A step still printing on a screen of a build not FINISHED is running: the log ends it so.
      if (step.status === 'done' && step.output.length > 0 && !screen.finished) continue;
      this.frames.end(id, { status: step.status, durationSeconds: step.seconds, error: null });
    }
  }

  /** Starts a step of a screen, with the output and the layers the screen showed under it. */
  private open(id: string, step: ScreenStep): void {
    this.frames.start(id, step.name);
    for (const line of step.output) this.frames.log(id, line);
    for (const pull of step.layers) {
      if (this.pulled.has(pull.digest)) continue;
      this.pulled.add(pull.digest);
      this.frames.layer(id, pull);
    }
  }
}
