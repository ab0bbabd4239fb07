// Compose files (compose.yaml, docker-compose.yml) and offgrid's own config (offgrid.yaml)
// → the services to build. Pure: text in, ServiceSpecs out; reading files is project.ts's job.
//
// Read: `build: ./dir` and `build: {context, dockerfile, args, target, …}` (the fields docker
// build takes as options: compose-build-options.ts), `image` (the tag),
// `profiles`, `extends` (within the file and from another file), top-level `include:`, the
// project `name:`, YAML anchors and merge keys, later files (an override) merged over the
// first as compose merges them (with the `!reset`/`!override` merge tags), and compose's variable interpolation (interpolate.ts),
// which decides paths and args in real projects. Other files are read through the
// context's `readFile`, and their relative build contexts resolve against their own
// directory, as compose resolves them.
// Everything else in the file is ignored. A service offgrid cannot build (a remote context) is
// recorded with its file and line, so it blocks only itself.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { type Document, LineCounter, type Node, isAlias, isCollection, isNode, isMap as isYamlMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import { OffgridError } from '../errors.js';
import { buildOptions, keyedEntries } from './compose-build-options.js';
import { checkInterpolation, interpolate } from './interpolate.js';
import { NO_BUILD_OPTIONS, PROJECT_NAME, SERVICE_NAME, type BuildOptions, defaultImageName, normalizeProjectName, type ProjectServices, type ServiceSpec } from './service.js';

export interface ComposeContext {
  /** The file, for messages and for ProjectServices.file. */
  readonly file: string;
  /** Relative build contexts are resolved against this directory (the file's). */
  readonly dir: string;
  /**
   * The project name when neither COMPOSE_PROJECT_NAME nor the file's top-level `name:`
   * sets one: the directory's name, which is normalised as compose normalises it
   * (default image names are `<project>-<service>`).
   */
  readonly project: string;
  /** Variables for interpolation. */
  readonly env: NodeJS.ProcessEnv;
  /** The top-level `secrets:` that build.secrets names (set by parseComposeServices). */
  readonly secrets?: unknown;
  /**
   * Reads another compose file that `extends: {file}` or `include:` names (an absolute path);
   * throws an OffgridError when it cannot. Absent: such references are unsupported.
   */
  readonly readFile?: (path: string) => string;
  /**
   * The variables a .env-format file (an absolute path) sets, its values interpolated with
   * `env`; null when there is no such file. Absent: an included project's .env is not read.
   */
  readonly readEnvFile?: (path: string, env: NodeJS.ProcessEnv) => Record<string, string> | null;
}

function inputError(file: string, message: string): OffgridError {
  return new OffgridError('EINPUT', `${file}: ${message}`);
}

/** A service offgrid cannot build (it is still valid compose): `field` is where, under the service. */
class Unsupported extends Error {
  constructor(readonly field: readonly string[], message: string) {
    super(message);
  }
}

type Plain = Record<string, unknown>;
const isMap = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `args` as a map (`KEY: value`) or a list (`- KEY=value`; `- KEY` takes the environment's value). */
function buildArgs(raw: unknown, env: NodeJS.ProcessEnv, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of keyedEntries(raw, /=/, 'args', where)) {
    // `KEY` or `KEY:` with no value takes the environment's value, as compose does.
    if (value !== null) out[key] = interpolate(value, env, where);
    else if (env[key] !== undefined) out[key] = env[key];
  }
  return out;
}

/**
 * A path the compose file names, made absolute as compose-go makes it: a leading `~` is the
 * home directory (the compose specification's own example is `ssh: [myproject=~/.ssh/myproject.pem]`),
 * anything else not absolute is relative to `dir`.
 */
function hostPath(dir: string, path: string, env: NodeJS.ProcessEnv): string {
  return path.startsWith('~') ? join(env.HOME ?? homedir(), path.slice(1)) : resolve(dir, path);
}

/**
 * A build context that is not a local path, passed on as written: a URL or docker-image://
 * (any `scheme://`), or a git address compose-go's isRemoteContext knows without a scheme
 * (`git@host:repo`, `github.com/owner/repo`).
 */
function isRemoteContext(context: string): boolean {
  return /^(?:[a-z][a-z0-9+.-]*:\/\/|git@|github\.com\/)/i.test(context);
}

/** compose's reference to another service's image as a named context (`base=service:base`, Compose 2.22). */
const SERVICE_CONTEXT = 'service:';

/**
 * `additional_contexts` as a map (`NAME: value`) or a list (`- NAME=value`), interpolated;
 * a relative path resolves against `dir`, as compose-go resolves it; `service:NAME` stays
 * as written (withServiceContexts turns it into that service's image).
 */
function additionalContexts(raw: unknown, env: NodeJS.ProcessEnv, dir: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of keyedEntries(raw, /=/, 'additional_contexts', where)) {
    if (value === null) throw new Error(`${where}: build.additional_contexts entries must be NAME=VALUE strings`);
    const context = interpolate(value, env, where);
    out[name] = isRemoteContext(context) || context.startsWith(SERVICE_CONTEXT) ? context : hostPath(dir, context, env);
  }
  return out;
}

/**
 * Where a build.dockerfile_inline is written for the builder: a file outside the project
 * (the runner writes it beside the service's log and builds from there); this is its name
 * until then, for messages.
 */
function inlineDockerfilePath(contextDir: string, service: string): string {
  return join(contextDir, `<build.dockerfile_inline of ${service}>`);
}

/** The context's `Dockerfile`, or — as Docker falls back when that is missing — its lowercase `dockerfile`. */
function defaultDockerfile(contextDir: string): string {
  const standard = join(contextDir, 'Dockerfile');
  const lowercase = join(contextDir, 'dockerfile');
  return !existsSync(standard) && existsSync(lowercase) ? lowercase : standard;
}

function serviceSpec(name: string, raw: Plain, ctx: ComposeContext): ServiceSpec | null {
  const where = `service ${name}`;
  const build = raw.build;
  const image = typeof raw.image === 'string' ? interpolate(raw.image, ctx.env, where) : null;
  if (build === undefined || build === null) return null;
  let context: string;
  let dockerfile: string | null = null;
  let args: Record<string, string> = {};
  let target: string | null = null;
  let contexts: Record<string, string> = {};
  let ssh: string[] = [];
  let secrets: string[] = [];
  const secretEnv: Record<string, string> = {};
  let extraHosts: string[] = [];
  let options: BuildOptions = NO_BUILD_OPTIONS;
  let inline: string | null = null;
  if (typeof build === 'string') context = interpolate(build, ctx.env, where);
  else if (isMap(build)) {
    context = typeof build.context === 'string' ? interpolate(build.context, ctx.env, where) : '.';
    if (build.dockerfile_inline !== undefined && build.dockerfile_inline !== null) {
      if (typeof build.dockerfile_inline !== 'string') throw new Error(`${where}: build.dockerfile_inline must be the Dockerfile's text`);
      // compose-go interpolates it like any other string.
      inline = interpolate(build.dockerfile_inline, ctx.env, where);
    } else if (build.dockerfile !== undefined) {
      if (typeof build.dockerfile !== 'string') throw new Error(`${where}: build.dockerfile must be a path`);
      dockerfile = interpolate(build.dockerfile, ctx.env, where);
    }
    args = buildArgs(build.args, ctx.env, where);
    if (build.target !== undefined) {
      if (typeof build.target !== 'string') throw new Error(`${where}: build.target must be a stage name`);
      target = interpolate(build.target, ctx.env, where);
    }
    contexts = additionalContexts(build.additional_contexts, ctx.env, ctx.dir, where);
    ssh = sshAgents(build.ssh, ctx.env, ctx.dir, where);
    secrets = buildSecrets(build.secrets, ctx, where, secretEnv);
    extraHosts = hostEntries(build.extra_hosts, ctx.env, where);
    options = buildOptions(build, ctx.env, where);
  } else throw new Error(`${where}: build must be a path or a map`);
  if (isRemoteContext(context)) {
    throw new Unsupported(['build'], `${where}: remote build contexts (${context}) are not supported: clone it and point build.context at the directory`);
  }
  const contextDir = hostPath(ctx.dir, context, ctx.env);
  return {
    name,
    context: contextDir,
    dockerfile:
      inline !== null
        ? inlineDockerfilePath(contextDir, name)
        : dockerfile === null
          ? defaultDockerfile(contextDir)
          : isAbsolute(dockerfile)
            ? dockerfile
            : join(contextDir, dockerfile),
    dockerfileInline: inline,
    args,
    target,
    image: image ?? defaultImageName(ctx.project, name),
    additionalContexts: contexts,
    buildsFirst: [],
    ssh,
    secrets,
    secretEnv,
    extraHosts,
    options,
  };
}

/** build.ssh (`default`, `ID=PATH`, or a map): `--ssh` values, a path resolved against `dir`. */
function sshAgents(raw: unknown, env: NodeJS.ProcessEnv, dir: string, where: string): string[] {
  return keyedEntries(raw, /=/, 'ssh', where).map(([id, path]) => {
    const name = interpolate(id, env, where);
    return path === null || path === '' ? name : `${name}=${hostPath(dir, interpolate(path, env, where), env)}`;
  });
}

/**
 * build.secrets (names, or `{source, target}`), each resolved against the top-level
 * `secrets:` as compose does: `file:` (a path resolved against the file's directory) or
 * `environment:`. The id the Dockerfile mounts is `target`, else the name. `env` gets the
 * value of each variable an `environment:` secret reads, from the shell or the project's
 * .env, as compose takes it: docker build's `--secret env=` reads only its own environment.
 */
function buildSecrets(raw: unknown, ctx: ComposeContext, where: string, env: Record<string, string>): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new Error(`${where}: build.secrets must be a list`);
  const defined = isMap(ctx.secrets) ? ctx.secrets : {};
  return raw.map((item) => {
    const source = typeof item === 'string' ? item : isMap(item) && typeof item.source === 'string' ? item.source : null;
    if (source === null) throw new Error(`${where}: build.secrets entries must be names or maps with a source`);
    const id = isMap(item) && typeof item.target === 'string' ? item.target : source;
    const secret = defined[source];
    if (!isMap(secret)) throw new Error(`${where}: build secret ${source} is not defined in the top-level secrets:`);
    if (typeof secret.file === 'string') return `id=${id},src=${hostPath(ctx.dir, interpolate(secret.file, ctx.env, where), ctx.env)}`;
    if (typeof secret.environment === 'string') {
      const variable = interpolate(secret.environment, ctx.env, where);
      const value = ctx.env[variable];
      if (value !== undefined) env[variable] = value;
      return `id=${id},env=${variable}`;
    }
    throw new Error(`${where}: secret ${source} has neither file: nor environment: (the only kinds a build can use)`);
  });
}

/** build.extra_hosts (`HOST:IP`, `HOST=IP`, or a map): `--add-host HOST:IP` values. */
function hostEntries(raw: unknown, env: NodeJS.ProcessEnv, where: string): string[] {
  return keyedEntries(raw, /[=:]/, 'extra_hosts', where).map(([host, ip]) => {
    if (ip === null) throw new Error(`${where}: build.extra_hosts entry ${host} names no address (HOST:IP)`);
    return `${interpolate(host, env, where)}:${interpolate(ip, env, where)}`;
  });
}

export interface ComposeSource {
  readonly file: string;
  readonly text: string;
}

/**
 * The most values a file may hold once its aliases are expanded. Anchors are how real
 * files share settings (getsentry/self-hosted: 40 services, each merging defaults that
 * merge eight depends_on entries, is a few thousand values), but nested aliases can
 * also make a small file stand for billions of values (the "billion laughs"), which
 * merging and walking services would then expand.
 */
export const MAX_EXPANDED_VALUES = 1_000_000;

/**
 * How many values the document holds with every alias expanded, counted without expanding
 * them (each node is counted once and its count reused), stopping past `limit`. An alias
 * names the last node with its anchor before it, as yaml resolves it.
 */
function expandedSize(doc: Document, limit: number): number {
  const anchors = new Map<string, Node>();
  const targets = new Map<Node, Node | undefined>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  const sizes = new Map<unknown, number>();
  const size = (node: unknown): number => {
    if (node === null || node === undefined) return 0;
    const known = sizes.get(node);
    if (known !== undefined) {
      if (Number.isNaN(known)) throw new Error('an alias refers to a value that contains it');
      return known;
    }
    sizes.set(node, NaN);
    let n = 1;
    if (isAlias(node)) n = size(targets.get(node));
    else if (isPair(node)) n = size(node.key) + size(node.value);
    else if (isCollection(node)) for (const item of node.items as unknown[]) if ((n += size(item)) > limit) break;
    n = Math.min(n, limit + 1);
    sizes.set(node, n);
    return n;
  };
  return size(doc.contents);
}

/**
 * compose's merge tags on a service's field, in a later file or under `extends:`: `!reset`
 * removes what the earlier file (or the extended service) set (`ports: !reset []`, as the
 * compose docs advise in an override file), `!override` replaces it instead of merging.
 */
interface MergeTag {
  readonly tag: '!reset' | '!override';
  readonly service: string;
  /** The field under the service (`['build', 'args']`); empty for the service itself. */
  readonly path: readonly string[];
}

const MERGE_TAGS: ReadonlySet<string> = new Set(['!reset', '!override']);

/**
 * Takes compose's merge tags out of the document as compose-go's ResetProcessor does: a
 * `!reset` value is removed from this file, an `!override` one is kept as a plain value; those
 * under a service are returned, to remove the same field from what this file is merged over.
 */
function takeMergeTags(doc: Document, servicesPath: readonly string[]): MergeTag[] {
  const tags: MergeTag[] = [];
  const keyOf = (pair: unknown): string => (isPair(pair) ? String(isScalar(pair.key) ? pair.key.value : pair.key) : '');
  visit(doc, {
    Pair(_key, pair, ancestors) {
      const value = pair.value;
      if (!isNode(value) || value.tag === undefined || !MERGE_TAGS.has(value.tag)) return undefined;
      const tag = value.tag as MergeTag['tag'];
      const keys = [...ancestors.filter(isPair).map(keyOf), keyOf(pair)];
      // A path through a list item names no field of a service.
      const underService = !ancestors.some(isSeq) && keys.length > servicesPath.length && servicesPath.every((k, i) => keys[i] === k);
      if (underService) tags.push({ tag, service: keys[servicesPath.length]!, path: keys.slice(servicesPath.length + 1) });
      if (tag === '!reset') return visit.REMOVE;
      value.tag = undefined;
      return undefined;
    },
    Node(_key, node) {
      // A list item's tag: a reset item leaves this file's list, an override one stays as written.
      if (node.tag === '!reset') return visit.REMOVE;
      if (node.tag === '!override') node.tag = undefined;
      return undefined;
    },
  });
  return tags;
}

interface ParsedFile {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly root: Plain;
  readonly services: Plain | undefined;
  readonly servicesPath: readonly string[];
  readonly tags: readonly MergeTag[];
}

/** The top-level `secrets:` of the files, a later file's entry replacing an earlier one of the same name. */
function topLevelSecrets(files: readonly ParsedFile[]): Plain {
  return Object.assign({}, ...files.map((f) => (isMap(f.root.secrets) ? f.root.secrets : {}))) as Plain;
}

function parseFile(source: ComposeSource): ParsedFile {
  // Compose files share settings through anchors and merge keys (`x-common: &c` … `<<: *c`).
  const lines = new LineCounter();
  const doc = parseDocument(source.text, { prettyErrors: false, merge: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw inputError(source.file, `not valid YAML${line ? ` (line ${line})` : ''}: ${e.message.split('\n')[0]}`);
  }
  // Other tags would read as plain values (`image: !env NAME` as the string "NAME"): say so instead of building something else.
  const tag = doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED' && !/Unresolved tag: !(?:reset|override)\b/.test(w.message));
  if (tag) {
    const name = /(![\w!-]+)/.exec(tag.message)?.[1] ?? 'a YAML tag';
    throw inputError(source.file, `line ${lines.linePos(tag.pos[0]).line}: the YAML tag ${name} is not one compose reads (only !reset and !override are): write the value without it`);
  }
  // offgrid.yaml may nest its services under `docker:`.
  const nested = !doc.has('services') && isYamlMap(doc.get('docker'));
  const servicesPath = nested ? ['docker', 'services'] : ['services'];
  const tags = takeMergeTags(doc, servicesPath);
  let root: unknown;
  try {
    if (expandedSize(doc, MAX_EXPANDED_VALUES) > MAX_EXPANDED_VALUES) {
      throw new Error(`its aliases expand to more than ${MAX_EXPANDED_VALUES.toLocaleString('en')} values (nested anchors, as in a "billion laughs" file); offgrid stops there rather than use up memory`);
    }
    // yaml's own alias limit (maxAliasCount, 100 by default) counts alias uses, and real
    // files with many services over shared anchors pass it: the bound above is on size.
    root = doc.toJS({ maxAliasCount: -1 });
  } catch (error) {
    // Resolving aliases and merge keys can fail on a valid document (`<<: *list`).
    throw inputError(source.file, `not a valid compose file: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isMap(root)) throw inputError(source.file, 'expected a map with a services: section');
  const services = nested ? (root.docker as Plain).services : root.services;
  if (services !== undefined && services !== null && !isMap(services)) throw inputError(source.file, 'services: must be a map of service names');
  return { file: source.file, doc, lines, root, services: services ?? undefined, servicesPath, tags };
}

/** `build` in its long form, with list `args` as a map (`- KEY` → KEY: null), so two files' builds merge key by key. */
function expandedBuild(build: unknown): unknown {
  if (typeof build === 'string') return { context: build };
  if (!isMap(build) || !Array.isArray(build.args)) return build;
  const args: Plain = {};
  for (const item of build.args) {
    if (typeof item !== 'string') return build;
    const eq = item.indexOf('=');
    args[eq === -1 ? item : item.slice(0, eq)] = eq === -1 ? null : item.slice(eq + 1);
  }
  return { ...build, args };
}

/** Compose's merge of a service from a later file into an earlier one: maps merge key by key, the later value wins. */
function mergeMaps(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const mine = key === 'build' ? expandedBuild(out[key]) : out[key];
    const theirs = key === 'build' ? expandedBuild(value) : value;
    out[key] = isMap(mine) && isMap(theirs) ? mergeMaps(mine, theirs) : theirs;
  }
  return out;
}

/** The service without the field at `path` (a `build:` path goes through its long form), as compose-go's ResetProcessor removes it. */
function withoutField(service: Plain, path: readonly string[]): Plain {
  const [key, ...rest] = path;
  if (key === undefined || !(key in service)) return service;
  const out: Plain = { ...service };
  if (rest.length === 0) delete out[key];
  else {
    const inner = key === 'build' ? expandedBuild(out[key]) : out[key];
    if (isMap(inner)) out[key] = withoutField(inner, rest);
  }
  return out;
}

/** A service with what the merge tags written on `name` reset or override taken out, before the service that sets them is merged over it. */
function withoutTagged(service: Plain, name: string, tags: readonly MergeTag[]): Plain {
  return tags.filter((t) => t.service === name && t.path.length > 0).reduce((out, t) => withoutField(out, t.path), service);
}

/** Services with a later file's merged over them, as compose merges an override file (its merge tags applied first). */
function mergedServices(services: Plain, over: { readonly services: Plain | undefined; readonly tags: readonly MergeTag[] }): Plain {
  const out: Plain = { ...services };
  // `name: !reset` removes the service; `name: !override {…}` replaces it.
  for (const t of over.tags) if (t.path.length === 0) delete out[t.service];
  for (const [name, raw] of Object.entries(over.services ?? {})) {
    const mine = out[name];
    out[name] = isMap(mine) && isMap(raw) ? mergeMaps(withoutTagged(mine, name, over.tags), raw) : raw;
  }
  return out;
}

/** A compose file's services and where its relative paths start: the project's, an included file's, an extended file's. */
interface Scope {
  readonly file: string;
  readonly dir: string;
  readonly root: Plain;
  readonly services: Plain;
  /** The merge tags written on its services (withExtends applies them to the extended service). */
  readonly tags: readonly MergeTag[];
}

/** Other compose files, each read and parsed once. */
type LoadScope = (path: string, where: string) => Scope;

function scopeLoader(ctx: ComposeContext): LoadScope {
  const loaded = new Map<string, Scope>();
  return (path, where) => {
    const known = loaded.get(path);
    if (known) return known;
    if (!ctx.readFile) throw new Unsupported([], `${where}: another compose file (${path}) cannot be read here`);
    let parsed: ParsedFile;
    try {
      parsed = parseFile({ file: path, text: ctx.readFile(path) });
    } catch (error) {
      throw new Error(`${where}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const scope = { file: path, dir: dirname(path), root: parsed.root, services: parsed.services ?? {}, tags: parsed.tags };
    loaded.set(path, scope);
    return scope;
  };
}

/**
 * A service from another file, its relative build context, additional contexts and SSH key
 * paths made absolute against `dir` (as compose resolves paths in an extended or included
 * file). The paths are interpolated now and their `$` escaped, so that interpolating them
 * again later leaves them as they are.
 */
function rebased(raw: Plain, dir: string, env: NodeJS.ProcessEnv, where: string): Plain {
  if (raw.build === undefined || raw.build === null) return raw;
  const build = expandedBuild(raw.build);
  if (!isMap(build)) return raw;
  const context = typeof build.context === 'string' ? interpolate(build.context, env, where) : '.';
  if (isRemoteContext(context)) return raw;
  const local = (path: string): string => hostPath(dir, interpolate(path, env, where), env).replaceAll('$', '$$$$');
  const out: Plain = { ...build, context: hostPath(dir, context, env).replaceAll('$', '$$$$') };
  // compose-go resolves these paths against their own file too (a base file's `shared: ../shared`).
  if (build.additional_contexts !== undefined && build.additional_contexts !== null) {
    out.additional_contexts = Object.fromEntries(
      keyedEntries(build.additional_contexts, /=/, 'additional_contexts', where).map(([name, value]) => {
        if (value === null) return [name, value];
        const written = interpolate(value, env, where);
        return [name, isRemoteContext(written) || written.startsWith(SERVICE_CONTEXT) ? value : local(value)];
      }),
    );
  }
  if (build.ssh !== undefined && build.ssh !== null) {
    out.ssh = keyedEntries(build.ssh, /=/, 'ssh', where).map(([id, path]) => (path === null || path === '' ? id : `${id}=${local(path)}`));
  }
  return { ...raw, build: out };
}

interface ExtendsStep {
  /** The service's file and name: what makes a cycle. */
  readonly key: string;
  readonly name: string;
}

/**
 * A service with the one it `extends:` merged under it, as compose does: from the same file,
 * or from `extends.file` (relative to this file). `chain` holds the services already on the
 * way, to report a cycle.
 */
function withExtends(name: string, raw: Plain, scope: Scope, chain: readonly ExtendsStep[], load: LoadScope, env: NodeJS.ProcessEnv): Plain {
  const ext = raw.extends;
  if (ext === undefined || ext === null) return raw;
  const where = `service ${name}`;
  const spec = typeof ext === 'string' ? { service: ext } : isMap(ext) ? ext : null;
  if (spec === null || typeof spec.service !== 'string') throw new Error(`${where}: extends must name a service (extends: {service: NAME})`);
  if (spec.file !== undefined && typeof spec.file !== 'string') throw new Error(`${where}: extends.file must be a path`);
  const from = spec.file === undefined ? scope : load(hostPath(scope.dir, interpolate(spec.file, env, where), env), where);
  // compose-go loads the other file whole, interpolating every value of it, as it does the project's.
  if (from !== scope) {
    try {
      checkInterpolation(from.root, env, '');
    } catch (error) {
      throw new Error(`${where}: extends file ${from.file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const here = [...chain, { key: `${scope.file}#${name}`, name }];
  if (here.some((step) => step.key === `${from.file}#${spec.service}`)) {
    throw new Error(`service ${here[0]!.name}: extends goes round in a circle: ${[...here.map((step) => step.name), spec.service].join(' → ')}`);
  }
  const base = from.services[spec.service];
  if (!isMap(base)) {
    throw new Error(`${where}: extends service ${spec.service}, which is not a service of ${spec.file === undefined ? 'this file' : spec.file}`);
  }
  const inherited = withExtends(spec.service, base, from, here, load, env);
  const { extends: _ext, ...own } = raw;
  return mergeMaps(withoutTagged(from === scope ? inherited : rebased(inherited, from.dir, env, where), name, scope.tags), own);
}

/**
 * A value of an included file with every string interpolated with the included project's
 * variables, then its `$` escaped so the including project's interpolation leaves it as it
 * is (compose-go interpolates an included file on its own, then escapes what it imports).
 */
function interpolatedTree(value: unknown, env: NodeJS.ProcessEnv, where: string): unknown {
  if (typeof value === 'string') return interpolate(value, env, where).replaceAll('$', '$$$$');
  if (Array.isArray(value)) return value.map((item) => interpolatedTree(item, env, where));
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolatedTree(item, env, where)]));
  return value;
}

/**
 * An included service's build args written without a value (`- KEY`, `KEY:`) take it from
 * the included project's variables, as compose-go resolves them while it loads that project;
 * the value is `$`-escaped like the rest of an interpolated included file. Absent there, the
 * arg stays bare, for the including project's variables.
 */
function withIncludedArgs(service: Plain, env: NodeJS.ProcessEnv): Plain {
  const build = service.build;
  if (!isMap(build) || build.args === undefined || build.args === null) return service;
  const escaped = (key: string): string | null => (env[key] === undefined ? null : env[key]!.replaceAll('$', '$$$$'));
  let args: unknown = build.args;
  if (Array.isArray(args)) {
    args = args.map((item: unknown) => (typeof item === 'string' && !item.includes('=') && escaped(item) !== null ? `${item}=${escaped(item)}` : item));
  } else if (isMap(args)) {
    args = Object.fromEntries(Object.entries(args).map(([key, value]) => [key, (value === null || value === undefined) && escaped(key) !== null ? escaped(key) : value]));
  }
  return { ...service, build: { ...build, args } };
}

/** A string or a list of strings (include's path and env_file), or null when it is neither. */
function stringList(value: unknown): string[] | null {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : null;
}

/**
 * An included project's variables, as compose-go's ApplyInclude builds them: the
 * include's env_file (relative to the including file), or else the .env of its project
 * directory, under the including project's own variables, which win.
 */
function includedEnv(entry: Plain, projectDir: string, scope: Scope, env: NodeJS.ProcessEnv, read: ComposeContext['readEnvFile']): NodeJS.ProcessEnv {
  if (!read) return env;
  const listed = entry.env_file === undefined ? null : stringList(entry.env_file);
  if (entry.env_file !== undefined && listed === null) throw new Error('include: env_file must be a path or a list of paths');
  const files = listed === null ? [{ path: join(projectDir, '.env'), required: false }] : listed.map((f) => ({ path: hostPath(scope.dir, interpolate(f, env, 'include'), env), required: true }));
  let fromFiles: Record<string, string> = {};
  for (const { path, required } of files) {
    const vars = read(path, { ...fromFiles, ...env });
    if (vars === null && required) throw new Error(`include: env_file ${path} does not exist`);
    fromFiles = { ...fromFiles, ...vars };
  }
  return { ...fromFiles, ...env };
}

/**
 * The services of the files a file's top-level `include:` names (a path, or `{path,
 * project_directory, env_file}`), as compose-go's ApplyInclude loads them: a list of paths
 * is one file with the later ones merged over it as override files; the files are
 * interpolated with the included project's variables (includedEnv); extends is applied and
 * relative paths resolve against the project directory (the first file's, unless given);
 * their own includes come first.
 */
function includedServices(root: Plain, scope: Scope, load: LoadScope, env: NodeJS.ProcessEnv, ctx: ComposeContext, seen: readonly string[] = []): Map<string, Plain> {
  const out = new Map<string, Plain>();
  if (root.include === undefined || root.include === null) return out;
  if (!Array.isArray(root.include)) throw new Error('include: must be a list of files');
  for (const item of root.include) {
    const entry = typeof item === 'string' ? { path: item } : isMap(item) ? item : null;
    const paths = entry === null ? null : stringList(entry.path);
    if (entry === null || paths === null || paths.length === 0) throw new Error('include: each entry must be a path or {path: FILE}');
    const files = paths.map((raw) => ({ raw, path: hostPath(scope.dir, interpolate(raw, env, 'include'), env) }));
    for (const { raw, path } of files) {
      if (seen.includes(path) || path === scope.file) throw new Error(`include: ${raw} includes itself: ${[...seen, scope.file, path].join(' → ')}`);
    }
    const [main, ...overrides] = files.map(({ path }) => load(path, 'include'));
    const dir = typeof entry.project_directory === 'string' ? hostPath(scope.dir, interpolate(entry.project_directory, env, 'include'), env) : main!.dir;
    const projectEnv = includedEnv(entry, dir, scope, env, ctx.readEnvFile);
    const services = overrides.reduce(mergedServices, main!.services);
    const merged: Scope = { ...main!, services, tags: [...main!.tags, ...overrides.flatMap((o) => o.tags)] };
    const all = new Map<string, Plain>();
    for (const file of [main!, ...overrides]) {
      for (const [name, service] of includedServices(file.root, file, load, projectEnv, ctx, [...seen, scope.file])) all.set(name, service);
    }
    for (const [name, service] of Object.entries(services)) {
      const where = `service ${name}`;
      if (!isMap(service)) {
        all.set(name, service as Plain);
        continue;
      }
      const full = withIncludedArgs(interpolatedTree(withExtends(name, service, merged, [], load, projectEnv), projectEnv, where) as Plain, projectEnv);
      all.set(name, rebased(full, dir, projectEnv, where));
    }
    for (const [name, service] of all) {
      if (out.has(name)) throw new Error(`include: service ${name} is defined by more than one included file`);
      out.set(name, service);
    }
  }
  return out;
}

/**
 * The project name as compose-go decides it: COMPOSE_PROJECT_NAME (shell or .env), which
 * must already be a valid name; else the top-level `name:` (the last file's), interpolated
 * and normalised; else the directory's name, normalised.
 */
function composeProjectName(ctx: ComposeContext, fromFile: unknown): string {
  const explicit = ctx.env.COMPOSE_PROJECT_NAME;
  if (explicit) {
    if (!PROJECT_NAME.test(explicit)) {
      throw new Error(
        `COMPOSE_PROJECT_NAME ${JSON.stringify(explicit)} is not a valid project name: compose accepts only lower-case letters, digits, _ and -, ` +
          `starting with a letter or digit (for example ${JSON.stringify(normalizeProjectName(explicit) || 'myproject')})`,
      );
    }
    return explicit;
  }
  if (fromFile !== undefined && fromFile !== null && typeof fromFile !== 'string') throw new Error('name: must be a string');
  const named = typeof fromFile === 'string' ? normalizeProjectName(interpolate(fromFile, ctx.env, 'name')) : '';
  if (named !== '') return named;
  const dir = normalizeProjectName(ctx.project);
  if (dir === '') {
    throw new Error(`the directory's name ${JSON.stringify(ctx.project)} gives no project name (compose keeps only a-z, 0-9, _ and -): set name: in the file or COMPOSE_PROJECT_NAME`);
  }
  return dir;
}

/**
 * Parses a compose file (or offgrid.yaml, which uses the same `services:` shape), with the
 * files compose merges over it (compose.override.yaml) in order.
 */
export function parseComposeServices(text: string, ctx: ComposeContext, overrides: readonly ComposeSource[] = []): ProjectServices {
  const files = [parseFile({ file: ctx.file, text }), ...overrides.map(parseFile)];
  const base = files[0]!;
  // A file may hold only include: (compose-go needs no services: then).
  if (base.services === undefined && base.root.include === undefined) {
    // The version 1 format put services at the top level; Compose v2 no longer reads it.
    const v1 = Object.entries(base.root).filter(([, v]) => isMap(v) && (v.build !== undefined || v.image !== undefined)).map(([k]) => k);
    throw inputError(
      ctx.file,
      v1.length === 0
        ? 'no services: section'
        : `no services: section; ${v1.slice(0, 3).join(', ')}${v1.length > 3 ? ', …' : ''} at the top level are the version 1 format, which docker compose v2 does not read: move them under services:`,
    );
  }
  let services: Plain = { ...base.services };
  let projectName = base.root.name;
  for (const over of files.slice(1)) {
    if (over.root.name !== undefined) projectName = over.root.name;
    services = mergedServices(services, over);
  }
  const load = scopeLoader(ctx);
  const scope: Scope = { file: ctx.file, dir: ctx.dir, root: base.root, services, tags: files.flatMap((f) => f.tags) };
  try {
    // Compose refuses an included service that the project defines too.
    for (const [name, service] of includedServices(base.root, scope, load, ctx.env, ctx)) {
      if (services[name] !== undefined) throw new Error(`service ${name} is defined here and in a file include: names`);
      services[name] = service;
    }
  } catch (error) {
    throw inputError(ctx.file, error instanceof Error ? error.message : String(error));
  }
  let project: string;
  try {
    project = composeProjectName(ctx, projectName);
  } catch (error) {
    throw inputError(ctx.file, error instanceof Error ? error.message : String(error));
  }
  /**
   * Where a field is written: the file and line of the field, or of the nearest enclosing
   * one written in a file (merged keys are not), the later file first.
   */
  const whereIs = (path: readonly string[]): string => {
    for (let depth = path.length; depth > 0; depth--) {
      for (const f of [...files].reverse()) {
        const node = f.doc.getIn([...f.servicesPath, ...path.slice(0, depth)], true);
        if (isNode(node) && node.range) return `${f.file} line ${f.lines.linePos(node.range[0]).line}`;
      }
    }
    return ctx.file;
  };
  // Compose offers the project name to interpolation as COMPOSE_PROJECT_NAME.
  const env = { ...ctx.env, COMPOSE_PROJECT_NAME: project };
  for (const f of files) {
    try {
      checkInterpolation(f.root, env, '');
    } catch (error) {
      throw inputError(f.file, error instanceof Error ? error.message : String(error));
    }
  }
  const profiles = new Set((ctx.env.COMPOSE_PROFILES ?? '').split(',').map((p) => p.trim()).filter((p) => p !== ''));
  const buildable: ServiceSpec[] = [];
  const imageOnly = new Map<string, string | null>();
  const unbuildable = new Map<string, string>();
  const profileOff = new Map<string, readonly string[]>();
  for (const [name, raw] of Object.entries(services)) {
    if (!SERVICE_NAME.test(name)) throw inputError(ctx.file, `service name ${JSON.stringify(name)} is not valid: compose allows only letters, digits, _ . and -`);
    if (!isMap(raw)) {
      if (raw === null) {
        imageOnly.set(name, null);
        continue;
      }
      throw inputError(ctx.file, `service ${name} must be a map`);
    }
    // Compose leaves out a service whose profiles are all inactive, unless it is named; a
    // service inherits the profiles of the one it extends (compose-go copies all but depends_on).
    const offIn = (service: Plain): void => {
      const listed = Array.isArray(service.profiles) ? service.profiles.map(String) : [];
      if (listed.length > 0 && !profiles.has('*') && !listed.some((p) => profiles.has(p))) profileOff.set(name, listed);
      else profileOff.delete(name);
    };
    offIn(raw);
    try {
      const full = withExtends(name, raw, scope, [], load, ctx.env);
      offIn(full);
      const spec = serviceSpec(name, full, { ...ctx, project, env, secrets: topLevelSecrets(files) });
      if (spec) buildable.push(spec);
      else imageOnly.set(name, typeof full.image === 'string' ? interpolate(full.image, ctx.env, `service ${name}`) : null);
    } catch (error) {
      if (error instanceof Unsupported) {
        unbuildable.set(name, `${whereIs([name, ...error.field])}: ${error.message}`);
        continue;
      }
      throw inputError(ctx.file, error instanceof Error ? error.message : String(error));
    }
  }
  return { file: ctx.file, ...withServiceContexts(buildable, imageOnly, unbuildable, whereIs), imageOnly, profileOff };
}

/**
 * `additional_contexts: ["rmsm/base:latest=service:docker-platform-base"]`: compose builds
 * that service first and hands its image to this build. Each such context becomes
 * `docker-image://<its image>` (the builder takes it from the daemon's images, where the
 * first build put it) and the service is named in buildsFirst. One naming a service
 * without a build: section, or none, cannot be built (it blocks only itself).
 */
function withServiceContexts(
  specs: readonly ServiceSpec[],
  imageOnly: ReadonlyMap<string, string | null>,
  unbuildable: ReadonlyMap<string, string>,
  whereIs: (path: readonly string[]) => string,
): { buildable: ServiceSpec[]; unbuildable: Map<string, string> } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const blocked = new Map(unbuildable);
  const buildable: ServiceSpec[] = [];
  for (const spec of specs) {
    const contexts: Record<string, string> = {};
    const first: string[] = [];
    let problem: string | null = null;
    for (const [name, value] of Object.entries(spec.additionalContexts)) {
      if (!value.startsWith(SERVICE_CONTEXT)) {
        contexts[name] = value;
        continue;
      }
      const other = value.slice(SERVICE_CONTEXT.length);
      const built = byName.get(other);
      if (built === undefined) {
        const why = imageOnly.has(other) ? 'has no build: section' : blocked.has(other) ? 'cannot be built here' : 'is not a service of this project';
        problem ??= `${whereIs([spec.name, 'build', 'additional_contexts'])}: service ${spec.name}: build.additional_contexts ${name} is ${value}, and service ${other} ${why}: name a service that builds, or the image or directory itself`;
        continue;
      }
      contexts[name] = `docker-image://${built.image}`;
      if (!first.includes(other)) first.push(other);
    }
    if (problem !== null) blocked.set(spec.name, problem);
    else buildable.push(first.length === 0 ? spec : { ...spec, additionalContexts: contexts, buildsFirst: first });
  }
  return { buildable, unbuildable: blocked };
}
