// A log pasted from a terminal or through a mail client can come hard-wrapped: every line longer
// than the width (80, 120 columns…) cut into pieces of exactly that width, the last one shorter.
// pip's `Downloading https://…/x.whl (12.3 MB)` and apt's `Get:1 http://… [315 kB]` are among the
// longest lines of a build, and a piece of one is no line any parser reads. The pieces are joined
// back only where nothing else can be meant: the first is exactly a common width and ends inside
// one of those lines, every next piece but the last has that width too, no piece is such a line
// by itself, and the joined text is such a line, whole. Anything else passes on as it was.

/** Terminal and mail widths a wrap is looked for at; a piece of any other length is a line. */
const WIDTHS = new Set([80, 100, 120, 132, 160]);
/** Pieces of one line at most (a URL of several hundred characters at 80 columns). */
const MAX_PIECES = 8;

/**
 * The start of a pip or apt download line, cut short: after a prefix (a CI time, an indent),
 * pip's `Downloading`/`Using cached` and the file or URL so far (its size open), or apt's `Get:N`
 * and the text so far (no closing `[size]`).
 */
const STARTED = /(?:^|\s)(?:(?:Downloading|Using cached) \S*(?: \([^()]*)?|Get:\d+ [^[\]]*(?:\[[^\]]*)?)$/;
/** The same lines whole: a distribution file (and its size), or apt's item and its `[size]`. */
const WHOLE =
  /(?:^|\s)(?:(?:Downloading|Using cached) \S+\.(?:whl(?:\.metadata)?|tar\.gz|zip|tar\.bz2|tar\.xz|tgz)(?: \([^()]+\))?|Get:\d+ \S+ [^[\]]+ \[[\d.,]+ [kMG]?B\])$/;

export class HardWraps {
  private pieces: string[] = [];
  private width = 0;

  constructor(private readonly out: (line: string) => void) {}

  line(line: string): void {
    if (this.pieces.length === 0) {
      this.start(line);
      return;
    }
    // A piece that is a line of its own ends the wrap (`Get:2 …` after a cut `Get:1 …`).
    const own = WHOLE.test(line);
    if (!own && line.length === this.width && this.pieces.length < MAX_PIECES) {
      this.pieces.push(line);
      return;
    }
    const joined = this.pieces.join('') + line;
    if (!own && line.length < this.width && WHOLE.test(joined)) {
      this.pieces = [];
      this.out(joined);
      return;
    }
    this.flush();
    this.start(line);
  }

  end(): void {
    this.flush();
  }

  private start(line: string): void {
    // The length test comes first: most lines are not a wrap width long.
    if (WIDTHS.has(line.length) && STARTED.test(line) && !WHOLE.test(line)) {
      this.pieces = [line];
      this.width = line.length;
    } else {
      this.out(line);
    }
  }

  /** The pieces held, joined when they make a whole line (the last piece had the full width), else each as it was. */
  private flush(): void {
    const pieces = this.pieces;
    if (pieces.length === 0) return;
    this.pieces = [];
    const joined = pieces.join('');
    if (pieces.length > 1 && WHOLE.test(joined)) this.out(joined);
    else for (const piece of pieces) this.out(piece);
  }
}
