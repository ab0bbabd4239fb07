// Reads the requirements files a wheelhouse is built from, following `-r` and `-c` the
// way pip does (req_file.py, _parse_and_recurse): a path relative to the including file,
// a URL (http, https, file) as it is, and a relative path inside a fetched file joined to
// that file's URL. It gathers every requirement line, every constraint file, every option
// line and every problem. Reading files and fetching URLs are injected.
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redact } from '../redact.js';
import { decodeRequirementsFile, expandPipEnv, parseRequirementsText, type LineProblem, type RequirementLine } from './requirements.js';
import { checkRequirementSpec, requirementName } from './requirement-spec.js';

export interface RequirementFileRecord {
  /** As given on the command line, or as written in the `-r`/`-c` line (a URL with its credentials redacted). */
  readonly path: string;
  /** Where it was read: an absolute path, or the http(s) URL it was fetched from. */
  readonly absolutePath: string;
  readonly sha256: string;
  readonly kind: 'requirements' | 'constraints';
  /** The file whose -r/-c line named it (null: given on the command line). */
  readonly includedBy: string | null;
}

export interface OptionLine {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly value: string | null;
}

export interface RequirementSet {
  /** Every file read, top-level files first, includes in the order met. */
  readonly files: readonly RequirementFileRecord[];
  /** Requirement lines of requirements files (not constraints), then command-line packages. */
  readonly requirements: readonly RequirementLine[];
  /** Absolute paths (or http(s) URLs) of constraint files. */
  readonly constraintFiles: readonly string[];
  readonly options: readonly OptionLine[];
  readonly problems: readonly LineProblem[];
  /** The bytes of every file fetched from an http(s) URL, by URL. */
  readonly fetched: ReadonlyMap<string, Uint8Array>;
  /** http(s) URLs of files that were not fetched (no fetcher given): what the files name from the network. */
  readonly unfetched: readonly string[];
}

/** A file's bytes (decoded as pip decodes them), or its text. */
export type ReadText = (absolutePath: string) => Promise<Uint8Array | string>;
/** An http(s) URL's body. */
export type FetchBytes = (url: string) => Promise<Uint8Array>;

export class RequirementFileError extends Error {
  constructor(readonly path: string, reason: string, verb: 'read' | 'fetch' = 'read', from: { file: string; line: number } | null = null) {
    super(`cannot ${verb} the requirements file ${path}${from ? ` (named at ${from.file}:${from.line})` : ''}: ${reason}`);
  }
}

/** pip's SCHEME_RE: what a -r/-c line names as a URL rather than a path. */
const URL_SCHEME = /^(?:https?|file):/i;
const isHttp = (location: string): boolean => /^https?:/i.test(location);

/**
 * Where pip reads an include: a URL as it is (a file: URL as its path), a path relative to
 * the including file's URL when that was fetched, else relative to its directory.
 */
function locate(include: string, parent: string | null, cwd: string): string {
  if (/^file:/i.test(include)) return fileURLToPath(include);
  if (URL_SCHEME.test(include)) return include;
  if (parent !== null && isHttp(parent)) return new URL(include, parent).href;
  return isAbsolute(include) ? include : resolve(parent === null ? cwd : dirname(parent), include);
}

export async function loadRequirementSet(
  topFiles: readonly string[],
  packages: readonly string[],
  cwd: string,
  read: ReadText,
  /** The environment pip runs with: an include may name a variable (`-r ${REQS}/base.txt`). */
  env: NodeJS.ProcessEnv,
  /** Fetches an http(s) file; null: such files are listed in `unfetched`, unread. */
  fetch: FetchBytes | null,
): Promise<RequirementSet> {
  const files: RequirementFileRecord[] = [];
  const requirements: RequirementLine[] = [];
  const constraintFiles: string[] = [];
  const options: OptionLine[] = [];
  const problems: LineProblem[] = [];
  const fetched = new Map<string, Uint8Array>();
  const unfetched: string[] = [];
  const seen = new Set<string>();

  const visit = async (path: string, absolutePath: string, kind: RequirementFileRecord['kind'], from: { file: string; line: number } | null): Promise<void> => {
    if (seen.has(`${kind}:${absolutePath}`)) return;
    seen.add(`${kind}:${absolutePath}`);
    if (isHttp(absolutePath) && fetch === null) {
      unfetched.push(absolutePath);
      return;
    }
    let content: Uint8Array | string;
    try {
      content = isHttp(absolutePath) ? (fetched.get(absolutePath) ?? (await fetch!(absolutePath))) : await read(absolutePath);
    } catch (error) {
      // pip stops at a file it cannot fetch, and so does the wheelhouse: what that file holds is unknown.
      if (isHttp(absolutePath)) throw new RequirementFileError(path, redact(error instanceof Error ? error.message : String(error)), 'fetch', from);
      const reason = error instanceof Error ? error.message : String(error);
      if (from === null) throw new RequirementFileError(path, reason);
      problems.push({ file: from.file, line: from.line, text: `${kind === 'constraints' ? '-c' : '-r'} ${path}`, message: `cannot read ${path}: ${reason}` });
      return;
    }
    if (isHttp(absolutePath) && typeof content !== 'string') fetched.set(absolutePath, content);
    const text = typeof content === 'string' ? content : decodeRequirementsFile(content);
    files.push({ path, absolutePath, sha256: createHash('sha256').update(content).digest('hex'), kind, includedBy: from?.file ?? null });
    if (kind === 'constraints') constraintFiles.push(absolutePath);
    for (const entry of parseRequirementsText(text, path, env)) {
      switch (entry.type) {
        case 'requirement':
          // A constraints file's lines only limit versions; they are not requirements.
          if (kind === 'requirements') requirements.push(entry.requirement);
          break;
        case 'option':
          options.push({ file: path, line: entry.line, name: entry.name, value: entry.value });
          break;
        case 'problem':
          problems.push(entry.problem);
          break;
        case 'include': {
          // pip expands ${NAME} before it reads a line; the path is no secret, so it is kept expanded.
          const includePath = expandPipEnv(entry.path, env);
          let child: string;
          try {
            child = locate(includePath, absolutePath, cwd);
          } catch (error) {
            problems.push({ file: path, line: entry.line, text: `${entry.constraint ? '-c' : '-r'} ${redact(includePath)}`, message: error instanceof Error ? error.message : String(error) });
            break;
          }
          const shown = URL_SCHEME.test(includePath) || isHttp(child) ? redact(isHttp(child) ? child : includePath) : isAbsolute(includePath) ? includePath : `${dirname(path)}/${includePath}`.replace(/^\.\//, '');
          // pip: a file included by a constraints file is a constraints file too.
          await visit(shown, child, entry.constraint || kind === 'constraints' ? 'constraints' : 'requirements', { file: path, line: entry.line });
          break;
        }
      }
    }
  };

  for (const file of topFiles) await visit(URL_SCHEME.test(file) ? redact(file) : file, locate(file, null, cwd), 'requirements', null);
  for (const spec of packages) {
    const problem = checkRequirementSpec(spec);
    if (problem) problems.push({ file: null, line: null, text: spec, message: problem });
    else requirements.push({ file: null, line: null, spec, name: requirementName(spec), hashes: [], options: [], ignoredOptions: [], editable: false });
  }
  return { files, requirements, constraintFiles, options, problems, fetched, unfetched };
}

/** `file:line` or `command line`, for messages. */
export function where(entry: { file: string | null; line: number | null }): string {
  return entry.file === null ? 'command line' : `${entry.file}:${entry.line ?? '?'}`;
}
