// Reads the requirements files a wheelhouse is built from, following `-r` and `-c` the
// way pip does (relative to the including file), and gathers every requirement line,
// every constraint file, every option line and every problem. File reading is injected.
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { decodeRequirementsFile, expandPipEnv, parseRequirementsText, type LineProblem, type RequirementLine } from './requirements.js';
import { checkRequirementSpec, requirementName } from './requirement-spec.js';

export interface RequirementFileRecord {
  /** As given on the command line, or as written in the `-r`/`-c` line. */
  readonly path: string;
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
  /** Absolute paths of constraint files. */
  readonly constraintFiles: readonly string[];
  readonly options: readonly OptionLine[];
  readonly problems: readonly LineProblem[];
}

/** A file's bytes (decoded as pip decodes them), or its text. */
export type ReadText = (absolutePath: string) => Promise<Uint8Array | string>;

export class RequirementFileError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`cannot read the requirements file ${path}: ${reason}`);
  }
}

export async function loadRequirementSet(
  topFiles: readonly string[],
  packages: readonly string[],
  cwd: string,
  read: ReadText,
  /** The environment pip runs with: an include may name a variable (`-r ${REQS}/base.txt`). */
  env: NodeJS.ProcessEnv,
): Promise<RequirementSet> {
  const files: RequirementFileRecord[] = [];
  const requirements: RequirementLine[] = [];
  const constraintFiles: string[] = [];
  const options: OptionLine[] = [];
  const problems: LineProblem[] = [];
  const seen = new Set<string>();

  const visit = async (path: string, absolutePath: string, kind: RequirementFileRecord['kind'], from: { file: string; line: number } | null): Promise<void> => {
    if (seen.has(`${kind}:${absolutePath}`)) return;
    seen.add(`${kind}:${absolutePath}`);
    let content: Uint8Array | string;
    try {
      content = await read(absolutePath);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (from === null) throw new RequirementFileError(path, reason);
      problems.push({ file: from.file, line: from.line, text: `${kind === 'constraints' ? '-c' : '-r'} ${path}`, message: `cannot read ${path}: ${reason}` });
      return;
    }
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
          if (/^[a-z][a-z0-9+.-]*:\/\//i.test(includePath)) {
            // pip would fetch it at every install, offline ones included (AWS MWAA's requirements.txt starts with Airflow's constraints URL).
            const what = entry.constraint ? 'constraints' : 'requirements';
            problems.push({ file: path, line: entry.line, text: `${entry.constraint ? '-c' : '-r'} ${includePath}`, message: `a ${what} file at a URL: offgrid reads local files only, so that the wheelhouse needs no network; download it (curl -fsSLo ${what}.txt URL) and name the local file` });
            break;
          }
          const child = isAbsolute(includePath) ? includePath : resolve(dirname(absolutePath), includePath);
          const shown = isAbsolute(includePath) ? includePath : `${dirname(path)}/${includePath}`.replace(/^\.\//, '');
          // pip: a file included by a constraints file is a constraints file too.
          await visit(shown, child, entry.constraint || kind === 'constraints' ? 'constraints' : 'requirements', { file: path, line: entry.line });
          break;
        }
      }
    }
  };

  for (const file of topFiles) await visit(file, resolve(cwd, file), 'requirements', null);
  for (const spec of packages) {
    const problem = checkRequirementSpec(spec);
    if (problem) problems.push({ file: null, line: null, text: spec, message: problem });
    else requirements.push({ file: null, line: null, spec, name: requirementName(spec), hashes: [], options: [], ignoredOptions: [], editable: false });
  }
  return { files, requirements, constraintFiles, options, problems };
}

/** `file:line` or `command line`, for messages. */
export function where(entry: { file: string | null; line: number | null }): string {
  return entry.file === null ? 'command line' : `${entry.file}:${entry.line ?? '?'}`;
}
