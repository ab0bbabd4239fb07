// Resolving the whole tree with pip. The happy path is one dry-run install of the
// user's own files (pip handles -r, -c, markers, extras and hashes). When a line is
// broken or pip fails, each requirement line is resolved by itself (with the files'
// constraints and options) to find the failing ones, and the rest are resolved together:
// one bad line costs its own packages, not the whole wheelhouse.
import { writeFile, readFile, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { existsSync } from 'node:fs';
import { parsePipReport, PipReportError, type ResolvedPackage } from './pip-report.js';
import { pipFailureReason, resolveArgs, sourceArgs, type TargetOptions } from './pip-args.js';
import type { PipRunner } from './pip-runner.js';
import type { OptionLine, RequirementSet } from './requirement-set.js';
import { decodeRequirementsFile, logicalLines, type LineProblem, type RequirementLine } from './requirements.js';

export interface Resolution {
  readonly packages: readonly ResolvedPackage[];
  /** Requirement lines that failed, with pip's reason (or the parser's). */
  readonly failed: ReadonlyMap<RequirementLine, string>;
  /** Broken lines the parser found (they are not requirements, so they stand alone). */
  readonly problems: readonly LineProblem[];
  /** pip's and Python's versions, from pip's report. */
  readonly pipVersion: PipVersion | null;
}

export interface PipVersion {
  readonly pip: string;
  readonly python: string;
}

export interface ResolveContext {
  readonly pip: PipRunner;
  readonly target: TargetOptions;
  readonly index: readonly string[];
  readonly workDir: string;
  readonly cwd: string;
  readonly note: (text: string) => void;
  readonly interrupted: () => boolean;
  /** How many isolated resolutions run at once. */
  readonly parallel: number;
  /**
   * Option lines of the files that must not reach pip (a file's own index, which the
   * mirror serves instead). When any is present, pip never reads the user's files: every
   * resolution goes through a file written from the set without them.
   */
  readonly withhold?: (option: OptionLine) => boolean;
}

type Attempt = { ok: true; packages: ResolvedPackage[]; pipVersion: PipVersion | null } | { ok: false; reason: string };

let attempts = 0;

async function attempt(ctx: ResolveContext, sources: readonly string[]): Promise<Attempt> {
  // Unique names within the work directory, also when attempts run in parallel.
  const id = ++attempts;
  const report = join(ctx.workDir, `report-${id}.json`);
  const args = resolveArgs({ report, throwawayTarget: join(ctx.workDir, `target-${id}`), src: join(ctx.workDir, `src-${id}`), target: ctx.target, index: ctx.index, sources });
  const result = await ctx.pip.run(args);
  if (result.code !== 0) return { ok: false, reason: pipFailureReason(result.output) };
  try {
    const text = await readFile(report, 'utf8');
    const packages = parsePipReport(text);
    const parsed = JSON.parse(text) as { pip_version?: unknown; environment?: { python_full_version?: unknown } };
    const python = parsed.environment?.python_full_version;
    const pipVersion = typeof parsed.pip_version === 'string' ? { pip: parsed.pip_version, python: typeof python === 'string' ? python : 'unknown' } : null;
    return { ok: true, packages, pipVersion };
  } catch (error) {
    if (error instanceof PipReportError) return { ok: false, reason: error.message };
    return { ok: false, reason: `pip wrote no report (${error instanceof Error ? error.message : String(error)}); pip 22.2 or newer is needed` };
  } finally {
    await rm(report, { force: true });
  }
}

export async function resolveTree(given: RequirementSet, files: readonly string[], packages: readonly string[], ctx: ResolveContext): Promise<Resolution> {
  const withhold = ctx.withhold;
  const withheld = withhold !== undefined && given.options.some(withhold);
  const set = withheld ? { ...given, options: given.options.filter((o) => !withhold(o)) } : given;
  // pip would fetch the files named by URL again itself, around the proxy: it reads them as offgrid fetched them.
  const ownFiles = !withheld && given.fetched.size === 0;
  if (set.requirements.length === 0) return { packages: [], failed: new Map(), problems: set.problems, pipVersion: null };
  if (set.problems.length === 0) {
    const whole = await attempt(ctx, ownFiles ? sourceArgs(files, packages) : ['-r', await writeRequirementsFile(set, set.requirements, ctx, 'all')]);
    if (whole.ok) return { packages: whole.packages, failed: new Map(), problems: [], pipVersion: whole.pipVersion };
    ctx.note(`pip could not resolve the requirements together (${whole.reason}); resolving each requirement line alone to find the failing ones`);
  } else {
    ctx.note(`${set.problems.length} broken line(s); resolving each requirement line alone`);
  }
  const failed = new Map<RequirementLine, string>();
  let pipVersion: PipVersion | null = null;
  const lines = [...set.requirements];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < lines.length && !ctx.interrupted()) {
      const line = lines[next++]!;
      const file = await writeRequirementsFile(set, [line], ctx, `line-${next}`);
      const result = await attempt(ctx, ['-r', file]);
      if (!result.ok) failed.set(line, result.reason);
      else pipVersion ??= result.pipVersion;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, ctx.parallel) }, worker));
  const good = lines.filter((l) => !failed.has(l));
  if (good.length === 0 || ctx.interrupted()) return { packages: [], failed, problems: set.problems, pipVersion };
  const together = await attempt(ctx, ['-r', await writeRequirementsFile(set, good, ctx, 'together')]);
  if (!together.ok) {
    // Each line resolves alone but not with the others: a conflict between them.
    for (const line of good) failed.set(line, `resolves alone but not with the other requirements: ${together.reason}`);
    return { packages: [], failed, problems: set.problems, pipVersion };
  }
  return { packages: together.packages, failed, problems: set.problems, pipVersion: together.pipVersion ?? pipVersion };
}

/** A requirements file holding `lines` plus every constraint file and option line of the set. */
export async function writeRequirementsFile(set: RequirementSet, lines: readonly RequirementLine[], ctx: Pick<ResolveContext, 'workDir' | 'cwd'>, name: string): Promise<string> {
  const text: string[] = [];
  const fileDir = (file: string): string => dirname(set.files.find((f) => f.path === file)?.absolutePath ?? resolvePath(ctx.cwd, file));
  for (const option of set.options) {
    let value = option.value;
    // pip takes a relative --find-links from a requirements file relative to that file when it exists there.
    if (value !== null && (option.name === '-f' || option.name === '--find-links') && !isAbsolute(value) && !value.includes('://')) {
      const candidate = resolvePath(fileDir(option.file), value);
      if (existsSync(candidate)) value = candidate;
    }
    text.push(value === null ? option.name : `${option.name} ${value}`);
  }
  for (const [i, constraint] of set.constraintFiles.entries()) {
    const bytes = set.fetched.get(constraint);
    if (bytes === undefined) {
      text.push(`-c ${constraint}`);
      continue;
    }
    // A fetched constraints file: pip reads offgrid's copy, without its -r/-c lines (offgrid followed them already, and lists what they name).
    const copy = join(ctx.workDir, `fetched-constraints-${i}.txt`);
    const lines = logicalLines(decodeRequirementsFile(bytes)).map((l) => l.text).filter((l) => !/^\s*(?:-[rc]|--requirement|--constraint)(?:[\s=]|$)/.test(l) && !/^-[rc]\S/.test(l.trim()));
    await writeFile(copy, `${lines.join('\n')}\n`);
    text.push(`-c ${copy}`);
  }
  for (const line of lines) {
    const options = [...line.hashes.map((h) => `--hash=${h}`), ...line.options];
    text.push(`${line.editable ? '-e ' : ''}${line.spec}${options.length > 0 ? ` ${options.join(' ')}` : ''}`);
  }
  const path = join(ctx.workDir, `${name}.txt`);
  await writeFile(path, `${text.join('\n')}\n`);
  return path;
}
