// Requirements files, read the way pip reads them (pip/_internal/req/req_file.py): lines
// ending in `\` are joined, `#` starts a comment at the start of a line or after
// whitespace, option lines (-r, -c, --index-url…) are told apart from requirement lines,
// and a requirement line's own options (--hash=…) follow the requirement. pip does the
// real work (markers, extras, constraints); this parser exists so the manifest can name
// every requirement line with its file and line number, and so a broken line is reported
// by itself instead of failing the whole run.
import { checkRequirementSpec, requirementName } from './requirement-spec.js';

export interface RequirementLine {
  /** The file as given (null for a package named on the command line). */
  readonly file: string | null;
  /** 1-based number of the line the requirement starts on (null: command line). */
  readonly line: number | null;
  /** The requirement without its options, e.g. `alpha[fast]>=1.0; python_version >= "3.8"`. */
  readonly spec: string;
  /** PEP 503 normalised project name; null for a URL or path without `name @` or `#egg=name`. */
  readonly name: string | null;
  /** `sha256:…` values of its --hash options. */
  readonly hashes: readonly string[];
  /** The line's other options (`--config-settings=…`), verbatim. */
  readonly options: readonly string[];
  /** Options of a line of their own written after the requirement (`--index-url URL`), which pip ignores there. */
  readonly ignoredOptions: readonly string[];
  /** `-e`/`--editable` lines. */
  readonly editable: boolean;
}

export interface LineProblem {
  readonly file: string | null;
  readonly line: number | null;
  readonly text: string;
  readonly message: string;
}

export type FileEntry =
  | { readonly type: 'requirement'; readonly requirement: RequirementLine }
  | { readonly type: 'include'; readonly line: number; readonly path: string; readonly constraint: boolean }
  | { readonly type: 'option'; readonly line: number; readonly name: string; readonly value: string | null }
  | { readonly type: 'problem'; readonly problem: LineProblem };

/** Options pip accepts on a line of its own (req_file.py SUPPORTED_OPTIONS), with whether they take a value. */
const GLOBAL_OPTIONS: ReadonlyMap<string, boolean> = new Map([
  ['-i', true], ['--index-url', true], ['--extra-index-url', true], ['--no-index', false],
  ['-f', true], ['--find-links', true], ['--pre', false], ['--prefer-binary', false],
  ['--require-hashes', false], ['--only-binary', true], ['--no-binary', true],
  ['--trusted-host', true], ['--use-feature', true],
]);
const INCLUDE_OPTIONS: ReadonlyMap<string, boolean> = new Map([
  ['-r', false], ['--requirement', false], ['-c', true], ['--constraint', true],
]);
/** Options allowed after a requirement on the same line. */
const PER_LINE_OPTIONS = new Set(['--hash', '--config-settings', '--global-option', '--install-option']);
const HASH_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

const BYTE_ORDER_MARKS: readonly (readonly [readonly number[], string])[] = [
  [[0xef, 0xbb, 0xbf], 'utf-8'], [[0xff, 0xfe], 'utf-16le'], [[0xfe, 0xff], 'utf-16be'],
];

/**
 * A requirements file's bytes as pip decodes them (req_file.py, auto_decode): a byte-order
 * mark names the encoding, else UTF-8. Windows PowerShell 5's `pip freeze > requirements.txt`
 * writes UTF-16LE with a mark (pypa/pip#733), which pip reads.
 */
export function decodeRequirementsFile(bytes: Uint8Array): string {
  for (const [mark, encoding] of BYTE_ORDER_MARKS) {
    if (mark.every((byte, i) => bytes[i] === byte)) return new TextDecoder(encoding).decode(bytes.subarray(mark.length));
  }
  return new TextDecoder('utf-8').decode(bytes);
}

/** Physical lines joined at trailing backslashes, each with the number of its first line. */
export function logicalLines(text: string): { line: number; text: string }[] {
  const physical = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const out: { line: number; text: string }[] = [];
  let pending: { line: number; text: string } | null = null;
  physical.forEach((raw, index) => {
    const isComment = /^\s*#/.test(raw);
    // pip: a comment line ends a continuation (its backslash joins nothing).
    if (raw.endsWith('\\') && !isComment) {
      const piece = raw.slice(0, -1);
      pending = pending ? { line: pending.line, text: pending.text + piece } : { line: index + 1, text: piece };
      return;
    }
    if (pending) {
      out.push({ line: pending.line, text: pending.text + (isComment ? '' : raw) });
      pending = null;
      return;
    }
    out.push({ line: index + 1, text: raw });
  });
  if (pending) out.push(pending);
  return out;
}

/**
 * pip's expansion of environment variables in requirements files (req_file.py,
 * expand_env_variables): only `${NAME}` with NAME of upper-case letters, digits and `_`;
 * an unset variable stays as written.
 */
export function expandPipEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => env[name] ?? whole);
}

/** Removes a comment: `#` at the start or after whitespace (pip's COMMENT_RE). */
export function stripComment(text: string): string {
  return text.replace(/(^|\s+)#.*$/, '').trim();
}

/** Splits on whitespace, leaving quoted parts (a marker's strings) together. */
function tokens(text: string): string[] {
  return text.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
}

/**
 * One requirements file's text → its entries, in order. Pure. `env` is pip's environment:
 * pip expands `${NAME}` in every line before reading it (`dagster==${DAGSTER_VERSION}`).
 */
export function parseRequirementsText(text: string, file: string | null, env: NodeJS.ProcessEnv): FileEntry[] {
  const entries: FileEntry[] = [];
  for (const { line, text: raw } of logicalLines(text)) {
    const content = stripComment(raw);
    if (content === '') continue;
    const problem = (message: string): void => void entries.push({ type: 'problem', problem: { file, line, text: content, message } });
    if (content.startsWith('-')) {
      const found = parseOptionLine(content, line, file, env);
      if (typeof found === 'string') problem(found);
      else entries.push(...found);
      continue;
    }
    const result = parseRequirement(content, line, file, false, env);
    if (typeof result === 'string') problem(result);
    else entries.push({ type: 'requirement', requirement: result });
  }
  return entries;
}

/** A long option as optparse takes it: the full name, or a prefix of only one (`--extra-index` for `--extra-index-url`). */
function longOption(given: string): string | null {
  const names = ['--editable', ...INCLUDE_OPTIONS.keys(), ...GLOBAL_OPTIONS.keys()].filter((n) => n.startsWith('--'));
  if (names.includes(given)) return given;
  const matches = names.filter((n) => n.startsWith(given));
  return matches.length === 1 ? matches[0]! : null;
}

/** One option token as optparse reads it: `--name=value`, `--name`, `-xVALUE` or `-x`. */
function optionToken(token: string): { name: string; inline: string | null } {
  if (token.startsWith('--')) {
    const eq = token.indexOf('=');
    const given = eq > 0 ? token.slice(0, eq) : token;
    return { name: PER_LINE_OPTIONS.has(given) ? given : (longOption(given) ?? given), inline: eq > 0 ? token.slice(eq + 1) : null };
  }
  const given = /^-[a-z]/i.test(token) ? token.slice(0, 2) : token;
  return { name: given, inline: token.length > 2 && given !== token ? token.slice(2) : null };
}

/** Whether an option written after a requirement takes a value; undefined for one pip does not know in a requirements file. */
function takesValueAfterRequirement(name: string): boolean | undefined {
  if (name === '-e' || name === '--editable' || INCLUDE_OPTIONS.has(name) || PER_LINE_OPTIONS.has(name)) return true;
  return GLOBAL_OPTIONS.get(name);
}

/**
 * A line of options, read as pip reads it (shlex, then optparse): several options may share
 * the line (`--index-url URL --trusted-host HOST`), a value follows `=`, a space, or a short
 * option directly (`-iURL`), and quotes are removed. An editable line keeps the rest as its path.
 */
function parseOptionLine(content: string, line: number, file: string | null, env: NodeJS.ProcessEnv): FileEntry[] | string {
  const parts = tokens(content).map((t) => t.replace(/"([^"]*)"|'([^']*)'/g, (_, a: string | undefined, b: string | undefined) => a ?? b ?? ''));
  const entries: FileEntry[] = [];
  for (let i = 0; i < parts.length; i++) {
    const { name, inline } = optionToken(parts[i]!);
    const rest = parts.slice(i + 1).join(' ');
    if (name === '-e' || name === '--editable') {
      const value = inline ?? (rest === '' ? null : rest);
      if (!value) return `${name} needs a path or URL`;
      const result = parseRequirement(value, line, file, true, env);
      if (typeof result === 'string') return result;
      entries.push({ type: 'requirement', requirement: result });
      return entries;
    }
    const constraint = INCLUDE_OPTIONS.get(name);
    const takesValue = constraint !== undefined ? true : GLOBAL_OPTIONS.get(name);
    if (takesValue === undefined) return `unknown option ${name} (pip accepts ${[...INCLUDE_OPTIONS.keys(), ...GLOBAL_OPTIONS.keys()].join(', ')} on a line of their own)`;
    let value = inline;
    if (takesValue && value === null && i + 1 < parts.length) value = parts[++i]!;
    if (takesValue && !value) return constraint !== undefined ? `${name} needs a file name` : `${name} needs a value`;
    if (!takesValue && value !== null) return `${name} takes no value, found ${JSON.stringify(value)}`;
    if (!takesValue && rest !== '' && !rest.startsWith('-')) return `${name} takes no value, found ${JSON.stringify(rest)}`;
    entries.push(constraint !== undefined ? { type: 'include', line, path: value!, constraint } : { type: 'option', line, name, value: takesValue ? value : null });
  }
  return entries;
}

function parseRequirement(content: string, line: number, file: string | null, editable: boolean, env: NodeJS.ProcessEnv): RequirementLine | string {
  // pip splits a line at its first option (break_args_options): everything before is the requirement.
  const parts = tokens(content);
  const firstOption = parts.findIndex((p) => p.startsWith('-'));
  const specTokens = firstOption === -1 ? parts : parts.slice(0, firstOption);
  const optionTokens = firstOption === -1 ? [] : parts.slice(firstOption);
  const spec = specTokens.join(' ');
  // Checked and named as pip reads it; kept as written, so that a token from the environment stays out of the manifest.
  const expanded = expandPipEnv(spec, env);
  const specProblem = editable ? null : checkRequirementSpec(expanded);
  if (specProblem !== null) {
    const unexpanded = /\$\{[^}]*\}/.test(expanded) ? ' (pip expands ${NAME} only when NAME is set and of upper-case letters, digits and _)' : '';
    return `${specProblem}${unexpanded}`;
  }
  const hashes: string[] = [];
  const options: string[] = [];
  const ignoredOptions: string[] = [];
  for (let i = 0; i < optionTokens.length; i++) {
    const { name, inline } = optionToken(optionTokens[i]!);
    const valued = takesValueAfterRequirement(name);
    if (valued === undefined) return `unknown option ${name} after a requirement (pip takes ${[...PER_LINE_OPTIONS].join(', ')} there)`;
    let value = inline;
    if (valued && value === null) {
      value = optionTokens[i + 1] ?? null;
      if (value === null || value.startsWith('-')) return `${name} needs a value`;
      i++;
    }
    if (!valued && value !== null) return `${name} takes no value, found ${JSON.stringify(value)}`;
    if (name === '--hash') {
      const hashProblem = checkHash(value!);
      if (hashProblem) return hashProblem;
      hashes.push(value!);
    } else if (PER_LINE_OPTIONS.has(name)) options.push(`${name}=${value}`);
    // pip parses a line's options all alike, then applies only the per-requirement ones (req_file.py, handle_line).
    else ignoredOptions.push(value === null ? name : `${name} ${value}`);
  }
  return { file, line, spec, name: requirementName(expanded), hashes, options, ignoredOptions, editable };
}

function checkHash(value: string): string | null {
  const [algorithm = '', digest = ''] = value.split(':', 2);
  const length = HASH_LENGTHS[algorithm];
  if (length === undefined) return `--hash=${value}: the algorithm must be one of ${Object.keys(HASH_LENGTHS).join(', ')} (written algorithm:hexdigest)`;
  if (digest.length !== length || !/^[0-9a-f]+$/i.test(digest)) return `--hash=${value}: a ${algorithm} digest is ${length} hexadecimal characters`;
  return null;
}
