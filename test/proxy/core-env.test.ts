// The allow-list read from apt sources (both formats) and the child environment, including
// an APT_CONFIG that apt itself (apt-config) resolves to our proxy while keeping the rest.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MACHINE_APT_SOURCES, aptReadsPart, aptSourceHosts, buildAllowList, isHostAllowed, machineAptSources, parseAptConfigShell, withUpstreamHosts, parseDeb822Sources, parseOneLineSources } from '../../src/capture/proxy/allow-list.js';
import { proxyEnvironment } from '../../src/capture/proxy/env.js';

describe('allow-list', () => {
  it('parses one-line sources with options and comments', () => {
    const text = [
      '# deb http://commented.invalid/debian bookworm main',
      'deb http://one.invalid/debian bookworm main contrib',
      'deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] https://two.invalid/repo stable main # trailing',
      'deb-src [ arch=amd64 ] http://three.invalid/debian bookworm main',
      'deb cdrom:[Debian GNU/Linux 12.0.0 _Bookworm_ - Official amd64 DVD Binary-1]/ bookworm main',
      'deb\t"http://quoted.invalid/debian"\tbookworm main',
      'deb [trusted=yes] "file:/media/my disk/debian" ./',
    ].join('\n');
    assert.deepEqual(parseOneLineSources(text), [
      'http://one.invalid/debian', 'https://two.invalid/repo', 'http://three.invalid/debian',
      'cdrom:[Debian GNU/Linux 12.0.0 _Bookworm_ - Official amd64 DVD Binary-1]/', 'http://quoted.invalid/debian', 'file:/media/my disk/debian',
    ]);
  });

  it('parses deb822 sources, skipping disabled stanzas', () => {
    const text = 'Types: deb\nURIs: http://a.invalid/debian http://b.invalid/debian\nSuites: bookworm\n\nTypes: deb\nEnabled: no\nURIs: http://off.invalid/x\n';
    assert.deepEqual(parseDeb822Sources(text), ['http://a.invalid/debian', 'http://b.invalid/debian']);
  });

  it('reads deb822 URIs folded over several lines, with a comment inside the fold (as apt does)', () => {
    const text = ['Types: deb', 'URIs:', ' http://a.invalid/debian', '# http://commented.invalid/debian', ' http://b.invalid/debian', 'Suites: bookworm', 'Components: main', ''].join('\n');
    assert.deepEqual(parseDeb822Sources(text), ['http://a.invalid/debian', 'http://b.invalid/debian']);
  });

  it('reads deb822 files with CRLF line ends', () => {
    const text = 'Types: deb\r\nURIs: http://a.invalid/debian\r\nSuites: bookworm\r\n\r\nTypes: deb\r\nURIs:\r\n http://b.invalid/debian\r\nSuites: bookworm\r\n';
    assert.deepEqual(parseDeb822Sources(text), ['http://a.invalid/debian', 'http://b.invalid/debian']);
  });

  it("turns a stanza off for each false value of apt's StringToBool, and only for those", () => {
    const values = ['no', 'NO', 'false', 'off', 'without', 'disable', '0', '00', 'yes', 'on', '1', 'garbage'];
    const text = values.map((v, i) => `Types: deb\nURIs: http://h${i}.invalid/debian\nSuites: bookworm\nEnabled: ${v}\n`).join('\n');
    // apt-get update --print-uris (apt 2.6) fetches from exactly these.
    assert.deepEqual(parseDeb822Sources(text), ['http://h8.invalid/debian', 'http://h9.invalid/debian', 'http://h10.invalid/debian', 'http://h11.invalid/debian']);
  });

  it('collects hosts from sources.list and sources.list.d (*.list, *.sources only)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'offgrid-apt-sources-'));
    try {
      await mkdir(join(dir, 'd'));
      await writeFile(join(dir, 'sources.list'), 'deb http://Main.Invalid/debian bookworm main\n');
      await writeFile(join(dir, 'd', 'extra.list'), 'deb mirror+http://mirrors.invalid/list bookworm main\n');
      await writeFile(join(dir, 'd', 'new.sources'), 'Types: deb\nURIs: https://deb822.invalid/debian\n');
      await writeFile(join(dir, 'd', 'old.list.disabled'), 'deb http://disabled.invalid/debian bookworm main\n');
      await writeFile(join(dir, 'd', '.hidden.list'), 'deb http://hidden.invalid/debian bookworm main\n');
      const hosts = await aptSourceHosts({ sourcesList: join(dir, 'sources.list'), sourcesDir: join(dir, 'd') });
      assert.deepEqual(hosts.sort(), ['deb822.invalid', 'main.invalid', 'mirrors.invalid']);
      const allowed = await buildAllowList({
        upstreams: [new URL('http://pypi.invalid/simple/')],
        aptSources: { sourcesList: join(dir, 'sources.list'), sourcesDir: join(dir, 'd') },
        extraHosts: ['127.0.0.1:8080'],
      });
      assert.ok(isHostAllowed(allowed, 'PYPI.invalid'));
      assert.ok(isHostAllowed(allowed, 'main.invalid', '80'));
      assert.ok(isHostAllowed(allowed, '127.0.0.1', 8080));
      assert.ok(!isHostAllowed(allowed, '127.0.0.1', 8081));
      assert.ok(!isHostAllowed(allowed, 'disabled.invalid'));
      assert.ok(!isHostAllowed(allowed, 'evil.invalid'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("adds the mirrors a mirror+file: list names, and the host of an old-style mirror:// list (apt fetches from both)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'offgrid-apt-mirrors-'));
    try {
      await mkdir(join(dir, 'd'));
      // The shapes of apt-transport-mirror(1): metadata after a tab, # lines and empty lines skipped.
      await writeFile(join(dir, 'mirrors.txt'), '# http://commented.invalid/debian\n\nhttp://m1.invalid/debian\tpriority:1 arch:amd64\nhttps://m2.invalid/debian\n');
      await writeFile(join(dir, 'local.txt'), 'http://m3.invalid/debian\n');
      await writeFile(join(dir, 'sources.list'), `deb mirror+file:${join(dir, 'mirrors.txt')} bookworm main\ndeb mirror://list.invalid/mirrors.txt bookworm main\n`);
      await writeFile(join(dir, 'd', 'm.sources'), `Types: deb\nURIs: mirror+file://${join(dir, 'local.txt')}\nSuites: bookworm\n`);
      await writeFile(join(dir, 'd', 'gone.list'), `deb mirror+file:${join(dir, 'missing.txt')} bookworm main\n`);
      const hosts = await aptSourceHosts({ sourcesList: join(dir, 'sources.list'), sourcesDir: join(dir, 'd') });
      assert.deepEqual(hosts.sort(), ['list.invalid', 'm1.invalid', 'm2.invalid', 'm3.invalid']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('once the upstreams are known, lets through their hosts and the hosts the tools fetch from directly (npm scopes)', () => {
    const allowed = withUpstreamHosts(new Set(['apt.invalid']), {
      pypi: [new URL('https://PyPI.invalid/simple/')],
      npm: new URL('https://npm.invalid/'),
      direct: [new URL('https://scope.invalid/npm/')],
    });
    assert.deepEqual([...allowed].sort(), ['apt.invalid', 'npm.invalid', 'pypi.invalid', 'scope.invalid']);
  });

  it("reads the sources where apt's own configuration puts them (APT_CONFIG, Dir::Etc::SourceList/SourceParts)", async (t) => {
    assert.deepEqual(parseAptConfigShell("SL='/r/it'\\''s/sources.list'\nSP='/r/parts/'\n"), { sourcesList: "/r/it's/sources.list", sourcesDir: '/r/parts/' });
    assert.deepEqual(await machineAptSources(async () => ({ code: 127, stdout: '', stderr: 'not found' })), MACHINE_APT_SOURCES);
    if (spawnSync('apt-config', ['--version']).status !== 0) {
      t.skip('apt-config is not installed');
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), 'offgrid-apt-config-'));
    try {
      await mkdir(join(dir, 'parts'));
      await writeFile(join(dir, 'my.list'), 'deb http://custom-list.invalid/debian bookworm main\n');
      await writeFile(join(dir, 'parts', 'x.sources'), 'Types: deb\nURIs: http://custom-parts.invalid/debian\nSuites: bookworm\n');
      await writeFile(join(dir, 'apt.conf'), `Dir::Etc::SourceList "${join(dir, 'my.list')}";\nDir::Etc::SourceParts "${join(dir, 'parts')}";\n`);
      // The real apt-config, with the user's APT_CONFIG.
      const paths = await machineAptSources(async (command, args) => {
        const result = spawnSync(command, [...args], { env: { ...process.env, APT_CONFIG: join(dir, 'apt.conf') }, encoding: 'utf8' });
        return { code: result.status, stdout: result.stdout, stderr: result.stderr };
      });
      assert.deepEqual((await aptSourceHosts(paths)).sort(), ['custom-list.invalid', 'custom-parts.invalid']);
      // The default allow-list asks apt-config too (with this process's environment).
      const before = process.env.APT_CONFIG;
      process.env.APT_CONFIG = join(dir, 'apt.conf');
      try {
        assert.ok(isHostAllowed(await buildAllowList({ upstreams: [] }), 'custom-parts.invalid'));
      } finally {
        if (before === undefined) delete process.env.APT_CONFIG;
        else process.env.APT_CONFIG = before;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads only the sources.list.d files apt reads', () => {
    // apt-get update --print-uris (apt 2.6) read the first four and ignored the rest.
    const names = ['debian.sources', 'UPPER.list', 'co:lon.list', 'ok_x-y.z.list', 'sp ace.list', 'plus+x.list', '.hidden.list', 'x.list~', 'x.list.disabled', 'x.list.save'];
    assert.deepEqual(names.filter(aptReadsPart), ['debian.sources', 'UPPER.list', 'co:lon.list', 'ok_x-y.z.list']);
  });

  it('IPv6 literal hosts (an apt mirror, a devpi on [::1], --allow-host) are matched with or without brackets', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'offgrid-apt-v6-'));
    try {
      await writeFile(join(dir, 'sources.list'), 'deb http://[FD00::10]/debian bookworm main\n');
      const allowed = await buildAllowList({
        upstreams: [new URL('http://[::1]:3141/root/pypi/+simple/')],
        aptSources: { sourcesList: join(dir, 'sources.list'), sourcesDir: join(dir, 'absent') },
        extraHosts: ['[fd00::5]', '[fd00::6]:8080'],
      });
      for (const host of ['fd00::10', '[fd00::10]', '::1', '[::1]', 'fd00::5']) assert.ok(isHostAllowed(allowed, host, 80), host);
      assert.ok(isHostAllowed(allowed, 'fd00::6', 8080));
      assert.ok(!isHostAllowed(allowed, 'fd00::6', 8081));
      assert.ok(isHostAllowed(withUpstreamHosts(new Set(), { pypi: [], npm: new URL('http://[fd00::7]:4873/'), direct: [] }), '[fd00::7]', 4873));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads the machine sources without failing when they are missing', async () => {
    assert.deepEqual(await aptSourceHosts({ sourcesList: '/nonexistent/a', sourcesDir: '/nonexistent/b' }), []);
  });
});

describe('proxy environment', () => {
  it('sets proxy, pip and npm variables and an APT_CONFIG that apt resolves to the proxy, last', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'offgrid-env-'));
    try {
      // A machine main apt.conf that sets its own proxy and another option: ours wins, the other stays.
      const machineMain = join(dir, 'machine-apt.conf');
      await writeFile(machineMain, 'Acquire::http::Proxy "http://machine-proxy.invalid:3128";\nAPT::Get::Assume-Yes "true";\n');
      const env = await proxyEnvironment('http://127.0.0.1:45678/', { aptConfigDir: join(dir, 'apt'), aptMainConfig: machineMain });
      assert.equal(env.http_proxy, 'http://127.0.0.1:45678');
      assert.equal(env.HTTP_PROXY, 'http://127.0.0.1:45678');
      assert.match(env.no_proxy ?? '', /127\.0\.0\.1/);
      assert.equal(env.PIP_INDEX_URL, 'http://127.0.0.1:45678/pypi/simple/');
      assert.equal(env.PIP_TRUSTED_HOST, '127.0.0.1:45678');
      assert.equal(env.npm_config_registry, 'http://127.0.0.1:45678/npm/');
      assert.ok(env.APT_CONFIG);
      const dump = spawnSync('apt-config', ['dump'], { env: { PATH: process.env.PATH ?? '', APT_CONFIG: env.APT_CONFIG }, encoding: 'utf8' });
      assert.equal(dump.status, 0, dump.stderr);
      const proxies = dump.stdout.split('\n').filter((line) => line.startsWith('Acquire::http::Proxy '));
      assert.deepEqual(proxies, ['Acquire::http::Proxy "http://127.0.0.1:45678";']);
      assert.match(dump.stdout, /APT::Get::Assume-Yes "true";/);
      assert.match(await readFile(machineMain, 'utf8'), /machine-proxy/, 'the machine file is unchanged');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
