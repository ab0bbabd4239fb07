// Finds a project's services: the compose file (given, or the first of compose's own
// names in the directory or, as compose looks, its parents), else offgrid's config; then
// picks the services asked for.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { OffgridError, describeSystemError } from '../errors.js';
import { parseComposeServices } from './compose.js';
import { parseDotenv } from './dotenv.js';
import type { ProjectServices, ServiceSpec } from './service.js';

/** Compose's own search order (compose-go's DefaultFileNames: docker-compose.yml before .yaml), then offgrid's config. */
export const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'] as const;
/** The override file compose merges over a compose file it found itself (DefaultOverrideFileNames). */
export const OVERRIDE_FILES = ['compose.override.yml', 'compose.override.yaml', 'docker-compose.override.yml', 'docker-compose.override.yaml'] as const;
export const OFFGRID_CONFIG_FILES = ['offgrid.yaml', 'offgrid.yml'] as const;

export function findProjectFile(cwd: string): string {
  // As compose does: here, then each parent directory up to the root.
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of [...COMPOSE_FILES, ...OFFGRID_CONFIG_FILES]) {
      const path = resolve(dir, name);
      if (existsSync(path)) return path;
    }
    if (dirname(dir) === dir) break;
  }
  throw new OffgridError(
    'EINPUT',
    `no compose file in ${cwd} or its parents (looked for ${COMPOSE_FILES.join(', ')}) and no ${OFFGRID_CONFIG_FILES[0]}: ` +
      'give one with --compose FILE, or list the services in offgrid.yaml (services: {api: {build: {context: ., dockerfile: Dockerfile.api}}})',
  );
}

/** The files given with --compose (as `docker compose -f`), as absolute paths. */
function givenFiles(cwd: string, explicit: readonly string[]): string[] {
  return explicit.map((f) => {
    const path = resolve(cwd, f);
    if (!existsSync(path)) throw new OffgridError('EINPUT', `compose file ${f} does not exist`);
    return path;
  });
}

function readInput(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new OffgridError('EINPUT', `cannot read ${path}: ${describeSystemError(error)}`);
  }
}

/**
 * The variables a .env-format file sets, its values interpolated with `env` first; null
 * when there is no such file.
 */
function readEnvFile(path: string, env: NodeJS.ProcessEnv): Record<string, string> | null {
  if (!existsSync(path) || !statSync(path).isFile()) return null;
  try {
    return parseDotenv(readInput(path), env, path);
  } catch (error) {
    if (error instanceof OffgridError) throw error;
    throw new OffgridError('EINPUT', error instanceof Error ? error.message : String(error));
  }
}

/**
 * The variables compose interpolates with: the shell's, over those of the `.env` file in
 * the compose file's directory (compose's project directory), when there is one.
 */
export function composeEnv(dir: string, shell: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const dotenv = readEnvFile(resolve(dir, '.env'), shell);
  return dotenv === null ? shell : { ...dotenv, ...shell };
}

/** The files COMPOSE_FILE names (COMPOSE_PATH_SEPARATOR-separated, `:` by default), as absolute paths. */
function composeFileList(cwd: string, env: NodeJS.ProcessEnv): string[] {
  const list = (env.COMPOSE_FILE ?? '').split(env.COMPOSE_PATH_SEPARATOR || ':').filter((f) => f.trim() !== '');
  return list.map((f) => {
    const path = resolve(cwd, f.trim());
    if (!existsSync(path)) throw new OffgridError('EINPUT', `COMPOSE_FILE names ${f}, which does not exist: fix COMPOSE_FILE (in the environment or .env), or give --compose FILE`);
    return path;
  });
}

/**
 * The project's services, from the files `docker compose` would read: those given with
 * --compose (as `docker compose -f a -f b`), later ones merged over the first; else those
 * COMPOSE_FILE names (in the shell or the .env of this directory), merged the same way; else
 * the compose file found here with the override file beside it merged over it.
 */
export function loadProject(cwd: string, explicit: readonly string[], env: NodeJS.ProcessEnv): ProjectServices {
  // The .env here names COMPOSE_FILE; it is read once, and again only for a project elsewhere.
  const hereEnv = explicit.length === 0 ? composeEnv(cwd, env) : null;
  const listed = hereEnv === null ? givenFiles(cwd, explicit) : composeFileList(cwd, hereEnv);
  const file = listed[0] ?? findProjectFile(cwd);
  const text = readInput(file);
  const dir = dirname(file);
  const projectEnv = hereEnv !== null && dir === resolve(cwd) ? hereEnv : composeEnv(dir, env);
  const found = listed.length === 0 && (COMPOSE_FILES as readonly string[]).includes(basename(file));
  const override = found ? OVERRIDE_FILES.map((n) => resolve(dir, n)).find((p) => existsSync(p)) : undefined;
  const overrides = (listed.length > 0 ? listed.slice(1) : override ? [override] : []).map((path) => ({ file: path, text: readInput(path) }));
  return parseComposeServices(text, { file, dir, project: basename(dir), env: projectEnv, readFile: readInput, readEnvFile }, overrides);
}

/**
 * The services named, or when none is, those `docker compose build` builds: every one with a
 * build section whose profiles are active. A service offgrid cannot build is an error naming it.
 */
export function selectServices(project: ProjectServices, names: readonly string[]): ServiceSpec[] {
  if (names.length === 0) {
    const cannot = [...project.unbuildable].filter(([name]) => !project.profileOff.has(name));
    const chosen = project.buildable.filter((s) => !project.profileOff.has(s.name));
    if (cannot.length > 0) {
      throw new OffgridError(
        'EINPUT',
        `${cannot.map(([, why]) => why).join('; ')}` +
          (chosen.length > 0 ? `; or build the other services by name: offgrid build ${chosen.map((s) => s.name).join(' ')}` : ''),
      );
    }
    if (chosen.length === 0) {
      const off = project.buildable.filter((s) => project.profileOff.has(s.name));
      throw new OffgridError(
        'EINPUT',
        `${project.file}: no service has a build: section${off.length > 0 ? ' outside inactive profiles' : ''}, so there is nothing to build` +
          (off.length > 0
            ? `: name them (offgrid build ${off.map((s) => s.name).join(' ')}) or set COMPOSE_PROFILES=${[...new Set(off.flatMap((s) => project.profileOff.get(s.name) ?? []))].join(',')}`
            : ''),
      );
    }
    return withBuildsFirst(project, chosen);
  }
  const out: ServiceSpec[] = [];
  for (const name of names) {
    const spec = project.buildable.find((s) => s.name === name);
    if (spec) {
      if (!out.includes(spec)) out.push(spec);
      continue;
    }
    const why = project.unbuildable.get(name);
    if (why !== undefined) throw new OffgridError('EINPUT', why);
    if (project.imageOnly.has(name)) {
      const image = project.imageOnly.get(name);
      throw new OffgridError(
        'EINPUT',
        `service ${name} has no build: section${image ? ` (it runs the image ${image})` : ''}, so there is nothing to build: ` +
          `add build: {context: …, dockerfile: …} to it in ${basename(project.file)}, or leave it out`,
      );
    }
    const known = project.buildable.map((s) => s.name);
    throw new OffgridError('EINPUT', `no service ${name} in ${basename(project.file)}${known.length ? ` (services with a build: ${known.join(', ')})` : ''}`);
  }
  return withBuildsFirst(project, out);
}

/**
 * The services with those whose images they take as named contexts (`service:OTHER`) put
 * before them, as compose builds them: whatever their profiles, each once.
 */
function withBuildsFirst(project: ProjectServices, chosen: readonly ServiceSpec[]): ServiceSpec[] {
  const out: ServiceSpec[] = [];
  const visit = (spec: ServiceSpec, path: readonly string[]): void => {
    if (out.includes(spec)) return;
    if (path.includes(spec.name)) {
      throw new OffgridError('EINPUT', `service ${path[0]}: build.additional_contexts go round in a circle: ${[...path, spec.name].join(' → ')}`);
    }
    for (const name of spec.buildsFirst) {
      const first = project.buildable.find((s) => s.name === name);
      if (first === undefined) throw new OffgridError('EINPUT', project.unbuildable.get(name) ?? `service ${spec.name}: build.additional_contexts names service ${name}, which cannot be built`);
      visit(first, [...path, spec.name]);
    }
    out.push(spec);
  };
  for (const spec of chosen) visit(spec, []);
  return out;
}
