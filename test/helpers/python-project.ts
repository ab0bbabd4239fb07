// Real Python projects on disk for pip to build: a pyproject.toml whose PEP 517 backend is
// in the tree (`backend-path`), so pip builds it, with build isolation, needing nothing from
// any index (a setuptools project would need setuptools and wheel there). The backend writes
// a real wheel (PEP 427: METADATA, WHEEL, RECORD) and a real sdist. Also a git repository
// of such a project, with tags, for `git+file://` lines.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProjectSpec {
  readonly name: string;
  readonly version: string;
  /** Requires-Dist lines. */
  readonly requires?: readonly string[];
  /** build_wheel raises (metadata still builds): pip resolves the project but cannot build it. */
  readonly failBuild?: boolean;
}

const BACKEND = `# A PEP 517 backend in one file: pip builds this project with nothing from an index.
import base64, hashlib, json, os, tarfile, zipfile

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "project.json")) as f:
    P = json.load(f)
DIST_INFO = f"{P['name'].replace('-', '_')}-{P['version']}.dist-info"

def _metadata():
    lines = ["Metadata-Version: 2.1", f"Name: {P['name']}", f"Version: {P['version']}"] + [f"Requires-Dist: {r}" for r in P["requires"]]
    return "\\n".join(lines) + "\\n"

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    os.makedirs(os.path.join(metadata_directory, DIST_INFO))
    with open(os.path.join(metadata_directory, DIST_INFO, "METADATA"), "w") as f:
        f.write(_metadata())
    return DIST_INFO

prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    if P["fail_build"]:
        raise RuntimeError("this project does not build")
    module = P["name"].replace("-", "_")
    files = {f"{module}/__init__.py": f"__version__ = {P['version']!r}\\n".encode(), f"{DIST_INFO}/METADATA": _metadata().encode(),
             f"{DIST_INFO}/WHEEL": b"Wheel-Version: 1.0\\nGenerator: test-backend\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}
    digest = lambda b: base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
    record = [f"{p},sha256={digest(b)},{len(b)}" for p, b in files.items()] + [f"{DIST_INFO}/RECORD,,"]
    files[f"{DIST_INFO}/RECORD"] = ("\\n".join(record) + "\\n").encode()
    name = f"{module}-{P['version']}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for p, b in files.items():
            z.writestr(p, b)
    return name

build_editable = build_wheel

def build_sdist(sdist_directory, config_settings=None):
    base = f"{P['name'].replace('-', '_')}-{P['version']}"
    with tarfile.open(os.path.join(sdist_directory, base + ".tar.gz"), "w:gz") as t:
        for f in ("pyproject.toml", "backend.py", "project.json"):
            t.add(os.path.join(os.path.dirname(os.path.abspath(__file__)), f), arcname=f"{base}/{f}")
    return base + ".tar.gz"
`;

/** Writes the project into `dir` (created). */
export function writePythonProject(dir: string, spec: ProjectSpec): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pyproject.toml'), '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n');
  writeFileSync(join(dir, 'backend.py'), BACKEND);
  writeFileSync(join(dir, 'project.json'), JSON.stringify({ name: spec.name, version: spec.version, requires: spec.requires ?? [], fail_build: spec.failBuild ?? false }));
}

/** The project's sdist (`name-version.tar.gz`), built by its own backend into `outDir`; returns its path. */
export function buildSdist(projectDir: string, outDir: string): string {
  const name = execFileSync('python3', ['-c', 'import sys, backend; print(backend.build_sdist(sys.argv[1]))', outDir], { cwd: projectDir, encoding: 'utf8' }).trim();
  return join(outDir, name);
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=offgrid test', '-c', 'user.email=test@offgrid.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, encoding: 'utf8' }).trim();
}

/**
 * A git repository holding one commit per version, each tagged `v<version>`; returns the
 * commit id of each tag.
 */
export function gitProject(dir: string, name: string, versions: readonly ProjectSpec[]): Map<string, string> {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q');
  const commits = new Map<string, string>();
  for (const spec of versions) {
    writePythonProject(dir, { ...spec, name });
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', `version ${spec.version}`);
    git(dir, 'tag', `v${spec.version}`);
    commits.set(`v${spec.version}`, git(dir, 'rev-parse', 'HEAD'));
  }
  return commits;
}
