// What a Dockerfile step fetches that `offgrid init docker` cannot make local: files and
// install scripts fetched with curl or wget, `ADD <url>`, git repositories, apt signing keys
// and PPAs, and package managers other than pip and apt. Each keeps the build needing the
// network after init, so init names it with what to do instead. Pure: text in, findings out.
import { redact } from '../redact.js';
import { remoteAddSources } from '../capture/parsers/docker-add.js';

export interface NetworkUse {
  /** What the command fetches (`curl fetches https://…/x.tar.gz`). */
  readonly what: string;
  /** How to have it without the network. */
  readonly instead: string;
}

const FILE_INSTEAD = 'download it once into the build context and COPY it (an online `offgrid build` records its URL)';
const INSTALLER_INSTEAD = 'vendor what the script installs into the build context, or install it from apt-archives/ or wheelhouse/';
const KEY_INSTEAD = "keep the signing key in the build context and COPY it to /etc/apt/trusted.gpg.d/ (with the source's .list file); the packages then come from apt-archives/";

/** Package managers with no local archive in init, by program: the subcommands that fetch, the flags that keep them offline, and what to do. */
interface Manager {
  /** Subcommands (first word after the program's own options) that fetch; '' matches the program alone. */
  readonly fetching: readonly string[] | 'any';
  /** A flag that keeps the command off the network (`--offline`). */
  readonly offline: RegExp | null;
  readonly instead: string;
}

const NPM_INSTEAD = "a build without network needs the packages in the build context: an npm cache COPY'd in and `npm ci --offline --cache DIR`, or node_modules installed outside the build";
const MANAGERS: Readonly<Record<string, Manager>> = {
  npm: { fetching: ['ci', 'install', 'i', 'add', 'update', 'upgrade'], offline: /^--offline$/, instead: NPM_INSTEAD },
  yarn: { fetching: ['', 'install', 'add', 'upgrade'], offline: /^--offline$/, instead: "keep the packages in the build context (Yarn's offline mirror, `yarn install --offline`)" },
  pnpm: { fetching: ['install', 'i', 'add', 'fetch', 'update'], offline: /^--offline$/, instead: "keep the packages in the build context (`pnpm fetch` into a store COPY'd in, then `pnpm install --offline`)" },
  gem: { fetching: ['install'], offline: /^(?:--local|-l)$/, instead: 'keep the .gem files in the build context and `gem install --local`' },
  bundle: { fetching: ['', 'install', 'update'], offline: /^--local$/, instead: 'vendor the gems (`bundle cache`) into the build context and `bundle install --local`' },
  go: { fetching: ['get', 'mod download'], offline: null, instead: 'vendor the modules (`go mod vendor`) into the build context' },
  cargo: { fetching: ['install', 'fetch'], offline: /^(?:--offline|--frozen)$/, instead: 'vendor the crates (`cargo vendor`) into the build context and build with --offline' },
  composer: { fetching: ['install', 'require', 'update', 'create-project'], offline: null, instead: 'keep vendor/ (or a Composer artifact repository) in the build context' },
  conda: { fetching: ['install', 'create', 'update', 'env create', 'env update'], offline: /^--offline$/, instead: 'keep the packages in a local channel in the build context and install with --offline' },
  mamba: { fetching: ['install', 'create', 'update', 'env create', 'env update'], offline: /^--offline$/, instead: 'keep the packages in a local channel in the build context and install with --offline' },
  micromamba: { fetching: ['install', 'create', 'update'], offline: /^--offline$/, instead: 'keep the packages in a local channel in the build context and install with --offline' },
  pipx: { fetching: ['install'], offline: null, instead: 'put the package\'s wheels in the wheelhouse and `pipx install --pip-args="--no-index --find-links /wheelhouse"`' },
  mvn: { fetching: 'any', offline: /^(?:-o|--offline)$/, instead: 'put the Maven repository in the build context (`mvn dependency:go-offline -Dmaven.repo.local=…`) and build with -o' },
  gradle: { fetching: 'any', offline: /^--offline$/, instead: "put Gradle's dependency cache in the build context and build with --offline" },
  dotnet: { fetching: ['restore', 'add package', 'tool install'], offline: null, instead: 'keep the packages in a local NuGet feed in the build context (`dotnet restore --source DIR`)' },
};
/** Wrappers that run the same program: `./mvnw`, `./gradlew`. */
const WRAPPERS: Readonly<Record<string, string>> = { mvnw: 'mvn', gradlew: 'gradle' };

const URL_WORD = /^(?:https?|ftp):\/\/\S+$/i;
/** A shell variable as the whole word (`$URL`, `${URL}`): a URL curl gets at build time. */
const VARIABLE_WORD = /^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/;
const SHELLS = /^(?:ba|da|z|k)?sh$/;
const INTERPRETERS = /^(?:(?:ba|da|z|k)?sh|python[0-9.]*|perl|ruby|node)$/;
/** pip requirements that pip fetches from where they point, even with --no-index. */
const PIP_URL_REQUIREMENT = /^(?:(?:git|hg|svn|bzr)\+\S+|(?:https?|ftp):\/\/\S+)$/i;

/** One simple command of a shell line: its words, and whether its output is piped on. */
interface SimpleCommand {
  readonly words: readonly string[];
  /** The program the next command of a pipe is (`sh` in `curl … | sh`), or null. */
  readonly pipedTo: string | null;
}

/**
 * The simple commands of a RUN's shell text, roughly as sh would see them: split at `&&`,
 * `||`, `;`, `|`, newlines, `$(` and backquotes, quotes dropped (a `bash -c "curl …"` is
 * read as its inner command), `sudo`, `env` and `VAR=value` prefixes dropped.
 */
export function simpleCommands(text: string): SimpleCommand[] {
  const flat = text.replace(/\\\r?\n/g, ' ').replace(/["']/g, ' ');
  const parts = flat.split(/(&&|\|\||\||;|\n|\$\(|`|\(|\))/);
  const commands: { words: string[]; pipe: boolean }[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    commands.push({ words: programWords(parts[i]!.trim().split(/\s+/).filter(Boolean)), pipe: parts[i + 1] === '|' });
  }
  return commands
    .map((c, i) => ({ words: c.words, pipedTo: c.pipe ? (program(commands[i + 1]?.words ?? []) ?? null) : null }))
    .filter((c) => c.words.length > 0);
}

/** The words from the program on: wrappers (`sudo -E`, `env A=1`, `A=1`, `bash -c`, `exec`, `time`) dropped. */
function programWords(words: string[]): string[] {
  let i = 0;
  for (;;) {
    const word = words[i];
    if (word === undefined) return [];
    const name = word.replace(/^.*\//, '');
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word) || name === 'env' || name === 'exec' || name === 'time' || name === 'nohup') i++;
    else if (name === 'sudo') {
      i++;
      while (words[i]?.startsWith('-')) i++;
    } else if (SHELLS.test(name) && words.slice(i + 1).some((w) => w === '-c' || /^-[a-z]*c$/.test(w))) {
      i++;
      while (words[i]?.startsWith('-')) i++;
    } else return words.slice(i);
  }
}

function program(words: readonly string[]): string | null {
  const first = words[0];
  return first === undefined ? null : first.replace(/^.*\//, '');
}

/** The subcommand words after a program's options (`npm --loglevel=warn ci` → `ci`), up to two. */
function subcommand(words: readonly string[]): string[] {
  return words.slice(1).filter((w) => !w.startsWith('-')).slice(0, 2);
}

function fetcherUse(name: string, command: SimpleCommand): NetworkUse | null {
  const args = command.words.slice(1);
  const url = args.find((w) => URL_WORD.test(w)) ?? args.find((w) => VARIABLE_WORD.test(w));
  if (url === undefined) return null;
  const shown = redact(url);
  if (command.pipedTo === 'gpg' || command.pipedTo === 'gpg2' || command.pipedTo === 'apt-key') {
    return { what: `${name} fetches the signing key ${shown}`, instead: KEY_INSTEAD };
  }
  if (command.pipedTo !== null && INTERPRETERS.test(command.pipedTo)) {
    return { what: `${name} fetches ${shown} and runs it with ${command.pipedTo} (an install script, which downloads more)`, instead: INSTALLER_INSTEAD };
  }
  return { what: `${name} fetches ${shown}`, instead: FILE_INSTEAD };
}

function managerUse(name: string, manager: Manager, command: SimpleCommand): NetworkUse | null {
  const args = command.words.slice(1);
  if (manager.offline !== null && args.some((w) => manager.offline!.test(w))) return null;
  const sub = subcommand(command.words);
  let matched: string | null;
  // `mvn --version` fetches nothing; any goal may.
  if (manager.fetching === 'any') matched = sub[0] ?? null;
  else {
    const one = sub[0] ?? '';
    const two = sub.join(' ');
    matched = manager.fetching.includes(two) && sub.length === 2 ? two : manager.fetching.includes(one) ? one : null;
    // `go install pkg@version` fetches; `go install ./cmd/…` builds what is there.
    if (matched === null && name === 'go' && one === 'install' && sub[1]?.includes('@')) matched = 'install';
  }
  if (matched === null) return null;
  const shown = matched === '' ? name : `${name} ${matched}`;
  return { what: `${shown} fetches from ${name === 'go' ? 'the module proxy' : 'its package registry'}`, instead: manager.instead };
}

function commandUse(command: SimpleCommand): NetworkUse | null {
  const name = program(command.words);
  if (name === null) return null;
  const sub = subcommand(command.words);
  switch (name) {
    case 'curl':
    case 'wget':
    case 'aria2c':
      return fetcherUse(name, command);
    case 'git':
      if (['clone', 'fetch', 'pull', 'ls-remote'].includes(sub[0] ?? '') || (sub[0] === 'submodule' && sub[1] === 'update')) {
        const url = command.words.find((w) => URL_WORD.test(w) || /^git@[^\s:]+:/.test(w));
        return { what: `git ${sub[0]}${url === undefined ? '' : ` ${redact(url)}`} fetches a repository`, instead: 'put the repository in the build context (a git submodule or a checkout beside the Dockerfile) and COPY it' };
      }
      return null;
    case 'add-apt-repository':
    case 'apt-add-repository': {
      // A PPA's key and details come from Launchpad; a component (`universe`) or a `deb …` line is only written to the sources.
      const source = command.words.slice(1).find((w) => !w.startsWith('-'));
      if (source === undefined || !source.startsWith('ppa:')) return null;
      return { what: `${name} ${source} fetches the PPA's signing key from Launchpad`, instead: KEY_INSTEAD };
    }
    case 'apt-key':
    case 'gpg':
    case 'gpg2':
      if (command.words.some((w) => /^--(?:recv-keys?|keyserver|fetch-keys?)$/.test(w))) return { what: `${name} fetches a signing key from a keyserver`, instead: KEY_INSTEAD };
      return null;
    default: {
      const manager = MANAGERS[WRAPPERS[name] ?? name];
      return manager === undefined ? null : managerUse(WRAPPERS[name] ?? name, manager, command);
    }
  }
}

/** pip install of a URL or VCS requirement: pip fetches it from there even with --no-index. */
function pipUrlUse(command: SimpleCommand): NetworkUse | null {
  const words = command.words;
  const name = program(words);
  const pip = name !== null && (/^pip(?:3(?:\.\d+)?)?$/.test(name) ? 1 : /^python[0-9.]*$/.test(name) && words[1] === '-m' && words[2] === 'pip' ? 3 : 0);
  if (!pip || !words.slice(pip).includes('install')) return null;
  // A URL right after an index option is an index, not a requirement.
  const requirement = words.find((w, i) => PIP_URL_REQUIREMENT.test(w) && !/^(?:-i|--index-url|--extra-index-url|-f|--find-links|--trusted-host)$/.test(words[i - 1] ?? ''));
  if (requirement === undefined) return null;
  return {
    what: `pip installs ${redact(requirement)}, which it fetches from there even with --no-index`,
    instead: 'build its wheel into the wheelhouse (offgrid wheelhouse reads the same requirement) and install the package by name',
  };
}

/** The network uses of a RUN step's shell text (a heredoc's script included), each once, in order. */
export function runNetworkUses(text: string): NetworkUse[] {
  const found = new Map<string, NetworkUse>();
  for (const command of simpleCommands(text)) {
    for (const use of [commandUse(command), pipUrlUse(command)]) if (use !== null && !found.has(use.what)) found.set(use.what, use);
  }
  return [...found.values()];
}

/** The network uses of an ADD instruction's arguments: each URL or git repository the builder fetches. */
export function addNetworkUses(args: string): NetworkUse[] {
  return remoteAddSources(`ADD ${args}`).map((source) => ({
    what: `ADD ${redact(source)} is fetched by the builder on the daemon's network (--network=none does not stop it)`,
    instead: /\.git(?:#|$)|^git@/.test(source) ? 'put the repository in the build context and COPY it' : FILE_INSTEAD,
  }));
}
