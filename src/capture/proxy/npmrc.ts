// The credentials npm would send to its registry, read from the user's own .npmrc files:
// npm refuses to print them (`npm config get //host/:_authToken` is "protected"), and the
// build's npm, pointed at the mirror, sends them nowhere. Which files npm reads comes from
// npm itself (`npm config list` names each layer's file); the matching follows
// npm-registry-fetch (lib/auth.js). The parsing is pure; `readNpmrcFiles` reads the files.
import { readFile } from 'node:fs/promises';

/** The files `npm config list` says it read, lowest precedence first (builtin, global, user, project). */
export function npmConfigFiles(listOutput: string): string[] {
  const files: string[] = [];
  for (const line of listOutput.split(/\r?\n/)) {
    const match = /^; "(builtin|global|user|project)" config from (.+)$/.exec(line.trim());
    if (match) files.push(match[2]!);
  }
  return files;
}

/** npm's `${NAME}` (and `${NAME?}`, empty when unset) in .npmrc keys and values. */
function envReplace(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([^${}?]+)(\?)?\}/g, (whole, name: string, optional: string | undefined) => env[name] ?? (optional ? '' : whole));
}

/** An ini value as npm's `ini` reads it: quoted → the quoted text, else up to an unescaped `;` or `#`. */
function iniValue(raw: string): string {
  const value = raw.trim();
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value[value.length - 1] === value[0]) {
    const inner = value.slice(1, -1);
    if (value[0] === "'") return inner;
    try {
      const parsed: unknown = JSON.parse(value);
      return typeof parsed === 'string' ? parsed : inner;
    } catch {
      return inner;
    }
  }
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length && ';#\\'.includes(value[i + 1]!)) out += value[++i];
    else if (c === ';' || c === '#') break;
    else out += c;
  }
  return out.trim();
}

/** key → value of one .npmrc (comments, `[sections]` and lines without `=` skipped). */
export function parseNpmrc(text: string, env: NodeJS.ProcessEnv): Map<string, string> {
  const settings = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    settings.set(envReplace(line.slice(0, eq).trim(), env), envReplace(iniValue(line.slice(eq + 1)), env));
  }
  return settings;
}

/**
 * The Authorization npm sends to `registry`: the registry's `//host[:port]/path/` and then
 * each parent path, looking for `:_authToken` (Bearer), `:_auth` (Basic, base64 already)
 * or `:username` with `:_password` (the password base64-encoded). Null when none matches.
 */
export function npmRegistryAuthorization(registry: URL, settings: ReadonlyMap<string, string>): string | null {
  let key = `//${registry.host}${registry.pathname}`;
  while (key.length > '//'.length) {
    const token = settings.get(`${key}:_authToken`);
    if (token) return `Bearer ${token}`;
    const auth = settings.get(`${key}:_auth`);
    if (auth) return `Basic ${auth}`;
    const user = settings.get(`${key}:username`);
    const password = settings.get(`${key}:_password`);
    if (user && password) return `Basic ${Buffer.from(`${user}:${Buffer.from(password, 'base64').toString('utf8')}`).toString('base64')}`;
    key = key.replace(/([^/]+|\/)$/, '');
  }
  return null;
}

/**
 * The `//host/…:key` settings of npm's environment layer (`npm_config_//host/:_authToken`,
 * a CI's way to hand npm a token), which wins over every file. npm keeps such keys' case.
 */
export function npmrcFromEnv(env: NodeJS.ProcessEnv): Map<string, string> {
  const settings = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (/^npm_config_\/\//i.test(name) && value !== undefined && value !== '') settings.set(name.slice('npm_config_'.length), value);
  }
  return settings;
}

/** The settings of `files` merged, later files winning (missing or unreadable files skipped), then the environment's. */
export async function readNpmrcFiles(files: readonly string[], env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
  const merged = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    for (const [key, value] of parseNpmrc(text, env)) merged.set(key, value);
  }
  for (const [key, value] of npmrcFromEnv(env)) merged.set(key, value);
  return merged;
}
