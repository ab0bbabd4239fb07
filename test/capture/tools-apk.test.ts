// Alpine's apk, as pasted in public issues (hosts replaced with example names).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeLines, attempts, downloads, errors } from './tools-fixture.js';

test('apk: index fetches and the packages installed from a remote repository are downloads', () => {
  const events = analyzeLines([
    'fetch https://cdn.example.org/alpine/v3.19/main/x86_64/APKINDEX.tar.gz',
    'fetch https://cdn.example.org/alpine/v3.19/community/x86_64/APKINDEX.tar.gz',
    '(1/2) Installing ca-certificates (20240226-r0)',
    '(2/2) Installing curl (8.5.0-r0)',
    'Executing busybox-1.36.1-r15.trigger',
    'OK: 12 MiB in 19 packages',
  ]);
  assert.deepEqual(downloads(events).map((d) => [d.tool, d.index, d.name, d.version, d.filename, d.source]), [
    ['apk', true, null, null, 'APKINDEX.tar.gz', 'https://cdn.example.org/alpine/v3.19/main/x86_64/APKINDEX.tar.gz'],
    ['apk', true, null, null, 'APKINDEX.tar.gz', 'https://cdn.example.org/alpine/v3.19/community/x86_64/APKINDEX.tar.gz'],
    ['apk', false, 'ca-certificates', '20240226-r0', 'ca-certificates-20240226-r0.apk', null],
    ['apk', false, 'curl', '8.5.0-r0', 'curl-8.5.0-r0.apk', null],
  ]);
  assert.equal(attempts(events).length + errors(events).length, 0);
});

test('apk: a repository it could not reach is a network attempt, and its ERROR lines are not taken for pip errors', () => {
  // gliderlabs/docker-alpine#569 (apk 2.14, BuildKit), tinkerbell/tink#213 and
  // gliderlabs/docker-alpine#264 (`WARNING: Ignoring URL`), timescale/timescaledb-docker#211
  // (`ERROR: repo` + `WARNING: Ignoring repo: No such file or directory`).
  const buildkit = analyzeLines([
    '#7 [stage-1 2/6] RUN apk --no-cache add bash',
    '#7 0.967 fetch https://cdn.example.org/alpine/v3.17/main/aarch64/APKINDEX.tar.gz',
    '#7 5.974 WARNING: Ignoring https://cdn.example.org/alpine/v3.17/main: temporary error (try again later)',
    '#7 5.975 fetch https://cdn.example.org/alpine/v3.17/community/aarch64/APKINDEX.tar.gz',
    '#7 10.98 WARNING: fetching https://cdn.example.org/alpine/v3.17/community: temporary error (try again later)',
    '#7 10.98 ERROR: unable to select packages:',
    '#7 10.98   bash (no such package):',
    '#7 10.98     required by: world[bash]',
    '#7 ERROR: process "/bin/sh -c apk --no-cache add bash" did not complete successfully: exit code: 1',
  ]);
  assert.equal(downloads(buildkit).length, 0);
  assert.deepEqual(attempts(buildkit).map((a) => [a.tool, a.url_or_host, a.error, a.step]), [
    ['apk', 'https://cdn.example.org/alpine/v3.17/main', 'temporary error (try again later)', 'RUN apk --no-cache add bash'],
    ['apk', 'https://cdn.example.org/alpine/v3.17/community', 'temporary error (try again later)', 'RUN apk --no-cache add bash'],
  ]);
  assert.deepEqual(errors(buildkit).filter((e) => e.tool !== 'docker').map((e) => [e.tool, e.message]), [['apk', 'unable to select packages: bash (no such package)']]);

  // Newer apk's words for the same failure, as pasted in public build notes.
  const newer = analyzeLines([
    'fetch https://cdn.example.org/alpine/v3.21/main/x86_64/APKINDEX.tar.gz',
    'WARNING: updating and opening https://cdn.example.org/alpine/v3.21/main: temporary error (try again later)',
    'fetch https://cdn.example.org/alpine/v3.23/main/x86_64/APKINDEX.tar.gz',
    'WARNING: updating and opening https://cdn.example.org/alpine/v3.23/main/x86_64/APKINDEX.tar.gz: TLS: unspecified error',
  ]);
  assert.equal(downloads(newer).length, 0);
  assert.deepEqual(attempts(newer).map((a) => a.error), ['temporary error (try again later)', 'TLS: unspecified error']);

  const legacy = analyzeLines([
    'Step 3/5 : RUN apk add --no-cache --update ca-certificates postgresql-client',
    ' ---> Running in c3184773ac31',
    'fetch http://cdn.example.org/alpine/v3.11/main/x86_64/APKINDEX.tar.gz',
    'WARNING: Ignoring http://cdn.example.org/alpine/v3.11/main/x86_64/APKINDEX.tar.gz: temporary error (try again later)',
    'fetch http://cdn.example.org/alpine/v3.16/community/x86_64/APKINDEX.tar.gz',
    'ERROR: http://cdn.example.org/alpine/v3.16/community: temporary error (try again later)',
    'WARNING: Ignoring http://cdn.example.org/alpine/v3.16/community: No such file or directory',
    'WARNING: Ignoring APKINDEX.ca2fea5b.tar.gz: No such file or directory',
    'ERROR: curl-8.5.0-r0: temporary error (try again later)',
    'ERROR: unsatisfiable constraints:',
    '  ca-certificates (missing):',
    "The command '/bin/sh -c apk add --no-cache --update ca-certificates postgresql-client' returned a non-zero code: 1",
  ]);
  assert.equal(downloads(legacy).length, 0);
  assert.deepEqual(attempts(legacy).map((a) => [a.url_or_host, a.error]), [
    ['http://cdn.example.org/alpine/v3.11/main/x86_64/APKINDEX.tar.gz', 'temporary error (try again later)'],
    ['http://cdn.example.org/alpine/v3.16/community', 'temporary error (try again later)'],
    ['http://cdn.example.org', 'temporary error (try again later)'],
  ]);
  assert.deepEqual(errors(legacy).filter((e) => e.tool !== 'docker').map((e) => [e.tool, e.message]), [['apk', 'unsatisfiable constraints: ca-certificates (missing)']]);
});

test('apk: the solver\'s error names the packages it could not select, from the lines indented under it', () => {
  // google/mtail#761 (Alpine 3.18, repositories unreachable) and LiskArchive/lisk-service#1662
  // (Alpine 3.17, a version pin the repository no longer satisfies); hosts replaced.
  const unreachable = analyzeLines([
    'WARNING: updating and opening https://alpine.example/alpine/v3.18/main: temporary error (try again later)',
    'WARNING: updating and opening https://alpine.example/alpine/v3.18/community: temporary error (try again later)',
    'ERROR: unable to select packages:',
    '  git (no such package):',
    '    required by: world[git]',
    '  make (no such package):',
    '    required by: world[make]',
    "The command '/bin/sh -c apk add --update git make' returned a non-zero code: 2",
  ]);
  assert.deepEqual(errors(unreachable).filter((e) => e.tool === 'apk').map((e) => e.message), [
    'unable to select packages: git (no such package); make (no such package)',
  ]);
  assert.equal(attempts(unreachable).length, 2);
  const pinned = analyzeLines([
    'Step 8/15 : RUN apk add --no-cache curl=~8.0 &&     adduser -D lisk',
    ' ---> Running in b3149ec2004c',
    'fetch https://alpine.example/alpine/v3.17/main/x86_64/APKINDEX.tar.gz',
    'fetch https://alpine.example/alpine/v3.17/community/x86_64/APKINDEX.tar.gz',
    'ERROR: unable to select packages:',
    '  curl-8.1.1-r0:',
    '    breaks: world[curl~8.0]',
    "The command '/bin/sh -c apk add --no-cache curl=~8.0 &&     adduser -D lisk' returned a non-zero code: 1",
  ]);
  assert.deepEqual(errors(pinned).filter((e) => e.tool === 'apk').map((e) => [e.message, e.step]), [
    ['unable to select packages: curl-8.1.1-r0: breaks: world[curl~8.0]', 'RUN apk add --no-cache curl=~8.0 &&     adduser -D lisk'],
  ]);
  assert.equal(downloads(pinned).filter((d) => d.index).length, 2);
});

test('apk: packages installed in a step that fetched no index (it came from `apk update` a step earlier, or was there already) are downloads too', () => {
  // `apk add openssh-client` in a running alpine container, from Apple's `container` docs
  // (found by exact-string search, which gave no repository path). Before: nothing recorded.
  const container = analyzeLines([
    '/ # apk add openssh-client',
    '(1/6) Installing openssh-keygen (10.0_p1-r7)',
    '(2/6) Installing ncurses-terminfo-base (6.5_p20250503-r0)',
    '(3/6) Installing libncursesw (6.5_p20250503-r0)',
    '(4/6) Installing libedit (20250104.3.1-r1)',
    '(5/6) Installing openssh-client-common (10.0_p1-r7)',
    '(6/6) Installing openssh-client-default (10.0_p1-r7)',
    'Executing busybox-1.37.0-r18.trigger',
    'OK: 12 MiB in 22 packages',
  ]);
  assert.deepEqual(downloads(container).map((d) => [d.name, d.version, d.cached]), [
    ['openssh-keygen', '10.0_p1-r7', false],
    ['ncurses-terminfo-base', '6.5_p20250503-r0', false],
    ['libncursesw', '6.5_p20250503-r0', false],
    ['libedit', '20250104.3.1-r1', false],
    ['openssh-client-common', '10.0_p1-r7', false],
    ['openssh-client-default', '10.0_p1-r7', false],
  ]);
  // A BuildKit build's `RUN apk update` then `RUN apk add git` (lines of a real BuildKit log, split in two steps).
  const steps = analyzeLines([
    '#5 [2/3] RUN apk update',
    '#5 0.227 fetch https://cdn.example.org/alpine/v3.21/main/x86_64/APKINDEX.tar.gz',
    '#5 0.901 OK: 25386 distinct packages available',
    '#5 DONE 1.0s',
    '#6 [3/3] RUN apk add git',
    '#6 1.239 (1/2) Installing brotli-libs (1.1.0-r2)',
    '#6 1.735 (2/2) Installing git (2.47.2-r0)',
    '#6 2.402 OK: 21 MiB in 29 packages',
    '#6 DONE 2.6s',
  ]);
  assert.deepEqual(downloads(steps).map((d) => [d.step, d.index, d.filename]), [
    ['RUN apk update', true, 'APKINDEX.tar.gz'],
    ['RUN apk add git', false, 'brotli-libs-1.1.0-r2.apk'],
    ['RUN apk add git', false, 'git-2.47.2-r0.apk'],
  ]);
  // Another tool's counter with a version that is no apk version (`-rN`) is not apk's.
  assert.deepEqual(downloads(analyzeLines(['(1/3) Installing widgets (1.2.0)'])), []);
});

test('apk: a fetch line a terminal cut (`…/v3.8/main/x`) is no index download', () => {
  // ish-app/ish#123, as pasted from a 54-column terminal (host replaced). Before: index
  // downloads of `…/alpine/v3.8/main/x` and `…/v3.8/commun`.
  const events = analyzeLines([
    'fetch http://cdn.example.org/alpine/v3.8/main/x',
    '86/APKINDEX.tar.gz                                    ',
    'ERROR: http://cdn.example.org/alpine/v3.8/main:',
    ' temporary error (try again later)                    ',
    'fetch http://cdn.example.org/alpine/v3.8/commun',
    'ity/x86/APKINDEX.tar.gz                               ',
  ]);
  assert.deepEqual(downloads(events), []);
});
