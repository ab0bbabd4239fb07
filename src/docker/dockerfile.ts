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
  /** The `# syntax=` directive: the frontend image BuildKit builds this file with, and its line. */
  readonly syntax: { readonly image: string; readonly line: number } | null;
}

export class DockerfileSyntaxError extends Error {
  constructor(readonly line: number, readonly reason: string) {
    super(`line ${line}: ${reason}`);
  }
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const DIRECTIVES = new Set(['syntax', 'escape', 'check']);
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

/**
 * The logical line that starts at lines[start]: a trailing escape joins the next line (the
 * escape and the line break removed; empty and comment lines inside are skipped, as BuildKit
 * does). `end` is the index of its last line; `pieces` says where each line's part of the
 * text starts (each part is the start of its line, so a column in it is a column in the line).
 */
function logicalLine(lines: readonly string[], start: number, escape: string): { text: string; end: number; pieces: { offset: number; line: number }[] } {
  let text = '';
  const pieces: { offset: number; line: number }[] = [];
  let i = start;
  for (;;) {
    const t = lines[i]!.replace(/\s+$/, '');
    pieces.push({ offset: text.length, line: i });
    if (!t.endsWith(escape)) {
      text += t;
      break;
    }
    text += t.slice(0, -1);
    i++;
    while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.trim().startsWith('#'))) i++;
    if (i >= lines.length) break;
  }
  return { text, end: i, pieces };
}

/**
 * The flags BuildKit reads before any instruction's arguments (`--mount=…`, `--network=…`,
 * `--security=…`, `--from=…`), quotes and escapes in them removed, and the index in `args`
 * where the arguments begin. As BuildKit's extractBuilderFlags: every leading word that
 * starts with `--`, up to the first that does not, or a lone `--` (dropped).
 */
export function splitFlags(args: string): { flags: string[]; rest: number } {
  const flags: string[] = [];
  const space = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
  let pos = 0;
  for (;;) {
    while (space(args[pos])) pos++;
    if (!args.startsWith('--', pos)) return { flags, rest: pos };
    let word = '';
    let quote: string | null = null;
    let quoted = false;
    for (; pos < args.length && (quote !== null || !space(args[pos])); pos++) {
      const c = args[pos]!;
      if (quote === null && (c === '"' || c === "'")) [quote, quoted] = [c, true];
      else if (c === quote) quote = null;
      else if (c === '\\') word += pos + 1 < args.length ? args[++pos] : '';
      else word += c;
    }
    if (word === '--') {
      while (space(args[pos])) pos++;
      return { flags, rest: pos };
    }
    if (quoted || word !== '') flags.push(word);
  }
}

/** The JSON array an instruction's arguments (after its flags) spell, or null when they are not one. */
function jsonArray(args: string): unknown[] | null {
  const command = args.slice(splitFlags(args).rest).trim();
  if (!command.startsWith('[')) return null;
  try {
    const value: unknown = JSON.parse(command);
    return Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * The argv of an instruction in exec form — a JSON array of strings after its flags
 * (`RUN --network=none ["apt-get", "update"]`) — or null for shell form. As BuildKit decides:
 * what does not parse as a JSON array is shell form, `RUN [ -f x ] && …` too.
 */
export function execForm(args: string): string[] | null {
  const array = jsonArray(args);
  return array !== null && array.every((word) => typeof word === 'string') ? (array as string[]) : null;
}

/** The instructions whose arguments may be a JSON array: BuildKit rejects one that holds anything but strings. */
const JSON_FORMS = new Set(['ADD', 'CMD', 'COPY', 'ENTRYPOINT', 'RUN', 'SHELL', 'VOLUME']);

/**
 * Where an instruction's arguments begin, after its keyword and flags, in its own lines
 * (`lines[0]` is the instruction's first line, as in the file): an index in `lines` and a
 * column; null when nothing follows the flags. The flags may span continuation lines.
 */
export function argumentsPosition(lines: readonly string[], escape: '\\' | '`'): { line: number; column: number } | null {
  const { text, pieces } = logicalLine(lines, 0, escape);
  const keyword = /^\s*[A-Za-z]+/.exec(text)?.[0].length ?? 0;
  const at = keyword + splitFlags(text.slice(keyword)).rest;
  if (at >= text.length) return null;
  const piece = pieces.filter((p) => p.offset <= at).pop()!;
  return { line: piece.line, column: at - piece.offset };
}

export function parseDockerfile(text: string): Dockerfile {
  // BuildKit drops a UTF-8 byte-order mark (left in, it hides a `# escape=` directive on line 1)
  // and reads lines as Go's bufio does: CRLF or LF ends a line, a lone CR does not.
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n').split('\n');
  let escape: '\\' | '`' = '\\';
  let syntax: Dockerfile['syntax'] = null;
  let i = 0;
  // Parser directives: only at the very top; any other line, a comment like `# Version=2` too, ends them.
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!);
    if (!m || !DIRECTIVES.has(m[1]!.toLowerCase())) break;
    if (m[1]!.toLowerCase() === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw new DockerfileSyntaxError(i + 1, `invalid escape directive ${m[2]}: use \\ or \``);
      escape = m[2];
    }
    if (m[1]!.toLowerCase() === 'syntax') syntax = { image: m[2]!, line: i + 1 };
  }
  const instructions: Instruction[] = [];
  const stages: Stage[] = [];
  for (; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const startLine = i + 1;
    const logical = logicalLine(lines, i, escape);
    const joined = logical.text;
    i = logical.end;
    const m = /^\s*([A-Za-z]+)(?:\s+([\s\S]*))?$/.exec(joined);
    if (!m) throw new DockerfileSyntaxError(startLine, `cannot read the instruction ${JSON.stringify(joined.trim().slice(0, 40))}`);
    const keyword = m[1]!.toUpperCase();
    const args = (m[2] ?? '').trim();
    if (!KNOWN.has(keyword)) throw new DockerfileSyntaxError(startLine, `unknown instruction: ${m[1]}`);
    if (JSON_FORMS.has(keyword) && jsonArray(args)?.some((word) => typeof word !== 'string')) {
      throw new DockerfileSyntaxError(startLine, `${keyword}: a JSON array must hold only strings: quote each word, or write it in shell form`);
    }
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
  return { instructions, stages, escape, syntax };
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

/**
 * `${NAME}`, `$NAME`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`, `${NAME:?word}` of ARG
 * values (the only substitution FROM gets). As in BuildKit's lexer, the word is itself
 * substituted, so `${IMAGE:-${REGISTRY}/python:3.12}` works; a `$` that starts no name is kept.
 */
function substitute(text: string, vars: ReadonlyMap<string, string>): string {
  let i = 0;
  const name = (): string => {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    i += m?.[0].length ?? 0;
    return m?.[0] ?? '';
  };
  // Reads up to `stop` (left unread) or the end, substituting as it goes.
  const word = (stop: string | null): string => {
    let out = '';
    while (i < text.length && text[i] !== stop) {
      if (text[i] !== '$') {
        out += text[i++];
        continue;
      }
      i++;
      if (text[i] !== '{') {
        const plain = name();
        out += plain === '' ? '$' : (vars.get(plain) ?? '');
        continue;
      }
      const open = i++;
      const braced = name();
      if (braced === '') {
        i = open;
        out += '$';
        continue;
      }
      const colon = text[i] === ':';
      if (colon) i++;
      const op = text[i] === '-' || text[i] === '+' || text[i] === '?' ? text[i++] : '';
      // The word (or, for modifiers BuildKit has and FROM lines do not use, e.g. `#`, the rest) up to the brace.
      const alt = text[i] === '}' && op === '' ? '' : word('}');
      i++; // the closing brace
      const value = vars.get(braced);
      // With the colon an empty value counts as unset, as in the shell.
      const set = colon ? value !== undefined && value !== '' : value !== undefined;
      if (op === '-') out += set ? value! : alt;
      else if (op === '+') out += set ? alt : '';
      else out += value ?? '';
    }
    return out;
  };
  return word(null);
}

/** `ARG A=1 B="two words" C`: the names declared and their defaults, quotes removed. */
export function argDeclarations(args: string): { name: string; value: string | undefined }[] {
  const words = args.match(/(?:[^\s"']+|"(?:[^"\\]|\\.)*"|'[^']*')+/g) ?? [];
  return words.flatMap((word) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=([\s\S]*))?$/.exec(word);
    if (!m) return [];
    const value = m[2]?.replace(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g, (_q, dq: string | undefined, sq: string | undefined) => sq ?? dq!.replace(/\\(.)/g, '$1'));
    return [{ name: m[1]!, value }];
  });
}

/** The values of the ARGs declared before the first FROM: build args over defaults. */
function globalArgs(file: Dockerfile, buildArgs: Readonly<Record<string, string>>): Map<string, string> {
  const vars = new Map<string, string>();
  for (const ins of file.instructions) {
    if (ins.stage !== -1 || ins.keyword !== 'ARG') continue;
    for (const { name, value } of argDeclarations(ins.args)) {
      // A default may use the ARGs declared before it (`ARG BASE=python:${PY}-slim`).
      const resolved = buildArgs[name] ?? (value !== undefined ? substitute(value, vars) : undefined);
      if (resolved !== undefined) vars.set(name, resolved);
    }
  }
  return vars;
}

/** What a stage is built FROM (an image or an earlier stage), with the ARGs declared before the first FROM substituted. */
export function resolvedFrom(file: Dockerfile, stage: Stage, buildArgs: Readonly<Record<string, string>> = {}): string {
  return substitute(stage.from, globalArgs(file, buildArgs));
}

/** The platform images are built for (os/arch[/variant], as in linux/arm/v7). */
export interface Platform {
  readonly os: string;
  readonly arch: string;
  readonly variant: string;
}

/** A platform as docker build's --platform writes it: `linux/arm/v7`. */
export function platformName(p: Platform): string {
  return `${p.os}/${p.arch}${p.variant ? `/${p.variant}` : ''}`;
}

/** BuildKit's automatic platform ARGs; with no --platform the target is the build platform. */
function platformArgs(p: Platform): [string, string][] {
  const full = platformName(p);
  return ['BUILD', 'TARGET'].flatMap((side) => [
    [`${side}PLATFORM`, full],
    [`${side}OS`, p.os],
    [`${side}ARCH`, p.arch],
    [`${side}VARIANT`, p.variant],
  ] as [string, string][]);
}

/** What an instruction takes from elsewhere: `COPY --from=X` and `RUN --mount=…,from=X,…`. */
function fromReferences(ins: Instruction): string[] {
  return splitFlags(ins.args).flags.flatMap((flag) => {
    const copy = /^--from=(.+)$/.exec(flag);
    if (copy && (ins.keyword === 'COPY' || ins.keyword === 'ADD')) return [copy[1]!];
    const mount = /^--mount=(.+)$/.exec(flag);
    if (mount && ins.keyword === 'RUN') return mount[1]!.split(',').flatMap((kv) => (kv.startsWith('from=') ? [kv.slice(5)] : []));
    return [];
  });
}

/**
 * The images a build pulls (not earlier stages, not `scratch`): those named in FROM, and in
 * `COPY --from=IMAGE` and `RUN --mount=from=IMAGE`, with ARGs declared before the first FROM
 * substituted from the build args or their defaults. Only the stages that are built count:
 * BuildKit builds the target (default: the last stage) and the stages it uses; the legacy
 * builder builds every stage up to the target.
 */
export function baseImages(
  file: Dockerfile,
  buildArgs: Readonly<Record<string, string>>,
  target: string | null,
  builder: 'buildkit' | 'legacy',
  platform: Platform,
  /** Named build contexts (build.additional_contexts): FROM and --from take them instead of an image. */
  namedContexts: readonly string[] = [],
): string[] {
  const vars = globalArgs(file, buildArgs);
  // BuildKit sets the platform ARGs for FROM lines itself (`FROM build_${TARGETARCH}`).
  if (builder === 'buildkit') for (const [name, value] of platformArgs(platform)) if (!vars.has(name)) vars.set(name, value);
  /** The index of the earlier stage a reference names (by name or number), or null for an image. */
  const stageOf = (ref: string, before: number): number | null => {
    const index = /^\d+$/.test(ref) ? Number(ref) : file.stages.findIndex((s) => s.name === ref.toLowerCase());
    return index >= 0 && index < before ? index : null;
  };
  const uses = file.stages.map((stage) => ({ stages: [] as number[], images: [] as string[], refs: [stage.from] }));
  for (const ins of file.instructions) if (ins.stage >= 0) uses[ins.stage]!.refs.push(...fromReferences(ins));
  uses.forEach((use, index) => {
    for (const ref of use.refs.map((r) => substitute(r, vars))) {
      const stage = stageOf(ref, index);
      if (stage !== null) use.stages.push(stage);
      else if (ref.toLowerCase() !== 'scratch' && !namedContexts.includes(ref)) use.images.push(ref);
    }
  });
  const last = target === null ? file.stages.length - 1 : file.stages.findIndex((s) => s.name === target.toLowerCase());
  const end = last === -1 ? file.stages.length - 1 : last;
  const built = new Set<number>();
  if (builder === 'legacy') for (let i = 0; i <= end; i++) built.add(i);
  else {
    const visit = (i: number): void => {
      if (built.has(i)) return;
      built.add(i);
      uses[i]!.stages.forEach(visit);
    };
    visit(end);
  }
  const images: string[] = [];
  for (const i of [...built].sort((a, b) => a - b)) for (const image of uses[i]!.images) if (!images.includes(image)) images.push(image);
  return images;
}

/** Stage names, for a --target check. */
export function stageNames(file: Dockerfile): string[] {
  return file.stages.flatMap((s) => (s.name ? [s.name] : []));
}
