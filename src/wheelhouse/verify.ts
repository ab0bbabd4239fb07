// `offgrid wheelhouse verify`: the wheelhouse is exactly what its manifest says (every
// listed file there with its sha256, nothing unlisted), and pip can install the same
// requirements, for the same target, from it alone with no index at all.
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { fileDigest, listNames, PARTIAL_PREFIX } from './files.js';
import { MANIFEST_FILE, parseManifest, type Manifest } from './manifest.js';
import { pipFailureReason, sourceArgs, verifyArgs, type TargetOptions } from './pip-args.js';
import type { PipRunner } from './pip-runner.js';
import { requirementSource } from './requirement-spec.js';

export type VerifyProblem =
  | { readonly type: 'missing'; readonly filename: string }
  | { readonly type: 'corrupt'; readonly filename: string; readonly expected: string; readonly found: string }
  | { readonly type: 'unlisted'; readonly filename: string }
  | { readonly type: 'failed-entry'; readonly what: string; readonly message: string }
  | { readonly type: 'not-installable'; readonly missing: readonly string[]; readonly reason: string };

export interface VerifyResult {
  readonly manifest: Manifest;
  readonly checkedFiles: number;
  readonly problems: readonly VerifyProblem[];
  readonly warnings: readonly string[];
  readonly pipRan: boolean;
}

export class NoManifestError extends Error {}

export async function verifyWheelhouse(o: { dest: string; cwd: string; pip: PipRunner; workDir: string }): Promise<VerifyResult> {
  const manifestPath = join(o.dest, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch {
    throw new NoManifestError(`${manifestPath} does not exist: build the wheelhouse first with offgrid wheelhouse -r requirements.txt --dest ${o.dest}`);
  }
  const manifest = parseManifest(text, manifestPath);
  const problems: VerifyProblem[] = [];
  const warnings: string[] = [];
  const listed = new Set<string>();
  let checkedFiles = 0;
  for (const entry of manifest.requirements) {
    if (entry.status === 'error') problems.push({ type: 'failed-entry', what: entry.file === null ? entry.requirement : `${entry.file}:${entry.line ?? '?'} ${entry.requirement}`, message: entry.message ?? 'failed' });
  }
  for (const pkg of manifest.packages) {
    if (pkg.filename === null) continue;
    if (pkg.status === 'error' || pkg.sha256 === null) {
      if (!manifest.requirements.some((r) => r.status === 'error' && r.filename === pkg.filename)) {
        problems.push({ type: 'failed-entry', what: pkg.filename, message: pkg.message ?? 'failed' });
      }
      continue;
    }
    listed.add(pkg.filename);
    checkedFiles++;
    const found = await fileDigest(join(o.dest, pkg.filename));
    if (found === null) problems.push({ type: 'missing', filename: pkg.filename });
    else if (found.sha256 !== pkg.sha256) problems.push({ type: 'corrupt', filename: pkg.filename, expected: pkg.sha256, found: found.sha256 });
  }
  for (const name of await listNames(o.dest)) {
    if (name === MANIFEST_FILE || listed.has(name)) continue;
    if (name.startsWith(PARTIAL_PREFIX)) warnings.push(`${name} is left from an interrupted run; the next offgrid wheelhouse removes it`);
    else if (!manifest.packages.some((p) => p.filename === name)) problems.push({ type: 'unlisted', filename: name });
  }

  // pip's own proof, on the requirements as they are now (a changed file is said).
  const top = manifest.requirement_files.filter((f) => f.kind === 'requirements' && f.included_by === null);
  for (const file of manifest.requirement_files) {
    if (isUrl(file.path)) continue; // fetched when the wheelhouse was built; verify uses no network
    try {
      const now = createHash('sha256').update(await readFile(resolve(o.cwd, file.path))).digest('hex');
      if (now !== file.sha256) warnings.push(`${file.path} changed since the wheelhouse was built; checking it as it is now`);
    } catch {
      warnings.push(`${file.path} is gone; pip cannot check ${file.included_by === null ? 'it' : `${file.included_by}, which includes it`}`);
    }
  }
  let pipRan = false;
  let sources = sourceArgs(top.map((f) => f.path), manifest.packages_on_command_line);
  if (needsSourcesOrNetwork(manifest)) {
    warnings.push('the requirements name local directories, VCS checkouts or URLs, which an offline install cannot read as written: pip installs every package of the manifest by name (name==version) from the wheelhouse instead');
    const pins = manifest.packages.filter((p) => p.status !== 'error' && p.name !== null && p.version !== null).map((p) => `${p.name}==${p.version}`);
    const file = join(o.workDir, 'pins.txt');
    await writeFile(file, `${pins.join('\n')}\n`);
    sources = pins.length > 0 ? ['-r', file] : [];
  }
  if (sources.length > 0 && !problems.some((p) => p.type === 'failed-entry')) {
    const target: TargetOptions = {
      platforms: manifest.target.platforms, pythonVersion: manifest.target.python_version,
      implementation: manifest.target.implementation, abi: manifest.target.abi, onlyBinary: manifest.target.only_binary,
    };
    const result = await o.pip.run(verifyArgs({ wheelhouse: o.dest, throwawayTarget: join(o.workDir, 'target'), target, sources }));
    pipRan = true;
    if (result.code !== 0) problems.push({ type: 'not-installable', missing: missingFromPipOutput(result.output), reason: pipFailureReason(result.output) });
  }
  return { manifest, checkedFiles, problems, warnings, pipRan };
}

const isUrl = (path: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(path);

/**
 * Whether pip, given the requirements as written, would build from a directory, clone a
 * repository or fetch a file: a wheelhouse built from them holds the wheels, named, instead.
 */
function needsSourcesOrNetwork(manifest: Manifest): boolean {
  return manifest.requirement_files.some((f) => isUrl(f.path)) || manifest.requirements.some((r) => {
    const editable = /^(?:-e|--editable)[\s=]/.test(r.requirement);
    return editable || ['vcs', 'path', 'url'].includes(requirementSource(r.requirement));
  });
}

/** Requirements pip could not satisfy from the wheelhouse. Pure. */
export function missingFromPipOutput(output: string): string[] {
  const names = new Set<string>();
  for (const m of output.matchAll(/No matching distribution found for (\S+)/g)) names.add(m[1]!);
  for (const m of output.matchAll(/Could not find a version that satisfies the requirement (\S+)/g)) names.add(m[1]!);
  return [...names];
}

export function describeProblem(p: VerifyProblem): string {
  switch (p.type) {
    case 'missing': return `missing: ${p.filename}`;
    case 'corrupt': return `wrong sha256: ${p.filename} (expected ${p.expected}, found ${p.found})`;
    case 'unlisted': return `not in the manifest: ${p.filename}`;
    case 'failed-entry': return `failed when the wheelhouse was built: ${p.what}: ${p.message}`;
    case 'not-installable': return `pip cannot install the requirements from the wheelhouse alone${p.missing.length > 0 ? ` (missing ${p.missing.join(', ')})` : ''}: ${p.reason}`;
  }
}
