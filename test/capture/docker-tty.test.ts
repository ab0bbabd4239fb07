// BuildKit's terminal display (docker-tty.ts), on screens shaped as Docker prints them; the
// whole pasted log is in test/capture/docker-real.test.ts (tty-npm-fail.log).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptureEvent, DownloadEvent, StepEvent } from '../../src/capture/events.js';
import { createLogParser } from '../../src/capture/parsers/log-parser.js';
import { TOOL_PARSERS } from '../../src/capture/parsers/tools.js';

function parse(lines: readonly string[]): CaptureEvent[] {
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service: null, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of lines) parser.line(line);
  parser.end();
  return events;
}
const steps = (events: CaptureEvent[]) => events.filter((e): e is StepEvent => e.type === 'step').map((s) => [s.name, s.status, s.duration_seconds]);
const row = (name: string, time: string) => ` => ${name}`.padEnd(70) + ` ${time}`;

test('a scrollback of redraws counts the last screen once; a later build after other text counts again', () => {
  const events = parse([
    '[+] Building 1.2s (2/4)',
    row('[internal] load build definition from Dockerfile', '0.0s'),
    row('[1/2] FROM docker.io/library/alpine:3.19', '1.1s'),
    '[+] Building 4.0s (4/4) FINISHED',
    row('[internal] load build definition from Dockerfile', '0.0s'),
    row('[1/2] FROM docker.io/library/alpine:3.19', '1.3s'),
    row('[2/2] ADD https://example.org/tool.tgz /opt/', '2.5s'),
    row('exporting to image', '0.1s'),
    '$ docker build -t again .',
    '[+] Building 0.2s (4/4) FINISHED',
    row('CACHED [2/2] ADD https://example.org/tool.tgz /opt/', '0.0s'),
  ]);
  assert.deepEqual(steps(events), [
    ['[internal] load build definition from Dockerfile', 'done', 0],
    ['FROM docker.io/library/alpine:3.19', 'done', 1.3],
    ['ADD https://example.org/tool.tgz /opt/', 'done', 2.5],
    ['exporting to image', 'done', 0.1],
    ['ADD https://example.org/tool.tgz /opt/', 'cached', 0],
  ]);
  // The ADD source is the builder's download, as in a plain log.
  const adds = events.filter((e): e is DownloadEvent => e.type === 'download' && e.source === 'https://example.org/tool.tgz');
  assert.deepEqual(adds.map((d) => d.cached), [false, true]);
});

test('a running step\'s output lines (=> => #) are its output, and on a screen not FINISHED it is still running; a failed step without a summary still ends, as an error', () => {
  const events = parse([
    '[+] Building 12.3s (5/6)',
    row('[2/3] RUN pip install requests', '12.1s'),
    ' => => # Collecting requests',
    " => => # WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/requests/",
    row('ERROR [3/3] RUN apt-get update', '0.4s'),
  ]);
  assert.deepEqual(steps(events), [
    ['RUN apt-get update', 'error', 0.4],
    ['RUN pip install requests', 'running', null],
  ]);
  const attempt = events.find((e) => e.type === 'network_attempt');
  assert.equal(attempt?.type === 'network_attempt' ? attempt.step : null, 'RUN pip install requests');
});

test('lines that only look like the display are left to the other parsers', () => {
  const events = parse(['  => not a step', 'x => y 1.0s', ' ---> Running in 73f8224ad939']);
  assert.deepEqual(steps(events), []);
});

// Shapes from real pastes (a sweep of 24): Compose's blank after the time, a redraw's leftover
// characters, a paste cut before the time column, a summary Compose ends without its ruler.
test('Compose\'s padding, leftovers of a redraw and lines cut before their time still give the steps', () => {
  const events = parse([
    '[+] Building 31.9s (13/13) FINISHED',
    ' => CACHED [build 2/7] WORKDIR /app                                    0.0s ',
    ' => [internal] load metadata for docker.io/library/maven:3-eclipse-temurin-17  0.5sn',
    ' => [build 4/4] RUN dotnet publish "Api.csproj" -c Release -o /app/publish',
    ' => exporting to image',
  ]);
  assert.deepEqual(steps(events), [
    ['WORKDIR /app', 'cached', 0],
    ['[internal] load metadata for docker.io/library/maven:3-eclipse-temurin-17', 'done', 0.5],
    ['RUN dotnet publish "Api.csproj" -c Release -o /app/publish', 'done', null],
    ['exporting to image', 'done', null],
  ]);
  // Prose that starts with an arrow is no step.
  assert.deepEqual(steps(parse(['[+] Building 1.0s (1/1) FINISHED', ' => then run the tests'])), []);
});

test('a summary Compose ends with a redraw and bare last words: the failed step gets its output and ends, the last words are Docker\'s', () => {
  const events = parse([
    '[+] Building 2.1s (8/9)',
    ' => ERROR [4/5] RUN pip install -r --no-cache-dir requirements.txt      1.6s',
    '------',
    ' > [4/5] RUN pip install -r --no-cache-dir requirements.txt:',
    "#0 1.425 ERROR: Could not open requirements file: [Errno 2] No such file or directory: '--no-cache-dir'",
    '[+] Building 0.0s (0/0)',
    'failed to solve: process "/bin/sh -c pip install -r --no-cache-dir requirements.txt" did not complete successfully: exit code: 1',
  ]);
  assert.deepEqual(steps(events), [['RUN pip install -r --no-cache-dir requirements.txt', 'error', 1.6]]);
  const errors = events.filter((e) => e.type === 'error').map((e) => (e.type === 'error' ? [e.tool, e.message.split('\n')[0]] : []));
  assert.ok(errors.some(([tool, message]) => tool === 'docker' && message!.startsWith('failed to solve: process "/bin/sh -c pip install')), JSON.stringify(errors));
  assert.ok(errors.some(([tool]) => tool === 'pip'), JSON.stringify(errors));
});
