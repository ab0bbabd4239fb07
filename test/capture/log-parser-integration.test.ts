// The captured Docker build logs through the whole pipeline with the real tool parsers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptureEvent, DownloadEvent, NetworkAttemptEvent, StepEvent } from '../../src/capture/events.js';
import { createLogParser } from '../../src/capture/parsers/log-parser.js';
import { TOOL_PARSERS } from '../../src/capture/parsers/tools.js';
import { fixtureLines } from '../helpers/docker-fixtures.js';

function parse(file: string, service = 'api'): CaptureEvent[] {
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of fixtureLines(file)) parser.line(line);
  parser.end();
  return events;
}

const downloads = (events: CaptureEvent[]) => events.filter((e): e is DownloadEvent => e.type === 'download');
const steps = (events: CaptureEvent[]) => events.filter((e): e is StepEvent => e.type === 'step');
const attempts = (events: CaptureEvent[]) => events.filter((e): e is NetworkAttemptEvent => e.type === 'network_attempt');
const APT_STEP = 'RUN apt-get update && apt-get install -y --no-install-recommends netbase less';

for (const framing of ['plain', 'rawjson', 'legacy']) {
  test(`${framing}: apt-get downloads in a Docker build carry the service and the step`, () => {
    const events = parse(`apt.${framing}.log`, 'api');
    const debs = downloads(events).filter((d) => d.kind === 'apt' && !d.index);
    assert.deepEqual(debs.map((d) => d.name).sort(), ['less', 'netbase']);
    for (const d of downloads(events)) {
      assert.equal(d.service, 'api');
      assert.equal(d.step, APT_STEP);
      assert.equal(d.cached, false);
    }
    assert.ok(downloads(events).some((d) => d.index), 'the index files apt-get update fetched');
    assert.equal(steps(events).find((s) => s.name === APT_STEP)?.status, 'done');
  });

  test(`${framing}: a cached rebuild downloads nothing and its steps are cached`, () => {
    const events = parse(`apt-cached.${framing}.log`);
    assert.deepEqual(downloads(events), []);
    assert.equal(steps(events).find((s) => s.name === APT_STEP)?.status, 'cached');
  });

  test(`${framing}: the failed step is an error with its step`, () => {
    const events = parse(`fail.${framing}.log`);
    const failed = steps(events).filter((s) => s.status === 'error');
    assert.deepEqual(
      failed.map((s) => s.name),
      ['RUN apt-get install -y no-such-package-offgrid'],
    );
    assert.ok(events.some((e) => e.type === 'error' && e.step === 'RUN apt-get install -y no-such-package-offgrid'));
  });

  test(`${framing}: apt-get update || true without network is a network_attempt of its step, flagged`, () => {
    const events = parse(`swallow.${framing}.log`);
    const tried = attempts(events);
    assert.ok(tried.length > 0);
    for (const attempt of tried) {
      assert.equal(attempt.step, 'RUN apt-get update || true');
      assert.equal(attempt.service, 'api');
      assert.match(attempt.error, /Temporary failure resolving/);
    }
    assert.equal(steps(events).find((s) => s.name === 'RUN apt-get update || true')?.status, 'done');
    assert.ok(events.some((e) => e.type === 'error' && e.step === 'RUN apt-get update || true' && /swallowed/.test(e.message)));
  });

  test(`${framing}: busybox wget downloads and failures in a Docker build`, () => {
    const fetched = downloads(parse(`wget.${framing}.log`));
    assert.equal(fetched.length, 1);
    // BuildKit names the step with the build argument expanded, the legacy builder does not.
    assert.ok(fetched[0]?.step?.startsWith('RUN wget -O /tmp/payload.tar.gz '));
    const failed = attempts(parse(`swallow-wget.${framing}.log`));
    assert.equal(failed[0]?.step, 'RUN wget http://no-such-host.invalid/x.tar.gz || true');
  });
}

test('BuildKit: the base image the builder could not fetch is a network attempt; buildx\'s last ERROR line is Docker\'s', () => {
  // As buildx prints it (`docker buildx build`, issues pasted in public repos), hosts replaced.
  const log = [
    '#0 building with "default" instance using docker driver',
    '',
    '#2 [linux/arm64 internal] load metadata for docker.io/library/node:18-alpine',
    '#2 ERROR: failed to do request: Head "https://registry.example.org/v2/library/node/manifests/18-alpine": EOF',
    '',
    '#3 [linux/amd64 internal] load metadata for docker.io/library/node:18-alpine',
    '#3 ERROR: failed to do request: Head "https://registry.example.org/v2/library/node/manifests/18-alpine": dial tcp: lookup registry.example.org on 127.0.0.53:53: no such host',
    '------',
    ' > [linux/arm64 internal] load metadata for docker.io/library/node:18-alpine:',
    '------',
    'Dockerfile:2',
    '--------------------',
    '   1 |     # base image',
    '   2 | >>> FROM node:18-alpine',
    '--------------------',
    'ERROR: failed to build: failed to solve: node:18-alpine: failed to resolve source metadata for docker.io/library/node:18-alpine: failed to do request: Head "https://registry.example.org/v2/library/node/manifests/18-alpine": EOF',
  ];
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service: 'web', emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of log) parser.line(line);
  parser.end();
  const url = 'https://registry.example.org/v2/library/node/manifests/18-alpine';
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error, a.step]), [
    ['docker', url, 'EOF', '[linux/arm64 internal] load metadata for docker.io/library/node:18-alpine'],
    ['docker', url, 'dial tcp: lookup registry.example.org on 127.0.0.53:53: no such host', '[linux/amd64 internal] load metadata for docker.io/library/node:18-alpine'],
  ]);
  const errors = events.filter((e) => e.type === 'error');
  assert.ok(errors.every((e) => e.tool === 'docker'), JSON.stringify(errors.map((e) => e.tool)));
  assert.ok(errors.some((e) => e.message.startsWith('failed to build: failed to solve: node:18-alpine')));
});

test('legacy builder and docker pull: the daemon\'s Go DNS error is a network attempt', () => {
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service: null, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  parser.line('Error response from daemon: Get "https://registry.example.org/v2/": dial tcp: lookup registry.example.org on 127.0.0.11:53: no such host');
  parser.line('Get "https://registry.example.org/v2/": dial tcp 10.0.0.1:443: connect: connection refused');
  parser.end();
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['docker', 'https://registry.example.org/v2/', 'dial tcp: lookup registry.example.org on 127.0.0.11:53: no such host'],
    ['docker', 'https://registry.example.org/v2/', 'dial tcp 10.0.0.1:443: connect: connection refused'],
  ]);
});
