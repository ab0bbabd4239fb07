// A light PEP 508 check of one requirement, so a broken line is named with a reason
// before pip sees it (pip would otherwise stop the whole run at the first broken line).
// It accepts everything pip accepts that a requirements file usually holds; anything
// it lets through that pip then rejects still ends as that line's error, with pip's
// own reason (see resolve.ts).

const NAME = '[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?';
const EXTRAS = `\\[\\s*(?:${NAME}(?:\\s*,\\s*${NAME})*)?\\s*\\]`;
const VERSION = '[A-Za-z0-9.*+!_-]+';
const CLAUSE = `(?:~=|===|==|!=|<=|>=|<|>)\\s*${VERSION}`;
const SPECIFIERS = `${CLAUSE}(?:\\s*,\\s*${CLAUSE})*`;
const NAMED = new RegExp(`^(${NAME})\\s*(${EXTRAS})?\\s*(?:\\(\\s*${SPECIFIERS}\\s*\\)|${SPECIFIERS})?\\s*(?:@\\s*(\\S+))?\\s*$`);
// A URL, or a path as pip tells one (req/constructors.py, _looks_like_path): `.`, `..`, or a `/` in it.
const DIRECT = /^(?:[a-z][a-z0-9+.-]*:\/\/|file:|\.{1,2}(?:[/[]|$)|[\w.-]*\/|~)|\.(?:whl|zip|tar\.gz|tar\.bz2|tar\.xz|tgz)$/i;
const MARKER_VARIABLES =
  /^(?:python_version|python_full_version|os_name|sys_platform|platform_release|platform_system|platform_version|platform_machine|platform_python_implementation|implementation_name|implementation_version|extra|os\.name|sys\.platform|platform\.version|platform\.machine|platform\.python_implementation|python_implementation)$/;

/** PEP 503 normalised name. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Splits `spec ; marker`; after a URL the `;` must follow whitespace (PEP 508). */
function splitMarker(spec: string): { requirement: string; marker: string | null } {
  for (let i = spec.indexOf(';'); i !== -1; i = spec.indexOf(';', i + 1)) {
    const before = spec.slice(0, i);
    if (/\s$/.test(before) || !before.includes('://')) return { requirement: before.trim(), marker: spec.slice(i + 1).trim() };
  }
  return { requirement: spec.trim(), marker: null };
}

const NAMED_URL = new RegExp(`^(${NAME})\\s*(?:${EXTRAS})?\\s*@`);
const EGG = new RegExp(`[#&]egg=(${NAME})`);

/**
 * The project name of a requirement: `name @ URL`, a URL's `#egg=name` (pip takes the name
 * from there), else null for a URL or path. An `@` inside a URL (`git+https://TOKEN@host/…`,
 * `….git@v1.0`) names nothing.
 */
export function requirementName(spec: string): string | null {
  const { requirement } = splitMarker(spec);
  const match = DIRECT.test(requirement) ? (NAMED_URL.exec(requirement) ?? EGG.exec(requirement)) : new RegExp(`^(${NAME})`).exec(requirement);
  return match?.[1] ? normalizeName(match[1]) : null;
}

/** What a requirement names after `name @` and before its marker: a URL, a path, or a name with its specifiers. */
export function requirementTarget(spec: string): string {
  return splitMarker(spec).requirement.replace(NAMED_URL, '').trim();
}

/**
 * Where a requirement points: a VCS URL (`git+https://…`, `name @ git+file://…`), a local
 * path or file: URL (`.`, `./pkg`, `file:///…/pkg.tar.gz`), another URL, or the index.
 */
export function requirementSource(spec: string): 'vcs' | 'path' | 'url' | 'index' {
  const target = requirementTarget(spec);
  if (!DIRECT.test(target)) return 'index';
  // `git://…` as well: pip reads an editable one as `git+git://…` (req/constructors.py, parse_editable).
  if (/^(?:git|hg|svn|bzr)[+:]/i.test(target)) return 'vcs';
  return /^file:/i.test(target) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? 'path' : 'url';
}

/** null when `spec` reads as a requirement, else why not. */
export function checkRequirementSpec(spec: string): string | null {
  if (spec.trim() === '') return 'empty requirement';
  const { requirement, marker } = splitMarker(spec);
  if (marker !== null) {
    const problem = checkMarker(marker);
    if (problem) return `invalid environment marker ${JSON.stringify(marker)}: ${problem}`;
  }
  if (requirement === '') return 'a marker without a requirement';
  if (NAMED.test(requirement)) return null;
  if (DIRECT.test(requirement) && !/\s/.test(requirement)) return null;
  const name = new RegExp(`^${NAME}`).exec(requirement)?.[0];
  if (name === undefined) return `not a requirement: it must start with a project name, a path or a URL`;
  const rest = requirement.slice(name.length).trim();
  if (/^[=<>!~]/.test(rest)) return `invalid version specifier ${JSON.stringify(rest)} (expected e.g. ==1.0, >=1.2,<2)`;
  if (rest.startsWith('[')) return `invalid extras ${JSON.stringify(rest)} (expected e.g. name[extra1,extra2])`;
  return `unexpected ${JSON.stringify(rest)} after ${JSON.stringify(name)} (expected NAME[extras] SPECIFIERS ; MARKER)`;
}

/** A marker: `variable op 'string'` terms joined by and/or, with parentheses. */
function checkMarker(marker: string): string | null {
  if (marker === '') return 'empty';
  const tokenRe = /\s*(\(|\)|'[^']*'|"[^"]*"|===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b|and\b|or\b|[A-Za-z_.]+)/y;
  const list: string[] = [];
  let at = 0;
  while (at < marker.length) {
    tokenRe.lastIndex = at;
    const m = tokenRe.exec(marker);
    if (!m) {
      if (marker.slice(at).trim() === '') break;
      return `cannot read ${JSON.stringify(marker.slice(at).trim())}`;
    }
    list.push(m[1]!.replace(/\s+/g, ' '));
    at = tokenRe.lastIndex;
  }
  let i = 0;
  const value = (): string | null => {
    const t = list[i++];
    if (t === undefined) return 'ends too early';
    if (/^['"]/.test(t)) return null;
    if (MARKER_VARIABLES.test(t)) return null;
    return `${JSON.stringify(t)} is not a marker variable or a quoted string`;
  };
  const comparison = (): string | null => {
    if (list[i] === '(') {
      i++;
      const inner = expression();
      if (inner) return inner;
      return list[i++] === ')' ? null : 'unbalanced parentheses';
    }
    const left = value();
    if (left) return left;
    const op = list[i++];
    if (op === undefined || !/^(?:===|==|!=|<=|>=|~=|<|>|not in|in)$/.test(op)) return `expected a comparison operator after ${JSON.stringify(list[i - 2])}`;
    return value();
  };
  const expression = (): string | null => {
    const first = comparison();
    if (first) return first;
    while (list[i] === 'and' || list[i] === 'or') {
      i++;
      const next = comparison();
      if (next) return next;
    }
    return null;
  };
  const problem = expression();
  if (problem) return problem;
  return i === list.length ? null : `unexpected ${JSON.stringify(list[i])}`;
}
