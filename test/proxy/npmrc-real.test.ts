// npm's registry, its credentials and its scopes' registries from real .npmrc files
// (test/fixtures/upstreams/npmrc/), against the real npm: every host in a file is pointed at a
// registry of its own on 127.0.0.1 (fixed tokens in the variables the files name), npm asks for
// a package, and offgrid must send the Authorization npm sent to its registry and let through
// the registry of every scope npm asked.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { resolveUpstreams, type CommandResult } from '../../src/capture/proxy/upstreams.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/upstreams/npmrc/', import.meta.url));
const hasNpm = spawnSync('npm', ['--version']).status === 0;

interface Asked {
  readonly origin: string;
  readonly path: string;
  readonly authorization: string | null;
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('.npmrc files from public repositories and docs, against npm itself', () => {
  for (const name of readdirSync(FIXTURES).filter((n) => n.endsWith('.npmrc'))) {
    it(name, { skip: !hasNpm && 'npm is not installed', timeout: 120_000 }, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'offgrid-npmrc-real-'));
      const servers: Server[] = [];
      const asked: Asked[] = [];
      try {
        let text = await readFile(join(FIXTURES, name), 'utf8');
        const origins = new Map<string, string>();
        // The first registry stands in for the ones only variables name (CODEARTIFACT_ENDPOINT).
        for (const host of new Set(['variables.invalid', ...[...text.matchAll(/\/\/([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?=[/:\s"]|$)/gim)].map((m) => m[1]!.toLowerCase())])) {
          const server = createServer((req, res) => {
            asked.push({ origin: `127.0.0.1:${(server.address() as AddressInfo).port}`, path: req.url ?? '', authorization: req.headers.authorization ?? null });
            res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
          });
          await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
          servers.push(server);
          origins.set(host, `127.0.0.1:${(server.address() as AddressInfo).port}`);
        }
        for (const [host, origin] of origins) text = text.replace(new RegExp(`https?://${host.replace(/\./g, '\\.')}`, 'gi'), `http://${origin}`).replace(new RegExp(`//${host.replace(/\./g, '\\.')}`, 'gi'), `//${origin}`);
        await writeFile(join(dir, 'npmrc'), text);
        const local = origins.get('variables.invalid')!;
        const env: NodeJS.ProcessEnv = {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: dir,
          npm_config_userconfig: join(dir, 'npmrc'),
          npm_config_globalconfig: join(dir, 'no-global-npmrc'),
          npm_config_cache: join(dir, 'cache'),
          npm_config_fetch_retries: '0',
          npm_config_update_notifier: 'false',
          NPM_TOKEN: 'tok-npm',
          NODE_AUTH_TOKEN: 'tok-node',
          GITHUB_PACKAGES_TOKEN: 'tok-gh',
          FAKE_REGISTRY_TOKEN: 'tok-fake',
          NPM_AUTH: Buffer.from('user:pass').toString('base64'),
          CODEARTIFACT_AUTH_TOKEN: 'tok-ca',
          CODEARTIFACT_ENDPOINT: `http://${local}/npm/repo/`,
          REGISTRY_PATH: `${local}/npm/repo/`,
        };
        const choice = await resolveUpstreams({ pypi: ['http://127.0.0.1:9/simple'] }, (command, args) => run(command, args, dir, env), env);
        const packages = [...text.matchAll(/^\s*(@[^:\s]+):registry\s*=/gm)].map((m) => `${m[1]!}/offgrid-probe`);
        if (choice.npm !== null && choice.npm.hostname === '127.0.0.1') packages.push('offgrid-probe');
        for (const pkg of packages) {
          const before = asked.length;
          const view = await run('npm', ['view', pkg, 'version'], dir, env);
          // npm asked its registry, or refused the file itself (npm 9+: a top-level _auth is ERR_INVALID_AUTH).
          if (asked.length === before) assert.match(view.stderr, /npm error code ERR_INVALID_AUTH/, `npm asked nothing for ${pkg}: ${view.stderr}`);
        }
        const reachable = new Set([choice.npm?.host, ...choice.direct.map((url) => url.host)]);
        for (const request of asked) assert.ok(reachable.has(request.origin), `npm asked ${request.origin}${request.path}; offgrid lets through ${[...reachable].join(', ')}`);
        const unscoped = asked.find((request) => request.path.endsWith('/offgrid-probe'));
        if (unscoped) assert.equal(choice.npmAuthorization, unscoped.authorization, 'the Authorization npm sends to its registry');
      } finally {
        for (const server of servers) await new Promise((resolve) => server.close(resolve));
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
