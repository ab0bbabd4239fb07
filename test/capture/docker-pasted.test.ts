// Docker build output as users paste it into GitHub issues: parts of a log (an error
// summary alone, a terminal screen), Compose v1, old Docker wordings. Each test holds the
// lines of the real log that matter, verbatim but for the Debian mirror's host
// (`deb.mirror.invalid`); the issue is named above it. The pipeline is `offgrid analyze`'s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptureEvent, DownloadEvent, ErrorEvent, NetworkAttemptEvent, StepEvent } from '../../src/capture/events.js';
import { labelInstruction } from '../../src/capture/parsers/docker-frames.js';
import { createLogParser } from '../../src/capture/parsers/log-parser.js';
import { TOOL_PARSERS } from '../../src/capture/parsers/tools.js';
import { fixtureLines } from '../helpers/docker-fixtures.js';

interface Parsed {
  readonly steps: StepEvent[];
  readonly downloads: DownloadEvent[];
  readonly attempts: NetworkAttemptEvent[];
  readonly errors: ErrorEvent[];
}

function parse(lines: readonly string[], service: string | null = null): Parsed {
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of lines) parser.line(line);
  parser.end();
  return {
    steps: events.filter((e): e is StepEvent => e.type === 'step'),
    downloads: events.filter((e): e is DownloadEvent => e.type === 'download'),
    attempts: events.filter((e): e is NetworkAttemptEvent => e.type === 'network_attempt'),
    errors: events.filter((e): e is ErrorEvent => e.type === 'error'),
  };
}

const pad = (line: string, width: number): string => line.padEnd(width);

// https://github.com/synzen/MonitoRSS/issues/382: copied from a terminal, the ruler and the
// header keep the display's padding to the terminal's width.
test('an error summary padded to the terminal\'s width: the failed step gets its output, npm\'s timeout is its network attempt', () => {
  const p = parse([
    pad(' => ERROR [feed-requests-service build 4/5] RUN npm install', 111) + '61.1s',
    pad('------', 117),
    pad(' > [feed-requests-service build 4/5] RUN npm install:', 117),
    pad('59.96 npm notice Run `npm install -g npm@10.9.0` to update!', 117),
    '59.96 npm ERR! code ETIMEDOUT',
    '59.97 npm ERR! syscall read',
    '59.97 npm ERR! errno -110',
    '59.97 npm ERR! network read ETIMEDOUT',
    '------',
  ]);
  assert.deepEqual(p.steps.map((s) => [s.name, s.status, s.duration_seconds, s.error]), [
    ['RUN npm install', 'error', 61.1, "shown in BuildKit's error summary only"],
  ]);
  assert.deepEqual(p.attempts.map((a) => [a.tool, a.error, a.step]), [['npm', 'read ETIMEDOUT', 'RUN npm install']]);
});

// https://github.com/amangupta0709/google-meet-bot/issues/12: the issue starts at the summary's header.
test('a summary pasted from its ` > [step]:` header on, without the ruler: its pip download is the step\'s', () => {
  const p = parse([
    ' > [bot 6/7] RUN pip3 install -r requirements.txt:',
    '6.143 Collecting distlib==0.3.0 (from -r requirements.txt (line 8))',
    '6.215   Downloading distlib-0.3.0.zip (571 kB)',
    '6.712   Installing build dependencies: started',
  ]);
  assert.deepEqual(p.steps.map((s) => [s.name, s.status]), [['RUN pip3 install -r requirements.txt', 'error']]);
  assert.deepEqual(p.downloads.map((d) => [d.name, d.version, d.size, d.step]), [['distlib', '0.3.0', 571000, 'RUN pip3 install -r requirements.txt']]);
});

// https://github.com/apache/superset/issues/30249: the display's lines lost their leading blank.
test('a terminal screen and summary pasted at column 0: apt\'s DNS failures are attempts of the failed step', () => {
  const step = 'RUN apt-get update -qq     && apt-get install         -yqq --no-install-recommends         build-essential         python3         zstd';
  const p = parse([
    pad(`=> ERROR [superset-worker-beat superset-node  3/14] ${step}`, 210) + '168.4s',
    '------',
    `> [superset-worker-beat superset-node  3/14] ${step}:`,
    "168.3 W: Failed to fetch http://deb.mirror.invalid/debian/dists/bullseye/InRelease  Temporary failure resolving 'deb.mirror.invalid'",
    "168.3 W: Failed to fetch http://deb.mirror.invalid/debian-security/dists/bullseye-security/InRelease  Temporary failure resolving 'deb.mirror.invalid'",
    '168.4 E: Unable to locate package build-essential',
  ]);
  assert.deepEqual(p.steps.map((s) => [s.name, s.status, s.error]), [[step, 'error', "shown in BuildKit's error summary only"]]);
  assert.deepEqual(
    p.attempts.map((a) => [a.url_or_host, a.step]),
    [
      ['http://deb.mirror.invalid/debian/dists/bullseye/InRelease', step],
      ['http://deb.mirror.invalid/debian-security/dists/bullseye-security/InRelease', step],
    ],
  );
});

test('a Markdown quote that looks like a summary header is no step', () => {
  const p = parse(['> [1/2] note:', 'Collecting distlib==0.3.0', '  Downloading distlib-0.3.0.zip (571 kB)']);
  assert.deepEqual(p.steps, []);
  assert.deepEqual(p.downloads.map((d) => [d.name, d.step]), [['distlib', null]]);
});

// `docker compose build --progress=plain` in a project report (search-index file id 52813680303):
// BuildKit pads the step's position to the width of the total.
test('Compose v2 plain: a step whose position BuildKit padded (`[backend  3/12]`) keeps its service', () => {
  const p = parse([
    '#2 [backend internal] load build definition from Dockerfile',
    '#2 transferring dockerfile: 747B done',
    '#2 DONE 0.0s',
    '#12 [backend  3/12] RUN apt-get update   && apt-get install -y --no-install-recommends openssl ca-certificates   && rm -rf /var/lib/apt/lists/*',
    '#12 20.64 Get:1 http://deb.mirror.invalid/debian-security bookworm-security/main amd64 libssl3 amd64 3.0.18-1~deb12u2 [2030 kB]',
    '#12 22.10 Get:2 http://deb.mirror.invalid/debian-security bookworm-security/main amd64 openssl amd64 3.0.18-1~deb12u2 [1433 kB]',
    '#12 22.98 Get:3 http://deb.mirror.invalid/debian bookworm/main amd64 ca-certificates all 20230311+deb12u1 [155 kB]',
    '#12 25.37 Fetched 3617 kB in 3s (1353 kB/s)',
    '#12 DONE 25.6s',
  ]);
  assert.deepEqual(p.downloads.map((d) => [d.name, d.service]), [
    ['libssl3', 'backend'],
    ['openssl', 'backend'],
    ['ca-certificates', 'backend'],
  ]);
  assert.ok(p.steps.every((s) => s.service === 'backend'));
});

// `docker compose up --build` on a terminal (search-index file id 48957627948; column padding shortened).
test('Compose v2 terminal display: padded positions of two stages and the image export keep the service', () => {
  const p = parse([
    '[+] Building 1234.5s (30/30) FINISHED                            docker:default',
    ' => [vllm internal] load build definition from Dockerfile                 0.0s',
    ' => [vllm vllm  1/17] RUN --mount=type=cache,target=/var/cache/apt     apt-get update -y     && apt-  36.8s',
    ' => [vllm vllm 10/17] COPY ./infra/setup.py /app/cray/infra/cray_infra/setup.py                 0.0s',
    ' => [vllm infra  1/10] RUN apt-get update -y      && apt-get install -y slurm-wlm libslurm-dev     b  69.5s',
    ' => [vllm] exporting to image                                             4.0s',
    '[+] Running 2/2',
  ]);
  assert.deepEqual(p.steps.map((s) => s.service), ['vllm', 'vllm', 'vllm', 'vllm', 'vllm']);
});

// https://github.com/iineva/ipa-server/issues/11: Compose v1 prints the failure of a legacy
// step only in its own `ERROR: Service …` line.
test('Compose v1: `ERROR: Service \'web\' failed to build: The command … returned a non-zero code` fails the running step', () => {
  const step = 'RUN npm install --production --registry=https://registry.npm.taobao.org';
  const p = parse([
    `Step 6/9 : ${step}`,
    ' ---> Running in a1771b815d9f',
    'npm ERR! code ECONNRESET',
    'npm ERR! errno ECONNRESET',
    'npm ERR! network request to https://registry.npm.taobao.org/bplist-parser failed, reason: socket hang up',
    "ERROR: Service 'web' failed to build: The command '/bin/sh -c npm install --production --registry=https://registry.npm.taobao.org' returned a non-zero code: 1",
  ]);
  assert.deepEqual(p.steps.map((s) => [s.name, s.status, s.error]), [
    [step, 'error', "The command '/bin/sh -c npm install --production --registry=https://registry.npm.taobao.org' returned a non-zero code: 1"],
  ]);
  assert.ok(p.errors.some((e) => e.tool === 'docker' && e.step === step && /socket hang up/.test(e.message)));
  assert.deepEqual(
    p.errors.filter((e) => e.tool === 'docker-compose').map((e) => e.service),
    ['web'],
  );
});

// https://github.com/alexbers/mtprotoproxy/issues/212 (Compose v1 names the service it builds;
// the issue cut its last line) and https://github.com/Seedstars/django-react-redux-base/issues/127
// (two services built one after the other).
test('Compose v1: `Building <service>` names the service of the steps after it', () => {
  const p = parse([
    '[root@ecs]# docker-compose up -d',
    'Building mtprotoproxy',
    'Step 1/10 : FROM python:3.8-slim-buster',
    ' ---> 56930ef6f6a2',
    'Step 2/10 : RUN apt-get update && apt-get install -y libcap2-bin && rm -rf /var/lib/apt/lists/*',
    ' ---> Running in 88b339eac8b2',
    'Err:1 http://deb.mirror.invalid/debian buster InRelease',
    "  Temporary failure resolving 'deb.mirror.invalid'",
    'E: Unable to locate package libcap2-bin',
    "ERROR: Service 'mtprotoproxy' failed to build: The command '/bin/sh -c apt-get update && apt-get install -y libcap2-bin && rm -rf /var/lib/apt/li",
  ]);
  assert.deepEqual(p.steps.map((s) => [s.id, s.service, s.status]), [
    ['1', 'mtprotoproxy', 'done'],
    ['2', 'mtprotoproxy', 'error'],
  ]);
  assert.deepEqual(p.attempts.map((a) => [a.service, a.url_or_host]), [['mtprotoproxy', 'http://deb.mirror.invalid/debian/dists/buster/InRelease']]);
  const two = parse([
    'Building postgres',
    'Step 1/3 : FROM postgres:9.5.4',
    ' ---> 2417ea518abc',
    'Step 2/3 : ENV POSTGRES_USER postgres',
    ' ---> Using cache',
    ' ---> f64ceabf4cef',
    'Successfully built 3c1f40ecff5e',
    'Building backend',
    'Step 1/8 : FROM python:3.4.3',
    ' ---> 2b07576f6f81',
  ]);
  assert.deepEqual(two.steps.map((s) => [s.service, s.name]), [
    ['postgres', 'FROM postgres:9.5.4'],
    ['postgres', 'ENV POSTGRES_USER postgres'],
    ['backend', 'FROM python:3.4.3'],
  ]);
});

// https://github.com/docker/build-push-action/issues/479 (buildx 0.6, GitHub Actions): the log
// starts inside the failed step, so its header is cut off; buildx wrote `error:` then.
test('buildx ≤ 0.7\'s `error: failed to solve: executor failed running […]` and the Action\'s repeat: one Docker error, the open step failed', () => {
  const p = parse([
    '2021-10-05T17:13:54.9350260Z #8 0.674 curl: (6) Could not resolve host: P4C_COMMIT=57f54582a,',
    '2021-10-05T17:13:54.9353158Z ------',
    '2021-10-05T17:13:54.9354139Z error: failed to solve: executor failed running [/bin/sh -c curl -L -o /tmp/protobuf.tar.gz $PROTOBUF_URL]: exit code: 6',
    '2021-10-05T17:13:54.9660443Z ##[error]buildx failed with: error: failed to solve: executor failed running [/bin/sh -c curl -L -o /tmp/protobuf.tar.gz $PROTOBUF_URL]: exit code: 6',
    '2021-10-05T17:13:54.9831641Z Post job cleanup.',
  ]);
  const words = 'failed to solve: executor failed running [/bin/sh -c curl -L -o /tmp/protobuf.tar.gz $PROTOBUF_URL]: exit code: 6';
  assert.deepEqual(p.steps.map((s) => [s.id, s.status, s.error]), [['8', 'error', words]]);
  assert.deepEqual(p.errors.filter((e) => e.step === null).map((e) => [e.tool, e.message]), [['docker', words]]);
});

// https://github.com/jlesage/docker-firefox/issues/115 (Docker 20.10: the summary's header
// and the step's own ERROR line are not in the paste).
test('Docker 20.10\'s bare `executor failed running […]: exit code: 1` is Docker\'s last words, not the open step\'s output', () => {
  const p = parse([
    '#7 28.38 tar: invalid magic',
    '#7 28.38 tar: short read',
    '------',
    'executor failed running [/bin/sh -c add-pkg --virtual build-dependencies         curl         build-base         &&     mkdir jsonlz4]: exit code: 1',
  ]);
  assert.deepEqual(p.steps.map((s) => [s.id, s.status]), [['7', 'error']]);
  assert.deepEqual(p.errors.filter((e) => e.step === null).map((e) => e.tool), ['docker']);
});

// https://github.com/lewandy/vue-s3-deployer/issues/4: the summary pasted indented, its
// last words first at column 0, then indented.
test('`ERROR: failed to solve:` indented, or right after a `#N` block with no ERROR line, is Docker\'s, never pip\'s', () => {
  const indented = parse([
    'ERROR: failed to solve: process "/bin/sh -c apt-get update &&     apt-get install -y curl &&     apt-get install unzip" did not complete successfully: exit code: 100',
    '',
    '  Dockerfile:13',
    '  --------------------',
    '  ERROR: failed to solve: process "/bin/sh -c apt-get update &&     apt-get install -y curl &&     apt-get install unzip" did not complete successfully: exit code: 100',
    'Error: Docker build failed with exit code 1',
  ]);
  assert.deepEqual(indented.errors.map((e) => e.tool), ['docker']);
  // A log cut before the step's `#8 ERROR:` line: the step the words name failed.
  const cut = parse(['#8 [3/4] RUN false', '#8 0.674 boom', 'ERROR: failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 1']);
  assert.deepEqual(cut.steps.map((s) => [s.name, s.status]), [['RUN false', 'error']]);
  assert.deepEqual(cut.errors.map((e) => [e.tool, e.step]), [['docker', null], ['docker', 'RUN false']]);
});

// https://github.com/itzg/docker-minecraft-server/issues/888 (the legacy builder; the build
// arguments left the file name empty).
test('legacy `ADD failed: failed to GET <url> with status 404 Not Found`: the step failed, an attempt of the builder names the URL', () => {
  const step = 'ADD https://github.com/itzg/easy-add/releases/download/${EASY_ADD_VER}/easy-add_${TARGETOS}_${TARGETARCH}${TARGETVARIANT} /usr/bin/easy-add';
  const p = parse([
    `Step 10/31 : ${step}`,
    'ADD failed: failed to GET https://github.com/itzg/easy-add/releases/download/0.7.1/easy-add__ with status 404 Not Found: <!DOCTYPE html>',
    '<html lang="en" data-color-mode="auto" data-light-theme="light" data-dark-theme="dark">',
  ]);
  assert.deepEqual(p.steps.map((s) => [s.name, s.status]), [[step, 'error']]);
  assert.deepEqual(p.attempts.map((a) => [a.tool, a.url_or_host, a.error, a.step]), [
    ['docker', 'https://github.com/itzg/easy-add/releases/download/0.7.1/easy-add__', 'HTTP 404 Not Found', step],
  ]);
  assert.match(p.errors.find((e) => e.step === step)?.message ?? '', /ADD failed: failed to GET .* with status 404 Not Found/);
});

// https://github.com/docker/buildx/issues/507 (Docker 20.10: BuildKit did not quote the URL).
test('the registry the builder could not reach is one attempt with its URL, from the step\'s error or from the last words alone', () => {
  const url = 'https://registry-1.docker.io/v2/library/python/manifests/3.6';
  const words = `failed to solve with frontend dockerfile.v0: failed to create LLB definition: failed to do request: Head ${url}: dial tcp 3.211.199.249:443: i/o timeout`;
  const step = '[internal] load metadata for docker.io/library/python:3.6';
  const summary = ['------', ` > ${step}:`, '------', words];
  const plain = parse([`#3 ${step}`, `#3 ERROR: failed to do request: Head ${url}: dial tcp 3.211.199.249:443: i/o timeout`, ...summary]);
  const screen = parse([pad(` => ERROR ${step}`, 80) + '30.0s', ...summary]);
  for (const p of [plain, screen]) {
    assert.deepEqual(p.attempts.map((a) => [a.tool, a.url_or_host, a.error, a.step]), [['docker', url, 'dial tcp 3.211.199.249:443: i/o timeout', step]]);
  }
});

// https://github.com/Seedstars/django-react-redux-base/issues/127: Compose v1 builds postgres,
// then backend; both number their steps from 1.
test('Compose v1 building two services: the second build\'s steps do not replace the first\'s', () => {
  const p = parse([
    'Building postgres',
    'Step 1/3 : FROM postgres:9.5.4',
    ' ---> 2417ea518abc',
    'Step 2/3 : ENV POSTGRES_USER postgres',
    ' ---> Using cache',
    ' ---> f64ceabf4cef',
    'Step 3/3 : WORKDIR /',
    ' ---> Using cache',
    ' ---> 3c1f40ecff5e',
    'Successfully built 3c1f40ecff5e',
    'Successfully tagged django-react-redux-base_postgres:latest',
    'Building backend',
    'Step 1/2 : FROM python:3.4.3',
    ' ---> 2b07576f6f81',
    'Step 2/2 : ENV PYTHONUNBUFFERED 1',
    ' ---> Using cache',
    ' ---> 6d3ec7f9181e',
  ]);
  assert.deepEqual(p.steps.map((s) => [s.service, s.id, s.name]), [
    ['postgres', '1', 'FROM postgres:9.5.4'],
    ['postgres', '2', 'ENV POSTGRES_USER postgres'],
    ['postgres', '3', 'WORKDIR /'],
    ['backend', 'b2:1', 'FROM python:3.4.3'],
    ['backend', 'b2:2', 'ENV PYTHONUNBUFFERED 1'],
  ]);
});

// Two builds in one CI job, one after the other (the captured logs of test/fixtures/docker/):
// both number their steps (`#5`, `Step 2/3`) alike.
test('two builds in one log, plain or legacy: every step of both, each id once, downloads on their own step', () => {
  for (const framing of ['plain', 'legacy']) {
    const first = parse(fixtureLines(`apt.${framing}.log`)).steps;
    const second = parse(fixtureLines(`wget.${framing}.log`)).steps;
    const both = parse([...fixtureLines(`apt.${framing}.log`), ...fixtureLines(`wget.${framing}.log`)]);
    assert.deepEqual(both.steps.map((s) => s.name), [...first, ...second].map((s) => s.name), framing);
    assert.equal(new Set(both.steps.map((s) => s.id)).size, both.steps.length, framing);
    assert.deepEqual(both.steps.slice(0, first.length), first, `${framing}: the first build reads as alone`);
    assert.ok(both.downloads.filter((d) => d.kind === 'apt').every((d) => d.step?.startsWith('RUN apt-get')), framing);
  }
});

// A two-platform `buildx build --push` on a terminal (search-index file id 31944991716) and
// https://github.com/freifunkMUC/wg-access-server/pull/81 (plain, the ARM leg failed).
test('multi-platform builds: each step keeps the platform its vertex names, so the legs are told apart', () => {
  const screen = parse([
    '[+] Building 182.1s (33/33) FINISHED                  docker-container:multi-builder',
    ' => [linux/arm64 stage-1 3/4] RUN apk --no-cache add ca-certificates curl       6.3s',
    ' => [linux/amd64 stage-1 3/4] RUN apk --no-cache add ca-certificates curl       3.7s',
    ' => [linux/amd64 builder 6/6] RUN CGO_ENABLED=0 GOOS=linux go build -o weathe  39.3s',
    ' => [linux/arm64 builder 6/6] RUN CGO_ENABLED=0 GOOS=linux go build -o weath  157.5s',
  ]);
  assert.deepEqual(screen.steps.map((s) => [s.name, s.duration_seconds]), [
    ['[linux/arm64] RUN apk --no-cache add ca-certificates curl', 6.3],
    ['[linux/amd64] RUN apk --no-cache add ca-certificates curl', 3.7],
    ['[linux/amd64] RUN CGO_ENABLED=0 GOOS=linux go build -o weathe', 39.3],
    ['[linux/arm64] RUN CGO_ENABLED=0 GOOS=linux go build -o weath', 157.5],
  ]);
  const plain = parse([
    '#110 [linux/arm/v7 website  7/11] RUN npm ci --no-audit --prefer-offline',
    '#110 325.7 npm ERR! code ERR_SOCKET_TIMEOUT',
    '#110 325.7 npm ERR! network Socket timeout',
    '#110 ERROR: process "/bin/sh -c npm ci --no-audit --prefer-offline" did not complete successfully: exit code: 1',
  ]);
  const step = '[linux/arm/v7] RUN npm ci --no-audit --prefer-offline';
  assert.deepEqual(plain.steps.map((s) => [s.name, s.status]), [[step, 'error']]);
  // The report reads a leg's instruction back (verify's warnings look for RUN steps).
  assert.deepEqual([step, screen.steps[0]!.name, '[internal] load metadata'].map(labelInstruction), [
    'RUN npm ci --no-audit --prefer-offline',
    'RUN apk --no-cache add ca-certificates curl',
    '[internal] load metadata',
  ]);
  assert.ok(plain.attempts.length > 0 && plain.attempts.every((a) => a.step === step));
});

// The two-platform build's terminal display above (search-index file id 31944991716).
test('terminal display: a layer pulled in full under FROM is a download of that step, once across redraws', () => {
  const screen = [
    '[+] Building 182.1s (33/33) FINISHED                  docker-container:multi-builder',
    ' => [linux/amd64 stage-1 1/4] FROM docker.io/library/alpine:latest@sha256:a856  0.9s',
    ' => => resolve docker.io/library/alpine:latest@sha256:a8560b36e8b8210634f77d9f  0.0s',
    ' => => sha256:f18232174bc91741fdf3da96d85011092101a032a93a388b 3.64MB / 3.64MB  0.5s',
    ' => => extracting sha256:f18232174bc91741fdf3da96d85011092101a032a93a388b79e99  0.2s',
    ' => [linux/arm64 builder 1/6] FROM docker.io/library/golang:1.24-alpine@sha25  10.4s',
    ' => => sha256:0ae64884db43f30f8dbc9ec3362124d99c8bad23b95725 75.23MB / 75.23MB  6.1s',
    ' => => sha256:2a2f34450ab6893f9de21e818c13da20ab3167661459 297.87kB / 297.87kB  0.2s',
    ' => => sha256:92b00dc8dfbaa6cd7e39d09d4f1c726259b4d9a29c6971 12.58MB / 78.98MB  2.1s',
  ];
  const p = parse([...screen, 'pushing to the registry', ...screen]);
  assert.deepEqual(p.downloads.map((d) => [d.tool, d.kind, d.name, d.size, d.step]), [
    ['docker', 'file', 'sha256:f18232174bc91741fdf3da96d85011092101a032a93a388b', 3_640_000, '[linux/amd64] FROM docker.io/library/alpine:latest@sha256:a856'],
    ['docker', 'file', 'sha256:0ae64884db43f30f8dbc9ec3362124d99c8bad23b95725', 75_230_000, '[linux/arm64] FROM docker.io/library/golang:1.24-alpine@sha25'],
    ['docker', 'file', 'sha256:2a2f34450ab6893f9de21e818c13da20ab3167661459', 297_870, '[linux/arm64] FROM docker.io/library/golang:1.24-alpine@sha25'],
  ]);
});

// https://github.com/slynn1324/BambuP1Streamer/issues/12: the display cut the step's name at
// the terminal's width; the summary's header has it whole.
test('a failed step whose name the display cut is the one the summary names: one failed step, with the summary\'s output', () => {
  const p = parse([
    ' => ERROR [build  8/10] RUN curl -LOJ https://public-cdn.bambulab.com/upgrade/studi  0.7s',
    pad('------', 90),
    pad(' > [build  8/10] RUN curl -LOJ https://public-cdn.bambulab.com/upgrade/studio/plugins/01.04.00.15/linux_01.04.00.15.zip:', 180),
    '0.611   % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current',
    '------',
  ]);
  assert.deepEqual(p.steps.map((s) => [s.name, s.status, s.duration_seconds, s.error]), [
    // The summary's name, whole: the display cut it at the terminal's width.
    ['RUN curl -LOJ https://public-cdn.bambulab.com/upgrade/studio/plugins/01.04.00.15/linux_01.04.00.15.zip', 'error', 0.7, "shown in BuildKit's error summary only"],
  ]);
  assert.match(p.errors[0]?.message ?? '', /last output:\n {2}% Total/);
});

// The two-platform build above (search-index file id 31944991716): its first push had no cache yet.
test('a `--cache-from` cache that could not be imported is reported as not failing the build', () => {
  const p = parse([
    '[+] Building 182.1s (33/33) FINISHED                  docker-container:multi-builder',
    ' => ERROR importing cache manifest from nadiiamartyniuk/nadiia:cache            0.7s',
    ' => exporting to image                                                           9.8s',
    '------',
    ' > importing cache manifest from nadiiamartyniuk/nadiia:cache:',
    '------',
  ]);
  assert.deepEqual(p.steps.map((s) => [s.name, s.status]), [
    ['exporting to image', 'done'],
    ['importing cache manifest from nadiiamartyniuk/nadiia:cache', 'error'],
  ]);
  assert.match(p.errors[0]?.message ?? '', /BuildKit built on without that cache: the build did not fail for it/);
});

// `docker-compose up --build` in a README (search-index file id 43402161134): BuildKit never
// printed the FROM step's DONE, and repeated its header after the image was written.
test('a step still open when the image is written finished; the printer\'s repeat of its header is no other build', () => {
  const p = parse([
    '#5 [1/7] FROM docker.io/library/python:3.8.2-alpine',
    '#5 resolve docker.io/library/python:3.8.2-alpine done',
    '#5 ...',
    '',
    '#11 [7/7] COPY app.py ./',
    '#11 DONE 0.1s',
    '',
    '#12 exporting to image',
    '#12 exporting layers',
    '#12 exporting layers 1.8s done',
    '#12 writing image sha256:0410b0d21901344292779c0c9e06f518628867287e10a6e769ae4a8ab14fb4ed done',
    '#12 naming to docker.io/library/basic-docker-toolbox-app done',
    '#12 DONE 1.8s',
    '',
    '#5 [1/7] FROM docker.io/library/python:3.8.2-alpine',
    'Network basic-docker-toolbox_default  Creating',
  ]);
  assert.deepEqual(p.steps.map((s) => [s.id, s.name, s.status]), [
    ['11', 'COPY app.py ./', 'done'],
    ['12', 'exporting to image', 'done'],
    ['5', 'FROM docker.io/library/python:3.8.2-alpine', 'done'],
  ]);
});
