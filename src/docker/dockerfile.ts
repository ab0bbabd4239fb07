// A Dockerfile parser for what offgrid checks before a build and rewrites in
// `offgrid init docker`: instructions with their line ranges (continuations, comments,
// heredocs, the `escape` directive), stages, and the base images a build needs.
// Pure: text in. It rejects what BuildKit's parser rejects with the same kind of message
// (unknown instruction, no FROM first), so the error comes before a build starts.

export const INSTRUCTIONS = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
] as const;
const KNOWN = new Set<string>(INSTRUCTIONS);

export interface Instruction {
  /** Upper case keyword. */
  readonly keyword: string;
  /** Everything after the keyword, continuation lines joined with their line breaks removed. */
  readonly args: string;
  /** 1-based first and last line of the instruction in the file (heredoc bodies included). */
  readonly startLine: number;
  readonly endLine: number;
  /** Index of the stage (FROM) it belongs to; -1 for ARGs before the first FROM. */
  readonly stage: number;
}

export interface Stage {
  readonly index: number;
  /** The image or stage name after FROM, as written (may contain ${ARG}s). */
  readonly from: string;
  readonly name: string | null;
  readonly line: number;
}

export interface Dockerfile {
  readonly instructions: readonly Instruction[];
  readonly stages: readonly Stage[];
  readonly escape: '\\' | '`';
}

export class DockerfileSyntaxError extends Error {
  constructor(readonly line: number, readonly reason: string) {
    super(`line ${line}: ${reason}`);
  }
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
/** A heredoc word as BuildKit reads it: a whole word `<<[-]WORD`, WORD any name (`robots.txt`), maybe quoted. */
const HEREDOC_WORD = /^\d*<<(-?)(?:"([^"]+)"|'([^']+)'|([^<"'\s]+))$/;
const HEREDOC_INSTRUCTIONS = /^(?:(?:ONBUILD\s+)?(?:RUN|COPY|ADD))$/;

/** The heredocs an instruction opens, in order: their closing words and whether tabs are stripped. */
export function heredocs(args: string): { word: string; strip: boolean }[] {
  return args.split(/\s+/).flatMap((w) => {
    const m = HEREDOC_WORD.exec(w);
    return m ? [{ word: (m[2] ?? m[3] ?? m[4])!, strip: m[1] === '-' }] : [];
  });
}

export function parseDockerfile(text: string): Dockerfile {
  // BuildKit drops a UTF-8 byte-order mark (left in, it hides a `# escape=` directive on line 1)
  // and reads lines as Go's bufio does: CRLF or LF ends a line, a lone CR does not.
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n').split('\n');
  let escape: '\\' | '`' = '\\';
  let i = 0;
  // Parser directives: only at the very top, before any other line.
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!);
    if (!m) break;
    if (m[1]!.toLowerCase() === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw new DockerfileSyntaxError(i + 1, `invalid escape directive ${m[2]}: use \\ or \``);
      escape = m[2];
    }
  }
  const instructions: Instruction[] = [];
  const stages: Stage[] = [];
  for (; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const startLine = i + 1;
    let joined = '';
    let line = raw;
    // Continuations: a trailing escape joins the next line; comment and empty lines inside are skipped.
    for (;;) {
      const t = line.replace(/\s+$/, '');
      if (t.endsWith(escape)) {
        joined += t.slice(0, -1);
        i++;
        while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.trim().startsWith('#'))) i++;
        if (i >= lines.length) break;
        line = lines[i]!;
        continue;
      }
      joined += t;
      break;
    }
    const m = /^\s*([A-Za-z]+)(?:\s+([\s\S]*))?$/.exec(joined);
    if (!m) throw new DockerfileSyntaxError(startLine, `cannot read the instruction ${JSON.stringify(joined.trim().slice(0, 40))}`);
    const keyword = m[1]!.toUpperCase();
    const args = (m[2] ?? '').trim();
    if (!KNOWN.has(keyword)) throw new DockerfileSyntaxError(startLine, `unknown instruction: ${m[1]}`);
    // Heredocs (`RUN <<EOF … EOF`, `COPY <<robots.txt <<humans.txt /dir/`): their bodies are part of the instruction.
    const sub = keyword === 'ONBUILD' ? /^[A-Za-z]+/.exec(args)?.[0]?.toUpperCase() : undefined;
    if (HEREDOC_INSTRUCTIONS.test(sub ? `ONBUILD ${sub}` : keyword)) {
      for (const { word, strip } of heredocs(args)) {
        let found = false;
        while (++i < lines.length) {
          const body = strip ? lines[i]!.replace(/^\t+/, '') : lines[i]!;
          if (body === word) {
            found = true;
            break;
          }
        }
        if (!found) throw new DockerfileSyntaxError(startLine, `heredoc <<${word} is never closed`);
      }
    }
    if (keyword !== 'ARG' && stages.length === 0 && keyword !== 'FROM') {
      throw new DockerfileSyntaxError(startLine, `the first instruction must be FROM (or ARG), not ${keyword}`);
    }
    if (keyword === 'FROM') stages.push(parseFrom(args, stages.length, startLine));
    instructions.push({ keyword, args, startLine, endLine: i + 1, stage: stages.length - 1 });
  }
  if (stages.length === 0) throw new DockerfileSyntaxError(Math.max(1, lines.length), 'no FROM instruction');
  return { instructions, stages, escape };
}

function parseFrom(args: string, index: number, line: number): Stage {
  const words = args.split(/\s+/).filter((w) => w !== '' && !w.startsWith('--'));
  const from = words[0];
  if (from === undefined) throw new DockerfileSyntaxError(line, 'FROM names no image');
  let name: string | null = null;
  if (words.length >= 3 && words[1]!.toUpperCase() === 'AS') name = words[2]!.toLowerCase();
  else if (words.length > 1) throw new DockerfileSyntaxError(line, `FROM takes an image and optionally AS name, got ${JSON.stringify(args)}`);
  return { index, from, name, line };
}

/** `${NAME}`, `$NAME`, `${NAME:-default}`, `${NAME-default}`, `${NAME:+alt}` of ARG values (the only substitution FROM gets). */
function substitute(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_w, a: string | undefined, colon: string | undefined, op: string | undefined, alt: string | undefined, b: string | undefined) => {
    const value = vars.get((a ?? b)!);
    // With the colon an empty value counts as unset, as in the shell.
    const set = colon === ':' ? value !== undefined && value !== '' : value !== undefined;
    if (op === '-') return set ? value! : (alt ?? '');
    if (op === '+') return set ? (alt ?? '') : '';
    return value ?? '';
  });
}

/** `ARG A=1 B="two words" C`: the names declared and their defaults, quotes removed. */
function argDeclarations(args: string): { name: string; value: string | undefined }[] {
  const words = args.match(/(?:[^\s"']+|"(?:[^"\\]|\\.)*"|'[^']*')+/g) ?? [];
  return words.flatMap((word) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=([\s\S]*))?$/.exec(word);
    if (!m) return [];
    const value = m[2]?.replace(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g, (_q, dq: string | undefined, sq: string | undefined) => sq ?? dq!.replace(/\\(.)/g, '$1'));
    return [{ name: m[1]!, value }];
  });
}

/**
 * The images the build pulls FROM (not earlier stages, not `scratch`), with ARGs declared
 * before the first FROM substituted from the build args or their defaults. With `target`,
 * only the stages that target needs are counted (roughly: stages up to the target).
 */
export function baseImages(file: Dockerfile, buildArgs: Readonly<Record<string, string>>, target: string | null): string[] {
  const vars = new Map<string, string>();
  for (const ins of file.instructions) {
    if (ins.stage !== -1 || ins.keyword !== 'ARG') continue;
    for (const { name, value } of argDeclarations(ins.args)) {
      // A default may use the ARGs declared before it (`ARG BASE=python:${PY}-slim`).
      const resolved = buildArgs[name] ?? (value !== undefined ? substitute(value, vars) : undefined);
      if (resolved !== undefined) vars.set(name, resolved);
    }
  }
  const last = target === null ? file.stages.length - 1 : file.stages.findIndex((s) => s.name === target.toLowerCase());
  const names = new Set<string>();
  const images: string[] = [];
  file.stages.forEach((stage, index) => {
    const from = substitute(stage.from, vars);
    const isStage = names.has(from.toLowerCase());
    if (stage.name) names.add(stage.name);
    if (last !== -1 && index > last) return;
    if (isStage || from.toLowerCase() === 'scratch' || images.includes(from)) return;
    images.push(from);
  });
  return images;
}

/** Stage names, for a --target check. */
export function stageNames(file: Dockerfile): string[] {
  return file.stages.flatMap((s) => (s.name ? [s.name] : []));
}
