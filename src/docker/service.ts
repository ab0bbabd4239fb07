// What `offgrid build` needs to know about one service: where its build context and
// Dockerfile are, its build args and target, and the image name it is tagged with.
// Compose files and offgrid's own config are both read into this shape.

export interface ServiceSpec {
  readonly name: string;
  /** Absolute path of the build context. */
  readonly context: string;
  /**
   * Absolute path of the Dockerfile. With build.dockerfile_inline, the file the build writes
   * the inline text to (beside the service's log), not one in the project.
   */
  readonly dockerfile: string;
  /** build.dockerfile_inline: the Dockerfile's text, or null when it is a file in the project. */
  readonly dockerfileInline: string | null;
  readonly args: Readonly<Record<string, string>>;
  readonly target: string | null;
  /** The tag given to the built image. */
  readonly image: string;
  /**
   * build.additional_contexts: name → a directory (absolute) or a reference as written
   * (docker-image://…, https://…), passed as `--build-context NAME=VALUE`.
   */
  readonly additionalContexts: Readonly<Record<string, string>>;
  /**
   * Services whose images this build takes as named contexts (`additional_contexts:
   * NAME=service:OTHER`), already turned into `docker-image://` their image: built first.
   */
  readonly buildsFirst: readonly string[];
  /** build.ssh: `default` or `ID=PATH` (a path resolved), passed as `--ssh` (BuildKit's `RUN --mount=type=ssh`). */
  readonly ssh: readonly string[];
  /** build.secrets, resolved against the top-level `secrets:`: `--secret id=ID,src=FILE` or `,env=VAR`. */
  readonly secrets: readonly string[];
  /**
   * The variables those `env=` secrets read, with their values from the shell or the
   * project's .env (compose reads both): put in docker build's environment, the only place
   * `--secret env=` looks. Never on its command line, which is logged.
   */
  readonly secretEnv: Readonly<Record<string, string>>;
  /** build.extra_hosts as `HOST:IP`, passed as `--add-host` (a private index the build resolves that way). */
  readonly extraHosts: readonly string[];
  /** Compose's other build fields that docker build takes as options (build-command.ts decides what each mode passes). */
  readonly options: BuildOptions;
}

/** build.network, cache_from, cache_to, platforms, labels, shm_size, tags, pull and no_cache, as compose writes them (interpolated). */
export interface BuildOptions {
  /** build.network: `host`, `none`, `default` or a network's name; null when not set. */
  readonly network: string | null;
  /** `--cache-from`/`--cache-to` values (`type=registry,ref=…`, `type=local,src=…`, or an image). */
  readonly cacheFrom: readonly string[];
  readonly cacheTo: readonly string[];
  /** `linux/amd64`, `linux/arm64`, …: the platforms compose builds the image for. */
  readonly platforms: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** `--shm-size` (`2gb`, or bytes). */
  readonly shmSize: string | null;
  /** Tags besides the image name. */
  readonly tags: readonly string[];
  /** build.pull: pull newer base images on every build. */
  readonly pull: boolean;
  readonly noCache: boolean;
  /** Build fields the service sets that offgrid does not pass on (isolation, privileged, …): named in a warning. */
  readonly unused: readonly string[];
}

/** A service with none of them set (offgrid.yaml's services, and compose services that set none). */
export const NO_BUILD_OPTIONS: BuildOptions = { network: null, cacheFrom: [], cacheTo: [], platforms: [], labels: {}, shmSize: null, tags: [], pull: false, noCache: false, unused: [] };

export interface ProjectServices {
  /** The file the services came from. */
  readonly file: string;
  /** Services with a build section, in file order. */
  readonly buildable: readonly ServiceSpec[];
  /** Services without a build section (name → the image they use, if any). */
  readonly imageOnly: ReadonlyMap<string, string | null>;
  /** Services with a build section offgrid cannot build (name → why, with the file and line, and what to do). */
  readonly unbuildable: ReadonlyMap<string, string>;
  /** Services (of any kind) whose `profiles:` are all inactive (COMPOSE_PROFILES): left out unless named. */
  readonly profileOff: ReadonlyMap<string, readonly string[]>;
}

/**
 * compose-go's NormalizeProjectName, which compose applies to the directory's name and to a
 * file's top-level `name:`: lower case, only [a-z0-9_-] kept, no leading `_` or `-`.
 */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]+/g, '').replace(/^[_-]+/, '');
}

/** A project name compose accepts when it is set explicitly (COMPOSE_PROJECT_NAME): one normalising leaves as it is. */
export const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * Compose's default image name: `<project>-<service>` (the project name already normalised),
 * the service's part lower case with characters Docker accepts.
 */
export function defaultImageName(project: string, service: string): string {
  const clean = service.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[-_.]+/, '');
  return `${project}-${clean}`;
}

/** Service names as the compose schema allows them (`^[a-zA-Z0-9._-]+$`); they are used in file names (`build_<service>.log`). */
export const SERVICE_NAME = /^[a-zA-Z0-9._-]+$/;
