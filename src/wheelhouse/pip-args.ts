// pip's command lines for the four things a wheelhouse needs: resolve the whole tree
// (a dry-run install with a report), download files, build the wheels of local
// directories and VCS checkouts, and prove completeness from the wheelhouse alone. Pure.
import { redact } from '../redact.js';

export interface TargetOptions {
  readonly platforms: readonly string[];
  readonly pythonVersion: string | null;
  readonly implementation: string | null;
  readonly abi: string | null;
  /** `--only-binary :all:` asked for, or implied by a target. */
  readonly onlyBinary: boolean;
}

export function hasForeignTarget(t: TargetOptions): boolean {
  return t.platforms.length > 0 || t.pythonVersion !== null || t.implementation !== null || t.abi !== null;
}

/** pip insists on --only-binary=:all: with any platform option (it cannot build for another machine). */
export function targetArgs(t: TargetOptions): string[] {
  const args: string[] = [];
  for (const p of t.platforms) args.push('--platform', p);
  if (t.pythonVersion !== null) args.push('--python-version', t.pythonVersion);
  if (t.implementation !== null) args.push('--implementation', t.implementation);
  if (t.abi !== null) args.push('--abi', t.abi);
  if (t.onlyBinary || hasForeignTarget(t)) args.push('--only-binary=:all:');
  return args;
}

/** What to install: `-r FILE` for each file, then the packages. */
export function sourceArgs(files: readonly string[], packages: readonly string[]): string[] {
  return [...files.flatMap((f) => ['-r', f]), ...packages];
}

/**
 * A dry-run install that writes the resolved tree to `report`. pip only accepts platform
 * options for an install into --target; with --dry-run nothing is written there. `src` is
 * where pip checks out editable VCS lines (by default ./src of the user's directory, which
 * a dry run should leave alone).
 */
export function resolveArgs(o: { report: string; throwawayTarget: string; src: string; target: TargetOptions; index: readonly string[]; sources: readonly string[] }): string[] {
  return [
    'install', '--dry-run', '--ignore-installed', '--report', o.report, '--src', o.src,
    ...(hasForeignTarget(o.target) ? ['--target', o.throwawayTarget] : []),
    ...targetArgs(o.target), ...o.index, ...o.sources,
  ];
}

/** Downloads exactly the listed files (no resolution: the tree is already known). */
export function downloadArgs(o: { dir: string; target: TargetOptions; index: readonly string[]; requirementsFile: string }): string[] {
  return ['download', '--no-deps', '--dest', o.dir, ...targetArgs(o.target), ...o.index, '-r', o.requirementsFile];
}

/**
 * Builds the wheels of the lines in `requirementsFile` (local directories, VCS URLs; their
 * dependencies are downloaded separately, like any others). No target options: pip builds
 * only for the machine it runs on, and with a foreign target it never resolves to a source.
 */
export function wheelArgs(o: { dir: string; src: string; index: readonly string[]; requirementsFile: string }): string[] {
  return ['wheel', '--no-deps', '--wheel-dir', o.dir, '--src', o.src, ...o.index, '-r', o.requirementsFile];
}

/** Installs from the wheelhouse alone, without the network, into nothing. */
export function verifyArgs(o: { wheelhouse: string; throwawayTarget: string; target: TargetOptions; sources: readonly string[] }): string[] {
  return [
    'install', '--dry-run', '--ignore-installed', '--no-index', '--find-links', o.wheelhouse,
    ...(hasForeignTarget(o.target) ? ['--target', o.throwawayTarget] : []),
    ...targetArgs(o.target), ...o.sources,
  ];
}

/** `pip 23.2.1 from /…/pip (python 3.11)` → its version and Python's. */
export function parsePipVersion(output: string): { pip: string; python: string } | null {
  const m = /pip\s+(\S+)\s+from\s+.*\(python\s+([^)]+)\)/.exec(output);
  return m ? { pip: m[1]!, python: m[2]!.trim() } : null;
}

/**
 * pip's reason for a failure: its `ERROR:` lines, those of a pip subprocess it quotes
 * indented (building a project's backend), and the `× …` summary of its error boxes
 * (the last few), else the last lines, which then say no more than `╰─> See above for
 * output.`. Tracebacks are left out; the log file has them. pip masks a URL's password
 * but not a token given as its user name, and the reason reaches the manifest and the summary.
 */
export function pipFailureReason(output: string): string {
  const lines = output.split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  const errors = [...new Set(lines.filter((l) => /^\s*(?:ERROR:|× )/.test(l)).map((l) => l.replace(/^\s*(?:ERROR:|×)\s*/, '')))];
  const picked = errors.length > 0 ? errors.slice(-3) : lines.slice(-2);
  const reason = redact(picked.join('; ').replace(/\s+/g, ' ').trim());
  return reason === '' ? 'pip failed without a message' : reason.length > 600 ? `${reason.slice(0, 600)}…` : reason;
}
