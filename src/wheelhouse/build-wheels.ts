// Requirements that pip takes from a local directory or a VCS checkout (`./pkg`,
// `git+https://…#egg=x`, `name @ git+file://…`): no index file stands for them, so the
// wheelhouse holds the wheel pip builds from them (`pip wheel --no-deps`); their
// dependencies are resolved and downloaded like any other. An air-gapped build cannot
// clone or reach that source, and installs the package by name from the wheelhouse.
//
// One exception, an editable local directory (`-e .`, `-e ./libs/x`, uv export's first
// line): that is the project under build. `pip install -e PATH` always builds it from its
// source and never takes a wheel from a wheelhouse, so a wheel of it would be unused (and
// stale at the next commit): it is left out, with a note, and its dependencies are in.
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { redact } from '../redact.js';
import { fileDigest, makePartialDir } from './files.js';
import { pipFailureReason, wheelArgs } from './pip-args.js';
import type { ResolvedPackage } from './pip-report.js';
import type { RequirementSet } from './requirement-set.js';
import { normalizeName, requirementSource, requirementTarget } from './requirement-spec.js';
import type { RequirementLine } from './requirements.js';
import { type ResolveContext, writeRequirementsFile } from './resolve.js';

export interface SourcePlan {
  /** Packages to build, each with the line pip builds it from. */
  readonly build: readonly { readonly pkg: ResolvedPackage; readonly line: RequirementLine }[];
  /** Editable local directories (the project under build), with their line. */
  readonly projects: readonly { readonly pkg: ResolvedPackage; readonly line: RequirementLine }[];
}

/**
 * Sorts the resolved packages that are no file into what to build and what to leave out.
 * `lineOf` finds the requirement line that asked for a package (null: a dependency named
 * by a direct reference in another package's metadata). Pure.
 */
export function planSourceBuilds(pkgs: readonly ResolvedPackage[], lineOf: (pkg: ResolvedPackage) => RequirementLine | null): SourcePlan {
  const build: { pkg: ResolvedPackage; line: RequirementLine }[] = [];
  const projects: { pkg: ResolvedPackage; line: RequirementLine }[] = [];
  for (const pkg of pkgs) {
    if (pkg.origin === 'archive') continue;
    const line = lineOf(pkg);
    if (line !== null && line.editable && requirementSource(line.spec) === 'path') projects.push({ pkg, line });
    // pip builds a regular wheel from an editable line too (`pip wheel -e …`).
    else build.push({ pkg, line: line !== null ? nonEditable(line) : sourceLine(pkg) });
  }
  return { build, projects };
}

/**
 * The line as a regular requirement. pip takes an editable `git://…` (crate.io's
 * requirements, test/fixtures/requirements-real/crateio-requirements.txt) as `git+git://…`,
 * but refuses it written without -e.
 */
function nonEditable(line: RequirementLine): RequirementLine {
  if (!line.editable) return line;
  return { ...line, editable: false, spec: line.spec.replace(/^(git|hg|svn|bzr):/i, '$1+$1:') };
}

/** A VCS package's checkout as pip takes it (`git+URL@commit`, pinned to what pip resolved), or null for a directory. */
function checkoutUrl(pkg: ResolvedPackage): string | null {
  if (pkg.vcs === null) return null;
  return `${pkg.vcs.name}+${pkg.url}${pkg.vcs.commit !== null ? `@${pkg.vcs.commit}` : ''}`;
}

/** The line for a package only known from pip's report: its checkout pinned to the commit pip resolved, or its directory. */
function sourceLine(pkg: ResolvedPackage): RequirementLine {
  const spec = `${pkg.name} @ ${checkoutUrl(pkg) ?? pkg.url}`;
  return { file: null, line: null, spec, name: pkg.name, hashes: [], options: [], ignoredOptions: [], editable: false };
}

/** The resolver's pip, index and directories, and the set the lines come from. */
export interface BuildWheelsContext extends Pick<ResolveContext, 'pip' | 'index' | 'workDir' | 'cwd' | 'note' | 'interrupted'> {
  /** Its option lines and constraint files apply to the build too. */
  readonly set: RequirementSet;
}

/** The wheel built for each package (a file name in `dir`), or pip's reason it could not be. */
export type Built = { readonly filename: string } | { readonly failure: string };

/** Builds every planned wheel into `dir`: all at once, then, if pip fails, each alone to find the failing ones. */
export async function buildWheels(plan: SourcePlan['build'], dir: string, ctx: BuildWheelsContext): Promise<Map<ResolvedPackage, Built>> {
  const out = new Map<ResolvedPackage, Built>();
  const run = async (items: SourcePlan['build'], name: string): Promise<{ code: number; output: string }> => {
    const file = await writeRequirementsFile(ctx.set, items.map((i) => i.line), ctx, name);
    return ctx.pip.run(wheelArgs({ dir, src: join(ctx.workDir, `${name}-src`), index: ctx.index, requirementsFile: file }));
  };
  const all = await run(plan, 'build-all');
  if (all.code !== 0 && plan.length > 1) {
    ctx.note('pip wheel failed; building each wheel alone to find the failing ones');
    let n = 0;
    for (const item of plan) {
      if (ctx.interrupted()) break;
      if ((await wheelFor(dir, item.pkg)) !== null) continue;
      const one = await run([item], `build-${++n}`);
      if (one.code !== 0) out.set(item.pkg, { failure: pipFailureReason(one.output) });
    }
  } else if (all.code !== 0) out.set(plan[0]!.pkg, { failure: pipFailureReason(all.output) });
  for (const { pkg } of plan) {
    if (out.has(pkg)) continue;
    const filename = await wheelFor(dir, pkg);
    out.set(pkg, filename !== null ? { filename } : { failure: `pip wheel built no wheel for ${pkg.name} ${pkg.version}` });
  }
  return out;
}

/** The wheel of `pkg` in `dir` (PEP 427: `{name}-{version}-…whl`, the name with `_` for `-`, `.`). */
async function wheelFor(dir: string, pkg: ResolvedPackage): Promise<string | null> {
  const wheels = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.whl') && normalizeName(n.split('-')[0]!) === pkg.name);
  // A version may be written differently in the file name than in the metadata (`1.0.0` / `1.0`).
  return wheels.find((n) => n.split('-')[1] === pkg.version) ?? wheels[0] ?? null;
}

/** A package built into the wheelhouse (renamed to its wheel, with its sha256), or why not; and where it was built from (no credentials). */
export type BuiltPackage =
  | { readonly pkg: ResolvedPackage; readonly source: string; readonly message: string; readonly size: number }
  | { readonly pkg: ResolvedPackage; readonly source: string; readonly failure: string };

/** Builds the planned wheels in a partial directory of `dest` and moves each finished one into `dest`. */
export async function buildIntoWheelhouse(plan: SourcePlan['build'], dest: string, ctx: BuildWheelsContext): Promise<Map<ResolvedPackage, BuiltPackage>> {
  const out = new Map<ResolvedPackage, BuiltPackage>();
  const partial = await makePartialDir(dest);
  try {
    const built = await buildWheels(plan, partial, ctx);
    for (const { pkg, line } of plan) {
      const result = built.get(pkg);
      if (result === undefined) continue; // interrupted
      // pip reports an editable checkout as the directory it cloned to: the line says where it came from.
      const fromLine = requirementSource(line.spec) === 'vcs';
      const source = redact(checkoutUrl(pkg) ?? (fromLine ? requirementTarget(line.spec) : pkg.url));
      if ('failure' in result) {
        out.set(pkg, { pkg, source, failure: result.failure });
        continue;
      }
      const digest = (await fileDigest(join(partial, result.filename)))!;
      await rename(join(partial, result.filename), join(dest, result.filename));
      const from = pkg.vcs !== null ? `${pkg.vcs.name} commit ${pkg.vcs.commit ?? '(unknown)'}` : fromLine ? `a checkout of ${source}` : 'its directory';
      out.set(pkg, { pkg: { ...pkg, filename: result.filename, sha256: digest.sha256 }, source, message: `built by pip wheel from ${from}`, size: digest.size });
    }
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return out;
}
