// offgrid verify -- CMD in a REAL network namespace (unshare), with real pip and curl: the
// proxy inside the namespace reads the cache an online run filled.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { verifyCommand } from '../../src/cli/commands/verify-command.js';
import { OffgridError } from '../../src/errors.js';
import { systemClock } from '../../src/session/time.js';
import { readValidLedger, runCli, tempDir } from '../helpers/cli.js';
import { isolatedPipEnv, pipCommand } from '../helpers/pip.js';
import { startPypiIndex, type PypiIndex } from '../helpers/pypi-index.js';

const ledgerPathOf = (stderr: string) => /ledger (\S+\.json)/.exec(stderr)?.[1];

describe('offgrid verify -- CMD (real network namespace)', { timeout: 300_000 }, () => {
  let index: PypiIndex;
  before(async () => {
    index = await startPypiIndex({
      packages: [
        { name: 'app-one', version: '1.0', deps: ['beta-lib'] },
        { name: 'beta-lib', version: '1.0' },
        { name: 'beta-lib', version: '2.0' },
        { name: 'never-warmed', version: '3.1' },
      ],
    });
  });
  after(() => index.close());

  async function setup(t: { after(fn: () => void): void }, warm: string[]) {
    const dir = tempDir(t, 'offgrid-verify-');
    const env = isolatedPipEnv({ OFFGRID_CACHE_DIR: join(dir, 'cache') });
    const pip = [...pipCommand(), 'install', '--no-cache-dir', '--no-compile'];
    const online = await runCli(['run', '--pypi-upstream', index.simpleUrl, '--', ...pip, '--target', 'warm', ...warm], { cwd: dir, env });
    assert.equal(online.code, 0, online.stderr);
    const verify = (args: string[]) => runCli(['verify', '--pypi-upstream', index.simpleUrl, '--', ...args], { cwd: dir, env });
    return { dir, pip, verify };
  }

  it('passes a pip install from a warmed cache, with the upstream unreachable, and records an offline session', async (t) => {
    const { dir, pip, verify } = await setup(t, ['app-one']);
    const before = index.requestCount();
    const r = await verify([...pip, '--target', 'offline', 'app-one']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /offgrid verify: PASSED/);
    assert.match(r.stderr, /network cut \(unshare -n\)/);
    assert.ok(existsSync(join(dir, 'offline', 'beta_lib')), 'the package was really installed');
    assert.equal(index.requestCount(), before, 'nothing reached the index');
    const ledger = readValidLedger(ledgerPathOf(r.stderr)!);
    assert.equal(ledger.offline, true);
    assert.equal(ledger.exit_code, 0);
    assert.deepEqual(ledger.network_attempts, []);
    assert.ok(ledger.cached.some((d) => d.name === 'beta-lib' || d.filename?.startsWith('beta_lib')));
  });

  it('fails when a package is missing from the cache, and names it', async (t) => {
    const { pip, verify } = await setup(t, ['app-one']);
    const r = await verify([...pip, '--target', 'offline', 'app-one', 'never-warmed']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /offgrid verify: FAILED/);
    assert.match(r.stderr, /pip: \S+\/simple\/never-warmed\/: /);
    assert.match(r.stderr, /not in the cache under any name or version/);
  });

  it('names the version the cache holds when another one is asked for', async (t) => {
    const { pip, verify } = await setup(t, ['beta-lib==1.0']);
    // The page is cached (it lists 2.0 too); the 2.0 file is not.
    const r = await verify([...pip, '--target', 'offline', 'beta-lib==2.0']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /beta_lib-2\.0-py3-none-any\.whl/);
    assert.match(r.stderr, /cached in another version: beta_lib 1\.0 \(beta_lib-1\.0-py3-none-any\.whl\)/);
  });

  it('fails a script that tried the network and carried on (curl … || true)', async (t) => {
    const { verify } = await setup(t, ['beta-lib==1.0']);
    for (const curl of ['curl -sS http://example.invalid/ || true', 'curl -sS --noproxy "*" http://example.invalid/ || true']) {
      const r = await verify(['sh', '-c', `${curl}; echo done`]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /done/);
      assert.match(r.stderr, /carried on/);
      assert.match(r.stderr, /curl: \S*example\.invalid/);
      const ledger = readValidLedger(ledgerPathOf(r.stderr)!);
      assert.equal(ledger.exit_code, 0);
      assert.ok(ledger.network_attempts.length > 0);
    }
  });

  it('fails a program that ignores the proxy and connects or looks a name up silently, and names what it wanted', async (t) => {
    const { verify } = await setup(t, ['beta-lib==1.0']);
    const silent = [
      `python3 -c "import socket; socket.create_connection(('203.0.113.5', 80), 2)" 2>/dev/null || true`,
      'getent hosts some.host.invalid >/dev/null 2>&1 || true',
      `python3 -c "import socket; socket.gethostbyname('py.host.invalid')" 2>/dev/null || true`,
    ];
    const r = await verify(['sh', '-c', `${silent.join('; ')}; echo done`]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /done/);
    assert.match(r.stderr, /carried on/);
    assert.match(r.stderr, /: 203\.0\.113\.5:80: direct connection to 203\.0\.113\.5:80, not through offgrid's proxy/);
    assert.match(r.stderr, /getent: some\.host\.invalid( \(\d+ times\))?: DNS lookup/);
    assert.match(r.stderr, /python3: py\.host\.invalid( \(\d+ times\))?: DNS lookup/);
    const ledger = readValidLedger(ledgerPathOf(r.stderr)!);
    assert.equal(ledger.exit_code, 0);
    const hosts = ledger.network_attempts.map((a) => a.url_or_host);
    for (const wanted of ['203.0.113.5:80', 'some.host.invalid', 'py.host.invalid']) assert.ok(hosts.includes(wanted), `${wanted} in ${hosts.join(', ')}`);
  });

  it('a program of the build talking to its own loopback server is not a network attempt', async (t) => {
    const { verify } = await setup(t, ['beta-lib==1.0']);
    const script = [
      'import socket, threading',
      "srv = socket.create_server(('127.0.0.1', 0))",
      'threading.Thread(target=lambda: srv.accept()[0].sendall(b"hi"), daemon=True).start()',
      "c = socket.create_connection(('127.0.0.1', srv.getsockname()[1]), 5)",
      'print(c.recv(10).decode())',
    ].join('\n');
    const r = await verify(['python3', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hi/);
    assert.match(r.stderr, /offgrid verify: PASSED/);
  });

  it('a command that cannot start fails verification', async (t) => {
    const { verify } = await setup(t, ['beta-lib==1.0']);
    const r = await verify(['no-such-command-offgrid']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot run no-such-command-offgrid/);
  });
});

describe('offgrid verify where the network cannot be cut', () => {
  it('exits 2 and says what it tried; never reports offline-ready', async (t) => {
    const dir = tempDir(t);
    const out = new PassThrough();
    const err = new PassThrough();
    let ran = 0;
    const io = { stdout: out, stderr: err, stdin: new PassThrough(), cwd: dir, env: {}, clock: systemClock };
    const flags = { logDir: join(dir, 'logs'), offline: true, proxy: true, cacheDir: join(dir, 'cache'), pypiUpstream: [], npmUpstream: null, allowHost: [], debug: false };
    // unshare is "installed" but the namespace still sees an interface: refused.
    const probe = {
      isRoot: false,
      which: (name: string) => (name === 'unshare' || name === 'ip' ? `/usr/bin/${name}` : null),
      run: async () => {
        ran += 1;
        return { code: 1, stderr: 'still sees interfaces: lo eth0' };
      },
    };
    await assert.rejects(
      verifyCommand({ ...flags, service: null, command: ['true'], json: false, probe }, io),
      (e: unknown) => e instanceof OffgridError && e.code === 'ENOSANDBOX' && e.exitCode === 2 && /unshare -rn: still sees interfaces/.test(e.message) && /bwrap --unshare-net: bwrap \(bubblewrap\) is not installed/.test(e.message),
    );
    assert.equal(ran, 1);
  });
});
