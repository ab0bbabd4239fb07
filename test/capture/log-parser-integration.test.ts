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

test('docker compose build (plain progress): each vertex is attributed to the service it names', () => {
  // Vertex names as compose prints them (`[api internal] load build definition…`,
  // `[app-api 5/6] RUN npm ci`, with a stage `[web builder 2/4]`); a plain build's
  // `[builder 2/4]` and buildx's `[linux/arm64 internal]` name no service.
  const log = [
    '#1 [api internal] load build definition from Dockerfile',
    '#1 DONE 0.0s',
    '#2 [web internal] load build definition from Dockerfile',
    '#2 DONE 0.0s',
    '#3 [linux/arm64 internal] load metadata for docker.io/library/node:18-alpine',
    '#3 DONE 0.1s',
    '#7 [api 2/3] RUN pip install requests==2.31.0',
    '#8 [web builder 2/4] RUN apt-get install -y curl',
    '#7 0.701   Downloading requests-2.31.0-py3-none-any.whl (62 kB)',
    '#8 1.204 Get:1 http://example.org/debian bookworm/main amd64 curl amd64 7.88.1-10+deb12u5 [315 kB]',
    '#7 1.900 Successfully installed requests-2.31.0',
    '#7 DONE 2.3s',
    '#8 DONE 3.0s',
    '#9 [builder 2/2] RUN npm ci',
    '#9 0.5 npm http fetch GET 200 https://example.org/npm/lodash/-/lodash-4.17.21.tgz 45ms (cache miss)',
    '#9 DONE 1.0s',
  ];
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service: null, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of log) parser.line(line);
  parser.end();
  // In the order each is known: apt's fetch once its step ends (no `Fetched` line here).
  assert.deepEqual(downloads(events).map((d) => [d.name, d.service, d.step]), [
    ['requests', 'api', 'RUN pip install requests==2.31.0'],
    ['curl', 'web', 'RUN apt-get install -y curl'],
    ['lodash', null, 'RUN npm ci'],
  ]);
  assert.equal(steps(events).find((s) => s.id === '3')?.service, null);
  // A service given on the command line wins.
  const given: CaptureEvent[] = [];
  const named = createLogParser({ service: 'all', emit: (e) => given.push(e), tools: TOOL_PARSERS });
  for (const line of log) named.line(line);
  named.end();
  assert.ok(downloads(given).every((d) => d.service === 'all'));
});
