// BuildKit's plain progress output (`docker build --progress=plain`, `buildx`, `buildctl`):
//   #5 [2/4] RUN apt-get update            a step (vertex) starts: number 5, its name
//   #5 sha256:4d54…                        BuildKit ≤ 0.8 (Docker 20.10) prints the vertex digest
//   #5 0.797 Get:1 http://…                a line the command printed, 0.797 s into the step
//   #5 transferring context: 2B done       a progress status of the step
//   #4 sha256:… 1.2MB / 3.4MB 0.5s done    an image layer transfer
//   #5 ...                                 the printer switches to another vertex (parallel steps)
//   #5 CACHED | #5 DONE 3.4s | #5 ERROR: … | #5 CANCELED
// Lines of parallel steps interleave, always in blocks headed by `#N`. Real logs of Docker
// 20.10 to 28 (test/fixtures/docker/) keep `#N` on every live output line; a line without
// it inside a block (one whose prefix a `\r` cut off, or a printer that drops it) belongs
// to the vertex whose block is open. After a failure the printer repeats the failed step's
// last lines between `------` rulers, without `#N`; they were already seen live and are
// skipped here (see test/fixtures/docker/README.md). A log that holds only that summary
// (the part of a failed build people paste) has no other record of the step: its lines
// are then the failed step's output. Pasted from a terminal, the summary's lines keep the
// display's padding to the terminal's width; people also paste it from its header on
// (` > [bot 6/7] RUN …:`, no ruler), or with the display's leading blank cut off.
//
// The printer may repeat the header of a vertex it has no more to say about (the FROM step
// whose DONE never came, after `exporting to image`). A number whose step ended and that
// heads another name, or `#1` again, belongs to another build in the same log.
import { parseSeconds, type StepFrames } from './docker-frames.js';

/** The error of a step whose failure only BuildKit's error summary shows. */
export const SUMMARY_ONLY = "shown in BuildKit's error summary only";
const HASH = 35; // #
const DIGIT_0 = 48;
const DIGIT_9 = 57;
const RULER = '------';
/** `------`, with the blanks a terminal display pads its lines with. */
const isRuler = (text: string): boolean => text.startsWith(RULER) && text.trimEnd() === RULER;
/** ` > [3/4] RUN …:` (the leading blank may be cut off): the step a summary stands for. */
const SUMMARY_HEADER = /^ ?> (.+):\s*$/;
/** A header pasted without the ruler above it: only a BuildKit vertex name counts; without its `> ` only one with a position (`[10/11] RUN …:`). */
const BARE_SUMMARY_HEADER = /^ ?(?:> (\[[^\]]+\] .+)|(\[(?:[^\]\s]+ +){0,3} ?\d+\/\d+\] .+)):\s*$/;
/** `6.143 Collecting …` (or `#0 6.143 …`): a summary line, seconds into the step. */
const SUMMARY_BODY_LINE = /^(?:#\d+ )?\d+\.\d+(?: |$)/;
/** BuildKit 0.8 to 0.10 kept the vertex number on a summary's lines (`#15 437.7 npm ERR! …`), later buildx `#0 `. */
const SUMMARY_VERTEX = /^#\d+ /;
/** The last vertex of a single build that succeeded (Compose's are `[api] exporting to image`, one per service). */
const IMAGE_EXPORT = 'exporting to image';
/** What ends an error summary that Compose v2 prints without its closing ruler. */
const SUMMARY_CUT_SHORT = /^(?:\[\+\] Building |failed to solve|ERROR: failed to )/;

interface OpenVertex {
  readonly name: string;
}

const isDigit = (c: number): boolean => c >= DIGIT_0 && c <= DIGIT_9;

export class BuildKitFramer {
  /** True once a line in BuildKit's framing was seen: bare-timestamp lines only count then. */
  active = false;
  private readonly open = new Map<string, OpenVertex>();
  /** The vertices of this build that ended: their names, by number. */
  private readonly ended = new Map<string, string>();
  /** The vertex whose block the printer is writing. */
  private current: string | null = null;
  /** A vertex that ended whose header the printer repeated, while its lines go on. */
  private repeated: string | null = null;
  /**
   * Inside an error summary: null (no), 'head' (after the ruler, expecting ` > name:`),
   * 'body', or 'header' (a ` > [N/M] name:` line without a ruler, a summary only if the
   * next line is a stamped line of the step).
   */
  private summary: null | 'head' | 'header' | 'body' = null;
  /** The step name of a header seen without a ruler, until the next line confirms it. */
  private bareHeader: string | null = null;
  /** The step a summary stands for when no live line of it was seen. */
  private summaryStep: string | null = null;
  private summaries = 0;
  private summarized = false;

  /**
   * `claimStep`: a step another framing already opened under this name (a failed step on a
   * pasted terminal screen, docker-tty.ts), which a summary then fills and ends.
   */
  constructor(
    private readonly frames: StepFrames,
    private readonly claimStep: (name: string) => { readonly id: string; readonly seconds: number | null } | null = () => null,
  ) {}

  /** The claimed step's time, given when the summary ends it. */
  private summarySeconds: number | null = null;

  /** Takes a line if it is BuildKit framing; false hands it back to the caller. */
  line(text: string): boolean {
    // A pasted summary's lines may carry buildx's `#0 ` (its progress printer's own vertex).
    if (this.summaryStep !== null) return this.summaryLine(text);
    // A bare ` > [4/4] RUN …:` header is a summary once a stamped line follows, `#0 88.43 …` too.
    if (this.summary === 'header' && SUMMARY_BODY_LINE.test(text)) return this.summaryLine(text);
    if (text.charCodeAt(0) === HASH && isDigit(text.charCodeAt(1))) return this.vertexLine(text);
    if (this.summary !== null) return this.summaryLine(text);
    if (isRuler(text)) {
      this.summary = 'head';
      return true;
    }
    if (!this.active) return this.bareSummaryHeader(text);
    if (this.current === null || text === '') return false;
    // Inside an open block every line is the vertex's: the newer form without `#N`, or a
    // line whose `#N 1.234 ` prefix was lost when cleanLine kept only the text after the
    // command's last `\r` (apt's "(Reading database ... 100%" counter).
    if (isDigit(text.charCodeAt(0))) {
      const space = text.indexOf(' ');
      if (space !== -1 && !Number.isNaN(parseSeconds(text, 0, space))) {
        this.frames.log(this.current, text.slice(space + 1));
        return true;
      }
    }
    this.frames.log(this.current, text);
    return true;
  }

  /** Steps still open when the log ends. */
  openSteps(): string[] {
    return [...this.open.keys()];
  }

  private vertexLine(text: string): boolean {
    let i = 2;
    while (isDigit(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== 32) return false;
    this.active = true;
    // Hot path: another output line of the vertex the previous line belonged to.
    if (this.current !== null && i === this.current.length + 1 && text.startsWith(this.current, 1)) {
      const space = text.indexOf(' ', i + 1);
      if (space !== -1 && !Number.isNaN(parseSeconds(text, i + 1, space))) {
        this.frames.log(this.current, text.slice(space + 1));
        return true;
      }
    }
    const id = text.slice(1, i);
    const rest = text.slice(i + 1);
    // `#0 building with "default" instance using docker driver` (buildx) is no step; `#0 76.02 npm ERR! …`
    // is a summary's line pasted without its header: the output of a step the log does not name.
    if (id === '0' && !isDigit(rest.charCodeAt(0))) return true;
    if (this.repeated !== id) this.repeated = null;
    let vertex = this.open.get(id);
    if (vertex === undefined) {
      // The lines under a repeated header (`#5 transferring context: 486.56kB done`, another
      // `#5 DONE 0.1s`) are statuses of the step that ended, not the names of another build's.
      if (this.repeated === id) return true;
      const headerless = this.isStepEvent(rest);
      const before = this.ended.get(id);
      if (!headerless && before !== undefined) {
        if (before === rest && id !== '1') {
          this.current = null; // a repeat: the step ended
          this.repeated = id;
          return true;
        }
        this.newBuild();
      }
      vertex = { name: headerless ? `#${id}` : rest };
      this.open.set(id, vertex);
      this.frames.start(id, vertex.name);
      this.current = id;
      if (!headerless) return true;
    }
    this.current = id;
    if (rest === vertex.name) return true;
    this.vertexEvent(id, rest);
    return true;
  }

  /** Whether `rest` (text after `#N `) is something other than a vertex name. */
  private isStepEvent(rest: string): boolean {
    const c = rest.charCodeAt(0);
    if (isDigit(c)) return !Number.isNaN(parseSeconds(rest, 0, rest.indexOf(' ') === -1 ? rest.length : rest.indexOf(' ')));
    return rest === 'CACHED' || rest === 'CANCELED' || rest === 'DONE' || rest.startsWith('DONE ') || rest.startsWith('ERROR:');
  }

  private vertexEvent(id: string, rest: string): void {
    const c = rest.charCodeAt(0);
    if (isDigit(c)) {
      const space = rest.indexOf(' ');
      const end = space === -1 ? rest.length : space;
      if (!Number.isNaN(parseSeconds(rest, 0, end))) {
        this.frames.log(id, space === -1 ? '' : rest.slice(space + 1));
        return;
      }
    }
    switch (c) {
      case 46 /* . */:
        if (rest === '...') this.current = null;
        return;
      case 67 /* C */:
        if (rest === 'CACHED') this.close(id, 'cached', null, null);
        else if (rest === 'CANCELED') this.close(id, 'canceled', null, null);
        return;
      case 68 /* D */:
        if (rest === 'DONE') this.close(id, 'done', null, null);
        else if (rest.startsWith('DONE ') && rest.endsWith('s')) {
          const seconds = Number(rest.slice(5, -1));
          this.close(id, 'done', Number.isFinite(seconds) ? seconds : null, null);
        }
        return;
      case 69 /* E */:
        if (rest.startsWith('ERROR:')) this.close(id, 'error', null, rest.slice(6).trim());
        return;
      case 115 /* s */:
        if (rest.startsWith('sha256:')) this.layerStatus(id, rest);
        return;
      default:
        return; // a progress status: nothing to record
    }
  }

  /** Another build's vertices: those of the build before that never ended are left to the log's end. */
  private newBuild(): void {
    this.frames.newBuild();
    this.open.clear();
    this.ended.clear();
    this.current = null;
  }

  private close(id: string, status: 'done' | 'cached' | 'error' | 'canceled', seconds: number | null, error: string | null): void {
    const vertex = this.open.get(id);
    this.open.delete(id);
    this.ended.set(id, vertex?.name ?? `#${id}`);
    if (this.current === id) this.current = null;
    this.frames.end(id, { status, durationSeconds: seconds, error });
    // The image is written once every vertex it needs finished, whether its DONE was printed or not.
    if (status === 'done' && vertex?.name === IMAGE_EXPORT) for (const open of [...this.open.keys()]) this.close(open, 'done', null, null);
  }

  /** `sha256:<hex> 1.20MB / 3.40MB 0.5s done`: a finished layer transfer is a download. */
  private layerStatus(id: string, rest: string): void {
    if (!rest.endsWith(' done')) return;
    const parts = rest.split(' ');
    // sha256:…, current, '/', total, time, 'done'
    if (parts.length !== 6 || parts[2] !== '/') return;
    const digest = parts[0] ?? '';
    const total = parseSize(parts[3] ?? '');
    const timeText = parts[4] ?? '';
    const seconds = timeText.endsWith('s') ? Number(timeText.slice(0, -1)) : NaN;
    this.frames.layer(id, { digest, bytes: total, seconds: Number.isFinite(seconds) ? seconds : null });
  }

  /** Inside a `------` error summary. */
  get inSummary(): boolean {
    return this.summary !== null;
  }

  /** Whether any BuildKit output was seen: `#N` lines or an error summary. */
  get seen(): boolean {
    return this.active || this.summarized;
  }

  /** Docker's last words: the summary before them is over, and so is the `#N` block they follow. */
  interrupt(): void {
    if (this.summary === 'header') this.summary = null;
    if (this.summary !== null) this.closeSummary();
    this.current = null;
  }

  /** Whether the caller must offer this line even before any `#N` line: a summary's. */
  wants(text: string): boolean {
    return this.summary !== null || isRuler(text) || (!this.active && BARE_SUMMARY_HEADER.test(text));
  }

  /** ` > [bot 6/7] RUN pip3 install …:` outside any `#N` framing: a summary pasted from its header on. */
  private bareSummaryHeader(text: string): boolean {
    const header = BARE_SUMMARY_HEADER.exec(text);
    if (header === null) return false;
    this.summary = 'header';
    this.bareHeader = header[1] ?? header[2]!;
    return true;
  }

  private summaryLine(text: string): boolean {
    if (this.summary === 'head') {
      // ` > [3/4] RUN …:` names the failed step; anything else means this was no summary.
      const header = SUMMARY_HEADER.exec(text);
      if (header !== null) {
        this.openSummary(header[1]!);
        return true;
      }
      this.summary = null;
      return this.line(text);
    }
    if (this.summary === 'header') {
      // A Markdown quote (`> [1/2] note:`) looks the same; the step's stamped lines do not follow it.
      const name = this.bareHeader!;
      this.bareHeader = null;
      if (!SUMMARY_BODY_LINE.test(text) && !isRuler(text)) {
        this.summary = null;
        return this.line(text);
      }
      this.openSummary(name);
    }
    if (isRuler(text)) {
      this.closeSummary();
    } else if (SUMMARY_CUT_SHORT.test(text)) {
      // Compose v2 ends a summary with a redraw or Docker's last words, without the closing ruler.
      this.closeSummary();
      return false;
    } else if (this.summaryStep !== null) {
      // `1175.5 npm error code ECONNRESET` (or `#0 1175.5 …`): seconds into the step, then the
      // line; `12.3` alone is an empty line of the step's output.
      const vertex = SUMMARY_VERTEX.exec(text);
      const line = vertex !== null ? text.slice(vertex[0].length) : text;
      const space = line.indexOf(' ');
      const end = space === -1 ? line.length : space;
      // A summary copied from a terminal keeps the display's padding to its width.
      this.frames.log(this.summaryStep, (!Number.isNaN(parseSeconds(line, 0, end)) ? line.slice(end + 1) : line).trimEnd());
    }
    return true;
  }

  /** The summary's header named the failed step: a step of its own unless live lines showed it. */
  private openSummary(name: string): void {
    this.summary = 'body';
    this.summarized = true;
    if (this.active) return;
    const claimed = this.claimStep(name);
    this.summaryStep = claimed?.id ?? `summary-${++this.summaries}`;
    this.summarySeconds = claimed?.seconds ?? null;
    if (claimed === null) this.frames.start(this.summaryStep, name);
  }

  private closeSummary(): void {
    this.summary = null;
    if (this.summaryStep !== null) this.frames.end(this.summaryStep, { status: 'error', durationSeconds: this.summarySeconds, error: SUMMARY_ONLY });
    this.summaryStep = null;
  }

  /** The log ended inside an error summary: the step it stands for failed all the same. */
  end(): void {
    if (this.summary === 'header') this.summary = null;
    if (this.summary !== null) this.closeSummary();
  }
}

const UNITS: Record<string, number> = {
  B: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** `1.20MB`, `5.81kB`, `2B` → bytes (rounded), or null. */
export function parseSize(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)([KkMG]i?B|B)$/.exec(text);
  if (match === null) return null;
  const unit = UNITS[match[2] ?? ''];
  return unit === undefined ? null : Math.round(Number(match[1]) * unit);
}
