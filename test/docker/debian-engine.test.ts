// Debian-image builds with the real engine: the guide's apt step made offline-ready by
// `offgrid init docker`, proved by `offgrid verify`; and apt through offgrid's proxy to the
// machine's own Debian mirror (skipped, saying so, when that mirror is unreachable).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEBIAN_IMAGE, dockerSkipReason, ensureBaseImages } from '../helpers/docker.js';
import { readValidLedger } from '../helpers/cli.js';
import { localAptRepository } from '../helpers/apt-repo.js';
import { buildDists } from '../helpers/pypi-dist.js';
import { BuildMetadata } from '../../src/docker/metadata.js';
import { TAG, project, section } from './engine-helpers.js';

const skip = await dockerSkipReason();
const opts = { skip: skip ?? false, timeout: 900_000 };
if (!skip) await ensureBaseImages();

const metadata = (dir: string) => BuildMetadata.parse(JSON.parse(readFileSync(join(dir, 'logs/docker_build/build_metadata.json'), 'utf8')));

const GUIDE_DOCKERFILE = `FROM ${DEBIAN_IMAGE}
RUN mkdir -p /app
RUN apt-get update 2>&1 | tee /app/apt-update.log && \\
    apt-get install -y --no-install-recommends \\
    offgrid-demo \\
    2>&1 | tee /app/apt-build.log && \\
    mkdir -p /app/apt-archives && \\
    cp -r /var/cache/apt/archives /app/apt-archives || true
COPY wheelhouse/ /wheelhouse/
RUN ls /wheelhouse/*.whl
`;

test('a guide-style Dockerfile fails verify (its apt step hides the network failure), then passes after init docker and a local apt repository (a dpkg-deb built .deb); the wheelhouse is real wheel files COPY\'d (the image has no pip)', opts, async (t) => {
  const p = project(
    t,
    { 'compose.yaml': `services:\n  api:\n    build: .\n    image: ${TAG}-guide\n`, Dockerfile: GUIDE_DOCKERFILE },
    [`${TAG}-guide`],
  );
  mkdirSync(join(p.dir, 'wheelhouse'));
  for (const wheel of buildDists({ name: 'demo-lib', version: '1.0' })) writeFileSync(join(p.dir, 'wheelhouse', wheel.filename), wheel.bytes);

  const before = await p.cli(['verify', 'api']);
  assert.equal(before.code, 1, before.stdout + before.stderr);
  assert.match(before.stdout, /FAIL api: built, but a step tried the network/);
  assert.match(before.stdout, /step "RUN apt-get update 2>&1 \| tee \/app\/apt-update.log && [^"]*\|\| true" tried http:\/\/\S+\/dists\/bookworm\/InRelease \(apt: /);
  assert.match(before.stdout, /to cache \(apt\): export the packages into the build context as a local apt repository/);

  const init = await p.cli(['init', 'docker']);
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /^--- a\/Dockerfile\n\+\+\+ b\/Dockerfile\n/);
  assert.match(init.stdout, /\n\+COPY apt-archives\/ \/offgrid\/apt-archives\/\n/);
  assert.match(init.stdout, /created apt-archives\/\ncreated offgrid\/\n/);
  const rewritten = p.read('Dockerfile');
  // Idempotent: a second run changes nothing.
  const again = await p.cli(['init', 'docker']);
  assert.match(again.stdout, /Dockerfile: already offline-ready \(nothing to change\)/);
  assert.equal(p.read('Dockerfile'), rewritten);

  localAptRepository(t, join(p.dir, 'apt-archives'));
  const after = await p.cli(['verify', 'api']);
  assert.equal(after.code, 0, after.stdout + after.stderr);
  assert.match(after.stdout, /PASS api: built with --network=none --no-cache; no step tried the network/);
  assert.match(after.stdout, /offline-ready; details in logs\/docker_build\/build_report.md/);
  assert.match(p.read('logs/docker_build/build_api.log'), /Setting up offgrid-demo \(1\.0\)/);
  const report = p.read('logs/docker_build/build_report.md');
  assert.match(report, /\*\*Offline-ready\.\*\*\n\n- every service built with --network=none and no step tried the network/);
  assert.equal(readValidLedger(join(p.dir, metadata(p.dir).ledger)).summary.network_attempts, 0);
});

/** The machine's Debian mirror (from its apt sources, never written here), if it answers. */
async function reachableMirror(): Promise<string | null> {
  let uri: string | undefined;
  try {
    for (const name of readdirSync('/etc/apt/sources.list.d').filter((n) => n.endsWith('.sources'))) {
      const m = /^URIs:\s*(\S+)/m.exec(readFileSync(join('/etc/apt/sources.list.d', name), 'utf8'));
      if (m && !/security/.test(m[1]!)) uri ??= m[1];
    }
  } catch {
    return null;
  }
  if (!uri) return null;
  try {
    const response = await fetch(`${uri.replace(/\/$/, '')}/dists/bookworm/InRelease`, { method: 'HEAD', signal: AbortSignal.timeout(8000) });
    return response.ok ? uri : null;
  } catch {
    return null;
  }
}

const mirror = skip ? null : await reachableMirror();
const mirrorSkip = skip ?? (mirror === null ? "the machine's Debian mirror (from /etc/apt/sources.list.d) does not answer: apt through the proxy cannot be shown here" : false);

test('apt in a Debian build goes through the proxy (--network=host, http_proxy build arg): downloads recorded per step; the same packages exported into the context make the Dockerfile pass verify after init docker; the online build still works', { skip: mirrorSkip, timeout: 900_000 }, async (t) => {
  const p = project(
    t,
    {
      'compose.yaml': `services:\n  deb:\n    build: .\n    image: ${TAG}-deb\n`,
      Dockerfile: `FROM ${DEBIAN_IMAGE}\nRUN echo ${process.pid}-${Date.now()}\nRUN apt-get update && apt-get install -y --no-install-recommends hello && hello\n`,
    },
    [`${TAG}-deb`],
  );
  const online = await p.cli(['build']);
  assert.equal(online.code, 0, online.stderr);
  const ledger = readValidLedger(join(p.dir, metadata(p.dir).ledger));
  const hello = ledger.downloads.apt.find((r) => r.name === 'hello');
  assert.equal(hello?.service, 'deb');
  assert.equal(hello?.step, 'RUN apt-get update && apt-get install -y --no-install-recommends hello && hello');
  assert.equal(hello?.cached, false);
  assert.equal(hello?.evidence, 'both');
  // apt prints its index files by name (`bookworm/main amd64 Packages [8790 kB]`) but fetches
  // them compressed or by hash: each is still one record, seen by both.
  assert.deepEqual(ledger.downloads.indexes.filter((r) => r.evidence !== 'both').map((r) => `${r.evidence} ${r.source}`), []);
  assert.match(section(p.read('logs/docker_build/build_report.md'), 'deb'), /\| `RUN apt-get update && apt-get install -y --no-install-recommends hello && hello` \| 1 fetched \(\d+\.\d kB\) \| – \| – \| – \|/);

  const exported = await p.cli(['cache', 'export', 'apt', '--cache-dir', p.cache, '--out', '.']);
  assert.equal(exported.code, 0, exported.stderr);
  const init = await p.cli(['init', 'docker']);
  assert.equal(init.code, 0, init.stderr);
  const verify = await p.cli(['verify', 'deb']);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /PASS deb/);

  // The online build still works after init (now from the local repository), and again with it emptied.
  const rebuilt = await p.cli(['build', '--no-cache']);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  execFileSync('rm', ['-rf', join(p.dir, 'apt-archives')]);
  mkdirSync(join(p.dir, 'apt-archives'));
  const emptied = await p.cli(['build', '--no-cache']);
  assert.equal(emptied.code, 0, emptied.stderr);
  const last = readValidLedger(join(p.dir, metadata(p.dir).ledger));
  // Served from offgrid's cache this time: the proxy already has it.
  assert.equal(last.downloads.apt.find((r) => r.name === 'hello')?.cached, true);
});
