// Compose's variable interpolation (compose-spec "Interpolation"), used for compose files
// and the .env file beside them. Pure: a string and the variables in, the string out.

/**
 * Compose's interpolation of one string value: `$$`, `$VAR`, `${VAR}`, and `${VAR<op>word}`
 * with op `:-` `-` `:?` `?` `:+` `+`, where word may itself hold `${…}` (`${A:-${B:-x}}`).
 * A word is only evaluated when it is used, so `${A:-${B:?}}` with A set needs no B.
 */
export function interpolate(value: string, env: NodeJS.ProcessEnv, where: string): string {
  return expand(value, 0, env, where, true, false)[0];
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Expands from `start` to the end (or to the `}` closing a word when `inWord`); returns the text and where it stopped. */
function expand(text: string, start: number, env: NodeJS.ProcessEnv, where: string, active: boolean, inWord: boolean): [string, number] {
  let out = '';
  let i = start;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '}' && inWord) return [out, i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    NAME.lastIndex = i + 1;
    const bare = NAME.exec(text);
    if (bare) {
      out += active ? (env[bare[0]] ?? '') : '';
      i = NAME.lastIndex;
      continue;
    }
    if (next !== '{') {
      // A lone `$` (`price: 5$`) is kept as written.
      out += c;
      i++;
      continue;
    }
    NAME.lastIndex = i + 2;
    const braced = NAME.exec(text);
    const bad = (): Error => new Error(`${where}: invalid interpolation ${JSON.stringify(text.slice(i, text.indexOf('}', i) + 1 || undefined))}: use \${NAME}, \${NAME:-default}, \${NAME:?error} or \${NAME:+alt}, and $$ for a $ the value keeps (a shell's \${VAR%%.*})`);
    if (!braced) throw bad();
    const name = braced[0];
    let j = NAME.lastIndex;
    const current = env[name];
    if (text[j] === '}') {
      out += active ? (current ?? '') : '';
      i = j + 1;
      continue;
    }
    const op = /^:?[-?+]/.exec(text.slice(j, j + 2))?.[0];
    if (op === undefined) throw bad();
    j += op.length;
    const missing = current === undefined || (op.startsWith(':') && current === '');
    const kind = op.slice(-1);
    const useWord = active && (kind === '+' ? !missing : missing);
    const [word, close] = expand(text, j, env, where, useWord, true);
    if (text[close] !== '}') throw bad();
    if (active) {
      if (kind === '?' && missing) throw new Error(`${where}: required variable ${name} is missing: ${word || 'set it in the environment or in .env'}`);
      out += useWord ? word : kind === '+' ? '' : (current ?? '');
    }
    i = close + 1;
  }
  return [out, i];
}

/**
 * Interpolates every string under `value` (map values and list items, not keys) and
 * discards the result: compose interpolates the whole file before it reads a service,
 * so a `${VAR:?message}` anywhere (OpenProject guards its dev file with one in a service's
 * environment) or a malformed `${…}` stops every command, builds included. Errors name
 * the value's path, as compose-go's do (`x-op-backend.environment.LOCAL_DEV_CHECK`).
 */
export function checkInterpolation(value: unknown, env: NodeJS.ProcessEnv, path: string): void {
  if (typeof value === 'string') interpolate(value, env, path);
  else if (Array.isArray(value)) value.forEach((item, i) => checkInterpolation(item, env, `${path}[${i}]`));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) checkInterpolation(item, env, path === '' ? key : `${path}.${key}`);
  }
}
