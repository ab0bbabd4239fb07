// The `.env` file next to a compose file: compose reads it for interpolation (`${TAG}`,
// `${PYTHON_VERSION:-3.11}`) and for COMPOSE_PROJECT_NAME, below the shell's own variables.
// Pure: text in, variables out. The syntax is compose's (docs.docker.com/compose/env-file):
// `KEY=value`, `export KEY=value`, `# comments`, ` # ` inline comments on unquoted values,
// 'single quotes' taken literally, "double quotes" with \n \t \" escapes, both of which may
// span lines; unquoted and double-quoted values are interpolated.
import { interpolate } from './interpolate.js';

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(=)?\s*/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', "'": "'" };

/**
 * The variables a .env text sets. `shell` is consulted first when a value refers to a
 * variable (`DATA=${HOME}/data`), then the .env's own earlier lines. `file` names the
 * file in errors, which carry its line number.
 */
export function parseDotenv(text: string, shell: NodeJS.ProcessEnv, file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!;
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const where = `${file} line ${lineNo}`;
    const m = LINE.exec(line);
    if (!m) throw new Error(`${where}: expected KEY=value, got ${JSON.stringify(line.trim().slice(0, 60))}`);
    const key = m[1]!;
    let rest = line.slice(m[0].length);
    if (m[2] === undefined) {
      // `KEY` alone passes the shell's value on; anything else is not a .env line.
      if (rest.trim() !== '' && !rest.trim().startsWith('#')) throw new Error(`${where}: expected KEY=value, got ${JSON.stringify(line.trim().slice(0, 60))}`);
      continue;
    }
    const lookup = { ...vars, ...shell };
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      // A quoted value ends at the first unescaped matching quote, maybe lines later.
      let value = '';
      let j = 1;
      for (;;) {
        if (j >= rest.length) {
          if (i + 1 >= lines.length) throw new Error(`${where}: the ${quote === '"' ? 'double' : 'single'} quote is never closed`);
          value += '\n';
          rest += `\n${lines[++i]!}`;
          j++;
          continue;
        }
        const c = rest[j]!;
        if (c === quote) break;
        if (c === '\\' && j + 1 < rest.length && (quote === '"' ? rest[j + 1]! in ESCAPES : rest[j + 1] === "'")) {
          value += ESCAPES[rest[j + 1]!];
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      const after = rest.slice(j + 1).trim();
      if (after !== '' && !after.startsWith('#')) throw new Error(`${where}: unexpected ${JSON.stringify(after.slice(0, 30))} after the closing quote of ${key}`);
      vars[key] = quote === "'" ? value : interpolate(value, lookup, where);
      continue;
    }
    const comment = rest.search(/\s#/);
    vars[key] = interpolate((comment === -1 ? rest : rest.slice(0, comment)).trim(), lookup, where);
  }
  return vars;
}
