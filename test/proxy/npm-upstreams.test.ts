// The npm mirror's upstream is npm's own registry setting, read from
// `npm config get registry` output captured on this machine (test/fixtures/upstreams/).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chooseUpstreams, npmRegistryIsProtected, parseNpmRegistry, parseNpmScopeRegistries, readToolUpstreams, resolveUpstreams, type CommandRunner } from '../../src/capture/proxy/upstreams.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/upstreams/${name}`, import.meta.url), 'utf8');
const noPip = { indexUrl: null, extraIndexUrls: [], findLinks: [] };

describe('npm registry from `npm config get registry`', () => {
  it('the default registry', () => {
    assert.equal(parseNpmRegistry(fixture('npm-config-get-registry.default.txt')), 'https://registry.npm.invalid/');
  });

  it('a user config without a trailing slash gets one (tarball paths resolve under it)', () => {
    const registry = parseNpmRegistry(fixture('npm-config-get-registry.userconfig.txt'));
    assert.equal(registry, 'http://127.0.0.1:4873');
    assert.equal(chooseUpstreams(noPip, registry, {}).npm?.href, 'http://127.0.0.1:4873/');
  });

  it('npm refuses to print a registry with credentials; the environment variable is used', async () => {
    const stderr = fixture('npm-config-get-registry.protected.stderr.txt');
    assert.ok(npmRegistryIsProtected(stderr));
    const read = await readToolUpstreams(
      async (command) => (command === 'npm' ? { code: 1, stdout: '', stderr } : { code: 0, stdout: '', stderr: '' }),
      { npm_config_registry: 'https://u:t@npm.corp.example/r/' },
    );
    assert.equal(read.npmRegistry, 'https://u:t@npm.corp.example/r/');
  });

  it('a registry URL with credentials in an .npmrc (npm will not print it) is read from what npm hands to the commands it runs', async () => {
    const stderr = fixture('npm-config-get-registry.protected.stderr.txt');
    const calls: string[] = [];
    const read = await readToolUpstreams(async (command, args) => {
      calls.push([command, ...args].join(' '));
      if (command !== 'npm') return { code: 1, stdout: '', stderr: '' };
      return args[0] === 'exec' ? { code: 0, stdout: 'https://u:t@npm.corp.invalid/r/\n', stderr: '' } : { code: 1, stdout: '', stderr };
    }, {});
    assert.equal(read.npmRegistry, 'https://u:t@npm.corp.invalid/r/');
    assert.deepEqual(calls.filter((c) => c.startsWith('npm')), ['npm config get registry', 'npm exec -c printenv npm_config_registry']);
  });

  it('the real npm: a user .npmrc whose registry carries a password', async (t) => {
    if (spawnSync('npm', ['--version']).status !== 0) {
      t.skip('npm is not installed');
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), 'offgrid-npmrc-'));
    try {
      await writeFile(join(dir, 'npmrc'), 'registry=https://alice:pa55@npm.corp.invalid/r/\n');
      const env: NodeJS.ProcessEnv = { ...process.env, npm_config_userconfig: join(dir, 'npmrc') };
      delete env.npm_config_registry;
      delete env.NPM_CONFIG_REGISTRY;
      const runner: CommandRunner = async (command, args) => {
        const result = spawnSync(command, [...args], { cwd: dir, env, encoding: 'utf8', timeout: 20_000 });
        return { code: result.status, stdout: result.stdout, stderr: result.stderr };
      };
      const choice = await resolveUpstreams({ pypi: ['http://127.0.0.1:9/simple'] }, runner, env);
      assert.equal(choice.npm?.href, 'https://alice:pa55@npm.corp.invalid/r/');
      assert.ok(choice.notes.every((n) => !n.includes('pa55')));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--npm-upstream wins; no npm at all means no upstream', () => {
    assert.equal(chooseUpstreams(noPip, 'https://registry.npm.invalid/', { npm: 'http://127.0.0.1:5/x' }).npm?.href, 'http://127.0.0.1:5/x/');
    assert.equal(chooseUpstreams(noPip, null, {}).npm, null);
    assert.equal(parseNpmRegistry(''), null);
  });

  it("a scope's own registry (`@scope:registry=` in .npmrc or npm_config_@scope:registry) is let through, without its credentials", async () => {
    // npm 11, a project .npmrc overriding the user's, one with a password, one from the environment.
    const output = fixture('npm-config-list.scopes.txt');
    assert.deepEqual(parseNpmScopeRegistries(output), ['https://npm.myco.example/', 'https://user:***@npm.other.example/repo/', 'https://env.example/npm/']);
    const runner: CommandRunner = async (command, args) => {
      if (command !== 'npm') return { code: 1, stdout: '', stderr: '' };
      return args[1] === 'list' ? { code: 0, stdout: output, stderr: '' } : { code: 0, stdout: 'https://registry.npm.invalid/\n', stderr: '' };
    };
    // --npm-upstream does not change where the build's npm sends its scopes.
    for (const flags of [{ pypi: ['http://127.0.0.1:9/simple'] }, { pypi: ['http://127.0.0.1:9/simple'], npm: 'http://127.0.0.1:5/' }]) {
      const choice = await resolveUpstreams(flags, runner, {});
      assert.deepEqual(choice.direct.map(String), ['https://npm.myco.example/', 'https://npm.other.example/repo/', 'https://env.example/npm/']);
    }
    assert.deepEqual(chooseUpstreams(noPip, null, {}).direct, []);
  });
});
