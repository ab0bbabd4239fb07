// build-analyze on logs/docker_build/build_<service>.log files saved without offgrid (the
// guide's layout), from the real logs under test/fixtures/docker/real/ (sources in its README).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, runCli, tempDir } from '../helpers/cli.js';
import { BuildMetadata } from '../../src/docker/metadata.js';
import { endsBuild, logOutcome } from '../../src/docker/log-outcome.js';

const REAL = join(FIXTURES, 'docker/real');

/** A project whose logs/docker_build/ holds the given logs, as build_<service>.log. */
function savedLogs(t: Parameters<typeof tempDir>[0], logs: Record<string, string>): string {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'logs/docker_build'), { recursive: true });
  for (const [service, fixture] of Object.entries(logs)) copyFileSync(join(REAL, fixture), join(dir, `logs/docker_build/build_${service}.log`));
  return dir;
}

const metadata = (dir: string) => BuildMetadata.parse(JSON.parse(readFileSync(join(dir, 'logs/docker_build/build_metadata.json'), 'utf8')));

test('build-analyze reads saved logs no offgrid build wrote: a result per service from its log, and the report', async (t) => {
  const dir = savedLogs(t, { api: 'npm-ci-fail.plain.log', web: 'legacy-pip.log', worker: 'pip-apt.plain.log' });
  const r = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const meta = metadata(dir);
  assert.equal(meta.mode, 'logs');
  const result = Object.fromEntries(meta.services.map((s) => [s.name, s.result]));
  // npm ci failed; the legacy build printed Successfully built/tagged; the third excerpt is cut inside apt-get install.
  assert.deepEqual(result, { api: 'failed', web: 'success', worker: 'unfinished' });
  const api = meta.services.find((s) => s.name === 'api')!;
  assert.match(api.error ?? '', /^step "RUN npm ci --only=production && +npm cache clean --force" failed: process .* exit code: 1$/);
  assert.match(api.last_lines.at(-1) ?? '', /^ERROR: failed to build: failed to solve:/);
  assert.match(meta.services.find((s) => s.name === 'worker')!.error ?? '', /log ends before the build did.*last step: "RUN apt-get update .*\(still running\)/);

  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  assert.match(report, /- run: build logs saved without offgrid, read by offgrid build-analyze;/);
  assert.match(report, /## web\n\n- result: success\n- log: `logs\/docker_build\/build_web\.log`\n/);
  assert.match(report, /## worker\n\n- result: \*\*unfinished\*\* \(the log ends before the build did\)/);
  assert.match(report, /- worker did not finish building: its log ends before the build did/);
  // The wheels the legacy build's pip fetched are its step's; no proxy was in the way to go around.
  assert.match(report, /\| `RUN pip install --no-cache-dir -r requirements.txt` \| – \| 8 fetched/);
  assert.doesNotMatch(report, /not through offgrid's proxy/);
  assert.match(r.stderr, /offgrid: api: FAILED — step "RUN npm ci/);
  assert.match(r.stderr, /offgrid: worker: UNFINISHED — the log ends before the build did/);
});

test('build-analyze reads the saved logs again each time: a log replaced since the last report is the one reported', async (t) => {
  const dir = savedLogs(t, { api: 'npm-ci-fail.plain.log' });
  assert.equal((await runCli(['build-analyze'], { cwd: dir })).code, 0);
  copyFileSync(join(REAL, 'pip-warning.plain.log'), join(dir, 'logs/docker_build/build_api.log'));
  const r = await runCli(['build-analyze', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).services[0].result, 'success');
  assert.equal(metadata(dir).services[0]!.result, 'success');
});

test('build-analyze refuses a saved log with no docker build in it (exit 2, the file named, no stack), and says what is missing when there is nothing', async (t) => {
  const dir = savedLogs(t, { api: 'npm-ci-fail.plain.log' });
  writeFileSync(join(dir, 'logs/docker_build/build_web.log'), readFileSync(join(FIXTURES, 'apt/apt-install.txt')));
  const r = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /logs\/docker_build\/build_web\.log holds no docker build output .*docker build --progress=plain/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);

  // Binary data and a zip archive saved under the log's name are refused too, the file named once.
  writeFileSync(join(dir, 'logs/docker_build/build_web.log'), Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(100, 1)]));
  const zip = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(zip.code, 2);
  assert.match(zip.stderr, /^offgrid: logs\/docker_build\/build_web\.log is a zip archive .*: unzip it/m);
  writeFileSync(join(dir, 'logs/docker_build/build_web.log'), Buffer.alloc(9000, 1));
  const binary = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(binary.code, 2);
  assert.match(binary.stderr, /^offgrid: logs\/docker_build\/build_web\.log holds binary data/m);

  const empty = tempDir(t);
  const none = await runCli(['build-analyze'], { cwd: empty });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no Docker build recorded in logs: neither .*build_metadata\.json nor any .*build_<service>\.log; run offgrid build, or save/);
});

test('an empty saved log is a service that was not built', async (t) => {
  const dir = savedLogs(t, { api: 'pip-warning.plain.log' });
  writeFileSync(join(dir, 'logs/docker_build/build_db.log'), '\n');
  const r = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(metadata(dir).services.map((s) => [s.name, s.result]), [['api', 'success'], ['db', 'not-built']]);
});

test('what ends a build in a log: image export lines, FINISHED, Successfully built <id>; not pip\'s Successfully built', () => {
  assert.ok(endsBuild('#12 naming to docker.io/localt0aster/devops-app-py:latest done'));
  assert.ok(endsBuild('2024-05-01T10:00:00.1234567Z #9 writing image sha256:0123abcd done'));
  assert.ok(endsBuild('[+] Building 79.5s (16/16) FINISHED'));
  assert.ok(endsBuild('Successfully built 4035f8532e94'));
  assert.ok(endsBuild(' ✔ Service api  Built'));
  assert.ok(!endsBuild('#7 4.525 Successfully built numpy pandas'));
  assert.ok(!endsBuild('Successfully built deadbeef'));
  assert.ok(!endsBuild('#12 naming to docker.io/library/api'));
  assert.ok(!endsBuild('[+] Building 3.5s (8/14)'));
  const step = { service: 'api', id: '9', name: 'RUN pip install x', duration_seconds: null, error: null };
  assert.equal(logOutcome([{ ...step, status: 'done' }], [], false).result, 'unfinished');
  assert.equal(logOutcome([{ ...step, status: 'error', error: 'canceled' }], [], true).result, 'success');
  assert.deepEqual(logOutcome([{ ...step, status: 'error', error: 'canceled' }], [], false), {
    result: 'not-built',
    error: 'its build was canceled at step "RUN pip install x": another build of the same run failed',
  });
  // A step still running where another build of the log ended (Compose): this one did not.
  assert.equal(logOutcome([{ ...step, status: 'running' }], [], true).result, 'unfinished');
  assert.equal(logOutcome([{ ...step, status: 'done' }, { ...step, id: '12', name: 'exporting to image', status: 'done' }], [], false).result, 'success');
  const dockerError = { tool: 'docker', service: 'api', step: null, timestamp: '2026-12-03T10:00:00Z', message: 'failed to solve: docker.io/library/nope:1: not found' };
  assert.deepEqual(logOutcome([], [dockerError], false), { result: 'failed', error: 'failed to solve: docker.io/library/nope:1: not found' });
});

/** The steps table of a service in the report: [position, step, status] rows. */
function stepsOf(report: string, service: string): string[][] {
  const section = report.split(`\n## ${service}\n`)[1]?.split('\n## ')[0] ?? '';
  const table = section.split('### Steps')[1]?.split('\n\n')[1] ?? '';
  return table
    .split('\n')
    .slice(2)
    .map((row) => row.split(' | ').map((c) => c.replace(/^\| |`/g, '')).slice(0, 3));
}

test('a docker compose build of four services saved in one file reports each service, its stages in Dockerfile order', async (t) => {
  const dir = savedLogs(t, { stack: 'compose-bake-four-services.plain.log' });
  const r = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const meta = metadata(dir);
  assert.deepEqual(meta.services.map((s) => [s.name, s.result, s.log]), [
    ['backend', 'success', 'logs/docker_build/build_stack.log'],
    ['frontend', 'success', 'logs/docker_build/build_stack.log'],
    ['worker', 'success', 'logs/docker_build/build_stack.log'],
    ['beat', 'success', 'logs/docker_build/build_stack.log'],
  ]);
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  // BuildKit started deps 5/5 before deps 2/5, and interleaved the stages; the report keeps Dockerfile order.
  assert.deepEqual(stepsOf(report, 'frontend').map((row) => row[0]), [
    'deps 1/5', 'deps 2/5', 'deps 3/5', 'deps 4/5', 'deps 5/5',
    'builder 2/5', 'builder 3/5', 'builder 4/5', 'builder 5/5',
    'runner 3/7', 'runner 4/7', 'runner 5/7', 'runner 6/7', 'runner 7/7',
  ]);
  assert.deepEqual(stepsOf(report, 'frontend')[9], ['runner 3/7', 'RUN addgroup --system --gid 1001 nodejs', 'CACHED']);
  assert.match(report, /## frontend\n\n- result: success\n- log: `logs\/docker_build\/build_stack\.log`\n- steps \(FROM not counted\): 5 run, 8 CACHED/);
  assert.match(report, /## beat\n[^#]*- steps \(FROM not counted\): 1 run, 8 CACHED/);
  // The Python services share one Dockerfile: BuildKit printed their steps once, under beat.
  assert.match(report, /## backend\n[^#]*No step was printed under backend: BuildKit runs a step several services share once/);
  // Not addgroup/adduser: they download nothing.
  assert.match(report, /- frontend: 2 RUN step\(s\) that download were CACHED \(`RUN apk add --no-cache libc6-compat`, `RUN npm ci`\): what they downloaded/);
  assert.match(report, /- beat: 3 RUN step\(s\) that download were CACHED \(`RUN apt-get update && apt-get install -y --no-install-recommends {5}build-essential/);
});

test('a single-service build whose steps BuildKit started out of order is reported in Dockerfile order, CACHED steps counted and named as not seen', async (t) => {
  const dir = savedLogs(t, { app: 'compose-bake-cached.plain.log', ci: 'heredoc-cached.plain.log' });
  const r = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  assert.deepEqual(stepsOf(report, 'app'), [
    ['1/8', 'FROM docker.io/library/node:18-alpine@sha256:8d6421d663b4c28fd3ebc498332f249011d118945588d0a35cb9bc4b8ca09d9e', 'done'],
    ['2/8', 'WORKDIR /app', 'CACHED'],
    ['3/8', 'COPY package*.json ./', 'CACHED'],
    ['4/8', 'RUN npm install --production', 'CACHED'],
    ['5/8', 'COPY src/ ./src/', 'CACHED'],
    ['6/8', 'COPY *.html ./', 'done'],
    ['7/8', 'COPY *.txt ./', 'done'],
    ['8/8', 'COPY *.svg ./', 'done'],
  ]);
  assert.match(report, /- app: 1 RUN step\(s\) that download were CACHED \(`RUN npm install --production`\): what they downloaded when they ran is in the log of that earlier build/);
  // Heredoc RUNs name no command; dnf module enable and git config fetch nothing.
  assert.match(report, /- ci: 10 RUN step\(s\) that download were CACHED \(`RUN <<EOF \(set -eux\.\.\.\)`, /);
  // Seventeen steps, BuildKit's padded positions ([ 2/17]) and heredoc RUNs, all CACHED but FROM.
  const ci = stepsOf(report, 'ci');
  assert.deepEqual(ci.map((row) => row[0]), Array.from({ length: 17 }, (_, i) => `${i + 1}/17`));
  assert.deepEqual(ci[1], ['2/17', 'RUN <<EOF (set -eux...)', 'CACHED']);
  assert.match(report, /## ci\n\n- result: success\n[^#]*- steps \(FROM not counted\): 0 run, 16 CACHED/);
});

test('a heredoc RUN that failed: Docker\'s last words quoting its script over several lines are read whole', async (t) => {
  const dir = savedLogs(t, { app: 'heredoc-crlf-fail.summary.log' });
  const r = await runCli(['build-analyze', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const [app] = JSON.parse(r.stdout).services;
  assert.equal(app.result, 'failed');
  assert.equal(app.error, 'step "RUN <<EOF (set -eux...)" failed: executor failed running [/bin/sh -c     set -eux echo "OK" ]: exit code: 2');
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  assert.match(report, /- executor failed running \[\/bin\/sh -c {5}set -eux\n\n {2}```\n {2}\n {6}echo "OK"\n {2}\]: exit code: 2\n {2}```/);
});

test('old legacy-builder wordings fail their step: Docker before 1.10\'s `The command [/bin/sh -c …]` and Compose 1.5\'s bare `Service \'app\' failed to build`', async (t) => {
  const dir = savedLogs(t, { app: 'legacy-apt-unresolved.log', web: 'compose-v1-npm-enotfound.log' });
  const r = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const meta = metadata(dir);
  assert.deepEqual(meta.services.map((s) => [s.name, s.result]), [['app', 'failed'], ['web', 'failed']]);
  assert.match(meta.services[0]!.error ?? '', /^step "RUN apt-get update -qq && apt-get install -y build-essential .*" failed: The command \[\/bin\/sh -c apt-get update .*\] returned a non-zero code: 100$/);
  assert.equal(meta.services[1]!.error, 'step "RUN npm ci" failed: The command \'/bin/sh -c npm ci\' returned a non-zero code: 1');
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  // `Building app...` (Compose 1.5) names the service app, not `app...`; the file's name wins for one service.
  assert.doesNotMatch(report, /app\.\.\./);
  // apt 1.0 gives the InRelease files no reason; Release.gpg's say the mirror did not resolve.
  assert.match(report, /\| `RUN apt-get update -qq[^|]*` \| apt \| http:\/\/deb\.mirror\.invalid\/debian\/dists\/jessie\/InRelease \| failed to fetch \(apt gave no reason\) \| 1 \|/);
  assert.match(report, /\| apt \| http:\/\/security\.mirror\.invalid\/dists\/jessie\/updates\/Release\.gpg \| Could not resolve 'security\.mirror\.invalid' \| 1 \|/);
  assert.match(report, /- web: step "RUN npm ci" tried the network: https:\/\/registry\.example\/basic-auth\/-\/basic-auth-2\.0\.1\.tgz \(npm: getaddrinfo ENOTFOUND registry\.example\)/);
});

test('a BuildKit error summary pasted into an issue a line at a time as inline code is read: the failed step, its npm output and the registry it could not reach', async (t) => {
  const dir = savedLogs(t, { web: 'buildkit-summary-backticks.log' });
  const r = await runCli(['build-analyze', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const [web] = JSON.parse(r.stdout).services;
  assert.equal(web.result, 'failed');
  assert.equal(web.error, 'step "RUN npm install --only=production" failed: failed to solve: executor failed running [/bin/sh -c npm install --only=production]: exit code: 1');
  assert.deepEqual(
    web.network_attempts.map((a: { step: string; tool: string; url_or_host: string }) => [a.step, a.tool, a.url_or_host]),
    [['RUN npm install --only=production', 'npm', 'https://registry.example/yocto-queue/-/yocto-queue-0.1.0.tgz']],
  );
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  assert.match(report, /\| builder 4\/4 \| `RUN npm install --only=production` \| error \| – \|/);
});

test('pip that could not reach its index: the step, its attempts, and a log cut while pip still retried is unfinished', async (t) => {
  const dir = savedLogs(t, { tty: 'tty-pip-retry-wrapped.log', mirror: 'plain-pip-mirror-retry.log', legacy: 'legacy-pip-retry.log' });
  const r = await runCli(['build-analyze', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const services = Object.fromEntries(
    JSON.parse(r.stdout).services.map((s: { name: string; result: string; network_attempts: { tool: string; url_or_host: string; count: number }[] }) => [
      s.name,
      [s.result, s.network_attempts.map((a) => `${a.tool} ${a.url_or_host} ×${a.count}`)],
    ]),
  );
  assert.deepEqual(services, {
    legacy: ['unfinished', ['pip https://pypi.org/simple/numpy/ ×2']],
    mirror: ['unfinished', ['pip https://mirrors.ivolces.com/pypi/simple/mooncake-transfer-engine/ ×3']],
    // The summary's pip lines came hard-wrapped at the terminal's width: the URL is lost, the failure is not.
    tty: ['failed', ['python unknown host ×1']],
  });
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  // The running screen and the ERROR line after it, pasted without the header between them, are one step.
  assert.deepEqual(stepsOf(report, 'tty'), [['2/6', 'RUN        pip install beautifulsoup4', 'error']]);
  assert.match(report, /\| 2\/6 \| `RUN {8}pip install beautifulsoup4` \| error \| 3 min 56 s \|/);
  assert.match(report, /\| build 36\/37 \| `RUN python3 -m pip install mooncake-transfer-engine` \| running \| – \|/);
});

test('base image layers a legacy build pulled are named as such, with how to have the image locally, not as files to COPY', async (t) => {
  const dir = savedLogs(t, { docs: 'legacy-pull-pip-retry.log', web: 'legacy-pip.log' });
  const r = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  // The excerpt starts inside FROM's pull, before its Step line.
  assert.match(report, /\| `\(before the first build step in the log\)` \| – \| – \| – \| 2 fetched \(size unknown\) \|/);
  assert.match(report, /\| `FROM python:3\.12-slim` \| – \| – \| – \| 4 fetched \(size unknown\) \|/);
  assert.match(report, /- \*\*base image layers\*\* \(6\): `f860f95a24e2`, `a1dee26347e0`, `bf7af0229701`, .*\n {2}- to cache: these are base image layers the builder pulled: pull the image once while online/);
  assert.doesNotMatch(report, /\*\*file\*\*/);
  assert.deepEqual(metadata(dir).services.map((s) => [s.name, s.result]), [['docs', 'failed'], ['web', 'success']]);
});

test('a Render deploy log (nanosecond times before each line): a vertex whose header BuildKit repeated after its DONE is one step, and Alpine packages are named as such', async (t) => {
  const dir = savedLogs(t, { app: 'render-timestamps.plain.log' });
  const r = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(metadata(dir).services.map((s) => [s.name, s.result]), [['app', 'success']]);
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  const steps = stepsOf(report, 'app');
  // `#6 [ 1/11] FROM …` is printed three times, twice with DONE; `#5 [internal] load build context` twice.
  assert.deepEqual(steps.map((row) => row[0]), Array.from({ length: 11 }, (_, i) => `${i + 1}/11`));
  assert.ok(steps.every((row) => row[2] === 'done'));
  assert.match(report, /\| 1\/11 \| `FROM docker\.io\/library\/node:20-alpine@sha256:[0-9a-f]{64}` \| done \| 4\.8 s \|/);
  assert.match(report, /- steps \(FROM not counted\): 10 run, 0 CACHED/);
  assert.match(report, /\| `RUN apk add --no-cache python3 make g\+\+` \| – \| – \| – \| 29 fetched \(size unknown\) \|/);
  assert.match(report, /- \*\*Alpine packages \(apk\)\*\* \(29\): `libstdc\+\+-dev-14\.2\.0-r6\.apk`, .*\n {2}- to cache: fetch them once while online into the build context \(`apk fetch --recursive/);
  assert.match(report, /- \*\*base image layers\*\* \(4\): `sha256:98c4889b/);
});

test('a multi-platform build run by Maven (Quarkus\'s docker plugin prefixes every line with its level and logger): both legs\' steps, each leg in Dockerfile order', async (t) => {
  const dir = savedLogs(t, { app: 'quarkus-maven-multiplatform.plain.log' });
  const r = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(metadata(dir).services.map((s) => [s.name, s.result]), [['app', 'success']]);
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  const steps = stepsOf(report, 'app');
  assert.deepEqual(steps.map((row) => `${row[0]} ${row[1]!.slice(0, 13)}`), [
    ...['1/5', '2/5', '3/5', '4/5', '5/5'].map((p) => `${p} [linux/amd64]`),
    ...['1/5', '2/5', '3/5', '4/5', '5/5'].map((p) => `${p} [linux/arm64]`),
  ]);
  assert.deepEqual(steps[3], ['4/5', '[linux/amd64] COPY --chown=185 target/quarkus-app/app/ /deployments/app/', 'done']);
  assert.match(report, /- steps \(FROM not counted\): 8 run, 0 CACHED/);
});

test('a log holding only Docker\'s last words (a GitHub Actions job\'s error lines) is a failed build, its error said once though build-push-action repeats it', async (t) => {
  const dir = savedLogs(t, { app: 'gha-buildx-call-failed.log' });
  const r = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const [app] = metadata(dir).services;
  assert.equal(app!.result, 'failed');
  assert.match(app!.error ?? '', /^failed to build: failed to solve: process "\/bin\/sh -c apt-get update -qq .*" did not complete successfully: exit code: 100$/);
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  assert.equal(report.split('\n').filter((l) => l.startsWith('- failed to build: failed to solve:')).length, 1);
});

test('a step killed with 137 says what kills a build step; a summary pasted from a header without its `> ` (BuildKit 0.8\'s `#15 437.7 …` lines) names its step', async (t) => {
  const dir = savedLogs(t, { web: 'compose-v1-npm-killed.log', ui: 'summary-header-without-arrow.log' });
  const r = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const [ui, web] = metadata(dir).services;
  assert.equal(
    web!.error,
    "step \"RUN npm install --quiet\" failed: The command '/bin/sh -c npm install --quiet' returned a non-zero code: 137 " +
      "(137: the step was killed, most often by the kernel's out-of-memory killer: give the builder more memory)",
  );
  assert.equal(ui!.error, 'step "RUN npm run build" failed: executor failed running [/bin/sh -c npm run build]: exit code: 1');
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  assert.deepEqual(stepsOf(report, 'ui'), [['10/11', 'RUN npm run build', 'error']]);
  // The step's output is the summary's, without BuildKit's vertex number and seconds.
  assert.match(report, /last output:\n(?: {2}.*\n)* {2}npm ERR! Failed at the eatlas@1\.1\.0-beta\.3 build script\.\n/);
});

test('a failed multi-stage build from a Render log: the failed stage step, the stages that ran beside it, and last lines without the CI times', async (t) => {
  const dir = savedLogs(t, { web: 'render-multistage-fail.plain.log' });
  const r = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const [web] = metadata(dir).services;
  assert.equal(web!.result, 'failed');
  assert.match(web!.error ?? '', /^step "RUN {3}if \[ -f yarn\.lock \]; .*" failed: process "\/bin\/sh -c if \[ -f yarn\.lock \].*" did not complete successfully: exit code: 1$/);
  assert.deepEqual(web!.last_lines.slice(0, 3), ['0.045 Lockfile not found.', '------', 'Dockerfile:18']);
  assert.equal(web!.last_lines.at(-1), 'error: exit status 1');
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  const steps = stepsOf(report, 'web');
  assert.deepEqual(steps.map((row) => row[0]), ['base 1/1', 'builder 1/4', 'runner 2/8', 'runner 3/8', 'deps 1/7', 'deps 2/7', 'deps 3/7', 'deps 4/7', 'deps 5/7', 'deps 6/7', 'deps 7/7']);
  assert.equal(steps.at(-1)![2], 'error');
  assert.match(report, /- \*\*Alpine packages \(apk\)\*\* \(3\): `musl-obstack-1\.2\.3-r2\.apk`, `libucontext-1\.3\.2-r0\.apk`, `gcompat-1\.1\.0-r4\.apk`/);
});

test('a terminal display captured with script(1) (colours, cursor moves, \\r, redraws): steps of the last screen, the failed one named in full, failed though BuildKit 0.8 wrote FINISHED', async (t) => {
  const dir = savedLogs(t, { app: 'tty-script-ansi.log' });
  const r = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const [app] = metadata(dir).services;
  assert.equal(app!.result, 'failed');
  assert.equal(
    app!.error,
    'step "RUN echo fetching && wget -T 3 -O /tmp/x http://127.0.0.1:9/nothing.tar.gz" failed: ' +
      'executor failed running [/bin/sh -c echo fetching && wget -T 3 -O /tmp/x http://127.0.0.1:9/nothing.tar.gz]: exit code: 139',
  );
  assert.ok(app!.last_lines.every((l) => !l.includes('\u001b')), 'no escape sequences in the report');
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  assert.deepEqual(stepsOf(report, 'app'), [
    ['base 1/2', 'FROM docker.io/offgrid-test/busybox:latest', 'CACHED'],
    ['base 2/2', 'RUN echo "dl6-29700-1796291589" > /stamp && echo step one', 'done'],
    ['fetch 1/1', 'RUN echo fetching && wget -T 3 -O /tmp/x http://127.0.0.1:9/nothing.tar.gz', 'error'],
  ]);
});

test('a Compose terminal display of two services with RUN --mount=type=cache steps: each service, its CACHED fetching steps named, useradd not', async (t) => {
  const dir = savedLogs(t, { stack: 'tty-compose-cache-mounts.log' });
  const r = await runCli(['build-analyze'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(metadata(dir).services.map((s) => [s.name, s.result]), [['frontend', 'success'], ['backend', 'success']]);
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  assert.deepEqual(stepsOf(report, 'backend').map((row) => `${row[0]} ${row[2]}`), [
    'stage-0 1/8 done', 'stage-0 2/8 CACHED', 'stage-0 3/8 CACHED', 'stage-0 4/8 CACHED', 'stage-0 5/8 CACHED', 'stage-0 6/8 done', 'stage-0 7/8 done', 'stage-0 8/8 done',
  ]);
  assert.match(report, /- frontend: 1 RUN step\(s\) that download were CACHED \(`RUN --mount=type=cache,target=\/root\/\.npm {5}npm ci --prefer-offline && npm cac`\)/);
  assert.match(report, /- backend: 1 RUN step\(s\) that download were CACHED \(`RUN --mount=type=cache,target=\/root\/\.cache\/pip {5}pip install --no-cache-dir --`\)/);
});

test('two steps failing at once on a Compose display: the summary claims the screen step whose blanks the display squeezed, apk\'s unreachable repositories are attempts, padding is off the output', async (t) => {
  const dir = savedLogs(t, { api: 'tty-compose-two-errors-apk.log', ui: 'summary-npm-fetch-timeout-padded.log' });
  const r = await runCli(['build-analyze', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const services = JSON.parse(r.stdout).services as { name: string; result: string; network_attempts: { tool: string; url_or_host: string; error: string }[] }[];
  assert.deepEqual(services.map((s) => [s.name, s.result]), [['api', 'failed'], ['ui', 'failed']]);
  assert.deepEqual(services[0]!.network_attempts.map((a) => `${a.tool} ${a.url_or_host}: ${a.error}`), [
    'apk https://dl-cdn.alpinelinux.org/alpine/v3.17/main: temporary error (try again later)',
    'apk https://dl-cdn.alpinelinux.org/alpine/v3.17/community: temporary error (try again later)',
  ]);
  assert.deepEqual(services[1]!.network_attempts.map((a) => `${a.tool} ${a.url_or_host}: ${a.error}`), ['npm https://registry.example/zwitch/-/zwitch-2.0.4.tgz: network timeout']);
  const report = readFileSync(join(dir, 'logs/docker_build/build_report.md'), 'utf8');
  // One row per failed step: `[api proddependencies  2/25]` names the service api and its stage.
  assert.deepEqual(stepsOf(report, 'api').map((row) => `${row[0]} ${row[2]}`), ['proddependencies 2/25 error', 'dependencies 2/28 error']);
  assert.match(report, /- npm error code FETCH_ERROR\n/);
});

test('a summary pasted without its header (only `#0 76.03 npm ERR! …` lines and the last words): npm\'s network failure is counted, the error is Docker\'s', async (t) => {
  const dir = savedLogs(t, { web: 'summary-body-only-npm-socket-timeout.log' });
  const r = await runCli(['build-analyze', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const [web] = JSON.parse(r.stdout).services;
  assert.equal(web.result, 'failed');
  assert.match(web.error, /^failed to solve: executor failed running \[\/bin\/sh -c if \[ -f package-lock\.json \]; then npm ci; .*\]: exit code: 1$/);
  assert.deepEqual(web.network_attempts.map((a: { tool: string; error: string }) => `${a.tool}: ${a.error}`), ['npm: Socket timeout']);
});
