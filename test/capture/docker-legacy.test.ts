import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptureEvent } from '../../src/capture/events.js';
import { createLogParser } from '../../src/capture/parsers/log-parser.js';
import { TOOL_PARSERS } from '../../src/capture/parsers/tools.js';
import { record, fixtureLines } from '../helpers/docker-fixtures.js';

const stepsOf = (name: string) => record(fixtureLines(name)).steps();

test('legacy builder: steps by number with the instruction as name; output goes to the running step', () => {
  const recording = record(fixtureLines('apt.legacy.log'));
  assert.deepEqual(
    recording.steps().map((s) => [s.id, s.name, s.status]),
    [
      ['1', 'FROM offgrid-test/debian:bookworm', 'done'],
      ['2', 'RUN apt-get update && apt-get install -y --no-install-recommends netbase less', 'done'],
      ['3', 'RUN echo apt step finished', 'done'],
    ],
  );
  const apt = recording.lines.filter((l) => l.step?.startsWith('RUN apt-get')).map((l) => l.text);
  assert.equal(apt[0], 'Get:1 http://deb.mirror.invalid/debian bookworm InRelease [151 kB]');
  // stderr lines come wrapped in colour codes, which LineSplitter removes.
  assert.ok(apt.includes('debconf: delaying package configuration, since apt-utils is not installed'));
  assert.equal(apt.some((l) => l.startsWith('Removing intermediate') || l.startsWith(' --->')), false);
  // Framing around the steps is plain output with no step.
  const plain = recording.lines.filter((l) => l.step === null).map((l) => l.text);
  assert.ok(plain.includes('Successfully tagged offgrid-fixture/apt:latest') === false, 'framing lines are consumed');
  assert.ok(plain.some((l) => l.startsWith('Sending build context')));
  assert.ok(recording.lines.every((l) => l.service === 'api'));
});

test('legacy builder: a rebuild marks every step after FROM as cached', () => {
  assert.deepEqual(
    stepsOf('apt-cached.legacy.log').map((s) => s.status),
    ['done', 'cached', 'cached'],
  );
});

test('legacy builder: a failed command is an error step with the builder message and the last output', () => {
  const recording = record(fixtureLines('fail.legacy.log'));
  const failed = recording.steps().find((s) => s.status === 'error');
  assert.equal(failed?.id, '3');
  assert.equal(failed?.error, "The command '/bin/sh -c apt-get install -y no-such-package-offgrid' returned a non-zero code: 100");
  const error = recording.events.find((e) => e.type === 'error');
  assert.ok(error?.type === 'error' && error.message.includes('E: Unable to locate package no-such-package-offgrid'));
  assert.equal(error.step, 'RUN apt-get install -y no-such-package-offgrid');
});

test('legacy builder: stages run one after another, each line with its step', () => {
  const recording = record(fixtureLines('multistage.legacy.log'));
  const left = recording.lines.filter((l) => l.text.startsWith('left line'));
  const right = recording.lines.filter((l) => l.text.startsWith('right line'));
  assert.equal(left.length, 14);
  assert.equal(right.length, 14);
  assert.ok(left.every((l) => l.step?.includes('left line $i')));
  assert.ok(right.every((l) => l.step?.includes('right line $i')));
  assert.equal(recording.steps().length, 9);
  assert.equal(recording.steps().some((s) => s.status === 'error'), false);
  // The right stage's `wget … || true` failed to connect, and the step still succeeded.
  const swallowed = recording.events.filter((e) => e.type === 'error');
  assert.equal(swallowed.length, 1);
  assert.ok(swallowed[0]?.step?.includes('right line $i'));
});

test('the layers a FROM step pulled are downloads of that step (fetched) or cached (`Already exists`); compose v2 pulls too', () => {
  // A legacy build and a docker-compose v1 build as pasted in public write-ups, and
  // `docker compose pull` (firezone/firezone#4122).
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service: null, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of [
    'Sending build context to Docker daemon  14.85kB',
    'Step 1/6 : FROM python:3.8-slim-buster',
    '3.8-slim-buster: Pulling from library/python',
    'f6e04ba65310: Pull complete ',
    'b87859229fd4: Already exists',
    'Digest: sha256:03c12f7bbd977120133b73e4b3ef5c5707ca09be338156dc02306d41633db4c0',
    'Status: Downloaded newer image for python:3.8-slim-buster',
    ' ---> 5f3ce1d922f0',
    'Step 2/6 : WORKDIR /app',
    ' ---> Running in 72b265cc7007',
    ' ---> 713efe657187',
    '   ✔ a2b20f6fb1f6 Pull complete                                    4.7s',
    ' ✔ 910a3722de3b Already exists                                      0.0s',
    'deadbeef: Pull complete',
  ]) parser.line(line);
  parser.end();
  const layers = events.filter((e) => e.type === 'download');
  assert.deepEqual(layers.map((e) => [e.tool, e.kind, e.name, e.cached, e.step]), [
    ['docker', 'file', 'f6e04ba65310', false, 'FROM python:3.8-slim-buster'],
    ['docker', 'file', 'b87859229fd4', true, 'FROM python:3.8-slim-buster'],
    ['docker', 'file', 'a2b20f6fb1f6', false, null],
    ['docker', 'file', '910a3722de3b', true, null],
  ]);
});

test('Docker before 1.13: `Step 3 : RUN …` (no total) opens a step too', () => {
  // slecache/api-console-docker#2 (docker-compose v1, 2016), hosts replaced.
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service: null, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of [
    'Step 2 : MAINTAINER someone',
    ' ---> Running in 1230ab98f1c1',
    ' ---> 0d5af547113f',
    'Removing intermediate container 1230ab98f1c1',
    'Step 3 : RUN apk add --update nodejs git        && rm -rf /var/cache/apk/*',
    ' ---> Running in a5dc4548cda2',
    'fetch http://cdn.example.org/alpine/v3.4/main/x86_64/APKINDEX.tar.gz',
    'ERROR: http://cdn.example.org/alpine/v3.4/main: temporary error (try again later)',
    "The command '/bin/sh -c apk add --update nodejs git        && rm -rf /var/cache/apk/*' returned a non-zero code: 2",
  ]) parser.line(line);
  parser.end();
  const steps = events.filter((e) => e.type === 'step');
  assert.deepEqual(steps.map((s) => (s.type === 'step' ? [s.id, s.status] : [])), [['2', 'done'], ['3', 'error']]);
  const failed = events.filter((e) => e.type === 'network_attempt');
  assert.deepEqual(failed.map((a) => (a.type === 'network_attempt' ? [a.tool, a.step] : [])), [
    ['apk', 'RUN apk add --update nodejs git        && rm -rf /var/cache/apk/*'],
  ]);
});

test('legacy builder: a failure indented like the rest of a copy from the GitHub Actions web view fails the step', () => {
  // https://github.com/10up/wpcs-action/issues/19 (as pasted: the first line at the margin, the rest indented)
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service: null, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of [
    'Step 4/5 : RUN apk update &&     apk upgrade &&     apk add git',
    '   ---> Running in e8ac60939246',
    '  /bin/sh: 1: apk: not found',
    "  The command '/bin/sh -c apk update &&     apk upgrade &&     apk add git' returned a non-zero code: 127",
    '  ',
    '  Warning: Docker build failed with exit code 127, back off 2.636 seconds before retry.',
  ]) {
    parser.line(line);
  }
  parser.end();
  const steps = events.flatMap((e) => (e.type === 'step' && e.status !== 'running' ? [[e.name, e.status, e.error]] : []));
  assert.deepEqual(steps, [
    [
      'RUN apk update &&     apk upgrade &&     apk add git',
      'error',
      "The command '/bin/sh -c apk update &&     apk upgrade &&     apk add git' returned a non-zero code: 127",
    ],
  ]);
});
