// Vagrant and Packer put the machine's (Vagrant) or build's (Packer) name in front of what they print:
//   ==> default: Running provisioner: shell...     their own messages; Vagrant before 1.5 or so
//                                                  also a provisioner's output
//       default: Get:1 http://… InRelease [88 kB]  a provisioner's output (Packer: `    amazon-ebs: `)
// The indented form comes off only for a name an `==>` line gave first: `    name: value` is common
// in build output of its own (YAML, pip's nested `    ERROR: …`), and both tools print their
// `==> NAME: ` lines before a provisioner runs.

const EQUALS = 61;
const SPACE = 32;
/**
 * Vagrant machine names and Packer builds (`default`, `web`, `amazon-ebs`, `docker.ubuntu`). A
 * name in capitals is a level instead (makepkg's `==> ERROR: …`, `==> WARNING: …`).
 */
const NAME = /^(?=[^a-z]*[a-z0-9])[A-Za-z0-9][\w.-]{0,63}$/;

export class MachinePrefix {
  private readonly names = new Set<string>();

  /** The line without its machine prefix, or the line itself when it carries none. */
  strip(line: string): string {
    const first = line.charCodeAt(0);
    if (first === EQUALS) return line.startsWith('==> ') ? this.announced(line) : line;
    if (first !== SPACE || this.names.size === 0 || !line.startsWith('    ')) return line;
    const colon = line.indexOf(':', 5);
    if (colon === -1 || !this.names.has(line.slice(4, colon))) return line;
    return after(line, colon) ?? line;
  }

  /** `==> NAME: text`: the name is remembered for the indented lines that follow. */
  private announced(line: string): string {
    const colon = line.indexOf(':', 5);
    if (colon === -1) return line;
    const text = after(line, colon);
    const name = line.slice(4, colon);
    if (text === null || !NAME.test(name)) return line;
    this.names.add(name);
    return text;
  }
}

/** The text after `NAME:`: one blank follows, or nothing (an empty line). */
function after(line: string, colon: number): string | null {
  if (colon + 1 === line.length) return '';
  return line.charCodeAt(colon + 1) === SPACE ? line.slice(colon + 2) : null;
}
