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
