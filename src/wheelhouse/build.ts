// Building a wheelhouse: read the requirements → resolve the whole tree with pip →
// keep what is already there with the right sha256 → pip downloads the rest into a
// partial directory → finished files are renamed into place → the manifest is
// written atomically. Processes and files come in through `BuildContext`.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { redact } from '../redact.js';
import { isoLocal, type Clock } from '../session/time.js';
import { OFFGRID_VERSION } from '../version.js';
import { parseFileLinkPath } from '../capture/proxy/pypi-rewrite.js';
import { fileDigest, makePartialDir, removeStalePartials, writeFileAtomic, listNames, PARTIAL_PREFIX } from './files.js';
import {
  MANIFEST_FILE, computeTotals, parseManifest, serializeManifest,
  type EntryStatus, type Manifest, type PackageEntry, type RequirementEntry,
} from './manifest.js';
import { downloadArgs, hasForeignTarget, parsePipVersion, pipFailureReason, type TargetOptions } from './pip-args.js';
import type { ResolvedPackage } from './pip-report.js';
import type { PipRunner } from './pip-runner.js';
import type { Progress } from './progress.js';
import { loadRequirementSet, where, type FetchBytes, type OptionLine } from './requirement-set.js';
import { requirementSource } from './requirement-spec.js';
import { buildIntoWheelhouse, planSourceBuilds } from './build-wheels.js';
import { resolveTree } from './resolve.js';
import { type FileIndexes, namesRemoteIndex, remoteIndexes } from './index-options.js';
import { type LocalAttempt, resolveFromWheelhouse } from './local-first.js';
import { expandPipEnv, type RequirementLine } from './requirements.js';

export interface BuildInput {
  readonly dest: string;
  readonly cwd: string;
  readonly requirementFiles: readonly string[];
  readonly packages: readonly string[];
  readonly target: TargetOptions;
  /** pip's own --index-url/--extra-index-url arguments (only when there is no proxy). */
  readonly index: readonly string[];
  readonly offline: boolean;
  /** Resolve against the index even when the wheelhouse already satisfies the requirements. */
  readonly refresh: boolean;
  /** The environment pip runs with (requirements files may name its variables: `${TOKEN}`). */
  readonly env: NodeJS.ProcessEnv;
}

export interface BuildContext {
  /** pip for work that needs no network (the warm path). */
  readonly localPip: PipRunner;
  /**
   * pip pointed at the index through the proxy; started on first use, with the remote
   * indexes the requirements files name as upstreams of the mirror (index-options.ts).
   */
  readonly network: (fileIndexes?: FileIndexes | null, fetchUrls?: readonly string[]) => Promise<Network>;
  readonly clock: Clock;
  readonly progress: Progress;
  /** Writes a line to the run log. */
  readonly note: (text: string) => void;
  readonly workDir: string;
  readonly interrupted: () => boolean;
  /** The warm path's pip, already started on the previous manifest's files (local-first.ts). */
  readonly early?: LocalAttempt | null;
}

/**
 * pip and the proxy, started on first use: `fileIndexes` become the mirror's upstreams and
 * the hosts of `fetchUrls` (requirements files named by URL) join the proxy's allow-list.
 * Later calls get the same, whatever they pass.
 */
export interface Network {
  readonly pip: PipRunner;
  readonly proxyUrl: string | null;
  /** Fetches a requirements file (through the proxy when there is one). */
  readonly fetch: FetchBytes;
  /** The indexes the proxy mirrors: those the files named before it started. */
  readonly fileIndexes: FileIndexes | null;
}

export interface BuildResult {
  readonly manifest: Manifest;
  /** What failed, one line each, for the summary. */
  readonly failures: readonly string[];
  /** Files in the wheelhouse that no manifest lists (left alone). */
  readonly unknownFiles: readonly string[];
  readonly removedFiles: readonly string[];
}

export class InterruptedError extends Error {
  constructor() {
    super('interrupted');
  }
}

type Settled = { status: EntryStatus; message: string | null; size: number | null; sha256: string | null; replaced: string | null; timestamp: string };

export async function buildWheelhouse(input: BuildInput, ctx: BuildContext): Promise<BuildResult> {
  const now = (): string => isoLocal(ctx.clock.now());
  const stop = (): void => {
    if (ctx.interrupted()) throw new InterruptedError();
  };
  let set = await loadRequirementSet(input.requirementFiles, input.packages, input.cwd, (p) => readFile(p), input.env, null);
  if (set.unfetched.length > 0) {
    await ctx.early?.cancel(); // a wheelhouse from fetched files is resolved against the index (below)
    // Files named by URL come through the proxy, which starts with what the local files say; then everything is read again, fetched files included.
    const network = await ctx.network(remoteIndexes(set.options, input.env), set.unfetched);
    set = await loadRequirementSet(input.requirementFiles, input.packages, input.cwd, (p) => readFile(p), input.env, network.fetch);
    for (const file of set.files.filter((f) => /^https?:/i.test(f.absolutePath))) ctx.note(`fetched ${file.path}${network.proxyUrl !== null ? ' through the proxy' : ''} (sha256 ${file.sha256})`);
  }
  await mkdir(input.dest, { recursive: true });
  for (const problem of set.problems) ctx.note(`${where(problem)}: ${problem.message}: ${problem.text}`);
  for (const r of set.requirements) {
    if (r.ignoredOptions.length > 0) ctx.note(`${where(r)}: pip ignores ${r.ignoredOptions.join(' ')} after a requirement (on a line of its own it applies to the whole file)`);
  }
  const previous = await readPreviousManifest(input.dest, ctx.note);
  const stale = await removeStalePartials(input.dest);
  if (stale > 0) ctx.note(`removed ${stale} partial download director${stale === 1 ? 'y' : 'ies'} left by an interrupted run`);

  ctx.progress.phase(`resolving ${set.requirements.length} requirement(s)${hasForeignTarget(input.target) ? ' for the target platform' : ''}`);
  const settled = new Map<ResolvedPackage, Settled>();
  const wanted: { pkg: ResolvedPackage; replaced: string | null }[] = [];
  let bytes = 0;
  let resolved: readonly ResolvedPackage[];
  let failedLines: ReadonlyMap<RequirementLine, string> = new Map();
  let pipVersion: { pip: string; python: string } | null;
  let sourceFor: (pkg: ResolvedPackage) => string | null;
  /** Why a requirement line has nothing in the wheelhouse, when that is no failure. */
  const leftOut = new Map<RequirementLine, LeftOut>();

  // A local directory or VCS checkout may change under the same version: its wheel is built again on every run.
  const fromSource = set.requirements.some((r) => r.editable || ['vcs', 'path'].includes(requirementSource(r.spec)));
  if (fromSource) ctx.note('the requirements name local directories or VCS checkouts: resolving against the index and building their wheels again');
  // pip would fetch the files named by URL itself, around the proxy: those sets are resolved through it.
  const tryLocal = previous !== null && !input.refresh && set.problems.length === 0 && set.requirements.length > 0 && !fromSource && set.fetched.size === 0;
  if (!tryLocal) await ctx.early?.cancel();
  const local = tryLocal
    ? await resolveFromWheelhouse({ dest: input.dest, previous, files: input.requirementFiles, packages: input.packages, target: input.target, pip: ctx.localPip, early: ctx.early })
    : null;
  stop();
  if (local !== null) {
    ctx.note('the wheelhouse already satisfies the requirements (resolved with --no-index); nothing to download (--refresh asks the index for newer versions)');
    resolved = local.packages;
    pipVersion = local.pipVersion;
    const previousSource = new Map(previous!.packages.map((p) => [p.filename, p.source]));
    sourceFor = (pkg) => previousSource.get(pkg.filename) ?? null;
    for (const pkg of resolved) {
      const file = local.files.get(pkg.filename)!;
      bytes += file.size;
      settled.set(pkg, { status: 'skipped', message: null, size: file.size, sha256: file.sha256, replaced: null, timestamp: now() });
      ctx.progress.file(settled.size, resolved.length, bytes, `${pkg.filename} already present`);
    }
  } else {
    const network = await ctx.network(remoteIndexes(set.options, input.env));
    // pip would obey a file's own index over the mirror: it gets the requirements without those lines.
    const fileIndexes = network.proxyUrl !== null ? network.fileIndexes : null;
    const mirroredUrls = fileIndexes === null ? [] : [fileIndexes.indexUrl, ...fileIndexes.extraIndexUrls].filter((u) => u !== null);
    if (mirroredUrls.length > 0) {
      ctx.note(`the requirements files name their own index (${mirroredUrls.map(redact).join(', ')}): it is mirrored through the proxy, and pip reads the requirements without those lines`);
    }
    const mirrors = (option: OptionLine): boolean => namesRemoteIndex(option, input.env) && mirroredUrls.includes(expandPipEnv(option.value!, input.env));
    for (const option of network.proxyUrl === null ? [] : set.options.filter((o) => namesRemoteIndex(o, input.env) && !mirrors(o))) {
      ctx.note(`${option.file}:${option.line}: the index ${redact(expandPipEnv(option.value!, input.env))} is named in a fetched file, read after the proxy started: pip reaches it directly, around the mirror`);
    }
    const withhold = mirroredUrls.length > 0 || set.fetched.size > 0 ? mirrors : undefined;
    const resolution = await resolveTree(set, input.requirementFiles, input.packages, {
      pip: network.pip, target: input.target, index: input.index, workDir: ctx.workDir, cwd: input.cwd, note: ctx.note,
      ...(withhold ? { withhold } : {}), interrupted: ctx.interrupted, parallel: 4,
    });
    stop();
    pipVersion = resolution.pipVersion ?? (await askPipVersion(network.pip));
    failedLines = resolution.failed;
    const plan = planSourceBuilds(resolution.packages, (pkg) => lineOf(set.requirements, pkg, input.cwd));
    for (const { pkg, line } of plan.projects) {
      leftOut.set(line, { name: pkg.name, version: pkg.version, message: `the project under build (an editable directory): pip install -e builds it from its source, never from a wheelhouse, so no wheel of it is kept; its dependencies are in the wheelhouse` });
      ctx.note(`${where(line)}: ${pkg.name} ${pkg.version} is installed editable from ${redact(pkg.url)}; its wheel is not built`);
    }
    resolved = resolution.packages.filter((pkg) => !plan.projects.some((p) => p.pkg === pkg));
    const builtSources = new Map<ResolvedPackage, string>();
    sourceFor = (pkg) => builtSources.get(pkg) ?? sourceOf(pkg.url, network.proxyUrl);

    if (plan.build.length > 0) {
      ctx.progress.phase(`building ${plan.build.length} wheel(s) from local directories and VCS checkouts`);
      const buildSet = withhold ? { ...set, options: set.options.filter((o) => !withhold(o)) } : set;
      const built = await buildIntoWheelhouse(plan.build, input.dest, {
        pip: network.pip, set: buildSet, index: input.index, workDir: ctx.workDir, cwd: input.cwd, note: ctx.note, interrupted: ctx.interrupted,
      });
      stop();
      resolved = resolved.map((pkg) => {
        const b = built.get(pkg);
        if (b === undefined) return pkg;
        const s: Settled = 'failure' in b
          ? { status: 'error', message: b.failure, size: null, sha256: null, replaced: null, timestamp: now() }
          : { status: 'success', message: b.message, size: b.size, sha256: b.pkg.sha256, replaced: null, timestamp: now() };
        settled.set(b.pkg, s);
        builtSources.set(b.pkg, b.source);
        bytes += s.size ?? 0;
        ctx.progress.file(settled.size, resolved.length, bytes, `${b.pkg.filename} ${s.status === 'error' ? `FAILED: ${s.message}` : 'built'}`);
        return b.pkg;
      });
    }

    // What is already there with the right sha256 is kept; the rest is downloaded.
    for (const pkg of resolved) {
      if (settled.has(pkg)) continue; // built
      const present = await fileDigest(join(input.dest, pkg.filename));
      const known = pkg.sha256 ?? previous?.packages.find((p) => p.filename === pkg.filename)?.sha256 ?? null;
      if (present !== null && known !== null && present.sha256 === known) {
        settled.set(pkg, { status: 'skipped', message: null, size: present.size, sha256: present.sha256, replaced: null, timestamp: now() });
        bytes += present.size;
        ctx.progress.file(settled.size, resolved.length, bytes, `${pkg.filename} already present`);
        continue;
      }
      if (present !== null) ctx.note(`${pkg.filename} is in the wheelhouse with sha256 ${present.sha256}, expected ${known ?? 'unknown'}: downloading it again`);
      wanted.push({ pkg, replaced: present?.sha256 ?? null });
    }
    stop();
  }

  let bytesDownloaded = 0;
  if (wanted.length > 0) {
    ctx.progress.phase(`downloading ${wanted.length} file(s)`);
    const partial = await makePartialDir(input.dest);
    try {
      const failures = await download(wanted.map((w) => w.pkg), partial, input, ctx, (await ctx.network()).pip);
      stop();
      for (const { pkg, replaced } of wanted) {
        const failure = failures.get(pkg);
        const from = join(partial, pkg.filename);
        const got = failure === undefined ? await fileDigest(from) : null;
        let result: Settled;
        if (got === null) {
          result = { status: 'error', message: failure ?? 'pip reported success but saved no file of this name', size: null, sha256: null, replaced: null, timestamp: now() };
        } else if (pkg.sha256 !== null && got.sha256 !== pkg.sha256) {
          result = { status: 'error', message: `downloaded file has sha256 ${got.sha256}, the index says ${pkg.sha256}`, size: null, sha256: null, replaced: null, timestamp: now() };
        } else {
          await rename(from, join(input.dest, pkg.filename));
          if (replaced !== null) ctx.note(`replaced ${pkg.filename} (sha256 ${replaced} was wrong)`);
          result = {
            status: 'success',
            message: replaced !== null ? `replaced a file with the wrong sha256 (${replaced})` : null,
            size: got.size, sha256: got.sha256, replaced, timestamp: now(),
          };
          bytesDownloaded += got.size;
          bytes += got.size;
        }
        settled.set(pkg, result);
        ctx.progress.file(settled.size, resolved.length, bytes, `${pkg.filename} ${result.status === 'error' ? `FAILED: ${result.message}` : 'saved'}`);
      }
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
  }

  const packages: PackageEntry[] = resolved
    .map((pkg): PackageEntry => {
      const s = settled.get(pkg)!;
      return {
        name: pkg.name, version: pkg.version, filename: pkg.filename, source: sourceFor(pkg),
        sha256: s.sha256, size: s.size, status: s.status, message: s.message, timestamp: s.timestamp,
        requested: pkg.requested, replaced_sha256: s.replaced,
      };
    })
    .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || (a.filename ?? '').localeCompare(b.filename ?? ''));

  const requirements: RequirementEntry[] = [
    ...set.problems.map((p): RequirementEntry => ({
      file: p.file, line: p.line, requirement: redact(p.text), name: null, version: null, filename: null, source: null, sha256: null,
      size: null, status: 'error', message: redact(`malformed requirement: ${p.message}`), timestamp: now(),
    })),
    ...set.requirements.map((line) => requirementEntry(line, failedLines.get(line) ?? null, leftOut.get(line) ?? null, resolved, packages, input.cwd, now())),
  ].sort((a, b) => (a.file === b.file ? (a.line ?? 0) - (b.line ?? 0) : a.file === null ? 1 : b.file === null ? -1 : 0));

  const failures = [
    ...requirements.filter((r) => r.status === 'error').map((r) => `${where(r)}: ${r.requirement}: ${r.message}`),
    ...packages.filter((p) => p.status === 'error' && !requirements.some((r) => r.filename === p.filename && r.status === 'error'))
      .map((p) => `${p.filename}: ${p.message}`),
  ];

  // Files an earlier manifest listed that these requirements no longer need are removed,
  // but only after a complete run: a failed resolution must not cost wheels still needed.
  const listed = new Set(packages.map((p) => p.filename));
  const removedFiles: string[] = [];
  const unknownFiles: string[] = [];
  const previouslyListed = new Set(previous?.packages.map((p) => p.filename) ?? []);
  for (const name of await listNames(input.dest)) {
    if (name === MANIFEST_FILE || name.startsWith(PARTIAL_PREFIX) || name.startsWith(`${MANIFEST_FILE}.tmp-`) || listed.has(name)) continue;
    if (previouslyListed.has(name) && failures.length === 0) {
      await rm(join(input.dest, name), { force: true });
      removedFiles.push(name);
      ctx.note(`removed ${name}: the requirements no longer need it`);
    } else unknownFiles.push(name);
  }

  const manifest: Manifest = {
    schema_version: 1,
    generator: `offgrid ${OFFGRID_VERSION}`,
    pip_version: pipVersion?.pip ?? 'unknown',
    python: pipVersion?.python ?? 'unknown',
    target: {
      platforms: [...input.target.platforms], python_version: input.target.pythonVersion, implementation: input.target.implementation,
      abi: input.target.abi, only_binary: input.target.onlyBinary || hasForeignTarget(input.target),
    },
    requirement_files: set.files.map((f) => ({ path: f.path, sha256: f.sha256, kind: f.kind, included_by: f.includedBy })),
    packages_on_command_line: [...input.packages],
    requirements,
    packages,
    totals: computeTotals(requirements, packages, bytesDownloaded),
    run: null,
  };
  return { manifest, failures, unknownFiles, removedFiles };
}

/** Writes the manifest (temp file + rename: the old one or the whole new one). */
export async function writeManifest(dest: string, manifest: Manifest): Promise<string> {
  const path = join(dest, MANIFEST_FILE);
  await writeFileAtomic(path, serializeManifest(manifest));
  return path;
}

async function download(pkgs: readonly ResolvedPackage[], dir: string, input: BuildInput, ctx: BuildContext, pip: PipRunner): Promise<Map<ResolvedPackage, string>> {
  const failures = new Map<ResolvedPackage, string>();
  const attempt = async (batch: readonly ResolvedPackage[], name: string): Promise<{ code: number; output: string }> => {
    const file = join(ctx.workDir, `${name}.txt`);
    // A direct reference per file, with its hash when known: pip fetches exactly the file
    // the resolution chose, checks it, and resolves nothing again.
    const lines = batch.map((p) => `${p.name} @ ${p.url}${p.sha256 ? ` --hash=sha256:${p.sha256}` : ''}`);
    await writeFile(file, `${lines.join('\n')}\n`);
    return pip.run(downloadArgs({ dir, target: input.target, index: input.index, requirementsFile: file }));
  };
  const all = await attempt(pkgs, 'download-all');
  if (all.code === 0) return failures;
  if (pkgs.length === 1) {
    failures.set(pkgs[0]!, pipFailureReason(all.output));
    return failures;
  }
  ctx.note('pip download failed; downloading each file alone to find the failing ones');
  let n = 0;
  for (const pkg of pkgs) {
    if (ctx.interrupted()) break;
    if ((await fileDigest(join(dir, pkg.filename))) !== null) continue;
    const one = await attempt([pkg], `download-${++n}`);
    if (one.code !== 0) failures.set(pkg, pipFailureReason(one.output));
  }
  return failures;
}

type LeftOut = { name: string; version: string; message: string };

function requirementEntry(line: RequirementLine, failure: string | null, leftOut: LeftOut | null, resolved: readonly ResolvedPackage[], packages: readonly PackageEntry[], cwd: string, timestamp: string): RequirementEntry {
  // The manifest and the summary show the line as written, but never a password or token in its URL.
  const base = { file: line.file, line: line.line, requirement: redact(line.editable ? `-e ${line.spec}` : line.spec), name: line.name };
  if (failure !== null) {
    return { ...base, version: null, filename: null, source: null, sha256: null, size: null, status: 'error', message: withHint(line, failure), timestamp };
  }
  const match = line.name !== null ? resolved.find((p) => p.name === line.name) : resolved.find((p) => p.requested && isRequestedBy(line.spec, p, cwd));
  const entry = match ? packages.find((p) => p.filename === match.filename) : undefined;
  if (leftOut !== null) return { ...base, name: leftOut.name, version: leftOut.version, filename: null, source: null, sha256: null, size: null, status: 'skipped', message: leftOut.message, timestamp };
  if (entry === undefined) {
    // A marker that excludes this environment, for instance: nothing to download.
    return { ...base, version: null, filename: null, source: null, sha256: null, size: null, status: 'skipped', message: 'nothing to download for the target (its marker does not apply)', timestamp };
  }
  return {
    ...base, name: entry.name, version: entry.version, filename: entry.filename, source: entry.source, sha256: entry.sha256,
    size: entry.size, status: entry.status, message: entry.message, timestamp: entry.timestamp,
  };
}

/**
 * pip's reason, and what to do when it is the usual trap: `pip freeze` in a conda environment
 * writes `name @ file:///…` paths of the machine conda built the package on
 * (posit-dev/rsconnect-python#166, ibmm-unibe-ch/TemBERTure#4).
 */
function withHint(line: RequirementLine, reason: string): string {
  if (!/\s@\s*file:/.test(line.spec) || !/No such file or directory/.test(reason)) return reason;
  return `${reason} (a path pip freeze wrote in a conda environment? pip list --format=freeze writes name==version instead)`;
}

/** The requirement line that asked for a package, if any. */
function lineOf(lines: readonly RequirementLine[], pkg: ResolvedPackage, cwd: string): RequirementLine | null {
  return lines.find((l) => l.name === pkg.name) ?? lines.find((l) => l.name === null && pkg.requested && isRequestedBy(l.spec, pkg, cwd)) ?? null;
}

/**
 * Whether an unnamed requirement line asked for this package: an archive URL or path ending in
 * its file name, a VCS URL (`git+https://h/x.git@v1`) pip reports without `git+` and revision,
 * or a directory (`-e .`, `../lib`) pip reports as its file: URL.
 */
function isRequestedBy(spec: string, pkg: ResolvedPackage, cwd: string): boolean {
  const target = spec.split(/[\s;#?]/)[0]!;
  if (target.endsWith(pkg.filename) || target.replace(/^[a-z]+\+/, '').startsWith(pkg.url)) return true;
  return !/^[a-z][a-z0-9+.-]*:/i.test(target) && pathToFileURL(resolve(cwd, target.replace(/\[[^\]]*\]$/, ''))).href === pkg.url;
}

/** The upstream URL a proxy link stands for, credentials redacted. */
export function sourceOf(url: string, proxyUrl: string | null): string {
  if (proxyUrl !== null && url.startsWith(proxyUrl.replace(/\/+$/, ''))) {
    const upstream = parseFileLinkPath(new URL(url).pathname);
    if (upstream !== null) return redact(upstream.url);
  }
  return redact(url);
}

async function readPreviousManifest(dest: string, note: (text: string) => void): Promise<Manifest | null> {
  const path = join(dest, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  try {
    return parseManifest(text, path);
  } catch (error) {
    note(`ignoring the previous manifest: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

async function askPipVersion(pip: PipRunner): Promise<{ pip: string; python: string } | null> {
  const result = await pip.run(['--version']);
  return parsePipVersion(result.output);
}
