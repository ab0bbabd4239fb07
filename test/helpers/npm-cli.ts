// The real npm, run against the npm mirror of a test proxy with its own empty cache and
// no user config, and a throwaway project for it to install.
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningProxy } from '../../src/capture/proxy/server.js';

/** `npm <args>` in `cwd`, its registry the proxy's `/npm/`, its cache `cache`; `extra` are more npm_config_* settings. */
export function npm(args: string[], cwd: string, proxy: RunningProxy, cache: string, extra: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_config_/i.test(k)) env[k] = v;
  Object.assign(env, {
    npm_config_registry: `${proxy.url}/npm/`,
    npm_config_cache: cache,
    npm_config_userconfig: '/dev/null',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_fetch_retries: '0',
    npm_config_replace_registry_host: 'always',
    ...extra,
  });
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** A new project directory under `work` depending on `deps`. */
export async function project(work: string, deps: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(work, 'app-'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: deps }));
  return dir;
}
