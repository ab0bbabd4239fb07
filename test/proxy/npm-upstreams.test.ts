// The npm mirror's upstream is npm's own registry setting, read from
// `npm config get registry` output captured on this machine (test/fixtures/upstreams/).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { chooseUpstreams, npmRegistryIsProtected, parseNpmRegistry, readToolUpstreams } from '../../src/capture/proxy/upstreams.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/upstreams/${name}`, import.meta.url), 'utf8');
const noPip = { indexUrl: null, extraIndexUrls: [] };

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

  it('--npm-upstream wins; no npm at all means no upstream', () => {
    assert.equal(chooseUpstreams(noPip, 'https://registry.npm.invalid/', { npm: 'http://127.0.0.1:5/x' }).npm?.href, 'http://127.0.0.1:5/x/');
    assert.equal(chooseUpstreams(noPip, null, {}).npm, null);
    assert.equal(parseNpmRegistry(''), null);
  });
});
