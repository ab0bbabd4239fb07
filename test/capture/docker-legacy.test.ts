import { test } from 'node:test';
import assert from 'node:assert/strict';
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
