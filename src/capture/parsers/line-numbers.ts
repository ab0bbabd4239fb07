// The line numbers of a job log copied from GitHub Actions' web view, taken off before any
// CI prefix (see ci-prefix.ts).
import { isDigit } from './char-codes.js';

/**
 * A job log copied from GitHub's web view: each line after its number and two blanks
 * (`21  Step 2/5 : RUN apk add --no-cache curl`, `15  ` for an empty line). A number is taken
 * off only once two lines in a row are numbered n and n+1, so a line that merely starts with a
 * number (`100  1234  100  1234 …`, curl's meter) keeps it; the first numbered line is held
 * until the next shows which it is. After that the numbers need not follow each other
 * (pastes skip and repeat lines); the first unnumbered line ends the copy.
 */
export class LineNumbers {
  private numbered = false;
  private held: { line: string; number: number; text: string } | null = null;

  constructor(private readonly out: (line: string) => void) {}

  line(line: string): void {
    const found = isDigit(line.charCodeAt(0)) ? LINE_NUMBER.exec(line) : null;
    if (this.numbered) {
      this.numbered = found !== null;
      this.out(found !== null ? line.slice(found[0].length) : line);
      return;
    }
    const held = this.held;
    this.held = null;
    if (held !== null && found !== null && Number(found[1]) === held.number + 1) {
      this.numbered = true;
      this.out(held.text);
      this.out(line.slice(found[0].length));
      return;
    }
    if (held !== null) this.out(held.line);
    if (found !== null) this.held = { line, number: Number(found[1]), text: line.slice(found[0].length) };
    else this.out(line);
  }

  end(): void {
    if (this.held !== null) this.out(this.held.line);
    this.held = null;
    this.numbered = false;
  }
}

const LINE_NUMBER = /^(\d{1,6})(?: {2}| ?$)/;
