import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuildKitFramer, parseSize } from '../../src/capture/parsers/docker-buildkit.js';
import { stepInstruction, stepLabel, type LayerPull, type StepFrames, type StepOutcome } from '../../src/capture/parsers/docker-frames.js';
import { fixtureLines } from '../helpers/docker-fixtures.js';

interface Frames extends StepFrames {
  starts: { id: string; name: string }[];
  logs: { id: string; text: string }[];
  ends: { id: string; outcome: StepOutcome }[];
  layers: { id: string; pull: LayerPull }[];
  unclaimed: string[];
  builds: number;
}

function frame(lines: readonly string[]): Frames {
  const frames: Frames = {
    starts: [],
    logs: [],
    ends: [],
    layers: [],
    unclaimed: [],
    start: (id, name) => void frames.starts.push({ id, name }),
    log: (id, text) => void frames.logs.push({ id, text }),
    end: (id, outcome) => void frames.ends.push({ id, outcome }),
    layer: (id, pull) => void frames.layers.push({ id, pull }),
    builds: 1,
    newBuild: () => void frames.builds++,
  };
  const framer = new BuildKitFramer(frames);
  for (const line of lines) if (!framer.line(line)) frames.unclaimed.push(line);
  return frames;
}

const logsOf = (frames: Frames, id: string): string[] => frames.logs.filter((l) => l.id === id).map((l) => l.text);
const endOf = (frames: Frames, id: string): StepOutcome | undefined => frames.ends.find((e) => e.id === id)?.outcome;

test('a first build: steps, their output without the timestamp, and their outcome', () => {
  const lines = fixtureLines('apt.plain.log');
  const frames = frame(lines);
  const printed = Number(/^#5 DONE (\d+\.\d)s$/m.exec(lines.join('\n'))?.[1]);
  assert.deepEqual(
    frames.starts.map((s) => s.id),
    ['1', '2', '3', '4', '5', '6', '7'],
  );
  assert.equal(frames.starts[4]?.name, '[2/3] RUN apt-get update && apt-get install -y --no-install-recommends netbase less');
  const apt = logsOf(frames, '5');
  assert.equal(apt[0], 'Get:1 http://deb.mirror.invalid/debian bookworm InRelease [151 kB]');
  assert.ok(apt.includes('Get:2 http://deb.mirror.invalid/debian bookworm/main amd64 netbase all 6.4 [12.8 kB]'));
  assert.ok(apt.includes('  less netbase'), 'text after the timestamp keeps its own indentation');
  assert.deepEqual(endOf(frames, '5'), { status: 'done', durationSeconds: printed, error: null });
  assert.deepEqual(logsOf(frames, '6'), ['apt step finished']);
  // Status lines (digests, transfers, export progress) are no command output.
  assert.equal(frames.logs.filter((l) => l.text.startsWith('sha256:') || l.text.includes('transferring')).length, 0);
  assert.equal(endOf(frames, '7')?.status, 'done');
  assert.deepEqual(frames.unclaimed.filter((l) => l !== ''), []);
});

test('a rebuild: every RUN step is CACHED and prints nothing', () => {
  const frames = frame(fixtureLines('apt-cached.plain.log'));
  assert.equal(endOf(frames, '5')?.status, 'cached');
  assert.equal(endOf(frames, '6')?.status, 'cached');
  assert.equal(endOf(frames, '5')?.durationSeconds, null);
  assert.deepEqual(logsOf(frames, '5'), []);
});

test('a failed step ends in ERROR with the builder message; the summary after it is not output again', () => {
  const lines = fixtureLines('fail.plain.log');
  const frames = frame(lines);
  const failed = endOf(frames, '6');
  assert.equal(failed?.status, 'error');
  assert.equal(failed?.error, 'executor failed running [/bin/sh -c apt-get install -y no-such-package-offgrid]: exit code: 100');
  assert.deepEqual(logsOf(frames, '6'), ['Reading package lists...', 'Building dependency tree...', 'E: Unable to locate package no-such-package-offgrid']);
  assert.equal(frames.starts.some((s) => s.name.includes('never reached')), false);
  // The closing message after the summary is plain text for the caller.
  assert.deepEqual(
    frames.unclaimed.filter((l) => l !== ''),
    ['executor failed running [/bin/sh -c apt-get install -y no-such-package-offgrid]: exit code: 100'],
  );
});

test('parallel stages: interleaved blocks (#5 … / #7 …) keep each line with its own step', () => {
  const frames = frame(fixtureLines('multistage.plain.log'));
  const left = frames.starts.find((s) => s.name.startsWith('[left 2/2]'))?.id ?? '';
  const right = frames.starts.find((s) => s.name.startsWith('[right 2/2]'))?.id ?? '';
  const leftLines = logsOf(frames, left);
  const rightLines = logsOf(frames, right);
  assert.equal(leftLines.filter((l) => l.startsWith('left line')).length, 14);
  assert.equal(rightLines.filter((l) => l.startsWith('right line')).length, 14);
  assert.equal(leftLines.some((l) => l.startsWith('right')), false);
  assert.equal(rightLines.some((l) => l.startsWith('left')), false);
  // The capture really interleaves: some right line comes before the last left line.
  const order = frames.logs.map((l) => l.id);
  assert.ok(order.indexOf(right) < order.lastIndexOf(left));
  assert.equal(frames.starts.filter((s) => s.id === left).length, 1, 'a repeated header is no new step');
  assert.equal(endOf(frames, left)?.status, 'done');
  assert.equal(endOf(frames, right)?.status, 'done');
});

// Newer BuildKit (progressui since its trace keeps log lines as "%.3f %s") prints a vertex's
// log lines without `#N `: derived here from the captured log by removing that prefix, as
// the README of the fixtures explains.
const withoutPrefix = (lines: string[]): string[] => lines.map((l) => l.replace(/^#\d+ (\d+\.\d+ )/, '$1'));

test('the newer form without #N on log lines attributes them to the open block', () => {
  const frames = frame(withoutPrefix(fixtureLines('multistage.plain.log')));
  const reference = frame(fixtureLines('multistage.plain.log'));
  assert.deepEqual(frames.logs, reference.logs);
  assert.deepEqual(frames.ends, reference.ends);
  assert.deepEqual(frames.unclaimed.filter((l) => l !== ''), []);
});

test('the newer error summary repeats the last lines without #N; they are skipped', () => {
  const lines = withoutPrefix(fixtureLines('fail.plain.log'));
  const at = lines.indexOf(' > [3/4] RUN apt-get install -y no-such-package-offgrid:');
  const repeated = lines.filter((l) => /^0\.3\d\d /.test(l));
  lines.splice(at + 1, 0, ...repeated);
  const frames = frame(lines);
  assert.equal(logsOf(frames, '6').length, 3);
});

test('lines before any BuildKit framing are not claimed, nor look-alikes', () => {
  const frames = frame(['0.345 not a step', '#hashtag', '#5', '#12abc x', 'Step 1/2 : FROM x']);
  assert.equal(frames.unclaimed.length, 5);
  assert.equal(frames.starts.length, 0);
});

test('a finished layer transfer is reported with its size', () => {
  // A layer line quoted in a public issue (docker/build-push-action#885); no registry is reachable here.
  const frames = frame([
    '#17 [10/11] RUN chmod 700 node_modules',
    '#17 sha256:35eb1fdebbb4820d0127f245e009a1f43bf2d27e28dce06f10a72fe72dbc7698 0B / 101.05MB 0.2s',
    '#17 sha256:9eaf03f74596eac4c833d95b7d4fc93c90bc2dc3ecfd31612e25a66b3b6f1d25 5.81kB / 5.81kB 0.3s done',
  ]);
  assert.deepEqual(frames.layers, [
    {
      id: '17',
      pull: { digest: 'sha256:9eaf03f74596eac4c833d95b7d4fc93c90bc2dc3ecfd31612e25a66b3b6f1d25', bytes: 5810, seconds: 0.3 },
    },
  ]);
});

test('CANCELED, a log without its header, and #0 (buildx) lines', () => {
  const frames = frame(['#0 building with "default" instance using docker driver', '#9 1.234 orphan line', '#9 CANCELED']);
  assert.deepEqual(frames.starts, [{ id: '9', name: '#9' }]);
  assert.deepEqual(logsOf(frames, '9'), ['orphan line']);
  assert.equal(endOf(frames, '9')?.status, 'canceled');
});

test('sizes and step labels', () => {
  assert.equal(parseSize('2B'), 2);
  assert.equal(parseSize('1.20MB'), 1_200_000);
  assert.equal(parseSize('3.5MiB'), 3_670_016);
  assert.equal(parseSize('lots'), null);
  assert.equal(stepLabel('[2/3] RUN apt-get update'), 'RUN apt-get update');
  assert.equal(stepLabel('[left 2/2] RUN echo'), 'RUN echo');
  assert.equal(stepLabel('[internal] load .dockerignore'), '[internal] load .dockerignore');
  assert.equal(stepLabel('exporting to image'), 'exporting to image');
  // A multi-platform build runs each instruction once per platform.
  assert.equal(stepLabel('[linux/arm/v7 website  7/11] RUN npm ci'), '[linux/arm/v7] RUN npm ci');
  assert.equal(stepInstruction('[linux/arm/v7 website  7/11] RUN npm ci'), 'RUN npm ci');
  assert.equal(stepLabel('[linux/arm64 internal] load metadata for docker.io/library/node:18-alpine'), '[linux/arm64 internal] load metadata for docker.io/library/node:18-alpine');
});
