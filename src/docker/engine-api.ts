// The daemon's own HTTP API on its Unix socket, for the questions offgrid asks around a
// build (the daemon's version, how big the built image is). Starting the docker client for
// one answer costs 40–60 ms of a cached build's time; the socket answers in a few. The probe
// decides once which socket (engine.ts, Engine.socket). Only where the client itself
// would use that socket: DOCKER_HOST naming another transport (tcp, ssh), a context other
// than the default, or a client of the user's choosing (OFFGRID_DOCKER) leaves the answer
// to the client, as does any failure here.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

const DEFAULT_SOCKET = '/var/run/docker.sock';

/** The socket the docker client would talk to, or null when it would not use a local socket (or offgrid cannot tell). */
export function daemonSocket(env: NodeJS.ProcessEnv): string | null {
  if (env.OFFGRID_DOCKER !== undefined && env.OFFGRID_DOCKER !== '') return null;
  if (env.DOCKER_CONTEXT !== undefined && env.DOCKER_CONTEXT !== '' && env.DOCKER_CONTEXT !== 'default') return null;
  const host = env.DOCKER_HOST;
  if (host !== undefined && host !== '') return host.startsWith('unix://') && host.length > 'unix://'.length ? host.slice('unix://'.length) : null;
  return currentContext(env) === null ? DEFAULT_SOCKET : null;
}

/** The context docker's config file selects (`currentContext`), null for the default one. */
function currentContext(env: NodeJS.ProcessEnv): string | null {
  let text: string;
  try {
    text = readFileSync(join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json'), 'utf8');
  } catch {
    return null; // no config file: the default context
  }
  try {
    const context = (JSON.parse(text) as { currentContext?: unknown }).currentContext;
    return typeof context === 'string' && context !== '' && context !== 'default' ? context : null;
  } catch {
    return 'unreadable'; // the client will complain about it; offgrid does not guess
  }
}

/** GET `path` from the daemon; the parsed JSON of a 200 answer, else null (any failure: the caller asks the client instead). */
export function getJson(socket: string, path: string, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve) => {
    // Its own connection, not the global agent's: one request, and no TLS server-name work.
    const req = request({ createConnection: () => connect(socket), path, method: 'GET', headers: { host: 'docker' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => resolve(null));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(null);
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          resolve(null);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** An image reference as the API's path takes it; null for anything else (left to the client). */
export function imagePath(image: string): string | null {
  return /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(image) && !image.includes('..') ? `/images/${image}/json` : null;
}
