// Compose files (compose.yaml, docker-compose.yml) and offgrid's own config (offgrid.yaml)
// → the services to build. Pure: text in, ServiceSpecs out; reading files is project.ts's job.
//
// Read: `build: ./dir` and `build: {context, dockerfile, args, target}`, `image` (the tag),
// and compose's variable interpolation (`${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$$`),
// which decides paths and args in real projects. Everything else in the file is ignored.
import { isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { OffgridError } from '../errors.js';
import { SERVICE_NAME, defaultImageName, type ProjectServices, type ServiceSpec } from './service.js';

export interface ComposeContext {
  /** The file, for messages and for ProjectServices.file. */
  readonly file: string;
  /** Relative build contexts are resolved against this directory (the file's). */
  readonly dir: string;
  /** The compose project name (default image names are `<project>-<service>`). */
  readonly project: string;
  /** Variables for interpolation. */
  readonly env: NodeJS.ProcessEnv;
}

function inputError(file: string, message: string): OffgridError {
  return new OffgridError('EINPUT', `${file}: ${message}`);
}

/** Compose's interpolation of one string value. */
export function interpolate(value: string, env: NodeJS.ProcessEnv, where: string): string {
  return value.replace(/\$(\$|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, body: string, braced: string | undefined, bare: string | undefined) => {
    if (body === '$') return '$';
    if (bare !== undefined) return env[bare] ?? '';
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])(.*))?$/s.exec(braced ?? '');
    if (!m) throw new Error(`${where}: invalid interpolation ${whole}`);
    const [, name, colon, op, rest] = m as unknown as [string, string, string | undefined, string | undefined, string | undefined];
    const current = env[name];
    const missing = current === undefined || (colon === ':' && current === '');
    if (op === undefined || !missing) return current ?? '';
    if (op === '-') return rest ?? '';
    throw new Error(`${where}: required variable ${name} is missing: ${rest || 'set it in the environment'}`);
  });
}

type Plain = Record<string, unknown>;
const isMap = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `args` as a map (`KEY: value`) or a list (`- KEY=value`; `- KEY` takes the environment's value). */
function buildArgs(raw: unknown, env: NodeJS.ProcessEnv, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined || raw === null) return out;
  if (Array.isArray(raw)) {
    for (const item of raw) {
      if (typeof item !== 'string') throw new Error(`${where}: build.args entries must be KEY=value strings`);
      const eq = item.indexOf('=');
      const key = eq === -1 ? item : item.slice(0, eq);
      const value = eq === -1 ? env[key] : item.slice(eq + 1);
      if (value !== undefined) out[key] = interpolate(value, env, where);
    }
    return out;
  }
  if (!isMap(raw)) throw new Error(`${where}: build.args must be a map or a list`);
  for (const [key, value] of Object.entries(raw)) {
    // `KEY:` with no value takes the environment's value, as compose does.
    if (value === null || value === undefined) {
      if (env[key] !== undefined) out[key] = env[key];
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[key] = interpolate(String(value), env, where);
    } else throw new Error(`${where}: build.args.${key} must be a string`);
  }
  return out;
}

function serviceSpec(name: string, raw: Plain, ctx: ComposeContext): ServiceSpec | null {
  const where = `service ${name}`;
  const build = raw.build;
  const image = typeof raw.image === 'string' ? interpolate(raw.image, ctx.env, where) : null;
  if (build === undefined || build === null) return null;
  let context: string;
  let dockerfile = 'Dockerfile';
  let args: Record<string, string> = {};
  let target: string | null = null;
  if (typeof build === 'string') context = interpolate(build, ctx.env, where);
  else if (isMap(build)) {
    context = typeof build.context === 'string' ? interpolate(build.context, ctx.env, where) : '.';
    if (typeof build.dockerfile_inline === 'string') throw new Error(`${where}: build.dockerfile_inline is not supported: put the Dockerfile in a file and name it with build.dockerfile`);
    if (build.dockerfile !== undefined) {
      if (typeof build.dockerfile !== 'string') throw new Error(`${where}: build.dockerfile must be a path`);
      dockerfile = interpolate(build.dockerfile, ctx.env, where);
    }
    args = buildArgs(build.args, ctx.env, where);
    if (build.target !== undefined) {
      if (typeof build.target !== 'string') throw new Error(`${where}: build.target must be a stage name`);
      target = interpolate(build.target, ctx.env, where);
    }
  } else throw new Error(`${where}: build must be a path or a map`);
  if (/^[a-z]+:\/\//i.test(context) || context.startsWith('git@')) {
    throw new Error(`${where}: remote build contexts (${context}) are not supported: clone it and point build.context at the directory`);
  }
  const contextDir = resolve(ctx.dir, context);
  return {
    name,
    context: contextDir,
    dockerfile: isAbsolute(dockerfile) ? dockerfile : join(contextDir, dockerfile),
    args,
    target,
    image: image ?? defaultImageName(ctx.project, name),
  };
}

/** Parses a compose file (or offgrid.yaml, which uses the same `services:` shape). */
export function parseComposeServices(text: string, ctx: ComposeContext): ProjectServices {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw inputError(ctx.file, `not valid YAML${line ? ` (line ${line})` : ''}: ${e.message.split('\n')[0]}`);
  }
  const root = doc.toJS() as unknown;
  if (!isMap(root)) throw inputError(ctx.file, 'expected a map with a services: section');
  // offgrid.yaml may nest its services under `docker:`.
  const services = root.services ?? (isMap(root.docker) ? root.docker.services : undefined);
  if (!isMap(services)) throw inputError(ctx.file, 'no services: section');
  const buildable: ServiceSpec[] = [];
  const imageOnly = new Map<string, string | null>();
  for (const [name, raw] of Object.entries(services)) {
    if (!SERVICE_NAME.test(name)) throw inputError(ctx.file, `service name ${JSON.stringify(name)} is not valid (letters, digits, _ . -)`);
    if (!isMap(raw)) {
      if (raw === null) {
        imageOnly.set(name, null);
        continue;
      }
      throw inputError(ctx.file, `service ${name} must be a map`);
    }
    try {
      const spec = serviceSpec(name, raw, ctx);
      if (spec) buildable.push(spec);
      else imageOnly.set(name, typeof raw.image === 'string' ? raw.image : null);
    } catch (error) {
      throw inputError(ctx.file, error instanceof Error ? error.message : String(error));
    }
  }
  return { file: ctx.file, buildable, imageOnly };
}
