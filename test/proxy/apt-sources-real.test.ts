// The hosts offgrid lets apt reach, read from real sources files (test/fixtures/upstreams/
// apt-sources/), against the real apt's own reading of the same files (`apt-get update
// --print-uris`, which fetches nothing): every host apt would ask is on the allow-list, and
// nothing else is but the mirrors of a local mirror list (apt prints the list, not them).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { aptSourceHosts, hostOfSourceUri, parseMirrorList } from '../../src/capture/proxy/allow-list.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/upstreams/apt-sources/', import.meta.url));
const hasApt = spawnSync('apt-get', ['--version']).status === 0;

describe('apt sources from real files, against apt itself', () => {
  for (const name of readdirSync(FIXTURES).filter((n) => /\.(list|sources)$/.test(n))) {
    it(name, { skip: !hasApt && 'apt-get is not installed' }, async () => {
      const root = await mkdtemp(join(tmpdir(), 'offgrid-apt-real-'));
      try {
        await mkdir(join(root, 'parts'));
        await mkdir(join(root, 'lists', 'partial'), { recursive: true });
        let text = await readFile(join(FIXTURES, name), 'utf8');
        const mirrorHosts: string[] = [];
        for (const list of readdirSync(FIXTURES).filter((n) => n.startsWith(`${name}.`))) {
          const local = join(root, list.slice(name.length + 1));
          await copyFile(join(FIXTURES, list), local);
          text = text.replaceAll(`/etc/apt/${list.slice(name.length + 1)}`, local);
          mirrorHosts.push(...parseMirrorList(await readFile(local, 'utf8')).map((uri) => hostOfSourceUri(uri)!));
        }
        const paths = { sourcesList: join(root, 'sources.list'), sourcesDir: join(root, 'parts') };
        await writeFile(paths.sourcesList, name.endsWith('.list') ? text : '');
        if (name.endsWith('.sources')) await writeFile(join(paths.sourcesDir, 'x.sources'), text);
        const apt = spawnSync(
          'apt-get',
          ['update', '--print-uris', '-o', `Dir::Etc::SourceList=${paths.sourcesList}`, '-o', `Dir::Etc::SourceParts=${paths.sourcesDir}`, '-o', `Dir::State::Lists=${join(root, 'lists')}`, '-o', 'Debug::NoLocking=1'],
          { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', APT_CONFIG: '/dev/null' } },
        );
        assert.equal(apt.status, 0, apt.stderr);
        const aptHosts = new Set([...apt.stdout.matchAll(/^'([^']+)'/gm)].map((m) => hostOfSourceUri(m[1]!)).filter((h): h is string => h !== null));
        const ours = await aptSourceHosts(paths);
        assert.deepEqual([...aptHosts].filter((host) => !ours.includes(host)), [], 'hosts apt asks that offgrid would refuse');
        assert.deepEqual(ours.filter((host) => !aptHosts.has(host) && !mirrorHosts.includes(host)), [], 'hosts offgrid allows that apt never asks');
        for (const host of mirrorHosts) assert.ok(ours.includes(host), `mirror ${host}`);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });
  }
});
