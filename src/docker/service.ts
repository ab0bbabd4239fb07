// What `offgrid build` needs to know about one service: where its build context and
// Dockerfile are, its build args and target, and the image name it is tagged with.
// Compose files and offgrid's own config are both read into this shape.

export interface ServiceSpec {
  readonly name: string;
  /** Absolute path of the build context. */
  readonly context: string;
  /** Absolute path of the Dockerfile. */
  readonly dockerfile: string;
  readonly args: Readonly<Record<string, string>>;
  readonly target: string | null;
  /** The tag given to the built image. */
  readonly image: string;
}

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

/** Compose's default image name: `<project>-<service>`, lower case, with characters Docker accepts. */
export function defaultImageName(project: string, service: string): string {
  const clean = (s: string): string => s.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[-_.]+/, '');
  return `${clean(project) || 'project'}-${clean(service)}`;
}

/** Service names as the compose schema allows them (`^[a-zA-Z0-9._-]+$`); they are used in file names (`build_<service>.log`). */
export const SERVICE_NAME = /^[a-zA-Z0-9._-]+$/;
