import { test } from 'node:test';
import assert from 'node:assert/strict';
import { record, fixtureLines } from '../helpers/docker-fixtures.js';
import { looksLikeSolveStatus } from '../../src/capture/parsers/docker-rawjson.js';

test('rawjson: vertices become steps, base64 log data becomes lines of that step', () => {
  const recording = record(fixtureLines('apt.rawjson.log'));
  const steps = recording.steps();
  const apt = steps.find((s) => s.name.startsWith('RUN apt-get update'));
  assert.equal(apt?.status, 'done');
  assert.ok((apt?.duration_seconds ?? 0) > 0);
  const lines = recording.lines.filter((l) => l.step === apt?.name).map((l) => l.text);
  assert.ok(lines.includes('Get:1 http://deb.mirror.invalid/debian bookworm InRelease [151 kB]'));
  assert.ok(lines.includes('Get:2 http://deb.mirror.invalid/debian bookworm/main amd64 netbase all 6.4 [12.8 kB]'));
  assert.ok(lines.includes('(Reading database ... 6096 files and directories currently installed.)'), 'progress \\r resolved');
  // Nothing of the JSON framing reaches a tool parser.
  assert.equal(recording.lines.some((l) => l.text.startsWith('{')), false);
});

test('rawjson: the same step numbers and names as the plain printer for RUN steps', () => {
  const names = (file: string) =>
    record(fixtureLines(file))
      .steps()
      .filter((s) => s.name.startsWith('RUN'))
      .map((s) => s.name);
  assert.deepEqual([...new Set(names('apt.rawjson.log'))], names('apt.plain.log'));
});

test('rawjson: a cached rebuild and a failed step', () => {
  const cached = record(fixtureLines('apt-cached.rawjson.log')).steps().filter((s) => s.name.startsWith('RUN'));
  assert.ok(cached.length >= 2);
  assert.ok(cached.every((s) => s.status === 'cached'));
  const failed = record(fixtureLines('fail.rawjson.log'));
  const step = failed.steps().find((s) => s.status === 'error');
  assert.equal(step?.name, 'RUN apt-get install -y no-such-package-offgrid');
  assert.match(step?.error ?? '', /exit code: 100/);
  assert.ok(failed.events.some((e) => e.type === 'error' && e.message.includes('Unable to locate package')));
});

test('rawjson: a log chunk cut mid-line is joined with the next chunk', () => {
  const digest = 'sha256:' + 'a'.repeat(64);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const recording = record([
    JSON.stringify({ vertexes: [{ digest, name: '[1/1] RUN x', started: '2026-01-01T00:00:00Z' }] }),
    JSON.stringify({ logs: [{ vertex: digest, stream: 1, data: b64('Get:1 http://a/b [1'), timestamp: '2026-01-01T00:00:01Z' }] }),
    JSON.stringify({ logs: [{ vertex: digest, stream: 1, data: b64('0 kB]\nlast without newline'), timestamp: '2026-01-01T00:00:01Z' }] }),
    JSON.stringify({ vertexes: [{ digest, name: '[1/1] RUN x', started: '2026-01-01T00:00:00Z', completed: '2026-01-01T00:00:02.5Z' }] }),
  ]);
  assert.deepEqual(
    recording.lines.map((l) => [l.step, l.text]),
    [
      ['RUN x', 'Get:1 http://a/b [10 kB]'],
      ['RUN x', 'last without newline'],
    ],
  );
  assert.equal(recording.steps()[0]?.duration_seconds, 2.5);
});

test('only SolveStatus objects are rawjson; other JSON lines are plain output', () => {
  assert.equal(looksLikeSolveStatus('{"vertexes":[]}'), true);
  assert.equal(looksLikeSolveStatus('{"name":"npm"}'), false);
  const recording = record(['{"name":"npm"}', '{"vertexes": broken']);
  assert.deepEqual(
    recording.lines.map((l) => l.text),
    ['{"name":"npm"}', '{"vertexes": broken'],
  );
});
