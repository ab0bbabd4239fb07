// The credentials npm sends to its registry, read from the .npmrc files npm names in
// `npm config list` (captured from npm 11, test/fixtures/upstreams/), matched the way
// npm-registry-fetch matches them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { npmConfigFiles, npmRegistryAuthorization, parseNpmrc } from '../../src/capture/proxy/npmrc.js';
import { resolveUpstreams, type CommandRunner } from '../../src/capture/proxy/upstreams.js';

const fixture = (name: string): string => readFileSync(new URL(`../../../test/fixtures/upstreams/${name}`, import.meta.url), 'utf8');
const basic = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`;

describe('npm registry credentials from .npmrc', () => {
  it('names the files npm read, lowest precedence first', () => {
    assert.deepEqual(npmConfigFiles(fixture('npm-config-list.scopes.txt')), ['/usr/etc/npmrc', '/tmp/cfgtest/home2/.npmrc', '/tmp/cfgtest/npmproj/.npmrc']);
  });

  it("reads an .npmrc as npm's ini does: comments, quotes, inline comments, ${VAR} and ${VAR?}", () => {
    const text = [
      '; a comment',
      '# another',
      '//a.invalid/:_authToken=${NPM_TOKEN}',
      '//b.invalid/npm/:_authToken = "quoted;value"',
      '//c.invalid/:_auth=dXNlcjpwYXNz ; trailing comment',
      '//${HOST}/:_authToken=${MISSING?}x',
      '//e.invalid/:_authToken=${MISSING}',
      '[section]',
    ].join('\r\n');
    const settings = parseNpmrc(text, { NPM_TOKEN: 'tok', HOST: 'd.invalid' });
    assert.deepEqual([...settings], [
      ['//a.invalid/:_authToken', 'tok'],
      ['//b.invalid/npm/:_authToken', 'quoted;value'],
      ['//c.invalid/:_auth', 'dXNlcjpwYXNz'],
      ['//d.invalid/:_authToken', 'x'],
      ['//e.invalid/:_authToken', '${MISSING}'],
    ]);
  });

  it('matches the registry, then each parent path, as npm does (Bearer, _auth, username + _password)', () => {
    const settings = new Map([
      ['//npm.corp.invalid/:_authToken', 'host-wide'],
      ['//npm.corp.invalid/team/repo/:_authToken', 'repo-token'],
      ['//basic.invalid:8443/:_auth', 'dXNlcjpwYXNz'],
      ['//pw.invalid/r/:username', 'alice'],
      ['//pw.invalid/r/:_password', Buffer.from('s3cret').toString('base64')],
    ]);
    assert.equal(npmRegistryAuthorization(new URL('https://npm.corp.invalid/team/repo/'), settings), 'Bearer repo-token');
    assert.equal(npmRegistryAuthorization(new URL('https://npm.corp.invalid/other/'), settings), 'Bearer host-wide');
    assert.equal(npmRegistryAuthorization(new URL('https://basic.invalid:8443/npm/'), settings), 'Basic dXNlcjpwYXNz');
    assert.equal(npmRegistryAuthorization(new URL('https://basic.invalid/npm/'), settings), null);
    assert.equal(npmRegistryAuthorization(new URL('https://pw.invalid/r/'), settings), basic('alice:s3cret'));
    assert.equal(npmRegistryAuthorization(new URL('https://elsewhere.invalid/'), settings), null);
  });

  it("the npm mirror's upstream gets the token of the files npm names, with the build's environment", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'offgrid-npmrc-'));
    try {
      await writeFile(join(dir, 'user.npmrc'), '//npm.corp.invalid/r/:_authToken=old\n');
      await writeFile(join(dir, 'project.npmrc'), 'registry=https://npm.corp.invalid/r/\n//npm.corp.invalid/r/:_authToken=${CI_NPM_TOKEN}\n');
      const list = `; "user" config from ${join(dir, 'user.npmrc')}\n\n; "project" config from ${join(dir, 'project.npmrc')}\n\nregistry = "https://npm.corp.invalid/r/"\n//npm.corp.invalid/r/:_authToken = (protected)\n`;
      const runner = (registry: string): CommandRunner => async (command, args) => {
        if (command !== 'npm') return { code: 1, stdout: '', stderr: '' };
        return args[1] === 'list' ? { code: 0, stdout: list, stderr: '' } : { code: 0, stdout: `${registry}\n`, stderr: '' };
      };
      const choice = await resolveUpstreams({ pypi: ['http://127.0.0.1:9/simple'] }, runner('https://npm.corp.invalid/r/'), { CI_NPM_TOKEN: 'ci-token' });
      assert.equal(choice.npmAuthorization, 'Bearer ci-token');
      // npm's environment layer (a CI's npm_config_//host/:_authToken) wins over the files.
      const fromEnv = await resolveUpstreams({ pypi: ['http://127.0.0.1:9/simple'] }, runner('https://npm.corp.invalid/r/'), { CI_NPM_TOKEN: 'ci-token', 'npm_config_//npm.corp.invalid/r/:_authToken': 'env-token' });
      assert.equal(fromEnv.npmAuthorization, 'Bearer env-token');
      assert.ok(choice.notes.every((n) => !n.includes('ci-token')));
      // A registry URL with its own credentials keeps them; another registry gets nothing.
      assert.equal((await resolveUpstreams({ pypi: ['http://127.0.0.1:9/simple'] }, runner('https://u:p@npm.corp.invalid/r/'), {})).npmAuthorization, null);
      assert.equal((await resolveUpstreams({ pypi: ['http://127.0.0.1:9/simple'] }, runner('https://public.invalid/'), {})).npmAuthorization, null);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
