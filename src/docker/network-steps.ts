// What a Dockerfile step fetches that `offgrid init docker` cannot make local: files and
// install scripts fetched with curl or wget, `ADD <url>`, git repositories, apt signing keys
// and PPAs, language toolchains, and package managers other than pip and apt (the
// distributions' own among them: apk, dnf/yum/microdnf, zypper, pacman), builds that fetch
// their dependencies (`cargo build`, `go build`, `dotnet publish`) unless an earlier step of
// the stage did, PowerShell downloads, Chocolatey, R packages, Playwright's browsers and PHP's
// install-php-extensions. Each
// keeps the build needing the network after init, so init names it with what to do instead.
// Pure: text in, findings out. Checked against 55 real Dockerfiles from public repositories; the
// test quotes the lines that shaped it.
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
const REPOSITORY_INSTEAD = 'put the repository in the build context (a git submodule or a checkout beside the Dockerfile) and COPY it';
const TOOLCHAIN_INSTEAD = 'start FROM an image that has the toolchain, or COPY it in from the build context';
/** A registration with a vendor's subscription service (RHSM, SUSE, Ubuntu Pro) needs that service; the packages it unlocks come from the vendor's repositories. */
const REGISTRATION_INSTEAD = 'start FROM an image that already has the subscribed packages, or install them from a local mirror of the subscribed repositories (a registration cannot happen offline)';

/** A package manager or toolchain installer init has no local archive for. */
interface Manager {
  /** Subcommands (after the program's options) that fetch; '' matches the program alone. */
  readonly fetching: readonly string[] | 'any';
  /** A flag that keeps the command off the network (`--offline`). */
  readonly offline: RegExp | null;
  /**
   * Subcommands that build the project and fetch the dependencies its manifest names (`cargo
   * build`, `go build`, `dotnet publish`), unless an earlier step of the stage left them local.
   */
  readonly building?: readonly string[];
  /** Subcommands besides `building` after which the project's dependencies are local (`cargo fetch`, `go mod download`). */
  readonly leavesLocal?: readonly string[];
  /** Options that take the next word as their value (`mvn -f pom.xml package`). */
  readonly valueOptions?: readonly string[];
  /** Where it fetches from, for the message (default: its package registry). */
  readonly from?: string;
  readonly instead: string;
}

const NPM_INSTEAD = "a build without network needs the packages in the build context: an npm cache COPY'd in and `npm ci --offline --cache DIR`, or node_modules installed outside the build";
const CONDA: Manager = { fetching: ['install', 'create', 'update', 'env create', 'env update'], offline: /^--offline$/, instead: 'keep the packages in a local channel in the build context and install with --offline' };
const PECL: Manager = { fetching: ['install', 'upgrade'], offline: null, instead: 'keep the package archive (.tgz) in the build context and install it by path' };
/**
 * Distribution package managers: they fetch from the distribution's mirrors on every build,
 * and init has a local repository only for apt (an RPM or apk one would be a redesign).
 */
const DISTRO_INSTEAD = 'keep the package files in the build context, COPY them and install them by path with the repositories off, or start FROM an image that has the packages';
const RPM: Manager = {
  fetching: ['install', 'update', 'upgrade', 'reinstall', 'groupinstall', 'group install', 'groupupdate', 'makecache', 'distro-sync', 'builddep', 'module install', 'localinstall'],
  offline: /^(?:-C|--cacheonly)$/,
  valueOptions: ['-x', '--exclude', '--installroot', '--releasever', '--enablerepo', '--disablerepo', '--repo', '--setopt'],
  from: "the distribution's RPM repositories",
  instead: "download the packages once (`dnf download --resolve --destdir rpms PKG…`) into the build context, COPY them and `dnf install --disablerepo='*' ./rpms/*.rpm` (microdnf: `rpm -i`), or start FROM an image that has the packages",
};
const MANAGERS: Readonly<Record<string, Manager>> = {
  apk: {
    fetching: ['add', 'update', 'upgrade', 'fetch'],
    offline: /^--no-network$/,
    valueOptions: ['-X', '--repository', '-p', '--root', '--arch', '--cache-dir', '--keys-dir', '--repositories-file'],
    from: "Alpine's repositories",
    instead: 'fetch the packages once (`apk fetch --recursive -o apks PKG…`) into the build context, COPY them and `apk add --no-network --allow-untrusted apks/*.apk`, or start FROM an image that has the packages',
  },
  dnf: RPM,
  dnf5: RPM,
  yum: RPM,
  microdnf: RPM,
  tdnf: RPM,
  zypper: {
    fetching: ['in', 'install', 'up', 'update', 'dup', 'dist-upgrade', 'ref', 'refresh', 'si', 'source-install', 'patch'],
    offline: null,
    valueOptions: ['-R', '--root', '-r', '--repo', '--installroot'],
    from: "the distribution's repositories",
    instead: DISTRO_INSTEAD,
  },
  aptitude: { fetching: ['install', 'update', 'upgrade', 'safe-upgrade', 'full-upgrade'], offline: null, from: "the distribution's repositories", instead: 'use apt-get, which init points at apt-archives/ (a local repository)' },
  emerge: { fetching: 'any', offline: null, valueOptions: ['--jobs', '-j', '--root', '--config-root'], from: "Gentoo's mirrors", instead: DISTRO_INSTEAD },
  // With npm's aliases of each (`npm install-clean` is `npm ci`), as `npm help` lists them.
  npm: {
    fetching: [
      'ci', 'clean-install', 'ic', 'install-clean', 'isntall-clean',
      'install', 'add', 'i', 'in', 'ins', 'inst', 'insta', 'instal', 'isnt', 'isnta', 'isntal', 'isntall',
      'install-test', 'it', 'install-ci-test', 'cit', 'clean-install-test', 'sit', 'update', 'up', 'upgrade', 'udpate',
    ],
    offline: /^--offline$/,
    valueOptions: ['--prefix', '-w', '--workspace', '-C'],
    instead: NPM_INSTEAD,
  },
  yarn: { fetching: ['', 'install', 'add', 'upgrade', 'global add'], offline: /^--offline$/, valueOptions: ['--cwd'], instead: "keep the packages in the build context (Yarn's offline mirror, `yarn install --offline`)" },
  pnpm: { fetching: ['install', 'i', 'add', 'fetch', 'update'], offline: /^--offline$/, valueOptions: ['-C', '--dir', '--filter', '-F'], instead: "keep the packages in the build context (`pnpm fetch` into a store COPY'd in, then `pnpm install --offline`)" },
  bun: { fetching: ['install', 'i', 'add'], offline: /^--offline$/, valueOptions: ['--cwd'], instead: NPM_INSTEAD },
  choco: { fetching: ['install', 'upgrade'], offline: null, from: 'the Chocolatey community repository', instead: 'keep the packages (.nupkg) in the build context and `choco install PKG --source DIR`' },
  winget: { fetching: ['install', 'upgrade'], offline: null, from: "winget's sources", instead: 'download the installers once into the build context, COPY them and run them' },
  scoop: { fetching: ['install', 'update'], offline: null, from: "scoop's buckets", instead: 'download the installers once into the build context, COPY them and run them' },
  playwright: {
    fetching: ['install'],
    offline: null,
    from: "Playwright's CDN (the browsers)",
    instead: 'start FROM a Playwright image that has the browsers (mcr.microsoft.com/playwright), or COPY them in from the build context with PLAYWRIGHT_BROWSERS_PATH',
  },
  corepack: { fetching: ['prepare', 'install', 'use', 'up'], offline: null, from: 'the npm registry', instead: 'COPY an archive `corepack pack` wrote into the build context and `corepack install -g ./corepack.tgz`' },
  gem: { fetching: ['install'], offline: /^(?:--local|-l)$/, instead: 'keep the .gem files in the build context and `gem install --local`' },
  bundle: { fetching: ['', 'install', 'update'], offline: /^--local$/, instead: 'vendor the gems (`bundle cache`) into the build context and `bundle install --local`' },
  go: {
    fetching: ['get', 'mod download'],
    building: ['build', 'test', 'run', 'vet', 'list', 'generate'],
    leavesLocal: ['mod download'],
    offline: /^-mod=vendor$/,
    valueOptions: ['-C', '-o'],
    from: 'the module proxy',
    instead: 'vendor the modules (`go mod vendor`) into the build context: go then builds from vendor/',
  },
  cargo: {
    fetching: ['install', 'fetch', 'vendor'],
    building: ['build', 'test', 'run', 'check', 'doc', 'bench', 'clippy', 'chef cook'],
    leavesLocal: ['fetch', 'vendor'],
    offline: /^(?:--offline|--frozen)$/,
    instead: 'vendor the crates (`cargo vendor`) into the build context and build with --offline',
  },
  composer: { fetching: ['install', 'require', 'update', 'create-project'], offline: null, valueOptions: ['-d', '--working-dir'], instead: 'keep vendor/ (or a Composer artifact repository) in the build context' },
  pecl: PECL,
  pear: PECL,
  conda: CONDA,
  mamba: CONDA,
  micromamba: CONDA,
  pipx: { fetching: ['install'], offline: null, instead: 'put the package\'s wheels in the wheelhouse and `pipx install --pip-args="--no-index --find-links /wheelhouse"`' },
  mvn: { fetching: 'any', offline: /^(?:-o|--offline)$/, valueOptions: ['-f', '--file', '-s', '--settings', '-gs', '--global-settings', '-P', '-pl', '--projects', '-t', '-l', '-T', '-e'], instead: 'put the Maven repository in the build context (`mvn dependency:go-offline -Dmaven.repo.local=…`) and build with -o' },
  gradle: { fetching: 'any', offline: /^--offline$/, valueOptions: ['-p', '-b', '-c', '-g', '-I', '--project-dir', '--gradle-user-home'], instead: "put Gradle's dependency cache in the build context and build with --offline" },
  dotnet: {
    fetching: ['restore', 'add package', 'tool install'],
    // Each of them restores first, unless --no-restore.
    building: ['build', 'publish', 'run', 'test', 'pack'],
    leavesLocal: ['restore'],
    offline: /^--no-restore$/,
    instead: 'keep the packages in a local NuGet feed in the build context (`dotnet restore --source DIR`), then build with --no-restore',
  },
  nvm: { fetching: ['install'], offline: null, from: 'nodejs.org', instead: TOOLCHAIN_INSTEAD },
  fnm: { fetching: ['install'], offline: null, from: 'nodejs.org', instead: TOOLCHAIN_INSTEAD },
  volta: { fetching: ['install'], offline: null, instead: TOOLCHAIN_INSTEAD },
  pyenv: { fetching: ['install'], offline: null, from: 'python.org', instead: TOOLCHAIN_INSTEAD },
  sdk: { fetching: ['install'], offline: /^--offline$/, from: 'SDKMAN', instead: TOOLCHAIN_INSTEAD },
  rustup: { fetching: ['install', 'update', 'toolchain install', 'target add', 'component add'], offline: null, from: 'the Rust distribution server', instead: TOOLCHAIN_INSTEAD },
  vcpkg: {
    fetching: ['install', 'x-set-installed'],
    offline: null,
    from: "the ports' upstream sources",
    instead: "keep vcpkg's downloads (VCPKG_DOWNLOADS) or a binary cache in the build context, or start FROM an image that has the libraries",
  },
  // Leiningen: any task resolves the project's dependencies (`lein deps`, `lein uberjar`) unless -o.
  lein: { fetching: 'any', offline: /^-o$/, from: 'Maven Central and Clojars', instead: "put Leiningen's local repository (~/.m2) in the build context and run lein -o" },
  // Registering the image with a vendor's subscription service, to reach the subscribed repositories.
  'subscription-manager': { fetching: ['register', 'attach', 'refresh'], offline: null, from: "Red Hat's subscription service", instead: REGISTRATION_INSTEAD },
  ua: { fetching: ['attach', 'enable', 'refresh'], offline: null, from: "Canonical's contract server", instead: REGISTRATION_INSTEAD },
  pro: { fetching: ['attach', 'enable', 'refresh'], offline: null, from: "Canonical's contract server", instead: REGISTRATION_INSTEAD },
};
/** Wrappers that run the same program: `./mvnw`, `./gradlew`. */
const WRAPPERS: Readonly<Record<string, string>> = { mvnw: 'mvn', gradlew: 'gradle' };

const URL_WORD = /^(?:https?|ftp):\/\/\S+$/i;
/** A URL that never leaves the build container (a server the step itself started). */
const LOCAL_URL = /^(?:https?|ftp):\/\/(?:localhost|127(?:\.\d+){3}|0\.0\.0\.0|\[::1\])(?::\d+)?(?:[/?#]|$)/i;
/** A shell variable as the word, or the start of one (`$URL`, `${BASE_URL}/x.tgz`): a URL given at build time. */
const VARIABLE_URL = /^\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)(?:\/\S*)?$/;
/** curl's and wget's options whose value is a file, header or credential, never the URL (curl's -O takes none). */
const FETCHER_VALUE_OPTIONS: Readonly<Record<string, ReadonlySet<string>>> = {
  curl: new Set(['-o', '--output', '-H', '--header', '-d', '--data', '--data-binary', '-u', '--user', '-A', '--user-agent', '-e', '--referer', '-w', '--write-out', '-K', '--config', '-x', '--proxy', '--cacert', '--cert', '-T', '--upload-file', '-b', '--cookie', '-c', '--cookie-jar', '-m', '--max-time', '--retry']),
  wget: new Set(['-O', '--output-document', '-P', '--directory-prefix', '-o', '--output-file', '-a', '--append-output', '-i', '--input-file', '-U', '--user-agent', '-e', '--execute', '-t', '--tries', '-T', '--timeout']),
  aria2c: new Set(['-o', '--out', '-d', '--dir', '-i', '--input-file']),
};
const SHELLS = /^(?:ba|da|z|k)?sh$/;
const INTERPRETERS = /^(?:(?:ba|da|z|k)?sh|python[0-9.]*|perl|ruby|node|php[0-9.]*|iex|invoke-expression|pwsh|powershell)$/i;
/** PowerShell's downloaders (Windows images), read like curl: the URL among their words. */
const POWERSHELL_FETCHERS: ReadonlySet<string> = new Set(['invoke-webrequest', 'iwr', 'invoke-restmethod', 'irm', 'start-bitstransfer']);
/** .NET's WebClient, as PowerShell lines call it: `(New-Object System.Net.WebClient).DownloadString('https://…')`. */
const WEBCLIENT_DOWNLOAD = /\.Download(?:File|String|Data)(?:Async)?\(\s*['"]?((?:https?|ftp):\/\/[^'"\s),]+)/gi;
/** R's installers (`Rscript -e "install.packages('x')"`, rocker's install2.r): they fetch from CRAN or where they name. */
const R_INSTALL = /\b(install\.packages|(?:remotes|devtools)::install_[a-z]+|BiocManager::install|pak::pkg_install|install2\.r|installGithub\.r)\b/g;
const R_INSTEAD = 'keep the package sources (.tar.gz) in the build context and install them by path (`install.packages(PATH, repos = NULL)`), or start FROM an image that has them';
/**
 * mlocati's install-php-extensions (the official PHP images' usual helper, FrankenPHP's own):
 * it installs each extension's system packages with apt-get or apk, PECL extensions from PECL
 * or GitHub, and `@composer` from getcomposer.org.
 */
const PHP_EXTENSIONS_USE: NetworkUse = {
  what: "install-php-extensions fetches the extensions' system packages from the distribution's repositories, and PECL extensions (and @composer) from PECL, GitHub or getcomposer.org",
  instead: 'start FROM an image that has the extensions, or install their packages with apt-get (from apt-archives/), build bundled ones with docker-php-ext-install and PECL ones with `pecl install ./NAME.tgz` from the build context',
};
/** Runners that run a package's command (`npx playwright install`): the command is read on its own. */
const RUNNERS: ReadonlySet<string> = new Set(['npx', 'bunx']);
/** Programs a fetched key is piped into, and the directories apt reads keys from. */
const KEY_SINKS = /^(?:gpg2?|apt-key)$/;
const KEY_PATH = /^(?:\/etc\/apt\/|\/usr\/share\/keyrings\/)/;
/** pip requirements that pip fetches from where they point, even with --no-index. */
const PIP_URL_REQUIREMENT = /^(?:(?:git|hg|svn|bzr)\+\S+|(?:https?|ftp):\/\/\S+)$/i;
/** A variable holding a pip requirement that is a URL (`${TORCH_WHL_URL}`). */
const PIP_URL_VARIABLE = /^\$\{?[A-Za-z0-9_]*(?:URL|URI|WHL|WHEEL)[A-Za-z0-9_]*\}?$/i;
const PIP_INDEX_OPTIONS = /^(?:-i|--index-url|--extra-index-url|-f|--find-links|--trusted-host|-c|--constraint|-r|--requirement)$/;

/** One simple command of a shell line: its words, and the program its output is piped or handed to. */
export interface SimpleCommand {
  readonly words: readonly string[];
  /** `sh` in `curl … | sh` and in `sh -c "$(curl …)"`; null when nothing runs the output. */
  readonly pipedTo: string | null;
  /** The words of the command the output is piped to (`tee /etc/apt/keyrings/x.asc`). */
  readonly pipedWords: readonly string[];
  /** The variables set for it (`GOFLAGS=-mod=vendor go build`), as `NAME=value`. */
  readonly assignments: readonly string[];
}

/** `$(…)` and backquoted commands, each replaced by a placeholder word part: their texts, in order. */
function extractSubstitutions(text: string): { outer: string; inner: string[] } {
  const inner: string[] = [];
  let outer = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '$' && text[i + 1] === '(' && text[i + 2] !== '(') {
      let depth = 1;
      let j = i + 2;
      for (; j < text.length && depth > 0; j++) {
        if (text[j] === '(') depth++;
        else if (text[j] === ')') depth--;
      }
      inner.push(text.slice(i + 2, depth === 0 ? j - 1 : j));
      outer += `\u0001${inner.length - 1}\u0001`;
      i = j - 1;
    } else if (c === '`') {
      const end = text.indexOf('`', i + 1);
      inner.push(text.slice(i + 1, end === -1 ? text.length : end));
      outer += `\u0001${inner.length - 1}\u0001`;
      i = end === -1 ? text.length : end;
    } else outer += c;
  }
  return { outer, inner };
}

const PLACEHOLDER = /\u0001(\d+)\u0001/g;
/**
 * A quoted value after `=`: `RUSTUP_DIST_SERVER="$MIRROR" rustup …`, `NODE_OPTIONS="--max-old-space-size=4096" npm ci`,
 * `-ldflags="-s -w"`. Its spaces are not word breaks; dropping the quotes alone would make the
 * value's words the program and hide the command.
 */
const QUOTED_VALUE = /(^|[\s;&|(])((?:--?)?[A-Za-z_][\w.-]*)=(?:"([^"]*)"|'([^']*)')/g;

/**
 * The simple commands of a RUN's shell text, roughly as sh would see them: split at `&&`,
 * `||`, `;`, `|`, newlines and parentheses, with `$(…)` and backquoted commands read as
 * commands of their own; quotes dropped (a `bash -c "curl …"` is read as its inner command)
 * but a quoted value after `=` kept one word,
 * `sudo`, `env` and `VAR=value` prefixes dropped. A word shows a substitution as `$(…)`.
 */
export function simpleCommands(text: string): SimpleCommand[] {
  const { outer, inner } = extractSubstitutions(text.replace(/\\\r?\n/g, ' '));
  // Shown as `$(…)`: a word stays one word (the command inside is read on its own).
  const restore = (word: string): string => word.replace(PLACEHOLDER, '$(…)');
  const joined = outer.replace(QUOTED_VALUE, (_m, before: string, name: string, double?: string, single?: string) => `${before}${name}=${(double ?? single)!.replace(/[\s;&|()]+/g, '_')}`);
  const parts = joined.replace(/["']/g, ' ').split(/(&&|\|\||\||;|\n|\(|\))/);
  const commands: { raw: string; words: string[]; assignments: string[]; shell: string | null; pipe: boolean }[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const { words, assignments, shell } = programWords(parts[i]!.trim().split(/\s+/).filter(Boolean));
    commands.push({ raw: parts[i]!, words, assignments, shell, pipe: parts[i + 1] === '|' });
  }
  const out: SimpleCommand[] = [];
  commands.forEach((c, i) => {
    // `sh -c "$(curl URL)"`: the shell runs what the substitution fetched.
    const only = c.words.length === 1 ? /^\u0001(\d+)\u0001$/.exec(c.words[0]!) : null;
    if (only !== null) {
      const runner = c.shell;
      simpleCommands(inner[Number(only[1])]!).forEach((s) => out.push(runner !== null && s.pipedTo === null ? { ...s, pipedTo: runner, pipedWords: [runner] } : s));
      return;
    }
    const piped = c.pipe ? (commands[i + 1]?.words ?? []) : [];
    if (c.words.length > 0) out.push({ words: c.words.map(restore), pipedTo: program(piped), pipedWords: piped.map(restore), assignments: c.assignments.map(restore) });
    // Substitutions are commands too (`curl "https://…/$(lsb_release -rs)/prod.list"`, `V=$(curl …)`).
    for (const m of c.raw.matchAll(PLACEHOLDER)) out.push(...simpleCommands(inner[Number(m[1])]!));
  });
  return out;
}

/** Words before a command that run it (`env`, `exec`), or the shell's keywords before one (`then curl …`, `do wget …`). */
const PREFIXES = new Set(['env', 'exec', 'time', 'nohup', 'command', 'if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{']);

/** The words from the program on, wrappers (`sudo -E`, `env A=1`, `A=1`, `exec`, `then`, `bash -c`) dropped; the `-c` shell, if any. */
function programWords(words: string[]): { words: string[]; assignments: string[]; shell: string | null } {
  let shell: string | null = null;
  const assignments: string[] = [];
  let i = 0;
  for (;;) {
    const word = words[i];
    if (word === undefined) return { words: [], assignments, shell };
    const name = word.replace(/^.*\//, '');
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) {
      assignments.push(word);
      i++;
    } else if (PREFIXES.has(name)) i++;
    else if (name === 'sudo') {
      i++;
      while (words[i]?.startsWith('-')) i++;
    } else if (SHELLS.test(name) && words.slice(i + 1).some((w) => w === '-c' || /^-[a-z]*c$/.test(w))) {
      shell = name;
      i++;
      while (words[i]?.startsWith('-')) i++;
    } else return { words: words.slice(i), assignments, shell };
  }
}

/** The program's name, its directory and a Windows `.exe` dropped. */
function program(words: readonly string[]): string | null {
  const first = words[0];
  return first === undefined ? null : first.replace(/^.*[/\\]/, '').replace(/\.exe$/i, '');
}

const REDIRECTION = /^(?:\d*|&)(?:[<>]|>>)/;

/** The words after a program's options (`mvn -f pom.xml package` → `package`), up to two. */
function subcommand(words: readonly string[], valueOptions: readonly string[] = []): string[] {
  const out: string[] = [];
  for (let i = 1; i < words.length && out.length < 2; i++) {
    const word = words[i]!;
    if (valueOptions.includes(word)) i++;
    // A redirection (`./lein &> /dev/null`, `2>&1`) is the shell's, not the program's.
    else if (REDIRECTION.test(word)) i += /[<>]$/.test(word) ? 1 : 0;
    else if (!word.startsWith('-')) out.push(word);
  }
  return out;
}

/** The URLs a curl or wget command fetches: its URL arguments, or a variable that holds one. */
function fetchedUrls(name: string, args: readonly string[]): string[] {
  const valueOptions = FETCHER_VALUE_OPTIONS[name];
  const urls: string[] = [];
  let variable: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (valueOptions?.has(word)) i++;
    else if (URL_WORD.test(word)) urls.push(word);
    else if (variable === null && VARIABLE_URL.test(word)) variable = word;
  }
  if (urls.length > 0) return urls.filter((url) => !LOCAL_URL.test(url));
  return variable === null ? [] : [variable];
}

function fetcherUses(name: string, command: SimpleCommand): NetworkUse[] {
  const args = command.words.slice(1);
  // A key: piped into gpg or apt-key, or written (by -o or a `| tee`) under apt's key directories.
  const writesKey =
    args.some((w, i) => (w === '-o' || w === '-O' || w === '--output') && KEY_PATH.test(args[i + 1] ?? '')) ||
    (command.pipedTo !== null && KEY_SINKS.test(command.pipedTo)) ||
    (command.pipedTo === 'tee' && command.pipedWords.some((w) => KEY_PATH.test(w)));
  return fetchedUrls(name, args).map((url) => {
    const shown = redact(url);
    if (writesKey) return { what: `${name} fetches the signing key ${shown}`, instead: KEY_INSTEAD };
    if (command.pipedTo !== null && INTERPRETERS.test(command.pipedTo)) {
      return { what: `${name} fetches ${shown} and runs it with ${command.pipedTo} (an install script, which downloads more)`, instead: INSTALLER_INSTEAD };
    }
    return { what: `${name} fetches ${shown}`, instead: FILE_INSTEAD };
  });
}

/** The subcommand of `list` a command runs (two words first: `mod download`), or null. */
function matching(sub: readonly string[], list: readonly string[]): string | null {
  const one = sub[0] ?? '';
  const two = sub.join(' ');
  return sub.length === 2 && list.includes(two) ? two : list.includes(one) ? one : null;
}

/** `local`: the managers whose project dependencies earlier steps left local, so their builds fetch nothing (null: not known, builds not counted). */
function managerUse(name: string, manager: Manager, command: SimpleCommand, local: ReadonlySet<string> | null): NetworkUse | null {
  const args = command.words.slice(1);
  if (manager.offline !== null && args.some((w) => manager.offline!.test(w))) return null;
  const sub = subcommand(command.words, manager.valueOptions);
  let matched: string | null;
  if (manager.fetching === 'any') matched = sub[0] ?? null; // `mvn --version` fetches nothing; any goal may
  else {
    matched = matching(sub, manager.fetching) ?? (local === null || local.has(name) ? null : matching(sub, manager.building ?? []));
    // `go install pkg@version` fetches; `go install ./cmd/…` builds what is there.
    if (matched === null && name === 'go' && sub[0] === 'install' && sub[1]?.includes('@')) matched = 'install';
  }
  if (matched === null) return null;
  // `pecl install ./redis-5.3.7.tgz` installs what is already there.
  if ((name === 'pecl' || name === 'pear') && args.filter((w) => !w.startsWith('-') && w !== matched).every((w) => /\.(?:tgz|tar\.gz)$/.test(w) && !w.includes('://'))) return null;
  const shown = matched === '' ? name : `${name} ${matched}`;
  return { what: `${shown} fetches from ${manager.from ?? 'its package registry'}`, instead: manager.instead };
}

/** The manager whose project dependencies are local once the command has run (`cargo fetch`, `go mod download`, a `cargo build`), or null. */
function leftLocal(command: SimpleCommand): string | null {
  const name = program(command.words);
  const canonical = name === null ? null : (WRAPPERS[name] ?? name.toLowerCase());
  const manager = canonical === null ? undefined : MANAGERS[canonical];
  if (manager === undefined || (manager.building === undefined && manager.leavesLocal === undefined)) return null;
  const sub = subcommand(command.words, manager.valueOptions);
  return matching(sub, [...(manager.building ?? []), ...(manager.leavesLocal ?? [])]) === null ? null : canonical;
}

/** `pacman -S`/`-Syu`/`--sync` installs or upgrades from the mirrors; `-Ss`, `-Si`, `-Sc`, `-Sl`, `-Sg` only read or clean what is here. */
function pacmanFetches(words: readonly string[]): boolean {
  return words.slice(1).some((w) => w === '--sync' || (/^-[A-Za-z]*S[A-Za-z]*$/.test(w) && !/^-S[siclg]+$/.test(w)));
}

function gitUse(command: SimpleCommand): NetworkUse | null {
  const sub = subcommand(command.words, ['-C', '-c']);
  const fetching = ['clone', 'fetch', 'pull', 'ls-remote'].includes(sub[0] ?? '') || (sub[0] === 'submodule' && sub[1] === 'update');
  if (!fetching) return null;
  const args = command.words.slice(1);
  const source = args.find((w) => URL_WORD.test(w) || /^git@[^\s:]+:/.test(w)) ?? (sub[0] === 'clone' ? args.find((w) => VARIABLE_URL.test(w)) : undefined);
  const label = sub[0] === 'submodule' ? 'submodule update' : sub[0]!;
  return { what: `git ${label}${source === undefined ? '' : ` ${redact(source)}`} fetches a repository`, instead: REPOSITORY_INSTEAD };
}

function commandUses(command: SimpleCommand, local: ReadonlySet<string> | null): NetworkUse[] {
  const name = program(command.words);
  if (name === null) return [];
  // `python3 -m pipx install …`, `python -m conda …`: the module is the program.
  if (/^python[0-9.]*$/.test(name) && command.words[1] === '-m' && command.words[2] !== undefined && command.words[2] !== 'pip') {
    return commandUses({ ...command, words: command.words.slice(2) }, local);
  }
  // `npx --yes playwright install`: the package's command.
  if (RUNNERS.has(name)) {
    const at = command.words.findIndex((w, i) => i > 0 && !w.startsWith('-'));
    return at === -1 ? [] : commandUses({ ...command, words: command.words.slice(at) }, local);
  }
  if (POWERSHELL_FETCHERS.has(name.toLowerCase())) return fetcherUses(name, command);
  switch (name) {
    case 'curl':
    case 'wget':
    case 'aria2c':
      return fetcherUses(name, command);
    case 'git': {
      const use = gitUse(command);
      return use === null ? [] : [use];
    }
    case 'add-apt-repository':
    case 'apt-add-repository': {
      // A PPA's key and details come from Launchpad; a component (`universe`) or a `deb …` line is only written to the sources.
      const source = command.words.slice(1).find((w) => !w.startsWith('-'));
      if (source === undefined || !source.startsWith('ppa:')) return [];
      return [{ what: `${name} ${source} fetches the PPA's signing key from Launchpad`, instead: KEY_INSTEAD }];
    }
    case 'SUSEConnect':
      // `SUSEConnect -r CODE` / `-p PRODUCT` registers with the SUSE Customer Center; `--cleanup`, `--status-text` do not.
      return command.words.some((w) => /^(?:-r|--regcode|-p|--product|-d|--de-register)$/.test(w))
        ? [{ what: 'SUSEConnect registers with the SUSE Customer Center (or the registration server it names)', instead: REGISTRATION_INSTEAD }]
        : [];
    case 'install-php-extensions':
      return command.words.slice(1).some((w) => !w.startsWith('-')) ? [PHP_EXTENSIONS_USE] : [];
    case 'pacman':
      return pacmanFetches(command.words) ? [{ what: "pacman -S fetches from the distribution's repositories", instead: DISTRO_INSTEAD }] : [];
    case 'apt-key':
    case 'gpg':
    case 'gpg2':
      if (command.words.some((w) => /^--(?:recv-keys?|keyserver|fetch-keys?)$/.test(w))) return [{ what: `${name} fetches a signing key from a keyserver`, instead: KEY_INSTEAD }];
      return [];
    default: {
      const canonical = WRAPPERS[name] ?? name.toLowerCase();
      const manager = MANAGERS[canonical];
      const use = manager === undefined ? null : managerUse(canonical, manager, command, local);
      return use === null ? [] : [use];
    }
  }
}

/** pip install of a URL or VCS requirement, and get-pip.py: they fetch from the network even when the wheelhouse is used. */
function pipUses(command: SimpleCommand): NetworkUse[] {
  const words = command.words;
  const name = program(words);
  if (name === null) return [];
  if (/^python[0-9.]*$/.test(name) && /(?:^|[/\\])get-pip\.py$/.test(words[1] ?? '') && !words.includes('--no-index')) {
    return [{ what: 'get-pip.py fetches pip, setuptools and wheel from PyPI', instead: 'put them in the wheelhouse and run get-pip.py --no-index --find-links /wheelhouse' }];
  }
  const pip = /^pip(?:3(?:\.\d+)?)?$/.test(name) ? 1 : /^python[0-9.]*$/.test(name) && words[1] === '-m' && words[2] === 'pip' ? 3 : 0;
  if (pip === 0 || !words.slice(pip).includes('install')) return [];
  const instead = 'build its wheel into the wheelhouse (offgrid wheelhouse reads the same requirement) and install the package by name';
  const uses: NetworkUse[] = [];
  words.forEach((w, i) => {
    // A find-links page: --no-index (init's flags) turns off the index, not the pages pip is told to read.
    const findLinks = /^(?:-f|--find-links)$/.test(words[i - 1] ?? '') ? w : /^--find-links=(.+)$/.exec(w)?.[1];
    if (findLinks !== undefined && /^https?:\/\//i.test(findLinks)) {
      uses.push({
        what: `pip reads the find-links page ${redact(findLinks)}, even with --no-index`,
        instead: 'give offgrid wheelhouse the same -f option (in the requirements it reads), so the wheelhouse holds the wheels the page lists, and drop it from this step',
      });
    }
    // A URL right after an index option is an index (or a file listing), not a requirement.
    if (PIP_INDEX_OPTIONS.test(words[i - 1] ?? '')) return;
    if (PIP_URL_REQUIREMENT.test(w)) uses.push({ what: `pip installs ${redact(w)}, which it fetches from there even with --no-index`, instead });
    else if (PIP_URL_VARIABLE.test(w)) uses.push({ what: `pip installs ${w}, a URL given at build time, which it fetches from there even with --no-index`, instead });
  });
  return uses;
}

/** The index clients a RUN step's shell text runs: pip (`pip3`, `python -m pip`), npm (`npx`, `pnpm`, `yarn`), apt (`apt-get`). */
export function indexClients(text: string): Set<'pip' | 'npm' | 'apt'> {
  const found = new Set<'pip' | 'npm' | 'apt'>();
  for (const { words } of simpleCommands(text)) {
    const name = program(words) ?? '';
    if (/^pip(?:3(?:\.\d+)?)?$/.test(name) || (/^python[0-9.]*$/.test(name) && words[1] === '-m' && words[2] === 'pip')) found.add('pip');
    else if (/^(?:npm|npx|pnpm|yarn)$/.test(name)) found.add('npm');
    else if (/^apt(?:-get)?$/.test(name)) found.add('apt');
  }
  return found;
}

/**
 * The network uses of a RUN step's shell text (a heredoc's script included), each once, in
 * order. `local`: the managers whose project dependencies earlier steps of the stage left
 * local (dependenciesLeftLocal); a build of theirs (`cargo build`) fetches nothing, nor one
 * after a fetch step earlier in this text. Null when the earlier steps are not known (a step
 * that already built without network, as verify reads it): builds are not counted then.
 */
export function runNetworkUses(text: string, local: ReadonlySet<string> | null = null): NetworkUse[] {
  const found = new Map<string, NetworkUse>();
  const here = local === null ? null : new Set(local);
  for (const command of simpleCommands(text)) {
    const offline = command.assignments.map(offlineBy).filter((m): m is string => m !== null);
    const scoped = here === null || offline.length === 0 ? here : new Set([...here, ...offline]);
    for (const use of [...commandUses(command, scoped), ...pipUses(command)]) if (!found.has(use.what)) found.set(use.what, use);
    const manager = leftLocal(command);
    if (manager !== null) here?.add(manager);
  }
  for (const use of [...webClientUses(text), ...rPackageUses(text)]) if (!found.has(use.what)) found.set(use.what, use);
  return [...found.values()];
}

/** WebClient downloads (`iex ((New-Object System.Net.WebClient).DownloadString('https://…/install.ps1'))`), which no word split reads: by the URL each names. */
function webClientUses(text: string): NetworkUse[] {
  return [...text.matchAll(WEBCLIENT_DOWNLOAD)].map((m) => {
    const before = text.slice(text.lastIndexOf('\n', m.index) + 1, m.index);
    const shown = redact(m[1]!);
    return /\b(?:iex|invoke-expression)\b/i.test(before)
      ? { what: `WebClient fetches ${shown} and runs it with PowerShell (an install script, which downloads more)`, instead: INSTALLER_INSTEAD }
      : { what: `WebClient fetches ${shown}`, instead: FILE_INSTEAD };
  });
}

/** R package installs, inside the R code of `Rscript -e "…"` or a heredoc, or by rocker's scripts. */
function rPackageUses(text: string): NetworkUse[] {
  return [...text.matchAll(R_INSTALL)]
    .filter((m) => !/^[^)]*\brepos\s*=\s*NULL/.test(text.slice(m.index))) // a package file installed by path
    .map((m) => ({ what: `R's ${m[1]} fetches packages from CRAN (or the repository it names)`, instead: R_INSTEAD }));
}

/**
 * The manager whose builds a variable keeps off the network (`GOFLAGS=-mod=vendor`: go builds
 * from vendor/; `GOPROXY=off`; `CARGO_NET_OFFLINE=true`), set for one command or by ENV; or null.
 */
export function offlineBy(assignment: string): string | null {
  const eq = assignment.indexOf('=');
  const name = assignment.slice(0, eq);
  const value = assignment.slice(eq + 1).replace(/^["']|["']$/g, '');
  if (name === 'GOFLAGS' && /(?:^|[\s_])-mod=vendor(?:$|[\s_])/.test(value)) return 'go';
  if (name === 'GOPROXY' && value === 'off') return 'go';
  if (name === 'CARGO_NET_OFFLINE' && value === 'true') return 'cargo';
  return null;
}

/**
 * Where each manager keeps the dependencies it fetched, in the official images: a COPY of it
 * from a stage that fetched them (cargo-chef's `COPY --from=cacher /usr/local/cargo /usr/local/cargo`)
 * leaves them local in the stage too.
 */
const DEPENDENCY_HOMES: Readonly<Record<string, RegExp>> = {
  cargo: /^(?:\/usr\/local\/cargo|\/root\/\.cargo|\$\{?CARGO_HOME\}?)(?:\/registry)?\/?$/,
  go: /^(?:\/go|\/go\/pkg|\/go\/pkg\/mod|\/root\/go|\/root\/go\/pkg\/mod|\$\{?GOPATH\}?(?:\/pkg(?:\/mod)?)?|\$\{?GOMODCACHE\}?)\/?$/,
};

/** The managers among `local` whose dependency home is one of `sources` (a COPY --from's source paths). */
export function dependenciesCopied(sources: readonly string[], local: ReadonlySet<string>): string[] {
  return [...local].filter((manager) => DEPENDENCY_HOMES[manager] !== undefined && sources.some((path) => DEPENDENCY_HOMES[manager]!.test(path)));
}

/** The managers (cargo, go, dotnet) whose project dependencies are local after a RUN step's shell text: a later build in the stage finds them. */
export function dependenciesLeftLocal(text: string): string[] {
  return [...new Set(simpleCommands(text).map(leftLocal).filter((m): m is string => m !== null))];
}

/** The network uses of an ADD instruction's arguments: each URL or git repository the builder fetches. */
export function addNetworkUses(args: string): NetworkUse[] {
  return remoteAddSources(`ADD ${args}`).map((source) => ({
    what: `ADD ${redact(source)} is fetched by the builder on the daemon's network (--network=none does not stop it)`,
    instead: /\.git(?:[#?]|$)|^git@|^(?:git|ssh):\/\//.test(source) ? REPOSITORY_INSTEAD : FILE_INSTEAD,
  }));
}

/** A `# syntax=` directive: BuildKit looks the frontend image up on its registry on every build. */
export function syntaxNetworkUse(image: string): NetworkUse {
  return {
    what: `the \`# syntax=${image}\` line makes BuildKit look this frontend up on its registry on every build, on the daemon's network`,
    instead: "remove the line to use the builder's own frontend (since Docker 23 it builds heredocs and cache mounts without one), or serve the image from a registry the air-gapped machine reaches",
  };
}
