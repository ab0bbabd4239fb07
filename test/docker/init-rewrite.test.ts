// `offgrid init docker`'s rewrite (makeOfflineReady) on RUN steps written the ways BuildKit
// reads them: flags across continuation lines, shell form that starts with `[`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execForm, parseDockerfile, splitFlags } from '../../src/docker/dockerfile.js';
import { makeOfflineReady } from '../../src/docker/init.js';

const APT_PREFIX = 'if [ -f /offgrid/apt-archives/Packages ]; then export APT_CONFIG=/offgrid/apt.conf; fi && ';

/** The flags and command of the rewritten file's RUN steps, as BuildKit splits them. */
function runs(text: string): { flags: string[]; command: string }[] {
  return parseDockerfile(text)
    .instructions.filter((i) => i.keyword === 'RUN')
    .map((i) => {
      const { flags, rest } = splitFlags(i.args);
      return { flags, command: i.args.slice(rest) };
    });
}

test('splitFlags: flags as BuildKit extracts them, quoted values and `--` included; the command starts after them', () => {
  const split = (args: string) => {
    const { flags, rest } = splitFlags(args);
    return [flags, args.slice(rest)];
  };
  assert.deepEqual(split('--mount=type=cache,target=/a   --network=host apt-get update'), [['--mount=type=cache,target=/a', '--network=host'], 'apt-get update']);
  assert.deepEqual(split('--mount="type=secret,id=a b" pip install x'), [['--mount=type=secret,id=a b'], 'pip install x']);
  assert.deepEqual(split('-- --not-a-flag'), [[], '--not-a-flag']);
  assert.deepEqual(split('apt-get install --yes x'), [[], 'apt-get install --yes x']);
  assert.deepEqual(split('--network=none'), [['--network=none'], '']);
});

test('init docker: apt prefix after every RUN flag, when the flags span continuation lines (apt cache mounts)', () => {
  const text = [
    'FROM debian:bookworm-slim',
    'RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\',
    '    --mount=type=cache,target=/var/lib/apt,sharing=locked \\',
    '    apt-get update && apt-get install -y ca-certificates',
    '',
  ].join('\n');
  const r = makeOfflineReady(text);
  assert.deepEqual(r.changes.map((c) => c.replace(/:.*/, '')), ['line 2']);
  assert.match(r.changes[0]!, /^line 2: RUN apt-get update && apt-get install -y ca-certificat…: apt from the local repository/);
  assert.match(
    r.text,
    /\nRUN --mount=type=cache,target=\/var\/cache\/apt,sharing=locked \\\n {4}--mount=type=cache,target=\/var\/lib\/apt,sharing=locked \\\n {4}if \[ -f \/offgrid\/apt-archives\/Packages \]; then export APT_CONFIG=\/offgrid\/apt.conf; fi && apt-get update && apt-get install -y ca-certificates\n$/,
  );
  assert.deepEqual(runs(r.text), [
    {
      flags: ['--mount=type=cache,target=/var/cache/apt,sharing=locked', '--mount=type=cache,target=/var/lib/apt,sharing=locked'],
      command: `${APT_PREFIX}apt-get update && apt-get install -y ca-certificates`,
    },
  ]);
  assert.equal(makeOfflineReady(r.text).text, r.text);
});

test('init docker: `RUN \\` with the flags on the next lines, a comment line among them (BuildKit drops it), --network and --security', () => {
  const text = [
    'FROM debian:bookworm-slim',
    'RUN \\',
    '    --mount=type=cache,target=/var/cache/apt \\',
    '    # the lists too',
    '',
    '    --network=host --security=insecure \\',
    '  apt-get update',
    'RUN --network=host apt-get install -y curl',
  ].join('\n');
  const r = makeOfflineReady(text);
  assert.equal(r.changes.length, 2);
  assert.deepEqual(runs(r.text), [
    { flags: ['--mount=type=cache,target=/var/cache/apt', '--network=host', '--security=insecure'], command: `${APT_PREFIX}apt-get update` },
    { flags: ['--network=host'], command: `${APT_PREFIX}apt-get install -y curl` },
  ]);
  assert.match(r.text, /\n {4}# the lists too\n\n {4}--network=host --security=insecure \\\n {2}if \[ -f /);
});

test('init docker: pip in a RUN whose flags span lines is rewritten in the command, the flags left as they are', () => {
  const text = [
    'FROM python:3.12-slim',
    'RUN --mount=type=cache,target=/root/.cache/pip \\',
    '    --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \\',
    '    pip install -r /tmp/requirements.txt',
  ].join('\n');
  const r = makeOfflineReady(text);
  assert.deepEqual(runs(r.text), [
    {
      flags: ['--mount=type=cache,target=/root/.cache/pip', '--mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt'],
      command: 'pip install $(ls /wheelhouse/*.whl >/dev/null 2>&1 && echo --no-index --find-links /wheelhouse) -r /tmp/requirements.txt',
    },
  ]);
  assert.match(r.changes[0]!, /^line 2: RUN pip install -r \/tmp\/requirements.txt…: pip from the wheelhouse/);
});

test('execForm: a JSON array of strings after the flags is exec form; anything else, `[` first or not, is shell form', () => {
  assert.deepEqual(execForm('["pip", "install", "x"]'), ['pip', 'install', 'x']);
  assert.deepEqual(execForm('--network=none  [ "apt-get" , "update" ] '), ['apt-get', 'update']);
  assert.deepEqual(execForm('[]'), []);
  assert.equal(execForm('[ "$INSTALL_DEV" = "true" ] && pip install -r requirements-dev.txt || true'), null);
  assert.equal(execForm('[ -f /etc/debian_version ]'), null);
  assert.equal(execForm('["pip", "install", "x"] && true'), null);
  assert.equal(execForm("['pip', 'install']"), null);
  assert.equal(execForm('pip install "[extra]"'), null);
});

test('Dockerfile: a JSON array that is not all strings is rejected, as BuildKit rejects it', () => {
  assert.throws(() => parseDockerfile('FROM a\nRUN ["pip", 1]\n'), /line 2: RUN: a JSON array must hold only strings/);
  assert.throws(() => parseDockerfile('FROM a\nCMD [["x"]]\n'), /line 2: CMD: a JSON array must hold only strings/);
});

test('init docker: a shell-form RUN that starts with `[` (a test) is rewritten; exec form, after flags too, is left alone', () => {
  const r = makeOfflineReady([
    'FROM python:3.12-slim',
    'ARG INSTALL_DEV=false',
    'RUN [ "$INSTALL_DEV" = "true" ] && pip install -r requirements-dev.txt || true',
    'RUN [ -f /etc/debian_version ] && apt-get update',
    'RUN ["pip", "install", "x"]',
    'RUN --network=none ["apt-get", "update"]',
    '',
  ].join('\n'));
  assert.deepEqual(r.changes.map((c) => c.replace(/:.*/, '')), ['line 3', 'line 4']);
  assert.deepEqual(r.skipped.map((c) => c.replace(/(RUN in exec form).*/, '$1')), ['line 5: RUN in exec form', 'line 6: RUN in exec form']);
  assert.deepEqual(runs(r.text).map((run) => run.command), [
    '[ "$INSTALL_DEV" = "true" ] && pip install $(ls /wheelhouse/*.whl >/dev/null 2>&1 && echo --no-index --find-links /wheelhouse) -r requirements-dev.txt || true',
    `${APT_PREFIX}[ -f /etc/debian_version ] && apt-get update`,
    '["pip", "install", "x"]',
    '["apt-get", "update"]',
  ]);
});

test("init docker: install_packages (Bitnami's and balena's apt wrapper) gets the apt prefix: the apt-get it runs reads APT_CONFIG", () => {
  // find_string id 17314119596 (FROM bitnami/git), its first two lines.
  const r = makeOfflineReady('FROM bitnami/git:latest\nRUN install_packages less\n');
  assert.deepEqual(runs(r.text).map((run) => run.command), [`${APT_PREFIX}install_packages less`]);
  assert.match(r.text, /\nCOPY apt-archives\/ \/offgrid\/apt-archives\/\n/);
  assert.deepEqual(makeOfflineReady(r.text).changes, []);
  // balena's Alpine images have an install_packages that runs apk add: left alone and named.
  const alpine = makeOfflineReady('FROM balenalib/raspberrypi4-64-alpine-node:latest AS base\nRUN install_packages python3 make g++\nFROM base\nRUN install_packages git\n');
  assert.deepEqual([alpine.changes, alpine.needsNetwork.map((n) => `line ${n.line}: ${n.what}`)], [[], ["line 2: apk add fetches from Alpine's repositories", "line 4: apk add fetches from Alpine's repositories"]]);
});

test('init docker: requirements a rewritten pip step names on its command line, and local projects it builds, are warned about: the wheelhouse must hold them', () => {
  // github.com/Enucatl/crabberbot Dockerfile @16a6594a, the runtime stage's RUN (lines 57-61).
  const crabberbot = makeOfflineReady(
    'FROM python:3.14-slim-trixie AS runtime\nRUN DEBIAN_FRONTEND=noninteractive apt-get update && apt-get install -y \\\n    ca-certificates \\\n    ffmpeg \\\n    && rm -rf /var/lib/apt/lists/* \\\n    && pip install --no-cache-dir "curl_cffi>=0.10,<0.15" requests brotli\n',
  );
  assert.deepEqual(crabberbot.byName, ['curl_cffi>=0.10,<0.15', 'requests', 'brotli']);
  assert.match(crabberbot.changes[0]!, /it installs curl_cffi, requests, brotli by name, so the wheelhouse must hold them \(add curl_cffi, requests, brotli to the requirements offgrid wheelhouse reads\), or this step fails once the wheelhouse has wheels$/);
  // immich machine-learning/Dockerfile @0368c919, line 7.
  assert.deepEqual(makeOfflineReady('FROM python:3.11.4-bullseye AS builder\nRUN pip install --upgrade pip && pip install poetry\n').byName, ['pip', 'poetry']);
  // hexchess-zero's Dockerfile (read_file id 62733028715), lines 72-77: wheels by path need nothing more; `.` needs its build backend.
  const hexchess = makeOfflineReady(
    'FROM python:3.12-slim\nRUN --mount=type=cache,target=/root/.cache/pip \\\n    pip install --no-deps /tmp/*.whl && rm /tmp/*.whl\n\nCOPY training/ training/\nRUN --mount=type=cache,target=/root/.cache/pip \\\n    pip install --no-deps .\n',
  );
  assert.deepEqual(hexchess.byName, []);
  assert.doesNotMatch(hexchess.changes[0]!, /by name|builds/);
  assert.match(hexchess.changes[1]!, /: pip from the wheelhouse when present; it builds \., whose build backend \(setuptools, hatchling, maturin…\) pip installs in an isolated environment/);
  assert.deepEqual(makeOfflineReady('FROM python:3.12\nRUN pip install --no-build-isolation -e . -r requirements.txt > /dev/null\n').changes.map((c) => c.replace(/^.*…: /, '')), ['pip from the wheelhouse when present']);
});

test('init docker: the index a rewritten pip step reads besides PyPI (--extra-index-url, -i) is named, for offgrid wheelhouse to read it too', () => {
  // An inference engine's CPU image (find_string id 66156681976), lines 7-10: torch's CPU wheels are on download.pytorch.org only.
  const cpu = makeOfflineReady(
    'FROM python:3.12-slim\n\nWORKDIR /app\n\n# Install deps first so the layer caches across code changes.\nCOPY requirements.txt .\n' +
      'RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu \\\n    -r requirements.txt\n',
  );
  assert.deepEqual(cpu.indexes, ['--extra-index-url https://download.pytorch.org/whl/cpu']);
  assert.deepEqual(cpu.byName, []);
  assert.match(cpu.changes[0]!, /: pip from the wheelhouse when present; it reads an index besides PyPI, which offgrid wheelhouse must read too \(pass it --extra-index-url https:\/\/download\.pytorch\.org\/whl\/cpu\) to fetch the wheels only it serves, or this step fails once the wheelhouse has wheels$/);
  // `-i URL` and `--index-url=URL` are the same option; a token in the URL is not shown.
  const own = makeOfflineReady('FROM python:3.12\nRUN pip install -i https://pypi.example.org/simple -r a.txt && pip install --index-url=https://u:t0ken@pypi.example.org/simple -r b.txt\n');
  assert.deepEqual(own.indexes, ['--index-url https://pypi.example.org/simple', '--index-url https://u:t0ken@pypi.example.org/simple']);
  assert.doesNotMatch(own.changes[0]!, /t0ken/);
});

test('init docker: pip.exe in a Windows stage is named as left alone, not passed over; a version from a build arg still names the project', () => {
  // A Windows build-tools image (# escape=`, SHELL powershell): pip by its full Windows path.
  const windows = makeOfflineReady(
    '# escape=`\nFROM mcr.microsoft.com/windows/servercore:1809\nSHELL ["powershell", "-Command"]\nRUN C:\\build\\import\\python27\\Scripts\\pip.exe install -U pytest\n',
  );
  assert.match(windows.skipped[0] ?? '', /^line 4: RUN runs in powershell \(SHELL, line 3\), not a POSIX shell, so it is left alone/);
  // A poetry builder stage (search-index file id 10547129410): `pip install poetry==$POETRY_VERSION`.
  const poetry = makeOfflineReady('FROM python:3.12-slim\nENV POETRY_VERSION=1.7.1\nRUN pip install poetry==$POETRY_VERSION\n');
  assert.deepEqual(poetry.byName, ['poetry']);
  assert.match(poetry.changes[0] ?? '', /it installs poetry by name/);
  assert.deepEqual(makeOfflineReady('FROM python:3.12-slim\nRUN pip install "$PKG" ${EXTRA}\n').byName, []);
});

test('init docker: a fetch named through a variable (ADD $UV after ARG UV=URL, ${GET} URL after ENV GET="curl …") is named', () => {
  // opendatacube's WPS image: ADD --checksum=… --link $UV, the URL an ARG default.
  const add = makeOfflineReady(
    'FROM ubuntu:24.04 AS builder\nARG UV=https://github.com/astral-sh/uv/releases/download/0.6.6/uv-x86_64-unknown-linux-gnu.tar.gz\n' +
      'ADD --checksum=sha256:4c3426c4919d9f44633ab9884827fa1ad64ad8d993516d636eb955a3835c4a8c --chown=root:root --chmod=644 --link $UV uv.tar.gz\n',
  );
  assert.deepEqual(add.needsNetwork.map((n) => [n.line, n.what.replace(/ is fetched.*/, '')]), [[3, 'ADD https://github.com/astral-sh/uv/releases/download/0.6.6/uv-x86_64-unknown-linux-gnu.tar.gz']]);
  // An NVIDIA Triton image: curl behind ENV GET, the version in the URL left to the shell; the global ARG's default reaches the stage's bare ARG.
  const env = makeOfflineReady(
    'ARG TAG=1.2.2\nFROM nvcr.io/nvidia/pytorch:25.02-py3\nARG TAG\nENV GET="curl --location --silent --create-dirs"\n' +
      'RUN mkdir src && ${GET} https://github.com/rusty1s/pytorch_scatter/archive/refs/tags/${TAG}.tar.gz | tar -xz -C src\n' +
      'FROM busybox\nRUN ${GET} https://example.org/x\n',
  );
  assert.deepEqual(env.needsNetwork.map((n) => [n.line, n.what]), [[5, 'curl fetches https://github.com/rusty1s/pytorch_scatter/archive/refs/tags/${TAG}.tar.gz']]);
  // The text itself is not changed.
  assert.equal(env.text.includes('${GET} https://github.com'), true);
});

test('init docker: exec form that hands a script to a POSIX shell (RUN ["sh", "-c", "apt-get …"]) is rewritten inside the script, once', () => {
  // chinnonsantos/purchase-service and a TerrytLookup .NET image: apt in `["sh", "-c", …]`; a pip one with flags before it.
  const text = [
    'FROM ubuntu:eoan',
    'RUN ["sh", "-c", "apt-get update && apt-get upgrade -y"]',
    'RUN ["sh", "-c", "apt-get -y update && apt-get --no-install-recommends -y install curl && apt-get clean && useradd -m $APP_UID"]',
    'RUN --mount=type=cache,target=/root/.cache/pip ["/bin/bash", "-ec", "pip install -r requirements.txt"]',
    'RUN ["bash", "script.sh", "apt-get"]',
    '',
  ].join('\n');
  const r = makeOfflineReady(text);
  assert.deepEqual(r.changes.map((c) => c.replace(/:.*/, '')), ['line 2', 'line 3', 'line 4']);
  assert.deepEqual(r.skipped, []);
  const commands = runs(r.text).map((run) => execForm(run.command));
  assert.deepEqual(commands.slice(0, 2), [
    ['sh', '-c', `${APT_PREFIX}apt-get update && apt-get upgrade -y`],
    ['sh', '-c', `${APT_PREFIX}apt-get -y update && apt-get --no-install-recommends -y install curl && apt-get clean && useradd -m $APP_UID`],
  ]);
  assert.deepEqual(commands[2], ['/bin/bash', '-ec', 'pip install $(ls /wheelhouse/*.whl >/dev/null 2>&1 && echo --no-index --find-links /wheelhouse) -r requirements.txt']);
  assert.deepEqual(runs(r.text)[2]!.flags, ['--mount=type=cache,target=/root/.cache/pip']);
  assert.deepEqual(commands[3], ['bash', 'script.sh', 'apt-get']);
  assert.equal(makeOfflineReady(r.text).text, r.text);
  // A CRLF file keeps its line ending on the rewritten line.
  const crlf = makeOfflineReady('FROM a\r\nRUN ["sh", "-c", "apt-get update"]\r\n');
  assert.match(crlf.text, /\nRUN \["sh", "-c", "if \[ -f [^"]*apt-get update"\]\r\n$/);
});

test('init docker: a RUN --network=none step is not named as needing the network (BuildKit runs it with none)', () => {
  // autobrr/tqm's Dockerfile: the build step runs with --network=none and a bind mount of the context.
  const step = 'RUN --network=none --mount=target=. \\\nexport GOOS=$TARGETOS; \\\ngo build -o /out/bin/tqm cmd/tqm/main.go\n';
  assert.deepEqual(makeOfflineReady(`FROM golang:1.24-alpine3.21 AS app-builder\n${step}`).needsNetwork, []);
  const online = makeOfflineReady(`FROM golang:1.24-alpine3.21 AS app-builder\n${step.replace('--network=none ', '')}`);
  assert.deepEqual(online.needsNetwork.map((n) => [n.line, n.what]), [[2, 'go build fetches from the module proxy']]);
});
