// Docker build output as users paste it into GitHub issues: parts of a log (an error
// summary alone, a terminal screen), Compose v1, old Docker wordings. Each test holds the
// lines of the real log that matter, verbatim but for the Debian mirror's host
// (`deb.mirror.invalid`); the issue is named above it. The pipeline is `offgrid analyze`'s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptureEvent, DownloadEvent, ErrorEvent, NetworkAttemptEvent, StepEvent } from '../../src/capture/events.js';
import { createLogParser } from '../../src/capture/parsers/log-parser.js';
import { TOOL_PARSERS } from '../../src/capture/parsers/tools.js';

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
