// Heroku's buildpacks, and those built on them (Scalingo's, the apt buildpack that `pack build`
// runs), print a header at the margin for each stage (`-----> Installing requirements with pip`)
// and indent the commands' output seven blanks (`       Get:1 http://… InRelease [270 kB]`);
// apt's parser reads from the margin. Once a header has been seen, those seven blanks come off
// (pip's own nesting after them stays).

const DASH = 45;
const SPACE = 32;
const INDENT = '       ';

export class BuildpackIndent {
  private seen = false;

  /** The line without a buildpack's indent, or the line itself. */
  strip(line: string): string {
    const first = line.charCodeAt(0);
    if (first === DASH) {
      if (!this.seen && line.startsWith('-----> ')) this.seen = true;
      return line;
    }
    return this.seen && first === SPACE && line.startsWith(INDENT) ? line.slice(INDENT.length) : line;
  }
}
