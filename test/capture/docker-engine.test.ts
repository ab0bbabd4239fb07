// Builds a tiny image with the real engine and parses its live BuildKit output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX_IMAGE, DOCKER, dockerSkipReason, ensureBaseImages, run } from '../helpers/docker.js';
import { record, splitLines } from '../helpers/docker-fixtures.js';

const skip = await dockerSkipReason();

test('a live BuildKit build is framed into steps, output lines and outcomes', { skip: skip ?? false, timeout: 600_000 }, async () => {
  await ensureBaseImages();
  const dir = mkdtempSync(join(tmpdir(), 'offgrid-engine-'));
  try {
    // A token makes this build's RUN step new to the build cache, so it really runs.
    const token = `${process.pid}-${Date.now()}`;
    writeFileSync(
      join(dir, 'Dockerfile'),
      `FROM ${BUSYBOX_IMAGE}\nRUN echo "hello ${token}" && echo second line\nRUN wget http://127.0.0.1:1/x.tar.gz || true\n`,
    );
    const build = () =>
      run(DOCKER, ['build', '--progress=plain', '--network=none', '-t', `offgrid-engine-test:${process.pid}`, '.'], {
        cwd: dir,
        env: { ...process.env, DOCKER_BUILDKIT: '1' },
      });
    const first = await build();
    assert.equal(first.code, 0, first.output);
    const recording = record(splitLines(Buffer.from(first.output)), 'engine');
    const echo = recording.steps().find((s) => s.name === `RUN echo "hello ${token}" && echo second line`);
    assert.equal(echo?.status, 'done');
    assert.equal(echo?.service, 'engine');
    assert.deepEqual(
      recording.lines.filter((l) => l.step === echo?.name).map((l) => l.text),
      [`hello ${token}`, 'second line'],
    );
    const swallowed = recording.events.find((e) => e.type === 'error');
    assert.equal(swallowed?.step, 'RUN wget http://127.0.0.1:1/x.tar.gz || true');

    const second = await build();
    assert.equal(second.code, 0, second.output);
    const again = record(splitLines(Buffer.from(second.output))).steps().filter((s) => s.name.startsWith('RUN'));
    assert.deepEqual(
      again.map((s) => s.status),
      ['cached', 'cached'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await run(DOCKER, ['rmi', '-f', `offgrid-engine-test:${process.pid}`]);
  }
});
