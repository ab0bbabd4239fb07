// `offgrid init docker`: rewrites a Dockerfile so it builds offline the guide's way —
// a wheelhouse and apt archives copied into the build context and used from there —
// while the online build keeps working when they are empty. Pure: text in, text out.
//
//   pip:  COPY wheelhouse/ /wheelhouse/ before the first pip step of a stage, and each
//         `pip install` (and a builder stage's `pip wheel` / `pip download`) gains
//         `--no-index --find-links /wheelhouse` when the wheelhouse holds wheels (decided in
//         the RUN step, so an empty wheelhouse means the index).
//   apt:  COPY offgrid/ (an apt.conf and a sources.list) and apt-archives/ (a flat apt
//         repository: .debs + Packages, as `offgrid cache export apt` writes) before the first
//         apt-get of a stage; the RUN points apt at that repository alone (APT_CONFIG) when
//         it has a Packages index, so `apt-get update` and `install` need no network
//         (`sudo apt-get` gets it as `-c FILE` too: sudo drops the variable).
//   A RUN heredoc that a POSIX shell runs as a script (`RUN <<EOF`) is rewritten inside the
//   script (the apt line first, after a `#!` line); other heredocs are left alone.
// Idempotent: pip commands that already read the wheelhouse, and apt steps that already use the
// local repository, are left alone.
import { argumentsPosition, execForm, heredocs, parseDockerfile, resolvedFrom, splitFlags } from './dockerfile.js';
import { type NetworkUse, addNetworkUses, dependenciesCopied, dependenciesLeftLocal, offlineBy, runNetworkUses, syntaxNetworkUse } from './network-steps.js';
import { declare, envAssignments, withCommandValues, withValues } from './stage-variables.js';
import { redact } from '../redact.js';

export const WHEELHOUSE_DIR = 'wheelhouse';
export const APT_ARCHIVES_DIR = 'apt-archives';
export const OFFGRID_DIR = 'offgrid';

/** Files `init docker` adds to a build context (directories are created empty). */
export const CONTEXT_FILES: Record<string, string> = {
  [`${OFFGRID_DIR}/apt.conf`]:
    '// Written by `offgrid init docker`. Used by the Dockerfile only when apt-archives/ holds a\n' +
    '// local repository (a Packages index): apt then reads that repository and nothing else.\n' +
    'Dir::Etc::SourceList "/offgrid/sources.list";\n' +
    'Dir::Etc::SourceParts "/dev/null";\n',
  [`${OFFGRID_DIR}/sources.list`]: 'deb [trusted=yes] file:/offgrid/apt-archives ./\n',
};

const MARK = '# offgrid init docker:';
/** The COPY lines init adds (arguments, spaces collapsed) and the context directory each takes. */
const INIT_COPIES = new Map([
  [`${WHEELHOUSE_DIR}/ /wheelhouse/`, WHEELHOUSE_DIR],
  [`${OFFGRID_DIR}/ /offgrid/`, OFFGRID_DIR],
  [`${APT_ARCHIVES_DIR}/ /offgrid/apt-archives/`, APT_ARCHIVES_DIR],
]);
/** pip as a RUN step calls it: `pip`, `pip3`, `pip3.11`, `python3 -m pip`, and in a Windows image `pip.exe`, `python.exe -m pip`. */
const PIP = String.raw`pip(?:3(?:\.\d+)?)?(?:\.exe)?|python(?:3(?:\.\d+)?)?(?:\.exe)?\s+-m\s+pip`;
/** pip's general options that take their value as the next word (`pip --retries 5 install`). */
const PIP_VALUE_OPTIONS = 'cache-dir|cert|client-cert|exists-action|keyring-provider|log|log-file|proxy|python|resume-retries|retries|root-user-action|src|timeout|trusted-host|use-deprecated|use-feature';
/**
 * General options between pip and its command, as real Dockerfiles write them
 * (`pip --no-cache-dir install`, `python -m pip --disable-pip-version-check install`).
 */
const PIP_OPTIONS = String.raw`(?:\s+(?:--(?:${PIP_VALUE_OPTIONS})\s+[^\s;&|-][^\s;&|]*|-[^\s;&|]+))*`;
/** The pip commands that fetch packages from the index: `install`, and `wheel` and `download` in builder stages. */
const PIP_FETCH = new RegExp(String.raw`\b(?:${PIP})${PIP_OPTIONS}\s+(?:install|wheel|download)\b`, 'g');
/**
 * One `pip install …` or `pip wheel …` command (a builder stage's `pip wheel --wheel-dir /wheels .`
 * builds the project as install does), up to the shell's next command separator.
 */
const PIP_INSTALL_COMMAND = new RegExp(String.raw`\b(?:${PIP})${PIP_OPTIONS}\s+(?:install|wheel)\b([^;&|\n]*)`, 'g');
/** A pip command that already reads the wheelhouse: init's flags, or a hand-written --find-links to it. */
const READS_WHEELHOUSE = /\$\(ls \/wheelhouse\/\*\.whl|(?:--find-links(?:=|\s+)|-f\s*)\/wheelhouse(?:\/|\b)/;
/** pip install's and pip wheel's options that take the next word as their value (`-t DIR`, `-r FILE`, `-w DIR`, `--index-url URL`). */
const PIP_INSTALL_VALUE_OPTIONS: ReadonlySet<string> = new Set([
  '-r', '--requirement', '-c', '--constraint', '-e', '--editable', '-t', '--target', '--prefix', '--root', '-i', '--index-url', '--extra-index-url',
  '-f', '--find-links', '--trusted-host', '--src', '--upgrade-strategy', '--platform', '--python-version', '--implementation', '--abi', '--only-binary',
  '--no-binary', '--progress-bar', '--root-user-action', '-C', '--config-settings', '--global-option', '--report', '--cache-dir', '--log', '--timeout',
  '--retries', '--proxy', '--cert', '--client-cert', '--exists-action', '--python', '--keyring-provider', '--use-feature', '--use-deprecated', '--group',
  '-w', '--wheel-dir',
]);
/** pip's index options (`--extra-index-url https://download.pytorch.org/whl/cpu`, `-i URL`, `--index-url=URL`): option and value. */
const PIP_INDEX_OPTION = /^(-i|--index-url|--extra-index-url)(?:=(.+))?$/;
/** A requirement by name (`gunicorn`, `setuptools==75.1.0`, `uvicorn[standard]>=0.30`): its name, then anything from a version or extra on. */
const NAMED_REQUIREMENT = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:[\[<>=!~;@].*)?$/;

interface PipRequirements {
  /** Requirements named on the command line, as written (quotes dropped). */
  readonly byName: string[];
  /** Local projects pip builds (`.`, `/src`, `-e .`), which need their build backend under build isolation. */
  readonly projects: string[];
  /**
   * The indexes the command reads besides pip's default, as offgrid wheelhouse takes them
   * (`--extra-index-url URL`): without them it mirrors PyPI alone, which lacks the wheels
   * those indexes serve (`torch==2.4.0+cpu`) or has others under the same name (CUDA torch).
   */
  readonly indexes: string[];
}

/**
 * What the pip install commands of a step name on their command lines: a wheelhouse built
 * from the project's requirements files holds none of it unless those files list it, and
 * once the wheelhouse has wheels, pip looks nowhere else.
 */
function pipRequirements(command: string): PipRequirements {
  const out: PipRequirements = { byName: [], projects: [], indexes: [] };
  for (const m of command.replace(/\\\r?\n/g, ' ').matchAll(PIP_INSTALL_COMMAND)) {
    const words = (m[1] ?? '').trim().split(/\s+/).filter(Boolean).map((w) => w.replace(/^["']|["']$/g, ''));
    const isolated = !words.includes('--no-build-isolation');
    for (let i = 0; i < words.length; i++) {
      const word = words[i]!;
      const index = PIP_INDEX_OPTION.exec(word);
      if (index !== null) {
        const url = index[2] ?? words[++i];
        const option = `${index[1] === '-i' ? '--index-url' : index[1]} ${url}`;
        if (url !== undefined && !out.indexes.includes(option)) out.indexes.push(option);
      } else if (word === '-e' || word === '--editable') {
        if (isolated && isLocalPath(words[i + 1] ?? '')) out.projects.push(words[i + 1]!);
        i++;
      } else if (PIP_INSTALL_VALUE_OPTIONS.has(word)) i++;
      // A redirection (`> /dev/null`, `>/dev/null`) and its target are not requirements.
      else if (/^\d*>>?$/.test(word)) i++;
      else if (/^\d*>/.test(word)) continue;
      // Nor are options, variables, URLs and VCS requirements (network-steps.ts names those).
      else if (word.startsWith('-') || word.startsWith('$') || word.includes('://') || /^\w+\+/.test(word)) continue;
      // A path, even one a build arg names (`./${MODEL_NAME}-*.tar.gz`, which pip builds).
      else if (isLocalPath(word)) {
        if (isolated && !/\.whl$/i.test(word) && !WHEEL_GLOB.test(word)) out.projects.push(word);
      }
      // A version given at build time (`poetry==$POETRY_VERSION`): the wheelhouse needs the project, by its name.
      else if (word.includes('$')) {
        const name = NAMED_REQUIREMENT.exec(word)?.[1];
        if (name !== undefined && !out.byName.includes(name)) out.byName.push(name);
      } else if (NAMED_REQUIREMENT.test(word) && !out.byName.includes(word)) out.byName.push(word);
    }
  }
  return out;
}

/**
 * A glob of files that is not of source archives (`/wheels/*`, `dist/*`): what a builder
 * stage's `pip wheel --wheel-dir /wheels` left, copied in; pip installs those wheels and
 * builds nothing. `./pkg-*.tar.gz` is built, so it needs its build backend.
 */
const WHEEL_GLOB = /[*?][^/]*$(?<!\.(?:tar\.gz|tgz|tar\.bz2|zip))/i;

function isLocalPath(word: string): boolean {
  return /^(?:\.|\/|~)/.test(word) || word.includes('/') || /\.(?:whl|tar\.gz|zip)$/i.test(word);
}

/**
 * The warning for a rewritten pip step's requirements, or null when it names none.
 * `extraIndex` says where pip's PIP_EXTRA_INDEX_URL comes from (`ARG, line 7`), when it is set.
 */
function requirementsWarning({ byName, projects, indexes }: PipRequirements, extraIndex: string | null): string | null {
  const parts: string[] = [];
  if (extraIndex !== null) {
    parts.push(`it reads the index PIP_EXTRA_INDEX_URL names (${extraIndex}) besides PyPI, which offgrid wheelhouse must read too (pass it --extra-index-url with that URL) to fetch the wheels only it serves`);
  }
  if (indexes.length > 0) {
    const shown = indexes.map(redact).join(' ');
    parts.push(`it reads ${indexes.length > 1 ? 'indexes' : 'an index'} besides PyPI, which offgrid wheelhouse must read too (pass it ${shown}) to fetch the wheels only ${indexes.length > 1 ? 'they serve' : 'it serves'}`);
  }
  if (byName.length > 0) {
    const names = byName.map((r) => NAMED_REQUIREMENT.exec(r)![1]!).join(', ');
    parts.push(`it installs ${names} by name, so the wheelhouse must hold ${byName.length > 1 ? 'them' : 'it'} (add ${names} to the requirements offgrid wheelhouse reads)`);
  }
  if (projects.length > 0) {
    parts.push(`it builds ${projects.join(', ')}, whose build backend (setuptools, hatchling, maturin…) pip installs in an isolated environment, so the wheelhouse must hold it too (or pass --no-build-isolation)`);
  }
  return parts.length === 0 ? null : `${parts.join('; ')}, or this step fails once the wheelhouse has wheels`;
}
/**
 * Python installers other than pip that fetch from the package index (`poetry install`,
 * `pipenv install --deploy`, `uv sync`, `pdm install`): init does not rewrite them, and says so.
 */
const OTHER_INSTALLERS = /\b(?:poetry\s+(?:install|sync|update|add)|pipenv\s+(?:install|sync|update)|uv\s+sync|pdm\s+(?:install|sync))\b/g;
/** How each of them writes its lock file as a requirements file a wheelhouse is built from. */
const EXPORT: Record<string, string> = {
  poetry: 'poetry export -f requirements.txt -o requirements.txt',
  pipenv: 'pipenv requirements > requirements.txt',
  uv: 'uv export --format requirements-txt -o requirements.txt',
  pdm: 'pdm export -o requirements.txt',
};
/** apt-get, or the `install_packages` of Bitnami's and balena's Debian images, which runs apt-get update and install (APT_CONFIG reaches it). */
const APT = /\bapt(?:-get)?\s+(?:[^&|;]*\s)?(?:update|install)\b|\binstall_packages\s/;
const INSTALL_PACKAGES = /\binstall_packages(?=\s)/g;
/** An ARG or ENV line that sets pip's extra index (`ARG PIP_EXTRA_INDEX_URL`, `ENV PIP_EXTRA_INDEX_URL=${…}`). */
const EXTRA_INDEX_VARIABLE = /(?:^|\s)PIP_EXTRA_INDEX_URL(?=[=\s]|$)/;
/** PyPI's own index as an extra index reads nothing a PyPI wheelhouse lacks. */
const PYPI_INDEX = /^https?:\/\/pypi\.(?:org|python\.org)\/simple\/?$/;
const WHEELHOUSE_FLAGS = '$(ls /wheelhouse/*.whl >/dev/null 2>&1 && echo --no-index --find-links /wheelhouse)';
const APT_PREFIX_LINE = 'if [ -f /offgrid/apt-archives/Packages ]; then export APT_CONFIG=/offgrid/apt.conf; fi';
const APT_PREFIX = `${APT_PREFIX_LINE} && `;
/**
 * apt run through sudo (`sudo apt-get`, `sudo -E DEBIAN_FRONTEND=noninteractive apt-get`), as
 * images with a non-root USER do: sudo drops APT_CONFIG from the environment, so the
 * configuration goes on apt's command line as well, where sudo passes it on.
 */
const SUDO_APT = /\bsudo(?:\s+(?:-[^\s;&|]+|[A-Za-z_][A-Za-z0-9_]*=[^\s;&|]*))*\s+apt(?:-get)?(?![-\w])/g;
const SUDO_APT_CONFIG = '${APT_CONFIG:+-c $APT_CONFIG}';

export interface NetworkFinding extends NetworkUse {
  readonly line: number;
}

export interface InitResult {
  readonly text: string;
  /** What was changed, one line each (empty: nothing to do). */
  readonly changes: readonly string[];
  /** Context directories the new text COPYs (wheelhouse, apt-archives, offgrid), added now or by an earlier run. */
  readonly needs: readonly string[];
  /** Steps left alone, with why. */
  readonly skipped: readonly string[];
  /** What still fetches from the network after init, by line, with what to do instead (network-steps.ts). */
  readonly needsNetwork: readonly NetworkFinding[];
  /** Requirements the rewritten pip steps install by name (`gunicorn`, `setuptools==75.1.0`): what to add to the wheelhouse. */
  readonly byName: readonly string[];
  /** The index options of the rewritten pip steps (`--extra-index-url URL`), which offgrid wheelhouse needs as well. */
  readonly indexes: readonly string[];
}

/**
 * A RUN step's text with `edit` applied to each of its lines but the comment lines inside it
 * (BuildKit drops them; they stay as written). `edit` gets the line and the rest of the step
 * after it, comment lines dropped.
 */
function commandLines(body: string, edit: (line: string, after: string) => string, script = false): string {
  const lines = body.split('\n');
  // In a RUN line the text starts with the command; a heredoc script may start with a comment.
  const comment = (i: number): boolean => (script || i > 0) && lines[i]!.trim().startsWith('#');
  return lines.map((line, i) => (comment(i) ? line : edit(line, lines.slice(i + 1).filter((_l, j) => !comment(i + 1 + j)).join('\n')))).join('\n');
}

/** A RUN step's text with the wheelhouse flags after every pip command that fetches packages and does not read the wheelhouse yet. */
function withWheelhouse(body: string, script: boolean): string {
  return commandLines(body, (line, after) =>
    line.replace(PIP_FETCH, (command: string, offset: number) => {
      // The rest of this pip command, which may go on on the next lines.
      const rest = /^[^;&|]*/.exec(line.slice(offset + command.length) + '\n' + after)![0];
      return READS_WHEELHOUSE.test(rest) ? command : `${command} ${WHEELHOUSE_FLAGS}`;
    }),
    script,
  );
}

/** A POSIX shell as a heredoc's interpreter: `sh`, `bash`, `/bin/bash`, `#!/usr/bin/env bash`. */
const POSIX_SHELL = /^(?:\/(?:usr\/)?bin\/)?(?:ba|da|a)?sh$/;

/**
 * A RUN whose command is one heredoc that a POSIX shell runs as a script (`RUN <<EOF`,
 * `RUN --mount=… <<EOF`, `RUN bash -ex <<EOF`, a `#!/bin/bash` first line), split into the
 * instruction's own lines, the script and the closing line; null for any other heredoc
 * (`RUN python3 <<EOF`, `RUN cat <<EOF > file`, two heredocs), which init leaves alone.
 */
function shellHeredoc(command: string, original: readonly string[], escape: string): { head: string[]; script: string[]; close: string } | null {
  if (heredocs(command).length !== 1) return null;
  const words = command.trim().split(/\s+/).filter((w) => heredocs(w).length === 0);
  const interpreter = words.length === 0 || (POSIX_SHELL.test(words[0]!) && words.slice(1).every((w, i) => w.startsWith('-') || words[i] === '-o'));
  if (!interpreter) return null;
  // The instruction's own lines: continuation lines (comment lines among them) up to the first that does not continue.
  let end = 0;
  while (end < original.length - 1 && original[end]!.replace(/\s+$/, '').endsWith(escape)) {
    end++;
    while (end < original.length - 1 && (original[end]!.trim() === '' || original[end]!.trim().startsWith('#'))) end++;
  }
  const script = original.slice(end + 1, -1);
  const shebang = /^#!\s*(?:\/usr\/bin\/env\s+)?(\S+)/.exec(script[0] ?? '');
  if (shebang && !POSIX_SHELL.test(shebang[1]!)) return null;
  return { head: original.slice(0, end + 1), script, close: original[original.length - 1]! };
}

/** The script of an exec-form RUN that hands it to a POSIX shell (`["sh", "-c", SCRIPT]`, `["/bin/bash", "-ec", SCRIPT]`), or null. */
function shellScript(argv: readonly string[]): string | null {
  if (argv.length < 3 || !POSIX_SHELL.test(argv[0]!)) return null;
  const options = argv.slice(1, -1);
  return options.every((o) => o.startsWith('-')) && /^-[a-z]*c$/.test(options[options.length - 1]!) ? argv[argv.length - 1]! : null;
}

/**
 * Windows base images, by the names their publishers give them (`python:3.11-windowsservercore-1809`,
 * `mcr.microsoft.com/windows/nanoserver:ltsc2022`): RUN runs in cmd or PowerShell there, even
 * without a SHELL or the ` escape in the Dockerfile.
 */
const WINDOWS_IMAGE = /(?:^|[/:@_.-])(?:windowsservercore|nanoserver|servercore)(?:$|[/:@_.-])|^mcr\.microsoft\.com\/windows(?:[/:]|$)/i;

/** The RUN shell a `SHELL ["…", …]` names, when it is not a POSIX shell the rewrite's `if [ … ]` and `$(…)` work in. */
function foreignShell(args: string): string | null {
  const program = execForm(args)?.[0];
  if (program === undefined) return null;
  return /^(?:ba|da|a|k|z)?sh$/.test(program.replace(/^.*[\\/]/, '')) ? null : program;
}

export function makeOfflineReady(text: string): InitResult {
  const file = parseDockerfile(text);
  const lines = text.split('\n');
  // Lines added keep the file's line endings (a CRLF file stays CRLF).
  const eol = lines.length > 1 && lines.slice(0, -1).every((l) => l.endsWith('\r')) ? '\r' : '';
  const changes: string[] = [];
  const skipped: string[] = [];
  const byName: string[] = [];
  const indexes: string[] = [];
  const needsNetwork: NetworkFinding[] = file.syntax === null ? [] : [{ line: file.syntax.line, ...syntaxNetworkUse(file.syntax.image) }];
  const needs = new Set<string>();
  // Edits from the bottom up, so earlier line numbers stay valid.
  const edits: { start: number; end: number; replacement: string[] }[] = [];
  // A COPY --from=… of the same path (a builder stage's own /wheelhouse) is not the context's.
  const stageHas = (stage: number, path: string): boolean =>
    file.instructions.some(
      (i) => i.stage === stage && (i.keyword === 'COPY' || i.keyword === 'ADD') && i.args.includes(path) && !splitFlags(i.args).flags.some((f) => f.startsWith('--from=')),
    );
  const copied = new Set<string>();
  // The shell RUN uses, per stage: SHELL sets it, a stage built FROM an earlier one inherits it.
  // Windows images (the `escape` directive is for them) run RUN in cmd unless SHELL says otherwise.
  const defaultShell = file.escape === '`' ? 'cmd (the default shell of the Windows images the ` escape is for)' : null;
  const shellAtEnd = new Map<string, { shell: string | null; line: number | null }>();
  let shell: { shell: string | null; line: number | null } = { shell: defaultShell, line: null };
  // What a stage FROM an earlier one inherits: the managers whose project dependencies its steps
  // left local (`cargo fetch`), and whether it is an Alpine image.
  // and the values its ARG defaults and ENV lines give its variables (ENV only is inherited).
  // and where PIP_EXTRA_INDEX_URL is set (an ENV's is inherited, an ARG's is not).
  type StageState = { local: Set<string>; alpine: boolean; vars: Map<string, string>; env: Map<string, string>; extraIndex: { by: string; line: number } | null };
  const stageAtEnd = new Map<string, StageState>();
  const globals = new Map<string, string>();
  let current: StageState = { local: new Set<string>(), alpine: false, vars: new Map<string, string>(), env: new Map<string, string>(), extraIndex: null };

  for (const ins of file.instructions) {
    // init's COPYs already there (an earlier run): a context added since needs their directories too.
    if (ins.keyword === 'COPY') {
      const dir = INIT_COPIES.get(ins.args.replace(/\s+/g, ' '));
      if (dir !== undefined) needs.add(dir);
      // `COPY --from=cacher /usr/local/cargo /usr/local/cargo`: the crates that stage fetched come along.
      const { flags, rest } = splitFlags(ins.args);
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length).toLowerCase();
      const source = from === undefined ? undefined : stageAtEnd.get(from);
      if (source !== undefined) for (const manager of dependenciesCopied(ins.args.slice(rest).trim().split(/\s+/).slice(0, -1), source.local)) current.local.add(manager);
    }
    if (ins.keyword === 'FROM') {
      const from = file.stages[ins.stage]!;
      const base = resolvedFrom(file, from);
      const windows = WINDOWS_IMAGE.test(base) ? `cmd or PowerShell (the shell of the Windows image ${base.replace(/@.*/, '')})` : null;
      shell = shellAtEnd.get(base.toLowerCase()) ?? { shell: windows ?? defaultShell, line: null };
      if (from.name) shellAtEnd.set(from.name, shell);
      const parent = stageAtEnd.get(base.toLowerCase());
      const extraIndex = parent?.extraIndex?.by === 'ENV' ? parent.extraIndex : null;
      current = { local: new Set(parent?.local), alpine: parent?.alpine ?? /alpine/i.test(base), vars: new Map(parent?.env), env: new Map(parent?.env), extraIndex };
      if (from.name) stageAtEnd.set(from.name, current);
      continue;
    }
    if (ins.keyword === 'SHELL') {
      shell = { shell: foreignShell(ins.args), line: ins.startLine };
      const name = file.stages[ins.stage]?.name;
      if (name) shellAtEnd.set(name, shell);
      continue;
    }
    // `ENV GOFLAGS=-mod=vendor`: the stage's go builds (and those of stages FROM it) read vendor/.
    if (ins.keyword === 'ENV') for (const manager of envAssignments(ins.args).map(offlineBy)) if (manager !== null) current.local.add(manager);
    if (ins.keyword === 'ARG' || ins.keyword === 'ENV') {
      declare(ins.keyword, ins.args, ins.stage === -1 ? globals : current.vars, globals);
      if (ins.keyword === 'ENV') declare('ENV', ins.args, current.env, globals);
      if (ins.stage !== -1 && EXTRA_INDEX_VARIABLE.test(ins.args)) current.extraIndex = { by: ins.keyword, line: ins.startLine };
    }
    // ONBUILD RUN runs later, in the build of an image FROM this one, with that build's context.
    if (ins.keyword === 'ONBUILD' && /^RUN\s/i.test(ins.args) && (ins.args.match(PIP_FETCH) !== null || APT.test(ins.args))) {
      skipped.push(
        `line ${ins.startLine}: ONBUILD RUN is left alone: it runs in the build of an image FROM this one, with that build's context; ` +
          'to use a wheelhouse there, put ONBUILD COPY wheelhouse/ /wheelhouse/ before it and add the wheelhouse flags by hand',
      );
      continue;
    }
    const stillOnline = (uses: readonly NetworkUse[]): void => {
      for (const use of uses) needsNetwork.push({ line: ins.startLine, ...use });
    };
    if (ins.keyword === 'ADD') stillOnline(addNetworkUses(withValues(ins.args, current.vars)));
    if (ins.keyword !== 'RUN') continue;
    const original = lines.slice(ins.startLine - 1, ins.endLine);
    // RUN flags (`--mount=…`, `--network=…`) come before the command.
    const command = ins.args.slice(splitFlags(ins.args).rest);
    const argv = execForm(ins.args);
    // The command as the builder runs it (comment lines inside it dropped); a heredoc's body is part of it.
    const written = argv !== null ? argv.join(' ') : heredocs(ins.args).length > 0 ? original.join('\n') : command;
    // The install_packages of balena's Alpine images runs apk add, not apt-get.
    const words = current.alpine ? written.replace(INSTALL_PACKAGES, 'apk add') : written;
    const usesPip = words.match(PIP_FETCH) !== null;
    const usesApt = APT.test(words);
    const others = [...new Set(words.match(OTHER_INSTALLERS)?.map((w) => w.replace(/\s+/g, ' ')) ?? [])];
    if (others.length > 0) {
      const exports = [...new Set(others.map((o) => EXPORT[o.split(' ')[0]!]!))];
      skipped.push(
        `line ${ins.startLine}: ${others.join(', ')} ${others.length > 1 ? 'install' : 'installs'} from the package index and is left alone (init rewrites pip and apt): ` +
          `write the lock file as requirements (${exports.join('; ')}), build the wheelhouse from them and install with pip install --no-index --find-links /wheelhouse`,
      );
    }
    // `RUN --network=none`: BuildKit gives the step no network, so nothing in it can need one.
    if (!splitFlags(ins.args).flags.includes('--network=none')) stillOnline(runNetworkUses(withCommandValues(words, current.vars), current.local));
    for (const manager of dependenciesLeftLocal(words)) current.local.add(manager);
    if (!usesPip && !usesApt) continue;
    // Exec form runs no shell unless it names one: `RUN ["sh", "-c", "apt-get update && …"]` is rewritten inside its script.
    if (argv !== null && (shellScript(argv) === null || ins.startLine !== ins.endLine)) {
      skipped.push(`line ${ins.startLine}: RUN in exec form (JSON) is left alone: rewrite it in shell form to use the wheelhouse or apt archives`);
      continue;
    }
    if (shell.shell !== null && argv === null) {
      skipped.push(
        `line ${ins.startLine}: RUN runs in ${shell.shell}${shell.line !== null ? ` (SHELL, line ${shell.line})` : ''}, not a POSIX shell, so it is left alone: ` +
          'COPY wheelhouse/ into the image and add pip install --no-index --find-links <that directory> by hand',
      );
      continue;
    }
    const heredoc = heredocs(ins.args).length > 0 ? shellHeredoc(command, original, file.escape) : null;
    if (heredocs(ins.args).length > 0 && heredoc === null) {
      skipped.push(`line ${ins.startLine}: RUN with a heredoc that is not a shell script is left alone: add the wheelhouse or apt-archives flags by hand`);
      continue;
    }
    // The rewrite goes into the command (there is one: it names pip or apt), after `RUN` and all
    // its flags, which may span lines; or into a heredoc's script, after its #! line.
    const at = argumentsPosition(original, file.escape)!;
    const flagLines = [...original.slice(0, at.line), original[at.line]!.slice(0, at.column)].join('\n');
    const block = original.join('\n');
    let body = heredoc !== null ? heredoc.script.join('\n') : argv !== null ? shellScript(argv)! : block.slice(flagLines.length);
    const script = heredoc !== null;
    const before: string[] = [];
    const what: string[] = [];
    if (usesApt && !block.includes('/offgrid/apt.conf')) {
      const key = `${ins.stage}:apt`;
      if (!copied.has(key) && !stageHas(ins.stage, '/offgrid/apt-archives')) {
        before.push(
          `${MARK} apt-archives/ is a local apt repository (offgrid cache export apt --out <context> writes it);`,
          `${MARK} with a Packages index in it, apt uses it alone (no network); empty, apt uses the network.`,
          `COPY ${OFFGRID_DIR}/ /offgrid/`,
          `COPY ${APT_ARCHIVES_DIR}/ /offgrid/apt-archives/`,
        );
        copied.add(key);
      }
      body = commandLines(body, (line) => line.replace(SUDO_APT, (apt: string) => `${apt} ${SUDO_APT_CONFIG}`), script);
      if (heredoc === null) body = APT_PREFIX + body;
      else {
        const lines = body.split('\n');
        const first = lines[0]?.startsWith('#!') ? 1 : 0;
        lines.splice(first, 0, APT_PREFIX_LINE + eol);
        body = lines.join('\n');
      }
      needs.add(APT_ARCHIVES_DIR).add(OFFGRID_DIR);
      what.push('apt from the local repository when present');
    }
    const pipBody = usesPip ? withWheelhouse(body, script) : body;
    if (pipBody !== body) {
      const key = `${ins.stage}:pip`;
      if (!copied.has(key) && !stageHas(ins.stage, '/wheelhouse')) {
        before.push(
          `${MARK} wheelhouse/ holds the wheels (offgrid wheelhouse -r requirements.txt); with wheels in it,`,
          `${MARK} pip installs from it alone (--no-index); empty, pip uses the index.`,
          `COPY ${WHEELHOUSE_DIR}/ /wheelhouse/`,
        );
        copied.add(key);
      }
      body = pipBody;
      needs.add(WHEELHOUSE_DIR);
      const requirements = pipRequirements(words);
      for (const r of requirements.byName) if (!byName.includes(r)) byName.push(r);
      for (const option of requirements.indexes) if (!indexes.includes(option)) indexes.push(option);
      // pip reads PIP_EXTRA_INDEX_URL from the step's environment: an ARG or ENV of the stage, or set in the step.
      const extraValue = current.vars.get('PIP_EXTRA_INDEX_URL');
      const extraIndex =
        /\bPIP_EXTRA_INDEX_URL=/.test(words) ? 'set in the step'
        : current.extraIndex === null || (extraValue !== undefined && PYPI_INDEX.test(extraValue)) ? null
        : `${current.extraIndex.by}, line ${current.extraIndex.line}${extraValue === undefined || extraValue === '' ? ', given at build time' : `: ${redact(extraValue)}`}`;
      const warning = requirementsWarning(requirements, extraIndex);
      what.push(warning === null ? 'pip from the wheelhouse when present' : `pip from the wheelhouse when present; ${warning}`);
    }
    if (what.length === 0) continue;
    changes.push(`line ${ins.startLine}: RUN ${command.split('\n')[0]!.slice(0, 50)}…: ${what.join('; ')}`);
    const rewritten =
      heredoc !== null
        ? [...heredoc.head, ...body.split('\n'), heredoc.close]
        : argv !== null
          ? [`${flagLines}[${[...argv.slice(0, -1), body].map((w) => JSON.stringify(w)).join(', ')}]${block.endsWith('\r') ? '\r' : ''}`]
          : (flagLines + body).split('\n');
    edits.push({ start: ins.startLine - 1, end: ins.endLine, replacement: [...before.map((l) => l + eol), ...rewritten] });
  }
  for (const edit of edits.reverse()) lines.splice(edit.start, edit.end - edit.start, ...edit.replacement);
  return { text: lines.join('\n'), changes, needs: [...needs].sort(), skipped, needsNetwork, byName, indexes };
}
