// Where the PyPI and npm mirrors fetch from: the user's OWN tool configuration, read by
// asking the tools (`pip config list`, `npm config get registry`), overridden by flags.
// The parsing is pure (command output in, settings out); `readToolUpstreams` only runs
// the commands through an injectable runner.
import { execFile } from 'node:child_process';
import { npmConfigFiles, npmRegistryAuthorization, readNpmrcFiles } from './npmrc.js';

/** pip's default index when nothing is configured (the only registry host written in code). */
export const PYPI_DEFAULT_INDEX = 'https://pypi.org/simple';

export interface PipIndexSettings {
  /** `index-url` (null: pip's default). */
  readonly indexUrl: string | null;
  readonly extraIndexUrls: readonly string[];
  /** `find-links`: pages or directories pip reads itself (never through the mirror). */
  readonly findLinks: readonly string[];
}

export interface UpstreamFlags {
  /** `--pypi-upstream URL…`: replaces pip's index and extra indexes. */
  readonly pypi?: readonly string[];
  /** More PyPI indexes after the chosen ones (a requirements file's --extra-index-url). */
  readonly pypiExtra?: readonly string[];
  /** `--npm-upstream URL`. */
  readonly npm?: string;
}

export interface UpstreamChoice {
  readonly pypi: readonly URL[];
  readonly npm: URL | null;
  /**
   * Where the tools fetch from directly, around the mirrors (pip's find-links pages, npm's scoped registries): only
   * let through the forward proxy, never mirrored. Without credentials (only hosts count).
   */
  readonly direct: readonly URL[];
  /** What npm sends to `npm` (its .npmrc's `//host/:_authToken`…), for the mirror's requests; null: none. */
  readonly npmAuthorization: string | null;
  /** Why a configured index was left out or a default was used (for `serve`'s banner and --debug). */
  readonly notes: readonly string[];
}

// pip prints `section.key='value'` with Python's repr() of the value; `:env:` is the
// section for PIP_* environment variables, which take precedence over files.
const PIP_LINE = /^([^=\s]+)\.([a-z0-9-]+)=(.*)$/;
const SECTION_PRECEDENCE = [':env:', 'install', 'download', 'global'];

/** Parses `pip config list` output into pip's index settings. */
export function parsePipConfigList(output: string): PipIndexSettings {
  const values = new Map<string, Map<string, string>>();
  for (const line of output.split(/\r?\n/)) {
    const match = PIP_LINE.exec(line.trim());
    if (!match) continue;
    const [, section = '', key = '', raw = ''] = match;
    const value = unreprPython(raw);
    if (value === null) continue;
    const bySection = values.get(key) ?? new Map<string, string>();
    bySection.set(section, value);
    values.set(key, bySection);
  }
  const pick = (key: string): string | null => {
    const bySection = values.get(key);
    if (!bySection) return null;
    for (const section of SECTION_PRECEDENCE) {
      const value = bySection.get(section);
      if (value !== undefined) return value;
    }
    return null;
  };
  const index = pick('index-url')?.trim();
  return {
    indexUrl: index ? index : null,
    extraIndexUrls: splitUrlList(pick('extra-index-url') ?? ''),
    findLinks: findLinksOfAnyCommand(values.get('find-links')),
  };
}

/**
 * find-links as `pip install`, `pip download` or `pip wheel` would read them (the
 * environment over the command's section over global): a build may run any of the three.
 */
function findLinksOfAnyCommand(bySection: ReadonlyMap<string, string> | undefined): string[] {
  if (bySection === undefined) return [];
  const env = bySection.get(':env:');
  const values = env !== undefined ? [env] : ['install', 'download', 'wheel'].map((command) => bySection.get(command) ?? bySection.get('global') ?? '');
  return [...new Set(values.flatMap(splitUrlList))];
}

/** The same settings from PIP_INDEX_URL / PIP_EXTRA_INDEX_URL / PIP_FIND_LINKS, for when pip cannot be run. */
export function pipSettingsFromEnv(env: NodeJS.ProcessEnv): PipIndexSettings {
  const index = env['PIP_INDEX_URL']?.trim();
  return {
    indexUrl: index ? index : null,
    extraIndexUrls: splitUrlList(env['PIP_EXTRA_INDEX_URL'] ?? ''),
    findLinks: splitUrlList(env['PIP_FIND_LINKS'] ?? ''),
  };
}

/** `npm config get registry` output → the registry URL, or null when npm printed none. */
export function parseNpmRegistry(output: string): string | null {
  const line = output.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0 && !l.startsWith('npm '));
  if (line === undefined || line === 'undefined' || line === 'null') return null;
  return line;
}

/** npm refuses to print a registry URL that carries credentials ("The registry option is protected"). */
export function npmRegistryIsProtected(stderr: string): boolean {
  return /registry option is protected/i.test(stderr);
}

/**
 * `npm config list` → the registries of scopes (`@scope:registry = "…"`) in effect. npm
 * prints each layer's settings with JSON-quoted values, comments out (`; …`) the ones a
 * later layer overrides, and hides a password as `***` (the host is all we need).
 */
export function parseNpmScopeRegistries(output: string): string[] {
  const registries: string[] = [];
  for (const line of output.split(/\r?\n/)) {
    const match = /^@[^\s:]+:registry = ("(?:[^"\\]|\\.)*")$/.exec(line.trim());
    if (!match) continue;
    try {
      const value: unknown = JSON.parse(match[1]!);
      if (typeof value === 'string' && value.trim() !== '') registries.push(value.trim());
    } catch {
      // not npm's quoting: not a value we can read
    }
  }
  return registries;
}

/** Chooses the upstreams from the tools' settings and the flags (flags win). */
export function chooseUpstreams(pip: PipIndexSettings, npmRegistry: string | null, flags: UpstreamFlags, npmScopes: readonly string[] = []): UpstreamChoice {
  const notes: string[] = [];
  let pypiCandidates: string[];
  if (flags.pypi && flags.pypi.length > 0) {
    pypiCandidates = [...flags.pypi];
  } else {
    if (pip.indexUrl === null) notes.push(`pip has no index-url setting; using pip's default ${PYPI_DEFAULT_INDEX}`);
    pypiCandidates = [pip.indexUrl ?? PYPI_DEFAULT_INDEX, ...pip.extraIndexUrls];
  }
  pypiCandidates.push(...(flags.pypiExtra ?? []));
  const pypi: URL[] = [];
  for (const candidate of pypiCandidates) {
    const url = httpUrl(candidate, 'PyPI index', notes);
    if (url && !pypi.some((u) => u.href === url.href)) pypi.push(url);
  }
  const npmCandidate = flags.npm ?? npmRegistry;
  const npm = npmCandidate === null ? null : httpUrl(npmCandidate, 'npm registry', notes);
  if (npmCandidate === null) notes.push('npm has no registry setting (npm not installed?); the npm mirror has no upstream');
  const direct: URL[] = [];
  // A find-links entry without a scheme is a local directory: no network.
  const remoteLinks = pip.findLinks.filter((link) => /^https?:\/\//i.test(link));
  for (const [what, candidate] of [...remoteLinks.map((l) => ['pip find-links page', l] as const), ...npmScopes.map((r) => ['npm scope registry', r] as const)]) {
    const url = httpUrl(candidate, what, notes, what === 'npm scope registry');
    if (url === null) continue;
    url.username = '';
    url.password = '';
    direct.push(url);
  }
  return { pypi, npm, direct, npmAuthorization: null, notes };
}

function httpUrl(text: string, what: string, notes: string[], directory = true): URL | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    notes.push(`${what} ${JSON.stringify(redactForNote(text))} is not a URL; skipped`);
    return null;
  }
  if (url.protocol === 'file:') {
    // A local directory needs no proxy: pip reads it itself, and offline it stays readable.
    notes.push(`${what} ${url.href} is a local file:// index; it is not proxied (pip keeps reading it directly)`);
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    notes.push(`${what} ${redactForNote(url.href)} has an unsupported scheme; skipped`);
    return null;
  }
  // Index URLs are directories: a missing slash would drop the last segment when resolving.
  if (directory && !url.pathname.endsWith('/')) url.pathname += '/';
  url.hash = '';
  return url;
}

function redactForNote(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/, '//***@');
}

function splitUrlList(text: string): string[] {
  return text.split(/\s+/).filter((part) => part.length > 0);
}

/**
 * Undoes Python's repr() of a str: '…' or "…" with backslash escapes. Returns null for
 * anything else (pip prints lists for some options; none of those are ours).
 */
export function unreprPython(text: string): string | null {
  const quote = text[0];
  if ((quote !== "'" && quote !== '"') || text.length < 2 || text[text.length - 1] !== quote) return null;
  const body = text.slice(1, -1);
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, esc: string) => {
    if (esc.length > 1) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    return simple[esc] ?? `\\${esc}`;
  });
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export type CommandRunner = (command: string, args: readonly string[]) => Promise<CommandResult>;

/** Runs a command with the user's environment (their configuration is what we want to read). */
export const execRunner: CommandRunner = (command, args) =>
  new Promise((resolve) => {
    execFile(command, [...args], { timeout: 20_000, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });

async function readPipSettings(runner: CommandRunner, env: NodeJS.ProcessEnv): Promise<PipIndexSettings> {
  for (const [command, args] of [
    ['python3', ['-m', 'pip', 'config', 'list']],
    ['pip', ['config', 'list']],
  ] as const) {
    const result = await runner(command, args);
    if (result.code === 0) return parsePipConfigList(result.stdout);
  }
  return pipSettingsFromEnv(env);
}

async function readNpmRegistry(runner: CommandRunner, env: NodeJS.ProcessEnv): Promise<string | null> {
  const npm = await runner('npm', ['config', 'get', 'registry']);
  if (npm.code === 0) return parseNpmRegistry(npm.stdout);
  if (!npmRegistryIsProtected(npm.stderr)) return null;
  const fromEnv = env['npm_config_registry'] ?? env['NPM_CONFIG_REGISTRY'];
  if (fromEnv !== undefined) return fromEnv;
  // A registry URL with credentials in an .npmrc: npm will not print it, but hands its
  // settings to the commands it runs as npm_config_* (npm-exec(1), scripts' environment).
  const script = await runner('npm', ['exec', '-c', 'printenv npm_config_registry']);
  return script.code === 0 ? parseNpmRegistry(script.stdout) : null;
}

/** `npm config list` output (each layer's settings and file), or null when npm cannot be asked. */
async function readNpmConfigList(runner: CommandRunner): Promise<string | null> {
  const npm = await runner('npm', ['config', 'list']);
  return npm.code === 0 ? npm.stdout : null;
}

/**
 * The Authorization the user's npm sends to `registry` (a `//host/:_authToken` line of an
 * .npmrc npm reads), so the mirror can fetch from a private registry; null when the URL
 * carries its own credentials or none is configured.
 */
async function readNpmAuthorization(registry: URL | null, configList: string | null, env: NodeJS.ProcessEnv): Promise<string | null> {
  if (registry === null || configList === null || registry.username !== '' || registry.password !== '') return null;
  return npmRegistryAuthorization(registry, await readNpmrcFiles(npmConfigFiles(configList), env));
}

/**
 * A runner that runs each command line once and answers repeats from memory: one session
 * asks pip for its configuration both to pick upstreams and to override its extra indexes.
 */
export function onceRunner(runner: CommandRunner): CommandRunner {
  const answers = new Map<string, Promise<CommandResult>>();
  return (command, args) => {
    const key = JSON.stringify([command, ...args]);
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = runner(command, args);
      answers.set(key, answer);
    }
    return answer;
  };
}

/** Reads pip's, then npm's own settings; falls back to their environment variables. */
export async function readToolUpstreams(
  runner: CommandRunner,
  env: NodeJS.ProcessEnv,
): Promise<{ pip: PipIndexSettings; npmRegistry: string | null }> {
  const pip = await readPipSettings(runner, env);
  return { pip, npmRegistry: await readNpmRegistry(runner, env) };
}

/**
 * The default upstreams for `serve` / `run`: the user's tool settings, then the flags. Each
 * tool is asked only when its flag is missing (pip's find-links and npm's scopes always), and pip and npm are asked at once (each
 * costs a few hundred ms of start-up: the proxy resolves upstreams on first need).
 */
export async function resolveUpstreams(
  flags: UpstreamFlags,
  runner: CommandRunner = execRunner,
  env: NodeJS.ProcessEnv = process.env,
): Promise<UpstreamChoice> {
  const pypiFlagged = flags.pypi !== undefined && flags.pypi.length > 0;
  const [pip, npmRegistry, npmConfigList] = await Promise.all([
    // Asked even with --pypi-upstream: the build's pip still reads its own find-links.
    readPipSettings(runner, env).then((read) => (pypiFlagged ? { indexUrl: null, extraIndexUrls: [], findLinks: read.findLinks } : read)),
    flags.npm !== undefined ? null : readNpmRegistry(runner, env),
    // Asked even with --npm-upstream: the build's npm still sends its scopes to their registries.
    readNpmConfigList(runner),
  ]);
  const choice = chooseUpstreams(pip, npmRegistry, flags, npmConfigList === null ? [] : parseNpmScopeRegistries(npmConfigList));
  return { ...choice, npmAuthorization: await readNpmAuthorization(choice.npm, npmConfigList, env) };
}
