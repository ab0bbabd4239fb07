// What the docker client says its version is, remembered per binary. Asking it starts the
// client (a Go program: 50–70 ms here) on the way to every build, while the daemon's half
// of `docker version` comes from its socket in a few ms (engine-api.ts). The answer is kept
// in $XDG_STATE_HOME/offgrid/docker-clients.json under the binary's real path, with its
// size, mtime and inode: an upgrade replaces the file, and the client is asked again.
// Only a speed-up: any failure to read or write it means asking the client.
import { mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

export interface ClientVersions {
  /** The remembered version of the client `docker` names, or null (never asked, or the binary changed). */
  get(docker: string): string | null;
  set(docker: string, version: string): void;
}

interface Remembered {
  readonly identity: string;
  readonly version: string;
}

function stateFile(env: NodeJS.ProcessEnv): string {
  const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'offgrid', 'docker-clients.json');
}

/** The file `docker` runs: itself when it is a path, else the first match on PATH, symlinks resolved. */
function binaryOf(docker: string, env: NodeJS.ProcessEnv): string | null {
  const candidates = docker.includes('/') ? [docker] : (env.PATH ?? '').split(delimiter).filter((dir) => dir !== '').map((dir) => join(dir, docker));
  for (const candidate of candidates) {
    try {
      const real = realpathSync(candidate);
      if (statSync(real).isFile()) return real;
    } catch {
      // not there: the next one
    }
  }
  return null;
}

function identity(path: string): string {
  const stat = statSync(path);
  return `${stat.size}:${stat.mtimeMs}:${stat.ino}`;
}

function isRemembered(value: unknown): value is Remembered {
  return typeof value === 'object' && value !== null && typeof (value as Remembered).identity === 'string' && typeof (value as Remembered).version === 'string';
}

export function clientVersions(env: NodeJS.ProcessEnv): ClientVersions {
  const file = stateFile(env);
  const readAll = (): Record<string, unknown> => {
    try {
      const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  return {
    get(docker) {
      const binary = binaryOf(docker, env);
      if (binary === null) return null;
      const entry = readAll()[binary];
      try {
        return isRemembered(entry) && entry.version !== '' && entry.identity === identity(binary) ? entry.version : null;
      } catch {
        return null;
      }
    },
    set(docker, version) {
      const binary = binaryOf(docker, env);
      if (binary === null || version === '') return;
      try {
        const all = { ...readAll(), [binary]: { identity: identity(binary), version } satisfies Remembered };
        mkdirSync(dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, `${JSON.stringify(all)}\n`);
        renameSync(tmp, file);
      } catch {
        // A read-only home: the client is asked each time, as before.
      }
    },
  };
}
