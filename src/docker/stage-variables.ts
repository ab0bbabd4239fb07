// The values ARG defaults and ENV lines give a stage's variables, for reading what a step
// fetches when the Dockerfile names it through one: `ADD --checksum=… $UV uv.tar.gz` after
// `ARG UV=https://…/uv.tar.gz`, or `${GET} https://…/x.tar.gz` after
// `ENV GET="curl --location --silent"`. A build arg may give another value; the default is
// what the file says. Pure.
import { argDeclarations } from './dockerfile.js';

/** An ENV instruction's variables as `NAME=value`: `ENV A=1 B="x y"`, or the legacy `ENV NAME value`. */
export function envAssignments(args: string): string[] {
  if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) return args.match(/[A-Za-z_][A-Za-z0-9_]*=(?:"[^"]*"|'[^']*'|\S*)/g) ?? [];
  const legacy = /^([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$/s.exec(args);
  return legacy === null ? [] : [`${legacy[1]}=${legacy[2]!.trim()}`];
}

/**
 * Adds what an ARG or ENV instruction sets to `vars`. An ARG without a default takes the
 * value the same ARG has before the first FROM (`globals`), as BuildKit does.
 */
export function declare(keyword: string, args: string, vars: Map<string, string>, globals: ReadonlyMap<string, string>): void {
  if (keyword === 'ARG') {
    for (const { name, value } of argDeclarations(args)) {
      const given = value ?? globals.get(name);
      if (given !== undefined) vars.set(name, withValues(given, vars));
    }
  } else if (keyword === 'ENV') {
    for (const assignment of envAssignments(args)) {
      const eq = assignment.indexOf('=');
      vars.set(assignment.slice(0, eq), withValues(assignment.slice(eq + 1).replace(/^"([\s\S]*)"$|^'([\s\S]*)'$/, '$1$2'), vars));
    }
  }
}

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** `text` with each `$NAME`/`${NAME}` that `vars` knows replaced by its value; the others as written. */
export function withValues(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(REFERENCE, (ref: string, braced?: string, plain?: string) => vars.get((braced ?? plain)!) ?? ref);
}

/**
 * A RUN step's shell text with a known variable that stands as a command (`${GET} URL`,
 * `&& $CURL -O …`) replaced by its value; variables elsewhere (in URLs, in arguments) stay as
 * written, since the step's own assignments may change them.
 */
export function withCommandValues(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/(^|[;&|(\n]|\bthen|\bdo|\belse)([ \t]*)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))(?=[ \t])/g, (ref: string, before: string, space: string, braced?: string, plain?: string) => {
    const value = vars.get((braced ?? plain)!);
    return value === undefined ? ref : `${before}${space}${value}`;
  });
}
