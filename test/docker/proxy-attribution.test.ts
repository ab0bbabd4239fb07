import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downloadEvent, errorEvent, networkAttemptEvent } from '../../src/capture/events.js';
import { attributeToBuild } from '../../src/docker/proxy-attribution.js';

const hit = downloadEvent({ kind: 'file', tool: 'wget', cached: true, source: 'http://files.invalid/model.bin', evidence: 'proxy' });

test('a proxy record during a build gets the service, and the step when exactly one network step runs', () => {
  assert.deepEqual([hit.service, hit.step], [null, null]);
  const one = attributeToBuild(hit, 'api', ['RUN wget -q http://files.invalid/model.bin']);
  assert.deepEqual([one.type === 'download' && one.service, one.type === 'download' && one.step], ['api', 'RUN wget -q http://files.invalid/model.bin']);
  // Parallel stages, or a request before BuildKit printed its step: the service only, no guess.
  for (const open of [[], ['RUN a', 'RUN b']]) {
    const r = attributeToBuild(hit, 'api', open);
    assert.deepEqual(r.type === 'download' && [r.service, r.step], ['api', null]);
  }
  const attempt = attributeToBuild(networkAttemptEvent({ tool: 'proxy', url_or_host: 'http://x.invalid/', error: 'offline' }), 'api', ['RUN x']);
  assert.deepEqual(attempt.type === 'network_attempt' && [attempt.service, attempt.step], ['api', 'RUN x']);
});

test('a record that already names its build, and events that are not downloads or attempts, are left as they are', () => {
  const named = downloadEvent({ kind: 'apt', tool: 'apt', cached: false, service: 'db', step: 'RUN apt-get install -y jq' });
  assert.equal(attributeToBuild(named, 'api', ['RUN other']), named);
  const error = errorEvent({ message: 'x', tool: 'docker' });
  assert.equal(attributeToBuild(error, 'api', ['RUN other']), error);
});
