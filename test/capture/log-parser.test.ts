import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogParser } from '../../src/capture/parsers/log-parser.js';
import type { CaptureEvent } from '../../src/capture/events.js';
import { record, fixtureLines, newRecording, recordingTools } from '../helpers/docker-fixtures.js';

test('plain tool output outside any Docker framing goes to one default parser set with step null', () => {
  const recording = record(['Collecting numpy', 'Get:1 http://deb.mirror.invalid/debian bookworm InRelease [151 kB]'], null);
  assert.deepEqual(recording.lines, [
    { service: null, step: null, text: 'Collecting numpy' },
    { service: null, step: null, text: 'Get:1 http://deb.mirror.invalid/debian bookworm InRelease [151 kB]' },
  ]);
  assert.equal(recording.ended.length, 1, 'the default set ends once, at the end');
  assert.deepEqual(recording.steps(), []);
});

test('every build step gets its own parsers, ended when the step ends', () => {
  const recording = record(fixtureLines('multistage.plain.log'));
  const left = recording.steps().find((s) => s.name.includes('left line'));
  const right = recording.steps().find((s) => s.name.includes('right line'));
  assert.ok(left && right);
  // One parser set per step that printed something, each ended once.
  const endedSteps = recording.ended.map((a) => a.step);
  assert.equal(endedSteps.filter((s) => s === left.name).length, 1);
  assert.equal(endedSteps.filter((s) => s === right.name).length, 1);
  // Each step's parsers were ended before the StepEvent of that step went out.
  const stepEventIndex = recording.events.findIndex((e) => e.type === 'step' && e.name === left.name);
  assert.ok(stepEventIndex > 0);
  assert.ok(recording.lines.filter((l) => l.step === left.name).every((l) => l.text.startsWith('left') || !l.text.startsWith('right')));
});

test('step events carry the service, the step number, status and duration', () => {
  const recording = record(fixtureLines('apt.plain.log'), 'api');
  const apt = recording.steps().find((s) => s.name.startsWith('RUN apt-get'));
  assert.equal(apt?.type, 'step');
  assert.equal(apt?.service, 'api');
  assert.equal(apt?.id, '5');
  assert.equal(apt?.status, 'done');
  assert.ok(typeof apt?.duration_seconds === 'number' && apt.duration_seconds > 0);
  assert.equal(apt?.error, null);
  assert.deepEqual(
    record(fixtureLines('apt-cached.plain.log')).steps().filter((s) => s.name.startsWith('RUN')).map((s) => s.status),
    ['cached', 'cached'],
  );
});

test('a failed step is an ErrorEvent naming the step with its last lines', () => {
  for (const file of ['fail.plain.log', 'fail.rawjson.log', 'fail.legacy.log']) {
    const recording = record(fixtureLines(file), 'api');
    // Docker 20.10 ends a plain log with the failure again (`executor failed running […]`): the build's, no step's.
    const errors = recording.events.filter((e) => e.type === 'error' && e.step !== null);
    assert.equal(errors.length, 1, file);
    const error = errors[0];
    assert.ok(error?.type === 'error');
    assert.equal(error.step, 'RUN apt-get install -y no-such-package-offgrid', file);
    assert.equal(error.service, 'api');
    assert.equal(error.tool, 'docker');
    assert.match(error.message, /E: Unable to locate package no-such-package-offgrid/, file);
  }
});

test('a step that swallowed a network failure (|| true) and completed is flagged, in every framing', () => {
  for (const file of [
    'swallow.plain.log',
    'swallow.rawjson.log',
    'swallow.legacy.log',
    'swallow-wget.plain.log',
    'swallow-wget.rawjson.log',
    'swallow-wget.legacy.log',
  ]) {
    const recording = record(fixtureLines(file), 'api');
    const step = recording.steps().find((s) => s.name.includes('|| true'));
    assert.equal(step?.status, 'done', file);
    const attempts = recording.events.filter((e) => e.type === 'network_attempt');
    assert.ok(attempts.length > 0, file);
    assert.ok(attempts.every((a) => a.step === step?.name), file);
    const flagged = recording.events.filter((e) => e.type === 'error');
    assert.equal(flagged.length, 1, file);
    assert.equal(flagged[0]?.step, step?.name);
    assert.match(flagged[0]?.type === 'error' ? flagged[0].message : '', /swallowed/);
  }
});

test('a step that succeeded without a network failure is not flagged', () => {
  const recording = record(fixtureLines('wget.plain.log'));
  assert.equal(recording.events.filter((e) => e.type === 'error').length, 0);
});

test('a log that ends mid-step reports the open step as running and ends its parsers', () => {
  const lines = fixtureLines('apt.plain.log');
  const cut = lines.findIndex((l) => l.includes('Get:2 http://deb.mirror.invalid/debian bookworm/main amd64 Packages'));
  const recording = record(lines.slice(0, cut + 1));
  const open = recording.steps().find((s) => s.name.startsWith('RUN apt-get'));
  assert.equal(open?.status, 'running');
  assert.ok(recording.ended.some((a) => a.step === open?.name));
});

test('two builds in one log (numbers restart at #1) keep their steps apart', () => {
  const recording = record([...fixtureLines('apt.plain.log'), ...fixtureLines('apt-cached.plain.log')]);
  const apt = recording.steps().filter((s) => s.name.startsWith('RUN apt-get'));
  assert.deepEqual(
    apt.map((s) => s.status),
    ['done', 'cached'],
  );
});

test('end() may be called on an empty log', () => {
  const events: CaptureEvent[] = [];
  const recording = newRecording();
  const parser = createLogParser({ service: null, emit: (e) => events.push(e), tools: [recordingTools(recording)] });
  parser.end();
  assert.deepEqual(events, []);
});

test('the build steps running at a moment that can reach the network: a RUN from its header to its DONE, not FROM or internal steps', () => {
  const parser = createLogParser({ service: 'api', emit: () => undefined, tools: [] });
  const open: string[][] = [];
  // Captured from BuildKit here (test/fixtures/docker/wget.plain.log): after each line, what is open.
  for (const line of fixtureLines('wget.plain.log')) {
    parser.line(line);
    open.push(parser.openNetworkSteps());
  }
  const run = 'RUN wget -O /tmp/payload.tar.gz "http://127.0.0.1:18765/payload.tar.gz" && ls -l /tmp/payload.tar.gz';
  const lines = fixtureLines('wget.plain.log');
  const header = lines.findIndex((l) => l.startsWith('#5 [2/2] RUN'));
  const done = lines.indexOf('#5 DONE 0.1s');
  assert.deepEqual(open.slice(0, header), open.slice(0, header).map(() => []), 'nothing before the RUN starts (internal steps and FROM do not count)');
  assert.deepEqual(open.slice(header, done), open.slice(header, done).map(() => [run]));
  assert.deepEqual(open[done], []);
});
