// The Docker engine at the edge: is a daemon there, which builder it offers (BuildKit or
// the legacy one), whether an image exists and how big it is. Debian's client
// (/usr/bin/docker) is preferred: another client build earlier in PATH may lack BuildKit
// support (a client ≥ 23 without the buildx plugin).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { OffgridError } from '../errors.js';
import { type ClientVersions, clientVersions } from './client-version.js';
import { daemonSocket, getJson, imagePath } from './engine-api.js';

export type Builder = 'buildkit' | 'legacy';

export interface Engine {
  /** The client binary. */
  readonly docker: string;
  readonly clientVersion: string;
  readonly serverVersion: string;
  readonly builder: Builder;
  /** The daemon's socket where the client itself would use it (engine-api.ts), else null: then only the client is asked. */
  readonly socket: string | null;
}

export interface Exec {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `$OFFGRID_DOCKER`, else Debian's client, else `docker` from PATH. */
export function dockerClient(env: NodeJS.ProcessEnv): string {
  if (env.OFFGRID_DOCKER) return env.OFFGRID_DOCKER;
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

export function exec(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Exec> {
  return new Promise((resolve) => {
    const child = spawn(file, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: e.code === 'ENOENT' ? `${file}: command not found` : e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const major = (version: string): number => Number(/^(\d+)/.exec(version)?.[1] ?? NaN);

/**
 * BuildKit or legacy. Clients before 23 build with BuildKit themselves when
 * DOCKER_BUILDKIT=1 and the daemon is 18.09 or newer; from 23 on, the client hands
 * BuildKit builds to the buildx plugin and fails without it. `forced` comes from
 * DOCKER_BUILDKIT=0/1 or --builder.
 */
export function chooseBuilder(clientVersion: string, serverVersion: string, buildxWorks: boolean, forced: Builder | null): Builder {
  if (forced !== null) return forced;
  const client = major(clientVersion);
  const server = serverVersion.split('.').map(Number);
  const serverHasBuildKit = (server[0] ?? 0) > 18 || ((server[0] ?? 0) === 18 && (server[1] ?? 0) >= 9);
  if (!serverHasBuildKit) return 'legacy';
  if (Number.isFinite(client) && client >= 23) return buildxWorks ? 'buildkit' : 'legacy';
  return 'buildkit';
}

/** Whether `docker build` takes `--build-context`: only when it hands the build to buildx (clients from 23 on). */
export function passesBuildContexts(engine: Engine): boolean {
  return engine.builder === 'buildkit' && major(engine.clientVersion) >= 23;
}

export const DAEMON_HINT = 'start it (`sudo systemctl start docker`, or `sudo dockerd &` on a machine without systemd) and run offgrid again';

/** The builder the environment asks for: DOCKER_BUILDKIT=0 means the legacy builder; otherwise the engine decides. */
export function builderFromEnv(env: NodeJS.ProcessEnv): Builder | null {
  return env.DOCKER_BUILDKIT === '0' ? 'legacy' : null;
}

/**
 * The engine, or an OffgridError saying why there is none and what to do. Where the client
 * would use the daemon's local socket and its version is remembered (client-version.ts),
 * the socket answers for the daemon and no client process starts; otherwise
 * `docker version` answers for both.
 */
export async function probeEngine(docker: string, env: NodeJS.ProcessEnv, forced: Builder | null, versions: ClientVersions = clientVersions(env)): Promise<Engine> {
  const socket = daemonSocket(env);
  const remembered = socket === null ? null : versions.get(docker);
  if (socket !== null && remembered !== null) {
    const server = ((await getJson(socket, '/version')) as { Version?: unknown } | null)?.Version;
    if (typeof server === 'string' && server !== '') return engineOf(docker, remembered, server, socket, env, forced);
  }
  const version = await exec(docker, ['version', '--format', '{{.Client.Version}}|{{.Server.Version}}'], env, 30_000);
  const [clientVersion = '', serverVersion = ''] = version.stdout.trim().split('|');
  if (version.code === null && /command not found/.test(version.stderr)) {
    throw new OffgridError('EDOCKER', `the Docker client ${docker} is not installed: install Docker (Debian: apt-get install docker.io) or set OFFGRID_DOCKER to the client`);
  }
  if (version.code !== 0 || serverVersion === '' || serverVersion.includes('<no value>')) {
    const why = version.stderr.trim().split('\n').find((l) => l.trim() !== '') ?? 'no answer';
    throw new OffgridError('EDOCKER', `the Docker daemon is not running or not reachable (${why}): ${DAEMON_HINT}`);
  }
  versions.set(docker, clientVersion);
  return engineOf(docker, clientVersion, serverVersion, socket, env, forced);
}

async function engineOf(docker: string, clientVersion: string, serverVersion: string, socket: string | null, env: NodeJS.ProcessEnv, forced: Builder | null): Promise<Engine> {
  let buildx = false;
  if (major(clientVersion) >= 23 && forced === null) buildx = (await exec(docker, ['buildx', 'version'], env, 30_000)).code === 0;
  return { docker, clientVersion, serverVersion, builder: chooseBuilder(clientVersion, serverVersion, buildx, forced), socket };
}

/** Whether the daemon still answers (checked between services, to tell a stopped daemon from a failed build). */
export async function daemonAnswers(docker: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return (await exec(docker, ['version', '--format', '{{.Server.Version}}'], env, 20_000)).code === 0;
}

export async function imageExists(docker: string, image: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return (await exec(docker, ['image', 'inspect', '--format', '{{.Id}}', image], env, 30_000)).code === 0;
}

/** The image's size in bytes (the daemon's socket, else `docker image inspect`), or null when it cannot be read. */
export async function imageSize(engine: Engine, image: string, env: NodeJS.ProcessEnv): Promise<number | null> {
  const path = imagePath(image);
  if (engine.socket !== null && path !== null) {
    const size = ((await getJson(engine.socket, path)) as { Size?: unknown } | null)?.Size;
    if (typeof size === 'number' && Number.isFinite(size)) return size;
  }
  const r = await exec(engine.docker, ['image', 'inspect', '--format', '{{.Size}}', image], env, 30_000);
  const n = Number(r.stdout.trim());
  return r.code === 0 && Number.isFinite(n) ? n : null;
}
