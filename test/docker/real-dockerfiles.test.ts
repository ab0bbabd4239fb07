// `offgrid init docker` on Dockerfiles from public repositories
// (test/fixtures/docker/real-dockerfiles/README.md says where each comes from).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execForm, heredocs, parseDockerfile, splitFlags } from '../../src/docker/dockerfile.js';
import { NO_BUILD_OPTIONS } from '../../src/docker/service.js';
import { preflight } from '../../src/docker/preflight.js';
import { makeOfflineReady } from '../../src/docker/init.js';
import { FIXTURES } from '../helpers/cli.js';

const REAL = join(FIXTURES, 'docker/real-dockerfiles');
const read = (name: string): string => readFileSync(join(REAL, name), 'utf8');
const FLAGS = '$(ls /wheelhouse/*.whl >/dev/null 2>&1 && echo --no-index --find-links /wheelhouse)';

/** init on `text`, checked the way every real Dockerfile must pass: it still parses, and a second run changes nothing. */
function init(text: string): ReturnType<typeof makeOfflineReady> {
  const first = makeOfflineReady(text);
  parseDockerfile(first.text);
  const second = makeOfflineReady(first.text);
  assert.equal(second.text, first.text);
  assert.deepEqual(second.changes, []);
  return first;
}

/** The lines init changed or added, in order. */
function added(before: string, after: string): string[] {
  const old = new Set(before.split('\n'));
  return after.split('\n').filter((l) => !old.has(l));
}

test('real Dockerfile: pip with a general option before install (pip --no-cache-dir install) gets the wheelhouse', () => {
  const text = read('objectiv-builder.Dockerfile');
  const r = init(text);
  assert.deepEqual(added(text, r.text), [
    '# offgrid init docker: apt-archives/ is a local apt repository (offgrid cache export apt --out <context> writes it);',
    '# offgrid init docker: with a Packages index in it, apt uses it alone (no network); empty, apt uses the network.',
    'COPY offgrid/ /offgrid/',
    'COPY apt-archives/ /offgrid/apt-archives/',
    // The prefix goes after `RUN \` and the comment line, in front of the command.
    `    if [ -f /offgrid/apt-archives/Packages ]; then export APT_CONFIG=/offgrid/apt.conf; fi && DEBIAN_FRONTEND="noninteractive" && \\`,
    '# offgrid init docker: wheelhouse/ holds the wheels (offgrid wheelhouse -r requirements.txt); with wheels in it,',
    '# offgrid init docker: pip installs from it alone (--no-index); empty, pip uses the index.',
    'COPY wheelhouse/ /wheelhouse/',
    `RUN pip --no-cache-dir install ${FLAGS} pip==22.* --upgrade`,
    `RUN pip --no-cache-dir install ${FLAGS} --require-hashes -r /tmp/requirements-build.txt && \\`,
  ]);
  assert.match(r.changes[1]!, /^line 25: RUN pip --no-cache-dir install pip==22\.\* --upgrade…: .*it installs pip by name/);
  assert.equal(r.changes.length, 3);
});

test('real Dockerfile: python -m pip --disable-pip-version-check install, by its full path too', () => {
  const text = read('pip-disable-version-check.Dockerfile');
  const r = init(text);
  assert.deepEqual(added(text, r.text).filter((l) => l.startsWith('RUN')), [
    `RUN /usr/local/bin/python -m pip --disable-pip-version-check install ${FLAGS} --upgrade pip django==1.6.11`,
    `RUN pip --disable-pip-version-check install ${FLAGS} /src`,
  ]);
  assert.deepEqual(r.needs, ['wheelhouse']);
});

test('real Dockerfile: a builder stage\'s pip wheel gets the wheelhouse too; its own --find-links and COPY --from stay', () => {
  const text = read('backend-ai-client.Dockerfile');
  const r = init(text);
  const lines = r.text.split('\n');
  // Each stage COPYs the wheelhouse before its first pip step: COPY --from=builder /wheels is not it.
  assert.deepEqual(lines.filter((l) => l.startsWith('COPY')), [
    'COPY dist /dist',
    'COPY wheelhouse/ /wheelhouse/',
    'COPY --from=builder /wheels /wheels',
    'COPY offgrid/ /offgrid/',
    'COPY apt-archives/ /offgrid/apt-archives/',
    'COPY wheelhouse/ /wheelhouse/',
  ]);
  assert.ok(lines.includes(`RUN pip wheel ${FLAGS} --wheel-dir=/wheels --no-cache-dir backend.ai-client==\${PKGVER} --find-links=/dist`));
  assert.ok(lines.includes(`RUN pip install ${FLAGS} --no-cache-dir /wheels/*.whl`));
});

test('init docker: a pip step that already reads the wheelhouse is left alone, one that only names a /wheelhouse directory is not', () => {
  const r = init(
    [
      'FROM python:3.12 AS build',
      'RUN pip wheel -w /wheelhouse -r requirements.txt',
      'FROM python:3.12',
      'COPY --from=build /wheelhouse /wheelhouse',
      'RUN pip install --no-index --find-links=/wheelhouse -r requirements.txt && \\',
      '    # pip install extra would go here',
      '    pip --retries 5 install gunicorn',
    ].join('\n'),
  );
  assert.deepEqual(r.text.split('\n').slice(1, 4), [
    '# offgrid init docker: wheelhouse/ holds the wheels (offgrid wheelhouse -r requirements.txt); with wheels in it,',
    '# offgrid init docker: pip installs from it alone (--no-index); empty, pip uses the index.',
    'COPY wheelhouse/ /wheelhouse/',
  ]);
  assert.match(r.text, /RUN pip wheel \$\(ls \/wheelhouse\/\*\.whl[^)]*\) -w \/wheelhouse -r requirements.txt\n/);
  assert.match(
    r.text,
    /\nRUN pip install --no-index --find-links=\/wheelhouse -r requirements.txt && \\\n {4}# pip install extra would go here\n {4}pip --retries 5 install \$\(ls \/wheelhouse/,
  );
});

test('real Dockerfile: ONBUILD RUN pip install is left alone and said so; the image\'s own apt step is rewritten', () => {
  const text = read('onbuild-parent.Dockerfile');
  const r = init(text);
  assert.deepEqual(r.needs, ['apt-archives', 'offgrid']);
  assert.match(r.text, /\nRUN if \[ -f \/offgrid\/apt-archives\/Packages \]; then export APT_CONFIG=\/offgrid\/apt.conf; fi && apt-get update -y &&\\\napt-get install/);
  assert.match(r.text, /\nONBUILD RUN pip install -r requirements.txt\n/);
  assert.deepEqual(r.skipped, [
    "line 8: ONBUILD RUN is left alone: it runs in the build of an image FROM this one, with that build's context; " +
      'to use a wheelhouse there, put ONBUILD COPY wheelhouse/ /wheelhouse/ before it and add the wheelhouse flags by hand',
  ]);
});

test('real Dockerfile: a Windows base image with no SHELL and no ` escape: pip is left alone (the rewrite is POSIX shell), and said so', () => {
  const text = read('cx-freeze-windows.Dockerfile');
  const r = init(text);
  assert.equal(r.text, text);
  assert.deepEqual(r.skipped, [
    'line 15: RUN runs in cmd or PowerShell (the shell of the Windows image python:3.11-windowsservercore-1809), not a POSIX shell, so it is left alone: ' +
      'COPY wheelhouse/ into the image and add pip install --no-index --find-links <that directory> by hand',
  ]);
  // The image named through an ARG, and a Linux stage built after it, as in a multi-platform repository.
  const viaArg = makeOfflineReady(
    'ARG BASE=mcr.microsoft.com/windows/servercore:ltsc2022\nFROM ${BASE}\nRUN pip install x\nFROM python:3.12-slim\nRUN pip install y\n',
  );
  assert.match(viaArg.skipped[0] ?? '', /^line 3: RUN runs in cmd or PowerShell \(the shell of the Windows image mcr\.microsoft\.com\/windows\/servercore:ltsc2022\)/);
  assert.deepEqual(viaArg.changes.map((c) => c.replace(/:.*/, '')), ['line 5']);
});

test('real Dockerfile: sudo apt-get gets the local repository on its command line, where sudo passes it on', () => {
  const text = read('sudo-apt-opam.Dockerfile');
  const r = init(text);
  assert.deepEqual(added(text, r.text).slice(4), [
    'RUN if [ -f /offgrid/apt-archives/Packages ]; then export APT_CONFIG=/offgrid/apt.conf; fi && sudo apt-get ${APT_CONFIG:+-c $APT_CONFIG} update && \\',
    '    sudo apt-get ${APT_CONFIG:+-c $APT_CONFIG} install -y \\',
  ]);
  // `sudo rm`, `sudo apt-key`, sudo's own options and variables before apt.
  const more = makeOfflineReady(
    'FROM a\nRUN sudo -E DEBIAN_FRONTEND=noninteractive apt-get install -y x && sudo apt-key add k && sudo apt update && sudo rm -rf /var/lib/apt/lists/*\n',
  );
  assert.match(
    more.text,
    /fi && sudo -E DEBIAN_FRONTEND=noninteractive apt-get \$\{APT_CONFIG:\+-c \$APT_CONFIG\} install -y x && sudo apt-key add k && sudo apt \$\{APT_CONFIG:\+-c \$APT_CONFIG\} update && sudo rm -rf/,
  );
});

test('real Dockerfile: poetry install is left alone and said so, with how to get a wheelhouse from its lock file; the pip that installs poetry is rewritten', () => {
  const text = read('poetry-base.Dockerfile');
  const r = init(text);
  assert.match(r.text, /\nRUN pip install \$\(ls \/wheelhouse[^)]*\) --no-cache-dir poetry && \\\n {4}poetry config virtualenvs.create false && \\\n {4}poetry install --only=main/);
  assert.deepEqual(r.skipped, [
    'line 6: poetry install installs from the package index and is left alone (init rewrites pip and apt): ' +
      'write the lock file as requirements (poetry export -f requirements.txt -o requirements.txt), build the wheelhouse from them and install with pip install --no-index --find-links /wheelhouse',
  ]);
});

test('real Dockerfile: uv sync alone: nothing changes, and the step is reported, not passed as offline-ready', () => {
  const text = read('uv-sync.Dockerfile');
  const r = init(text);
  assert.equal(r.text, text);
  assert.deepEqual(r.changes, []);
  assert.match(r.skipped[0] ?? '', /^line 8: uv sync installs from the package index and is left alone .*\(uv export --format requirements-txt -o requirements.txt\)/);
  assert.equal(r.skipped.length, 1);
});

test('real Dockerfile: apk add and npm i are reported, not passed as offline-ready (under --network=none npm cannot reach the proxy either)', () => {
  const text = read('node-alpine-apk.Dockerfile');
  const r = init(text);
  assert.equal(r.text, text);
  assert.deepEqual(r.skipped, []);
  const APK_INSTEAD = 'fetch the packages once (`apk fetch --recursive -o apks PKG…`) into the build context, COPY them and `apk add --no-network --allow-untrusted apks/*.apk`, or start FROM an image that has the packages';
  assert.deepEqual(r.needsNetwork, [
    { line: 4, what: "apk update fetches from Alpine's repositories", instead: APK_INSTEAD },
    { line: 4, what: "apk add fetches from Alpine's repositories", instead: APK_INSTEAD },
    {
      line: 11,
      what: 'npm i fetches from its package registry',
      instead: "a build without network needs the packages in the build context: an npm cache COPY'd in and `npm ci --offline --cache DIR`, or node_modules installed outside the build",
    },
  ]);
  // `/var/cache/apk` and `apk del` are not fetches.
  assert.deepEqual(makeOfflineReady('FROM alpine\nRUN apk del build-deps && rm -rf /var/cache/apk/*\n').needsNetwork, []);
});

test('real Dockerfile: FROM python:${PYTHON_VERSION} with ARG PYTHON_VERSION unset is stopped before the build, online and offline, not reported as a missing image', async (t) => {
  const spec = { name: 'client', context: REAL, dockerfile: join(REAL, 'backend-ai-client.Dockerfile'), args: {}, target: null, image: 'client', additionalContexts: {}, buildsFirst: [], ssh: [], secrets: [], secretEnv: {}, extraHosts: [], options: NO_BUILD_OPTIONS, dockerfileInline: null };
  const io = { cwd: REAL, platform: { os: 'linux', arch: 'amd64', variant: '' }, buildContexts: true, imageExists: async () => false };
  for (const offline of [false, true]) {
    assert.equal(
      await preflight(spec, offline, 'buildkit', io),
      'service client: FROM (or COPY --from) python: in backend-ai-client.Dockerfile is not a valid image name once its ARGs are filled in ' +
        '(an ARG with no default and no value in build.args leaves a part of it empty): give the ARG a default, or set it in build.args',
    );
  }
  const set = { ...spec, args: { PYTHON_VERSION: '3.12' } };
  assert.equal(await preflight(set, false, 'buildkit', io), null);
  assert.match((await preflight(set, true, 'buildkit', io)) ?? '', /^service client: base image python:3\.12 is not on this machine/);
  // Digests, registries with ports and Windows tags are valid references.
  const dir = mkdtempSync(join(tmpdir(), 'offgrid-refs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'Dockerfile'),
    'FROM localhost:5000/team/app:1.0\n' +
      'COPY --from=docker.io/library/ubuntu:22.04@sha256:26dd6b0fe5f604e7a2449677d34601c4fb93c191ddb71b294ccb8330f8222b32 /a /a\n' +
      'COPY --from=mcr.microsoft.com/powershell:6.2.0-nanoserver-1803 /b /b\n',
  );
  assert.equal(await preflight({ ...spec, context: dir, dockerfile: join(dir, 'Dockerfile') }, false, 'buildkit', { ...io, cwd: dir }), null);
});

test('real Dockerfile: a RUN heredoc script with apt cache mounts gets the local repository as its first line; other heredocs are left alone', () => {
  const text = read('heredoc-apt-cache.Dockerfile');
  const r = init(text);
  assert.deepEqual(added(text, r.text), [
    '# offgrid init docker: apt-archives/ is a local apt repository (offgrid cache export apt --out <context> writes it);',
    '# offgrid init docker: with a Packages index in it, apt uses it alone (no network); empty, apt uses the network.',
    'COPY offgrid/ /offgrid/',
    'COPY apt-archives/ /offgrid/apt-archives/',
    'if [ -f /offgrid/apt-archives/Packages ]; then export APT_CONFIG=/offgrid/apt.conf; fi',
  ]);
  assert.match(r.text, /sharing=locked <<EOF\nif \[ -f \/offgrid\/apt-archives\/Packages \]; then export APT_CONFIG=\/offgrid\/apt.conf; fi\n {4}apt-get update\n/);
  assert.deepEqual(r.skipped, []);
  // The frontend its first line names, and cargo-chef itself (from crates.io): init says so.
  assert.deepEqual(r.needsNetwork.map((n) => [n.line, n.what]), [
    [1, "the `# syntax=docker/dockerfile:1` line makes BuildKit look this frontend up on its registry on every build, on the daemon's network"],
    [4, 'cargo install fetches from its package registry'],
  ]);
  // After a #! line for a shell; pip in the script; a script for python or a heredoc fed to a command is left alone.
  const more = init(
    [
      'FROM debian:bookworm',
      'RUN <<EOF',
      '#!/bin/bash -ex',
      '# packages',
      'sudo apt-get install -y python3-pip',
      'pip install -r requirements.txt',
      'EOF',
      'RUN python3 <<EOF',
      'import os; os.system("pip install x")',
      'EOF',
      'RUN cat <<EOF > /etc/apt/sources.list.d/x.list && apt-get update',
      'deb http://deb.example/debian bookworm main',
      'EOF',
    ].join('\n'),
  );
  assert.deepEqual(more.text.split('\n').slice(8, 14), [
    'RUN <<EOF',
    '#!/bin/bash -ex',
    'if [ -f /offgrid/apt-archives/Packages ]; then export APT_CONFIG=/offgrid/apt.conf; fi',
    '# packages',
    'sudo apt-get ${APT_CONFIG:+-c $APT_CONFIG} install -y python3-pip',
    `pip install ${FLAGS} -r requirements.txt`,
  ]);
  assert.deepEqual(more.skipped.map((s) => s.replace(/:.*/, '')), ['line 8', 'line 11']);
  assert.match(more.skipped[0]!, /RUN with a heredoc that is not a shell script is left alone/);
});

/** The shell text of each RUN step init changed: a shell-form command, an exec-form `sh -c` script, or a heredoc script. */
function rewrittenScripts(before: string, after: string): { line: number; script: string }[] {
  const old = new Set(parseDockerfile(before).instructions.map((i) => `${i.keyword} ${i.args}`));
  const lines = after.split('\n');
  return parseDockerfile(after)
    .instructions.filter((i) => i.keyword === 'RUN' && !old.has(`RUN ${i.args}`))
    .map((i) => {
      const argv = execForm(i.args);
      if (argv !== null) return { line: i.startLine, script: argv[argv.length - 1]! };
      if (heredocs(i.args).length > 0) {
        const own = lines.slice(i.startLine - 1, i.endLine);
        return { line: i.startLine, script: own.slice(own.findIndex((l) => /<<-?\w/.test(l)) + 1, -1).join('\n') };
      }
      return { line: i.startLine, script: i.args.slice(splitFlags(i.args).rest) };
    });
}

test('every real Dockerfile: init\'s result parses, a second run changes nothing, and every RUN it rewrote is valid shell (bash -n)', () => {
  const files = readdirSync(REAL).filter((f) => f.endsWith('.Dockerfile'));
  assert.ok(files.length > 40);
  let rewritten = 0;
  for (const name of files) {
    const text = read(name);
    const r = init(text);
    for (const { line, script } of rewrittenScripts(text, r.text)) {
      const check = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
      assert.equal(check.status, 0, `${name}, RUN at line ${line}: ${check.stderr}`);
      rewritten++;
    }
  }
  // The sweep's files rewrite some 70 steps: the check ran on real rewrites, not on none.
  assert.ok(rewritten > 50, `${rewritten} steps rewritten`);
});

test('real Dockerfiles of the third sweep: what still needs the network, by line', () => {
  const needs = (name: string): string[] => init(read(name)).needsNetwork.map((n) => `${n.line}: ${n.what.replace(/ (?:is fetched by|fetches from|makes BuildKit|registers with|reads the find-links).*/, '')}`);
  assert.deepEqual(needs('secret-env-heredoc-npm.Dockerfile'), [
    '3: npm install-clean',
    '3: curl fetches https://raw.githubusercontent.com/softvisio/scripts/main/env-build-node.sh',
    '18: curl fetches https://raw.githubusercontent.com/softvisio/scripts/main/env-build-node.sh',
    '32: curl fetches https://raw.githubusercontent.com/softvisio/scripts/main/env-build-node.sh',
  ]);
  assert.deepEqual(needs('ubi-secret-rhsm-microdnf.Dockerfile'), [
    '4: subscription-manager register',
    '13: curl fetches https://dl.fedoraproject.org/pub/epel/epel-release-latest-10.noarch.rpm',
    '17: microdnf install',
  ]);
  assert.deepEqual(needs('add-checksum-arg-url-uv-pip.Dockerfile'), [
    '1: the `# syntax=docker/dockerfile:1` line',
    '33: ADD https://github.com/astral-sh/uv/releases/download/0.6.6/uv-x86_64-unknown-linux-gnu.tar.gz',
    '74: curl fetches https://raw.githubusercontent.com/tj/n/master/bin/n',
    '74: npm install',
  ]);
  assert.deepEqual(needs('env-var-curl-python-heredoc.Dockerfile'), [
    '1: the `# syntax=docker/dockerfile:experimental` line',
    '16: curl fetches https://github.com/rusty1s/pytorch_scatter/archive/refs/tags/2.1.2.tar.gz',
    '35: apt-key fetches a signing key from a keyserver',
    '44: curl fetches https://github.com/Kitware/CMake/releases/download/v${CMAKE_VERSION}/cmake-${CMAKE_VERSION}-Linux-x86_64.tar.gz',
    '52: pip',
    '54: git clone https://github.com/cerati/nugraph.git fetches a repository',
  ]);
  assert.deepEqual(needs('json-run-sh-c-lein.Dockerfile'), [
    '32: wget fetches https://raw.githubusercontent.com/technomancy/leiningen/stable/bin/lein',
    '46: lein deps',
    '49: lein ring',
  ]);
  // A heredoc COPY'd as a file (which runs curl at container start) is no build step.
  assert.deepEqual(needs('ollama-copy-heredoc.Dockerfile'), ['124: curl fetches https://ollama.ai/install.sh and runs it with sh (an install script, which downloads more)']);
});

test('real Dockerfile: pip install /wheels/* of the wheels a builder stage made is not taken for a project to build (no build-backend warning); a source archive glob still is', () => {
  for (const name of ['pip-wheel-builder-apt-slim.Dockerfile', 'pip-wheel-dot-upgrade-chain.Dockerfile', 'for-loop-apt-trusted-host-wheel.Dockerfile']) {
    const r = init(read(name));
    assert.ok(r.text.includes('/wheels/*'), name);
    for (const change of r.changes) assert.doesNotMatch(change, /it builds \/wheels/, `${name}: ${change}`);
  }
  const slim = init(read('pip-wheel-builder-apt-slim.Dockerfile'));
  assert.ok(slim.text.split('\n').includes(`RUN pip install ${FLAGS} --no-cache /wheels/*`));
  assert.equal(slim.changes[3], 'line 31: RUN pip install --no-cache /wheels/*…: pip from the wheelhouse when present');
  // The builder's `pip wheel … .` builds the project itself; an sdist glob is built too.
  assert.match(init('FROM python:3.12\nCOPY dist /dist\nRUN pip install /dist/app-*.tar.gz\n').changes[0]!, /it builds \/dist\/app-\*\.tar\.gz, whose build backend/);
});

test('real Dockerfile: a multi-stage pip wheel build with apt --no-install-recommends in both stages: each stage gets its COPYs before its first apt and pip step', () => {
  const text = read('pip-wheel-builder-apt-slim.Dockerfile');
  const r = init(text);
  assert.deepEqual(r.text.split('\n').filter((l) => l.startsWith('COPY') || l.startsWith('FROM')), [
    'FROM python:3.11-slim as builder',
    'COPY offgrid/ /offgrid/',
    'COPY apt-archives/ /offgrid/apt-archives/',
    'COPY requirements.txt .',
    'COPY wheelhouse/ /wheelhouse/',
    'FROM python:3.11-slim',
    'COPY offgrid/ /offgrid/',
    'COPY apt-archives/ /offgrid/apt-archives/',
    'COPY --from=builder /app/wheels /wheels',
    'COPY requirements.txt .',
    'COPY wheelhouse/ /wheelhouse/',
    'COPY . .',
  ]);
  assert.ok(r.text.includes(`RUN pip wheel ${FLAGS} --no-cache-dir --no-deps --wheel-dir /app/wheels -r requirements.txt\n`));
  assert.match(r.text, /\nRUN if \[ -f \/offgrid\/apt-archives\/Packages \]; then export APT_CONFIG=\/offgrid\/apt.conf; fi && apt-get update && apt-get install -y --no-install-recommends \\\n {4}libpq-dev \\\n {4}&& rm -rf \/var\/lib\/apt\/lists\/\*\n/);
  // `|| true` after collectstatic hides nothing init looks at; nothing else fetches.
  assert.deepEqual(r.needsNetwork, []);
});

test('real Dockerfile: pip reading PIP_EXTRA_INDEX_URL (an ARG given at build time, or set in the step) is told the wheelhouse must read that index too; PyPI itself as the extra index is not', () => {
  const arg = init(read('arg-pip-extra-index-url.Dockerfile'));
  // `pip install -U pip …` at line 7 comes before `ARG PIP_EXTRA_INDEX_URL` (line 8): pip does not see it there.
  assert.doesNotMatch(arg.changes.find((c) => c.startsWith('line 7:'))!, /PIP_EXTRA_INDEX_URL/);
  assert.equal(
    arg.changes.find((c) => c.startsWith('line 12:')),
    'line 12: RUN pip install -r /requirements/main.txt…: pip from the wheelhouse when present; it reads the index PIP_EXTRA_INDEX_URL names (ARG, line 8, given at build time) besides PyPI, ' +
      'which offgrid wheelhouse must read too (pass it --extra-index-url with that URL) to fetch the wheels only it serves, or this step fails once the wheelhouse has wheels',
  );
  // The final stage (FROM nginx) has no pip: an ARG does not outlive its stage.
  const step = init(read('env-prefixed-python-m-pip-apt-script.Dockerfile'));
  assert.match(step.changes.find((c) => c.startsWith('line 37:'))!, /it reads the index PIP_EXTRA_INDEX_URL names \(set in the step\) besides PyPI/);
  assert.ok(step.text.includes(`    python -m pip install ${FLAGS} -r /tmp/requirements.txt \\\n`));
  // `sh apt_mirror_sources.sh && apt-get update …`: the prefix goes first; the script's sources are not read once APT_CONFIG is set.
  assert.match(step.text, /\nRUN if \[ -f \/offgrid\/apt-archives\/Packages \]; then export APT_CONFIG=\/offgrid\/apt.conf; fi && sh \/usr\/local\/bin\/apt_mirror_sources.sh \\\n/);
  const pypi = init(read('arg-pip-index-url-env-editable.Dockerfile'));
  assert.doesNotMatch(pypi.changes.join('\n'), /PIP_EXTRA_INDEX_URL/);
  // An ENV is inherited by a stage FROM this one; its value is shown, credentials redacted.
  const inherited = init('FROM python:3.12 AS base\nENV PIP_EXTRA_INDEX_URL=https://user:s3cret@pypi.example/simple\nFROM base\nRUN pip install -r requirements.txt\n');
  assert.match(inherited.changes[0]!, /PIP_EXTRA_INDEX_URL names \(ENV, line 2: https:\/\/\*\*\*@pypi\.example\/simple\)/);
  assert.doesNotMatch(inherited.changes[0]!, /s3cret/);
});

test('real Dockerfile: a private GitLab index with the token from a build arg (--extra-index-url https://__token__:${REGISTRY_AUTH_TOKEN}@…) is named for the wheelhouse, the token never shown; a source archive a build arg names is built', () => {
  const r = init(read('extra-index-token-build-arg.Dockerfile'));
  assert.equal(r.indexes.length, 3);
  assert.match(r.changes[0]!, /pass it --extra-index-url https:\/\/\*\*\*@gitlab\.rayference\.dansaert\.be\/api\/v4\/projects\/150\/packages\/pypi\/simple\) to fetch the wheels only it serves; it installs rtm-adapter-interface by name/);
  for (const change of r.changes) assert.doesNotMatch(change, /__token__|REGISTRY_AUTH_TOKEN/);
  assert.ok(r.text.includes(`RUN /opt/conda/bin/pip install ${FLAGS} ./\${MODEL_NAME}-*.tar.gz\n`));
  assert.match(r.changes[3]!, /^line 15: .*it builds \.\/\$\{MODEL_NAME\}-\*\.tar\.gz, whose build backend/);
});

test('real Dockerfile: RUN set -eux; blocks (tab-indented, a ; line closing the package list, a comment line inside): the apt prefix goes before set -eux, pip3 in the same block gets the wheelhouse', () => {
  const tabs = init(read('set-eux-tabs-apt-pip.Dockerfile'));
  assert.match(tabs.text, /\nRUN if \[ -f \/offgrid\/apt-archives\/Packages \]; then export APT_CONFIG=\/offgrid\/apt.conf; fi && set -eux; \\\n\tapt-get update; \\\n\tapt-get install -y --no-install-recommends \\\n\t\tykcs11 \\\n\t; \\\n/);
  assert.ok(tabs.text.includes(`RUN pip install ${FLAGS} --no-cache-dir -r requirements.txt\n`));
  assert.match(tabs.changes[2]!, /^line 18: RUN pip install --no-cache-dir \.…: .*it builds \., whose build backend/);
  const gosu = init(read('set-eux-apt-pip3-gosu-wget.Dockerfile'));
  assert.ok(gosu.text.includes(`\tpip3 install ${FLAGS} shyaml; \\\n\trm -rf /var/lib/apt/lists/*; \\\n\t# verify that the binary works\n\tgosu nobody true\n`));
  assert.deepEqual(gosu.byName, ['shyaml']);
  // The two wget downloads stay online, named.
  assert.deepEqual(gosu.needsNetwork.map((n) => n.line), [36, 43]);
});

test('real Dockerfile: a virtualenv in /opt/venv (pip by its full path, `venv\\` with no space before the escape) gets the wheelhouse; the runtime stage that only copies the venv gets no wheelhouse', () => {
  const venv = init(read('venv-opt-builder-runtime.Dockerfile'));
  assert.ok(venv.text.includes(`    /opt/venv/bin/pip install ${FLAGS} --no-cache-dir -r requirements.txt\n`));
  assert.equal(venv.text.split('\n').filter((l) => l === 'COPY wheelhouse/ /wheelhouse/').length, 1);
  const tight = init(read('venv-no-space-before-escape.Dockerfile'));
  assert.deepEqual(added(read('venv-no-space-before-escape.Dockerfile'), tight.text).filter((l) => !l.startsWith('#')), [
    'COPY wheelhouse/ /wheelhouse/',
    `   && /opt/venv/bin/pip install ${FLAGS} --no-cache-dir --upgrade pip \\`,
    `   && /opt/venv/bin/pip install ${FLAGS} --no-cache-dir -r requirements.txt`,
  ]);
});

test('real Dockerfile: pip install --user gets the wheelhouse; Chrome\'s apt repository added with apt-key stays in the apt step, its signing key download named as still online', () => {
  const r = init(read('pip-user-chrome-apt-key.Dockerfile'));
  assert.ok(r.text.includes(`RUN pip install ${FLAGS} --user -r requirements.txt\n`));
  assert.deepEqual(r.needsNetwork.map((n) => [n.line, n.what]), [[5, 'wget fetches the signing key https://dl.google.com/linux/linux_signing_key.pub']]);
  assert.deepEqual(r.needs, ['apt-archives', 'offgrid', 'wheelhouse']);
});

test('real Dockerfile: a builder stage\'s pip wheel --wheel-dir /wheels . builds the project, so its build backend must be in the wheelhouse too; the wheel directory is not taken for a project', () => {
  const r = init(read('pip-wheel-dot-upgrade-chain.Dockerfile'));
  assert.match(r.changes[1]!, /^line 11: .*it installs pip, setuptools, wheel by name.*; it builds \., whose build backend/);
  assert.doesNotMatch(r.changes[1]!, /it builds \/wheels/);
  // backend.ai's builder: `pip wheel --wheel-dir=/wheels … backend.ai-client==${PKGVER} --find-links=/dist` names the client.
  assert.deepEqual(init(read('backend-ai-client.Dockerfile')).byName, ['backend.ai-client']);
});
