// verify's network trap in a REAL network namespace (unshare -n), with real clients: a
// program that ignores offgrid's proxy and connects, or looks a name up and swallows the
// failure, is recorded with the address, port and name it wanted; loopback still works.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';
import type { TrapAttempt } from '../../src/sandbox/net-trap.js';

const FIXTURE = join(REPO_ROOT, 'dist/test/sandbox/trap-fixture.js');

function namespaceSkipReason(): string | null {
  const r = spawnSync('unshare', ['-n', 'true']);
  return r.status === 0 ? null : `cannot create a network namespace here (unshare -n: ${String(r.stderr).trim() || r.error?.message})`;
}

interface FixtureOutput {
  mode: string;
  notes: string[];
  results: Record<string, { code: number; stdout: string; stderr: string }>;
  recorded: TrapAttempt[];
}

function runFixture(hide: string[]): FixtureOutput {
  const r = spawnSync('unshare', ['-n', '/bin/sh', '-c', 'ip link set lo up && exec "$@"', 'trap', process.execPath, FIXTURE, ...hide], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as FixtureOutput;
}

const find = (out: FixtureOutput, what: string) => out.recorded.filter((a) => a.url_or_host === what);

describe('network trap inside a real namespace', { skip: namespaceSkipReason() ?? false, timeout: 300_000 }, () => {
  for (const [label, hide, mode] of [
    ['with NAT (iptables)', [], 'nat'],
    ['without iptables (fixed ports)', ['iptables', 'ip6tables'], 'ports'],
  ] as const) {
    it(`${label}: direct connections and swallowed DNS lookups are recorded and refused; loopback works`, () => {
      const out = runFixture([...hide]);
      assert.equal(out.mode, mode, out.notes.join('; '));
      // The lookups and the download failed (a bare connect succeeds, then is reset).
      for (const name of ['getent', 'gethostbyname', 'curl']) assert.notEqual(out.results[name]!.code, 0, name);
      assert.equal(out.results['getent']!.code, 2, 'getent: key not found');
      assert.match(out.results['gethostbyname']!.stderr, /Name or service not known/);
      assert.match(out.results['curl']!.stderr, /reset|refused/i);

      const v4 = find(out, '203.0.113.5:80');
      assert.equal(v4.length, 1, JSON.stringify(out.recorded));
      assert.match(v4[0]!.error, /direct connection to 203\.0\.113\.5:80, not through offgrid's proxy/);
      assert.ok(find(out, 'some.host.invalid').every((a) => a.tool === 'getent' && /DNS lookup.*NXDOMAIN/.test(a.error)));
      assert.ok(find(out, 'some.host.invalid').length >= 1);
      assert.equal(find(out, 'py.host.invalid')[0]?.tool, 'python3');
      const curl = find(out, 'http://192.0.2.7/pkgs/left_pad-1.0.tar.gz');
      assert.equal(curl[0]?.tool, 'curl', JSON.stringify(out.recorded));

      assert.equal(out.results['loopback']!.code, 0, out.results['loopback']!.stderr);
      assert.equal(out.results['loopback']!.stdout.trim(), 'local-ok');
      assert.ok(!out.recorded.some((a) => a.url_or_host.startsWith('127.')), 'loopback is not an attempt');
      if (mode === 'nat') {
        assert.equal(find(out, '[2001:db8::5]:443').length, 1, JSON.stringify(out.recorded));
      } else {
        assert.match(out.notes.join('\n'), /trapped on TCP ports 21, 22, 53, 80, 443/);
      }
    });
  }
});
