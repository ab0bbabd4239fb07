// Default PyPI upstreams come from pip's own settings, read from `pip config list` output
// captured on this machine (test/fixtures/upstreams/).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  PYPI_DEFAULT_INDEX,
  chooseUpstreams,
  parsePipConfigList,
  pipSettingsFromEnv,
  readToolUpstreams,
  resolveUpstreams,
  unreprPython,
  type CommandRunner,
} from '../../src/capture/proxy/upstreams.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/upstreams/${name}`, import.meta.url), 'utf8');

describe('pip index settings from `pip config list`', () => {
  it('this machine: no index-url (PyPI) and file:// extras that are not proxied', () => {
    const pip = parsePipConfigList(fixture('pip-config-list.machine.txt'));
    assert.deepEqual(pip, { indexUrl: null, extraIndexUrls: ['file:///opt/pypi/simple', 'file:///opt/pypi-more/simple'], findLinks: ['/opt/wheels'] });
    const choice = chooseUpstreams(pip, null, {});
    assert.deepEqual(choice.pypi.map(String), [`${PYPI_DEFAULT_INDEX}/`]);
    assert.equal(choice.notes.filter((n) => n.includes('file://')).length, 2);
  });

  it('a config file with credentials and a multi-line extra-index-url (repr with \\n)', () => {
    const pip = parsePipConfigList(fixture('pip-config-list.index-with-credentials.txt'));
    assert.equal(pip.indexUrl, 'https://user:s3cret@pypi.corp.example/simple');
    assert.deepEqual(pip.extraIndexUrls, ['https://extra.example/simple', 'file:///opt/local/simple']);
    const choice = chooseUpstreams(pip, null, {});
    // Credentials stay on the upstream URL (needed for the request); the proxy redacts them elsewhere.
    assert.deepEqual(choice.pypi.map(String), ['https://user:s3cret@pypi.corp.example/simple/', 'https://extra.example/simple/']);
    assert.ok(choice.notes.every((n) => !n.includes('s3cret')));
  });

  it('PIP_INDEX_URL / PIP_EXTRA_INDEX_URL as pip reports them (:env: section)', () => {
    const pip = parsePipConfigList(fixture('pip-config-list.env.txt'));
    assert.deepEqual(pip, {
      indexUrl: 'http://127.0.0.1:3141/root/pypi/+simple/',
      extraIndexUrls: ['https://a.example/simple', 'https://b.example/simple'],
      findLinks: [],
    });
  });

  it('nothing configured: PyPI', () => {
    const pip = parsePipConfigList(fixture('pip-config-list.empty.txt'));
    assert.deepEqual(pip, { indexUrl: null, extraIndexUrls: [], findLinks: [] });
    assert.deepEqual(chooseUpstreams(pip, null, {}).pypi.map(String), ['https://pypi.org/simple/']);
  });

  it("find-links pages pip fetches itself are let through, without credentials; local ones are not", async () => {
    // A pip.conf with find-links in [global] (multi-line) and [install] (credentials, file://).
    const pip = parsePipConfigList(fixture('pip-config-list.find-links.txt'));
    assert.deepEqual(pip.findLinks, ['https://__token__:s3cret@wheels.example/links/', 'file:///opt/more-wheels', 'https://dl.example/whl/torch_stable.html', '/local/wheels']);
    const choice = chooseUpstreams(pip, null, {});
    assert.deepEqual(choice.direct.map(String), ['https://wheels.example/links/', 'https://dl.example/whl/torch_stable.html']);
    assert.ok(choice.notes.every((n) => !n.includes('s3cret')));
    // PIP_FIND_LINKS replaces every section; pip asked with --pypi-upstream still reads it.
    const runner: CommandRunner = async (command) =>
      command === 'npm' ? { code: 1, stdout: '', stderr: '' } : { code: 0, stdout: ":env:.find-links='https://env-links.example/w/ /opt/wheels'\n" + fixture('pip-config-list.find-links.txt'), stderr: '' };
    const flagged = await resolveUpstreams({ pypi: ['http://127.0.0.1:9/simple'] }, runner, {});
    assert.deepEqual(flagged.direct.map(String), ['https://env-links.example/w/']);
    assert.deepEqual(pipSettingsFromEnv({ PIP_FIND_LINKS: ' https://e.example/l  /w ' }).findLinks, ['https://e.example/l', '/w']);
  });

  it('the environment wins over files, install over global', () => {
    const pip = parsePipConfigList(
      ["global.index-url='https://g.example/simple'", "install.index-url='https://i.example/simple'", ":env:.index-url='https://e.example/simple'"].join('\n'),
    );
    assert.equal(pip.indexUrl, 'https://e.example/simple');
    assert.equal(parsePipConfigList("global.index-url='https://g.example/simple'\ninstall.index-url='https://i.example/simple'").indexUrl, 'https://i.example/simple');
  });

  it('flags replace pip settings', () => {
    const pip = parsePipConfigList(fixture('pip-config-list.env.txt'));
    const choice = chooseUpstreams(pip, null, { pypi: ['http://127.0.0.1:9/simple', 'http://127.0.0.1:9/simple/'] });
    assert.deepEqual(choice.pypi.map(String), ['http://127.0.0.1:9/simple/']);
  });

  it('extra upstreams (a requirements file\'s --extra-index-url) come after pip\'s indexes or the flags, once each', () => {
    const pip = { indexUrl: 'https://corp.example/simple', extraIndexUrls: ['https://more.example/simple'], findLinks: [] };
    assert.deepEqual(chooseUpstreams(pip, null, { pypiExtra: ['https://file-extra.example/simple', 'https://more.example/simple/'] }).pypi.map(String), [
      'https://corp.example/simple/', 'https://more.example/simple/', 'https://file-extra.example/simple/',
    ]);
    assert.deepEqual(chooseUpstreams(pip, null, { pypi: ['http://127.0.0.1:9/simple'], pypiExtra: ['http://127.0.0.1:8/simple'] }).pypi.map(String), [
      'http://127.0.0.1:9/simple/', 'http://127.0.0.1:8/simple/',
    ]);
  });

  it('pip env variables when pip cannot run', () => {
    assert.deepEqual(pipSettingsFromEnv({ PIP_INDEX_URL: 'https://x.example/s', PIP_EXTRA_INDEX_URL: ' https://y.example/s  https://z.example/s ' }), {
      indexUrl: 'https://x.example/s',
      extraIndexUrls: ['https://y.example/s', 'https://z.example/s'],
      findLinks: [],
    });
  });

  it('runs python3 -m pip first, then pip, then falls back to the environment', async () => {
    const calls: string[] = [];
    const failing: CommandRunner = async (command, args) => {
      calls.push([command, ...args].join(' '));
      return { code: 127, stdout: '', stderr: 'not found' };
    };
    const read = await readToolUpstreams(failing, { PIP_INDEX_URL: 'https://x.example/s' });
    assert.deepEqual(calls, ['python3 -m pip config list', 'pip config list', 'npm config get registry']);
    assert.equal(read.pip.indexUrl, 'https://x.example/s');
    assert.equal(read.npmRegistry, null);
  });

  it('the real pip on this machine answers', async () => {
    const choice = await resolveUpstreams({ npm: 'http://127.0.0.1:1/' });
    assert.ok(choice.pypi.length >= 1);
    assert.ok(choice.pypi.every((u) => u.protocol === 'http:' || u.protocol === 'https:'));
  });

  it('undoes Python repr() for any string', () => {
    const pyRepr = (s: string): string => {
      const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
      let out = '';
      for (const ch of s) {
        const code = ch.codePointAt(0)!;
        if (ch === '\\') out += '\\\\';
        else if (ch === quote) out += `\\${ch}`;
        else if (ch === '\n') out += '\\n';
        else if (ch === '\t') out += '\\t';
        else if (ch === '\r') out += '\\r';
        else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
        else out += ch;
      }
      return quote + out + quote;
    };
    fc.assert(fc.property(fc.string(), (s) => unreprPython(pyRepr(s)) === s));
    assert.equal(unreprPython('[1]'), null);
  });
});
