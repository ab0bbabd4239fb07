// Which of the directories `offgrid init docker` makes the Dockerfile COPY a build context's
// .dockerignore leaves out. An allow-list .dockerignore (`*` then `!src`) is common; it would
// make `COPY wheelhouse/ /wheelhouse/` fail ("not found") or copy it without its wheels.
// Pure: the file's text in. The rules are Docker's: Go filepath.Match globs plus `**`,
// `!` exceptions, the last matching line decides, and a pattern that matches a directory
// matches everything under it.

/** What offgrid puts in each directory: a directory is left out when any of these is. */
const SAMPLES: Record<string, readonly string[]> = {
  wheelhouse: ['wheelhouse/demo-1.0-py3-none-any.whl', 'wheelhouse/demo-1.0.tar.gz'],
  'apt-archives': ['apt-archives/demo_1.0_all.deb', 'apt-archives/Packages'],
  offgrid: ['offgrid/apt.conf', 'offgrid/sources.list'],
};

function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` is any number of directories, none included; `**` elsewhere is anything.
      if (pattern[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        out += `[${pattern.slice(i + 1, end).replace(/^[!^]/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < pattern.length) out += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

interface Rule {
  readonly exception: boolean;
  readonly re: RegExp;
}

function rules(text: string): Rule[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .flatMap((line) => {
      const exception = line.startsWith('!');
      const clean = (exception ? line.slice(1).trim() : line)
        .split('/')
        .filter((part) => part !== '' && part !== '.')
        .join('/');
      return clean === '' ? [] : [{ exception, re: globToRegExp(clean) }];
    });
}

/** A path is left out when the last rule matching it, or a directory above it, is not an exception. */
function excluded(path: string, list: readonly Rule[]): boolean {
  const parts = path.split('/');
  const prefixes = parts.map((_p, i) => parts.slice(0, i + 1).join('/'));
  let out = false;
  for (const rule of list) if (prefixes.some((p) => rule.re.test(p))) out = !rule.exception;
  return out;
}

/** The directories of `dirs` (wheelhouse, apt-archives, offgrid) that the .dockerignore text leaves out, in part or whole. */
export function ignoredDirs(text: string, dirs: readonly string[]): string[] {
  const list = rules(text);
  return dirs.filter((dir) => [dir, ...(SAMPLES[dir] ?? [`${dir}/file`])].some((path) => excluded(path, list)));
}

/**
 * The .dockerignore text with exceptions (`!wheelhouse`) for the directories of `dirs` it
 * leaves out, appended so they win (the last matching line decides); null when none is.
 */
export function allowDirs(text: string, dirs: readonly string[]): string | null {
  const ignored = ignoredDirs(text, dirs);
  if (ignored.length === 0) return null;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = ['# offgrid init docker: the Dockerfile COPYs these (offline wheels and apt packages)', ...ignored.map((d) => `!${d}`)];
  return `${text}${text === '' || text.endsWith('\n') ? '' : eol}${lines.join(eol)}${eol}`;
}
