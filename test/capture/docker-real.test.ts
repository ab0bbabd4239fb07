// Logs pasted by users of Docker 23–28 (buildx / BuildKit 0.10+, the legacy builder's
// Docker 25+ wording, Compose v2): test/fixtures/docker/real/, sources in its README.
// The pipeline is the one `offgrid analyze` and `offgrid build` use, with every tool parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptureEvent, DownloadEvent, ErrorEvent, StepEvent } from '../../src/capture/events.js';
import { createLogParser } from '../../src/capture/parsers/log-parser.js';
import { TOOL_PARSERS } from '../../src/capture/parsers/tools.js';
import { fixtureLines } from '../helpers/docker-fixtures.js';

interface Parsed {
  readonly events: CaptureEvent[];
  readonly steps: StepEvent[];
  readonly downloads: DownloadEvent[];
  readonly errors: ErrorEvent[];
  step(label: string): StepEvent | undefined;
  downloadsOf(tool: string): string[];
}

/** `fromLine`: parse the log from that line on (1-based), as a user who pasted only its end. */
function parse(name: string, service: string | null = null, fromLine = 1): Parsed {
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of fixtureLines(`real/${name}`).slice(fromLine - 1)) parser.line(line);
  parser.end();
  const steps = events.filter((e): e is StepEvent => e.type === 'step');
  const downloads = events.filter((e): e is DownloadEvent => e.type === 'download');
  return {
    events,
    steps,
    downloads,
    errors: events.filter((e): e is ErrorEvent => e.type === 'error'),
    step: (label) => steps.find((s) => s.name.startsWith(label)),
    downloadsOf: (tool) => downloads.filter((d) => d.tool === tool && d.name !== null).map((d) => d.name ?? ''),
  };
}

test('buildx 0.1x, pip then apt-get: steps, CACHED FROM, durations, wheels and .debs by step', () => {
  const p = parse('pip-apt.plain.log');
  assert.deepEqual(
    p.steps.map((s) => s.id),
    ['1', '2', '3', '4', '5', '6', '7', '8'],
    '#0 (the builder banner) is no step',
  );
  assert.equal(p.step('FROM docker.io/library/python:3.10-slim-bullseye')?.status, 'cached');
  const pip = p.step('RUN pip install');
  assert.deepEqual([pip?.status, pip?.duration_seconds], ['done', 4.8]);
  assert.deepEqual(p.downloadsOf('pip').sort(), ['annotated-types', 'psutil', 'pydantic', 'pydantic-core', 'pyzmq', 'typing-extensions', 'typing-inspection']);
  assert.ok(p.downloads.filter((d) => d.tool === 'pip').every((d) => d.step === pip?.name && d.cached === false));
  const apt = p.step('RUN apt-get update');
  assert.equal(apt?.status, 'running', 'the excerpt ends inside the apt step');
  const debs = p.downloadsOf('apt');
  assert.deepEqual(debs, ['perl-modules-5.32', 'libgdbm-compat4', 'libperl5.32', 'perl', 'bzip2', 'build-essential', 'libcurl4', 'curl']);
  assert.ok(p.downloads.filter((d) => d.tool === 'apt').every((d) => d.step === apt?.name));
  assert.equal(p.errors.length, 0);
});

test('Docker 28 (attestation export, build-check warning): pip 25 downloads, exporting steps, the warning block is no step output', () => {
  const p = parse('pip-warning.plain.log');
  assert.equal(p.steps.length, 12);
  assert.deepEqual(p.step('exporting to image'), { type: 'step', service: null, id: '12', name: 'exporting to image', status: 'done', duration_seconds: 2.1, error: null });
  assert.equal(p.step('RUN pip install')?.duration_seconds, 9.4);
  assert.equal(p.downloadsOf('pip').length, 12, 'each wheel once, not its .metadata too');
  assert.ok(p.downloadsOf('pip').includes('werkzeug'));
  // `exporting manifest sha256:… done` and the image's digests are no layer pulls.
  assert.equal(p.downloads.filter((d) => d.tool === 'docker').length, 0);
  assert.equal(p.errors.length, 0);
});

test('docker compose up --build (Compose v2, parallel stages): the failed pip step, exit code 2 and its last lines, the timeout as a network attempt, no layer invented', () => {
  const p = parse('compose-up-pip-fail.log');
  const pip = p.step('RUN pip install');
  assert.equal(pip?.status, 'error');
  assert.match(pip?.error ?? '', /did not complete successfully: exit code: 2$/);
  const failure = p.errors.find((e) => e.tool === 'docker' && e.step === pip?.name);
  assert.match(failure?.message ?? '', /last output:[\s\S]*ReadTimeoutError: HTTPSConnectionPool\(host='files\.pythonhosted\.org'/);
  assert.match(failure?.message ?? '', /\[notice\] To update, run: pip install --upgrade pip$/, 'the last line is the step’s, not the summary’s');
  const attempts = p.events.filter((e) => e.type === 'network_attempt');
  assert.ok(attempts.length > 0 && attempts.every((a) => a.step === pip?.name));
  assert.equal(p.step('FROM docker.io/library/node:20-alpine')?.status, 'done');
  assert.deepEqual([p.step('WORKDIR /app')?.status, p.step('WORKDIR /app')?.error], ['error', 'canceled']);
  // The node layer never reached `done`: its `14.68MB / 43.23MB` progress lines are no download.
  assert.equal(p.downloads.length, 0);
  // Compose's closing line (bake) is Docker's, once, outside any step.
  const closing = p.errors.filter((e) => e.step === null && e.tool === 'docker');
  assert.deepEqual(
    closing.map((e) => e.message),
    ['target backend: failed to solve: process "/bin/sh -c pip install --no-cache-dir -r requirements.txt" did not complete successfully: exit code: 2'],
  );
});

test('npm ci failing under buildx: CACHED steps, apk packages, the npm error, the exit code and the closing ERROR', () => {
  const p = parse('npm-ci-fail.plain.log', 'api');
  assert.deepEqual(
    p.steps.filter((s) => s.status === 'cached').map((s) => s.name),
    ['WORKDIR /app', 'RUN addgroup -g 1001 -S nodejs &&     adduser -S nodejs -u 1001'],
  );
  assert.ok(p.steps.every((s) => s.service === 'api'));
  assert.deepEqual(p.step('RUN apk add')?.duration_seconds, 15.7);
  assert.ok(p.downloadsOf('apk').includes('chromium'));
  const npm = p.step('RUN npm ci');
  assert.equal(npm?.status, 'error');
  assert.match(npm?.error ?? '', /exit code: 1$/);
  const failure = p.errors.find((e) => e.tool === 'docker' && e.step === npm?.name);
  assert.match(failure?.message ?? '', /npm error A complete log of this run can be found in/);
  assert.ok(p.errors.some((e) => e.tool === 'npm' && e.step === npm?.name));
  assert.ok(p.errors.some((e) => e.step === null && e.message.startsWith('failed to build: failed to solve: process')));
  // Lines of the Dockerfile excerpt (`  29 | >>> RUN npm ci …`) reach no tool as a command.
  assert.equal(p.downloads.filter((d) => d.step === null).length, 0);
});

test('the legacy builder of Docker 25+ (DEPRECATED banner, `---> Removed intermediate container`): steps, layer pulls of FROM, pip wheels', () => {
  const p = parse('legacy-pip.log');
  assert.deepEqual(
    p.steps.map((s) => [s.id, s.name, s.status]),
    [
      ['1', 'FROM python:3.12-slim', 'done'],
      ['2', 'WORKDIR /app', 'done'],
      ['3', 'COPY app/requirements.txt .', 'done'],
      ['4', 'RUN pip install --no-cache-dir -r requirements.txt', 'done'],
      ['5', 'COPY app/ .', 'done'],
      ['6', 'EXPOSE 5000', 'done'],
      ['7', 'CMD ["python", "app.py"]', 'done'],
    ],
  );
  assert.deepEqual(p.downloadsOf('docker').sort(), ['3550292b2150', '8aff2d3a9af8', 'ab2cb3ee67af', 'bf7af0229701']);
  assert.ok(p.downloads.filter((d) => d.tool === 'docker').every((d) => d.step === 'FROM python:3.12-slim'));
  assert.equal(p.downloadsOf('pip').length, 8);
  assert.ok(p.downloads.filter((d) => d.tool === 'pip').every((d) => d.step === 'RUN pip install --no-cache-dir -r requirements.txt'));
  assert.equal(p.errors.length, 0);
});

test('a cached rebuild by Compose without buildx (classic builder): every step after FROM is cached', () => {
  const p = parse('legacy-compose-cached.log', 'app');
  assert.equal(p.steps.length, 8);
  assert.deepEqual(p.steps.slice(1).map((s) => s.status), Array(7).fill('cached'));
  assert.ok(p.steps.every((s) => s.service === 'app'));
  assert.equal(p.downloads.length, 0);
  assert.equal(p.errors.length, 0);
});

test('only the error summary pasted (no `#N` line): its lines are the failed step\'s output, and buildx\'s last words are Docker\'s', () => {
  const lines = fixtureLines('real/npm-ci-fail.plain.log');
  const p = parse('npm-ci-fail.plain.log', null, lines.indexOf('------') + 1);
  const step = 'RUN npm ci --only=production &&     npm cache clean --force';
  assert.deepEqual(p.steps.map((s) => [s.name, s.status]), [[step, 'error']]);
  // The summary keeps npm's last lines only (no `npm error code`): the step's failure carries them.
  const failure = p.errors.find((e) => e.tool === 'docker' && e.step === step);
  assert.match(failure?.message ?? '', /last output:\nnpm error\nnpm error Run "npm help ci" for more info/);
  const last = p.errors.find((e) => e.message.startsWith('failed to build: failed to solve: '));
  assert.equal(last?.tool, 'docker');
  assert.equal(p.errors.filter((e) => e.tool === 'pip').length, 0);
});

test('a pasted summary of a pip step that timed out: the read timeout is a network attempt of that step', () => {
  const lines = fixtureLines('real/compose-up-pip-fail.log');
  const p = parse('compose-up-pip-fail.log', null, lines.indexOf('------') + 1);
  const step = 'RUN pip install --no-cache-dir -r requirements.txt';
  assert.deepEqual(p.steps.map((s) => [s.name, s.status]), [[step, 'error']]);
  const attempts = p.events.filter((e) => e.type === 'network_attempt');
  assert.ok(attempts.some((a) => a.type === 'network_attempt' && a.step === step && a.url_or_host.includes('files.pythonhosted.org')), JSON.stringify(attempts));
});

test('the summary of a log whose live lines were seen adds no events', () => {
  const whole = parse('npm-ci-fail.plain.log');
  const lines = fixtureLines('real/npm-ci-fail.plain.log');
  const cut = lines.indexOf('------');
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service: null, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of lines.slice(0, cut)) parser.line(line);
  parser.end();
  // The summary and what follows add only buildx's last words.
  const summaryErrors = whole.errors.filter((e) => !events.some((x) => x.type === 'error' && x.message === e.message));
  assert.deepEqual(summaryErrors.map((e) => e.tool), ['docker']);
});

test('a pasted summary whose lines carry buildx\'s `#0 ` prefix (Compose\'s tty progress) reads the same', () => {
  const lines = fixtureLines('real/compose-up-pip-fail.log');
  const start = lines.indexOf('------');
  const end = lines.indexOf('------', start + 1);
  const prefixed = lines.map((line, i) => (i > start + 1 && i < end ? `#0 ${line}` : line)).slice(start);
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service: null, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of prefixed) parser.line(line);
  parser.end();
  const step = 'RUN pip install --no-cache-dir -r requirements.txt';
  assert.ok(events.some((e) => e.type === 'network_attempt' && e.step === step && e.url_or_host.includes('files.pythonhosted.org')), JSON.stringify(events));
});

test('a # syntax= frontend in a GitHub Actions log: the registry lookup is the builder\'s download, its image layers too', () => {
  const p = parse('syntax-frontend.plain.log');
  const lookups = p.downloads.filter((d) => d.source?.startsWith('docker-image://'));
  assert.deepEqual(
    lookups.map((d) => [d.tool, d.source, d.name, d.index, d.cached, d.step]),
    [['docker', 'docker-image://docker.io/docker/dockerfile:1.2', 'docker.io/docker/dockerfile:1.2', true, false, 'resolve image config for docker.io/docker/dockerfile:1.2']],
  );
  // The frontend image's layers, pulled by the builder (sizes as BuildKit printed them).
  assert.ok(p.downloads.some((d) => d.tool === 'docker' && d.name === 'sha256:3cc8e449ce9f6e0752ede8f50a7334bf0c7b2d24d76da2ffae7aa6a729dd1da4'));
  // An [internal] metadata load of a FROM image is no lookup of this kind.
  assert.equal(p.downloads.filter((d) => d.step?.startsWith('[internal]')).length, 0);
});

test('BuildKit\'s terminal display pasted from Docker Desktop: steps with times and CACHED, the failed step with the summary\'s npm output, once', () => {
  const p = parse('tty-npm-fail.log', 'web');
  assert.deepEqual(
    p.steps.map((s) => [s.name, s.status, s.duration_seconds]),
    [
      ['[internal] load build definition from Dockerfile', 'done', 0],
      ['[internal] load metadata for docker.io/library/node:20-alpine', 'done', 0.5],
      ['[internal] load .dockerignore', 'done', 0],
      ['FROM docker.io/library/node:20-alpine@sha256:fb4cd12c85ee03686f6af5362a0b0d56d50c58a04632e6c0fb8363f609372293', 'done', 0],
      ['[internal] load build context', 'done', 0],
      ['WORKDIR /app', 'cached', 0],
      ['COPY package*.json ./', 'done', 0],
      ['RUN npm ci --production', 'error', 2.8],
    ],
  );
  assert.ok(p.steps.every((s) => s.service === 'web'));
  // The summary's lines are the failed step's output: npm's error is attributed to it.
  assert.ok(p.errors.some((e) => e.tool === 'npm' && e.step === 'RUN npm ci --production'), JSON.stringify(p.errors.map((e) => [e.tool, e.step, e.message.slice(0, 60)])));
  assert.ok(p.errors.some((e) => e.tool === 'docker' && e.message.startsWith('failed to build: failed to solve: process "/bin/sh -c npm ci --production"')));
  assert.equal(p.errors.filter((e) => e.step === 'RUN npm ci --production' && e.tool === 'docker').length, 1, 'one failure of the step, not two');
});

test('a Compose scrollback of terminal redraws: the FINISHED screen\'s steps once, trailing blanks and all', () => {
  const p = parse('tty-compose-redraws.log');
  assert.equal(p.steps.length, 16);
  // Each redraw listed the first steps again: they count once.
  assert.equal(p.steps.filter((s) => s.name === '[internal] load build definition from Dockerfile').length, 1);
  assert.deepEqual(p.step('RUN ./gradlew clean build') && [p.step('RUN ./gradlew clean build')!.status, p.step('RUN ./gradlew clean build')!.duration_seconds], ['done', 78.5]);
  assert.deepEqual(
    p.steps.filter((s) => s.status === 'cached').map((s) => s.name),
    ['WORKDIR /app', 'COPY settings.gradle gradlew ./', 'COPY gradle ./gradle', 'WORKDIR /app'],
  );
  assert.equal(p.errors.length, 0);
});

/** The events of `lines` read as one log, as JSON text (to compare two readings). */
function parseLines(lines: readonly string[]): string[] {
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service: null, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of lines) parser.line(line);
  parser.end();
  return events.map((e) => JSON.stringify(e));
}

test('a build log pasted as a Markdown code block (indented by four spaces) reads as the log itself', () => {
  for (const name of ['real/tty-npm-fail.log', 'real/pip-apt.plain.log', 'real/legacy-pip.log']) {
    const lines = fixtureLines(name);
    assert.deepEqual(parseLines(['Build output:', '', ...lines.map((l) => (l === '' ? '' : `    ${l}`))]), parseLines(['Build output:', '', ...lines]), name);
  }
});

test('a build log quoted in a reply (`> `, an empty line as `>`, nested `> > `) reads as the log itself', () => {
  for (const name of ['real/tty-npm-fail.log', 'real/pip-apt.plain.log', 'real/legacy-pip.log']) {
    const lines = fixtureLines(name);
    const plain = parseLines(['Build output:', '', ...lines, '', 'Any idea?']);
    assert.ok(plain.length > 0, name);
    for (const mark of ['>', '> >']) {
      const quoted = lines.map((l) => (l === '' ? mark : `${mark} ${l}`));
      assert.deepEqual(parseLines(['Build output:', '', ...quoted, '', 'Any idea?']), plain, `${name} quoted with ${mark}`);
    }
  }
});

test("tool output quoted in a reply (pip's, apt's, npm's) reads as the output itself; curl -v's `> GET` lines are no quote", () => {
  // pypa/pip#4822: the reporter quoted pip 9's output between lines of their own.
  const pasted = fixtureLines('../pip/real/pip9-quoted-readtimeout.txt');
  const unquoted = pasted.map((l) => l.replace(/^> ?/, ''));
  const events = parseLines(pasted);
  assert.ok(events.some((e) => e.includes('PySide')), events.join('\n'));
  assert.deepEqual(events, parseLines(unquoted));
  for (const name of ['../pip/real/pip1-downloads.txt', '../apt/apt-install.txt', '../npm/npm-install-refused.txt']) {
    const lines = fixtureLines(name);
    const plain = parseLines(['Output:', ...lines, '', 'Any idea?']);
    assert.ok(plain.length > 0, name);
    assert.deepEqual(parseLines(['Output:', ...lines.map((l) => (l === '' ? '>' : `> ${l}`)), '', 'Any idea?']), plain, name);
  }
  // curl -v's request lines start with `> ` too: its download is still read with its URL.
  const curl = parseLines(fixtureLines('../curl/curl-verbose.txt')).map((e) => JSON.parse(e) as CaptureEvent);
  assert.ok(curl.some((e) => e.type === 'download' && e.tool === 'curl' && e.source?.startsWith('http')), JSON.stringify(curl));
});
