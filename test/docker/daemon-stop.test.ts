// `offgrid build` when the Docker daemon stops in the middle of a build: a clear error that
// names the service and what to do, the logs of the services already built kept, the report
// written for what completed. Each case stops a private daemon of its own
// (private-daemon.ts), never the shared one other tests are using.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUSYBOX_IMAGE, dockerSkipReason, ensureBaseImages } from '../helpers/docker.js';
import { readValidLedger } from '../helpers/cli.js';
import { BuildMetadata } from '../../src/docker/metadata.js';
import { TAG, project, section } from './engine-helpers.js';
import { privateDaemonSkipReason, startPrivateDaemon, within } from './private-daemon.js';

const skip = (await dockerSkipReason()) ?? privateDaemonSkipReason();
const opts = { skip: skip ?? false, timeout: 300_000 };
if (!skip) await ensureBaseImages();

/** How long offgrid may take, once the daemon is gone, to exit (the running step sleeps 60 s). */
const EXIT_WITHIN_MS = 30_000;

const LOG = 'logs/docker_build';
// The markers are computed by the shell, so they appear in a log only as a step's output,
// never in the step's header.
const files = {
  'compose.yaml':
    `services:\n` +
    `  first:\n    build: ./first\n    image: ${TAG}-stop-first\n` +
    `  second:\n    build: ./second\n    image: ${TAG}-stop-second\n` +
    `  third:\n    build: ./third\n    image: ${TAG}-stop-third\n`,
  'first/Dockerfile': `FROM ${BUSYBOX_IMAGE}\nRUN echo "first-$((6*7))"\n`,
  'second/Dockerfile': `FROM ${BUSYBOX_IMAGE}\nRUN echo "second-$((6*7))" && sleep 60\n`,
  'third/Dockerfile': `FROM ${BUSYBOX_IMAGE}\nRUN echo "third-$((6*7))"\n`,
};

const cases = [
  { signal: 'SIGTERM', builder: 'buildkit', how: 'stopped (SIGTERM, as `systemctl stop docker` does)' },
  { signal: 'SIGKILL', builder: 'buildkit', how: 'killed (SIGKILL: a crash, the OOM killer)' },
  { signal: 'SIGKILL', builder: 'legacy', how: 'killed under the legacy builder (the build container and its shim outlive the daemon)' },
] as const;

for (const c of cases) {
  test(`the daemon ${c.how} mid-build: exit 1 naming the service and what to do, the built service's log and result kept, the rest not built, the report and ledger written`, opts, async (t) => {
    const daemon = await startPrivateDaemon(t);
    await daemon.load(BUSYBOX_IMAGE);
    // The images live in the private daemon and go with its data root.
    const p = project(t, files, []);
    const env = { DOCKER_HOST: daemon.host, DOCKER_BUILDKIT: c.builder === 'buildkit' ? '1' : '0' };
    const started = Date.now();
    let done = false;
    const running = p.cli(['build'], env).finally(() => (done = true));

    // Stop the daemon once the second service's long step is running.
    const secondLog = join(p.dir, LOG, 'build_second.log');
    const logged = (): string => (existsSync(secondLog) ? readFileSync(secondLog, 'utf8') : '');
    while (!/second-42/.test(logged())) {
      if (done) {
        const r = await running;
        assert.fail(`offgrid ended (exit ${String(r.code)}) before the second service's step ran:\n${r.stderr}`);
      }
      if (Date.now() - started > 180_000) assert.fail(`the second service's step did not start within 180 s; daemon log:\n${daemon.logTail()}`);
      await sleep(100);
    }
    const stoppedAt = Date.now();
    daemon.signal(c.signal);

    const r = await within(running, EXIT_WITHIN_MS * 2);
    assert.ok(r !== null, `offgrid still runs ${(EXIT_WITHIN_MS * 2) / 1000} s after the daemon got ${c.signal}`);
    const took = Date.now() - stoppedAt;
    t.diagnostic(`offgrid exited ${took} ms after ${c.signal}; whole run ${Date.now() - started} ms`);
    const daemonExit = await within(daemon.exited, 30_000);
    t.diagnostic(`private dockerd exit: ${String(daemonExit)}`);
    assert.notEqual(daemonExit, null, `the private dockerd still runs 30 s after ${c.signal}`);

    // Exit 1, promptly, without a stack trace.
    assert.equal(r.code, 1, r.stderr);
    assert.ok(took < EXIT_WITHIN_MS, `offgrid took ${took} ms to exit after the daemon stopped`);
    assert.doesNotMatch(r.stdout + r.stderr, /^\s+at .+:\d+:\d+\)?$/m);
    assert.doesNotMatch(r.stdout + r.stderr, /uncaught|unhandled/i);

    // The message names the service, says the daemon stopped, and what to do.
    assert.match(r.stderr, /offgrid: first: ok — built in .*1 step\(s\) run, 0 CACHED, image/);
    assert.match(
      r.stderr,
      /offgrid: second: FAILED — service second: the Docker daemon stopped answering during its build \(docker exited \d+\): start it \(`sudo systemctl start docker`[^\n]*\) and run offgrid again; its log so far is kept in logs\/docker_build\/build_second\.log\n/,
    );
    assert.match(r.stderr, /offgrid: third: NOT BUILT — service third was not built: the Docker daemon stopped answering during the build of second: start it \(/);
    assert.match(r.stderr, /offgrid: report: logs\/docker_build\/build_report\.md/);

    // The logs: the first service's complete, the second's up to the stop, none for the third.
    assert.match(p.read(`${LOG}/build_first.log`), /first-42/);
    assert.match(logged(), /second-42/);
    assert.ok(!existsSync(join(p.dir, LOG, 'build_third.log')), 'the third service was never started');

    // The metadata and the report cover what completed.
    const meta = BuildMetadata.parse(JSON.parse(p.read(`${LOG}/build_metadata.json`)));
    assert.equal(meta.builder, c.builder);
    assert.deepEqual(meta.services.map((s) => [s.name, s.result]), [['first', 'success'], ['second', 'failed'], ['third', 'not-built']]);
    assert.equal(meta.services[0]?.exit_code, 0);
    assert.deepEqual(meta.services.map((s) => s.log), [`${LOG}/build_first.log`, `${LOG}/build_second.log`, null], 'no log is named for a build that never started');
    assert.ok((meta.services[0]?.image_size ?? 0) > 0);
    const report = p.read(`${LOG}/build_report.md`);
    assert.match(report, /- services: 1 of 3 built \(second, third did not\)/);
    assert.match(report, /\*\*Not proved offline-ready\.\*\*/);
    const first = section(report, 'first');
    assert.match(first, /- result: success\n/);
    assert.match(first, /- steps \(FROM not counted\): 1 run, 0 CACHED/);
    assert.match(first, /\| `RUN echo "first-\$\(\(6\*7\)\)"` \| done \|/);
    const second = section(report, 'second');
    assert.match(second, /- result: \*\*FAILED\*\* \(docker exit \d+\)/);
    assert.match(second, /\*\*Error:\*\* service second: the Docker daemon stopped answering during its build/);
    assert.match(second, /`RUN echo "second-\$\(\(6\*7\)\)" && sleep 60`/);
    const third = section(report, 'third');
    assert.match(third, /- result: \*\*not built\*\*/);
    assert.match(third, /; log: none \(not started\)/);
    assert.match(third, /\*\*Error:\*\* service third was not built: the Docker daemon stopped answering during the build of second/);

    // One valid session ledger, closed with exit 1, with both errors attributed.
    const ledger = readValidLedger(join(p.dir, meta.ledger));
    assert.equal(ledger.exit_code, 1);
    assert.equal(ledger.complete, true);
    assert.deepEqual(
      ledger.errors.map((e) => [e.service, /daemon stopped answering/.test(e.message)]),
      [['second', true], ['third', true]],
    );
    assert.ok(ledger.steps.some((s) => s.service === 'first'));
  });
}
