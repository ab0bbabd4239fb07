// Logs saved by CI systems: every line carries the CI's prefix. The prefixed lines below
// follow job logs pasted in public issues (GitHub Actions raw logs and `gh run view --log`,
// GitLab runner with FF_TIMESTAMPS, Jenkins `timestamps { }`), hosts replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptureEvent } from '../../src/capture/events.js';
import { splitCiPrefix } from '../../src/capture/parsers/ci-prefix.js';
import { LineNumbers } from '../../src/capture/parsers/line-numbers.js';
import { LineSplitter } from '../../src/capture/parsers/lines.js';
import { createLogParser } from '../../src/capture/parsers/log-parser.js';
import { TOOL_PARSERS } from '../../src/capture/parsers/tools.js';
import { attempts, downloads, fixtureBytes } from './tools-fixture.js';

function analyze(text: string, service: string | null = null): CaptureEvent[] {
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  const splitter = new LineSplitter((line) => parser.line(line));
  splitter.write(Buffer.from(text));
  splitter.end();
  parser.end();
  return events;
}


test('splitCiPrefix: the prefixes of GitHub Actions, gh run view, GitLab and Jenkins', () => {
  assert.deepEqual(splitCiPrefix('2024-04-29T15:05:05.6772653Z Collecting dohq-artifactory'), {
    text: 'Collecting dohq-artifactory',
    timestamp: '2024-04-29T15:05:05.677Z',
    gitlab: false,
    continued: false,
  });
  // Nine digits (Render, `docker logs -t`) and eight (a trailing zero dropped).
  assert.equal(splitCiPrefix('2025-06-29T18:36:35.561558028Z #1 DONE 0.0s')?.text, '#1 DONE 0.0s');
  assert.equal(splitCiPrefix('2025-05-21T14:00:48.71088579Z Collecting aiohttp==3.9.3')?.timestamp, '2025-05-21T14:00:48.710Z');
  // An empty line of a GitHub log is the timestamp alone.
  assert.equal(splitCiPrefix('2025-01-06T09:50:04.2334798Z')?.text, '');
  assert.equal(
    splitCiPrefix('build (3.12)\tInstall dependencies\t2025-08-02T02:48:15.2799019Z   Downloading pip-25.2-py3-none-any.whl.metadata (4.7 kB)')?.text,
    '  Downloading pip-25.2-py3-none-any.whl.metadata (4.7 kB)',
  );
  assert.equal(splitCiPrefix('2024-05-14T11:19:20.000000Z 00O Get:1 http://example.org/debian bookworm InRelease')?.text, 'Get:1 http://example.org/debian bookworm InRelease');
  assert.deepEqual(splitCiPrefix('2026-09-11T10:00:01.000000Z 01E+npm error code ECONNREFUSED'), {
    text: 'npm error code ECONNREFUSED',
    timestamp: '2026-09-11T10:00:01.000Z',
    gitlab: true,
    continued: true,
  });
  assert.equal(splitCiPrefix('2024-05-14T11:19:20.000000Z 00O')?.text, '');
  assert.deepEqual(splitCiPrefix('[2026-10-01T20:46:04.216Z] + pip install -q -r requirements.txt'), {
    text: '+ pip install -q -r requirements.txt',
    timestamp: '2026-10-01T20:46:04.216Z',
    gitlab: false,
    continued: false,
  });
  assert.equal(splitCiPrefix('2024-05-01T12:00:00Z Saved ./x-1.0.tar.gz')?.timestamp, '2024-05-01T12:00:00.000Z');
});

test('splitCiPrefix: lines without a CI prefix stay as they are', () => {
  for (const line of [
    // pip's own --log stamp (comma, local time) is pip's to read.
    '2026-01-09T14:22:33,123 Downloading x-1.0-py3-none-any.whl (1.2 kB)',
    '2024-05-01 12:00:00 (1.2 MB/s) - ‘x.tar.gz’ saved [1234/1234]',
    '2024-05-01T12:00:00.123+02:00 something',
    '2024-05-01T12:00:00.1234567Zfoo',
    '#5 0.797 Get:1 http://example.org/debian bookworm InRelease',
    'Collecting requests',
    'a\tb\tnot a time',
    '',
    '[internal] load build definition',
  ]) {
    assert.equal(splitCiPrefix(line), null, line);
  }
});

test('analyze: a GitHub Actions log of pip (BOM, CRLF, old pip URLs) finds each download once, at the CI time', () => {
  const log =
    '\ufeff2019-07-09T13:13:17.7465309Z Collecting awscli\r\n' +
    '2019-07-09T13:13:18.8191835Z   Downloading https://example.org/packages/7f/3f/awscli-1.16.194-py2.py3-none-any.whl (1.7MB)\r\n' +
    '2019-07-09T13:13:19.5714912Z Collecting six\r\n' +
    '2019-07-09T13:13:19.6014912Z   Using cached https://example.org/packages/73/fb/six-1.12.0-py2.py3-none-any.whl\r\n' +
    '2019-07-09T13:13:20.0014912Z Installing collected packages: six, awscli\r\n' +
    '2019-07-09T13:13:21.0014912Z WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by ' +
    "'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/boto3/\r\n";
  const events = analyze(log);
  const got = downloads(events);
  assert.deepEqual(
    got.map((d) => [d.name, d.version, d.size, d.cached, d.timestamp]),
    [
      ['awscli', '1.16.194', 1_700_000, false, '2019-07-09T13:13:20.001Z'],
      ['six', '1.12.0', null, true, '2019-07-09T13:13:20.001Z'],
    ],
  );
  assert.equal(got[0]?.source, 'https://example.org/packages/7f/3f/awscli-1.16.194-py2.py3-none-any.whl');
  assert.deepEqual(
    attempts(events).map((a) => [a.url_or_host, a.timestamp]),
    // No `Looking in indexes:` line: pip's default index.
    [['https://pypi.org/simple/boto3/', '2019-07-09T13:13:21.001Z']],
  );
});

test('analyze: a BuildKit build in a GitHub Actions log keeps its steps and the apt-get downloads in them', () => {
  const log = [
    '2025-02-13T05:44:35.4327392Z #0 building with "default" instance using docker driver',
    '2025-02-13T05:44:35.4328892Z ',
    '2025-02-13T05:44:35.4329674Z #5 [2/3] RUN apt-get update && apt-get install -y curl',
    '2025-02-13T05:44:36.1000000Z #5 0.947 Get:1 http://example.org/debian bookworm InRelease [151 kB]',
    '2025-02-13T05:44:37.2000000Z #5 2.769 Get:2 http://example.org/debian bookworm/main amd64 curl amd64 7.88.1-10+deb12u5 [315 kB]',
    '2025-02-13T05:44:37.3000000Z #5 2.848 Fetched 466 kB in 0s (13.1 MB/s)',
    '2025-02-13T05:44:38.0000000Z #5 DONE 3.1s',
    '2025-02-13T05:44:38.0000001Z',
  ].join('\n');
  const events = analyze(log, 'api');
  const debs = downloads(events).filter((d) => !d.index);
  // apt's `Get:` starts a fetch, which a later `Err:` of the same item can still fail: the
  // download is known at `Fetched`, and has that line's time.
  assert.deepEqual(
    debs.map((d) => [d.name, d.version, d.size, d.step, d.timestamp]),
    [['curl', '7.88.1-10+deb12u5', 315_000, 'RUN apt-get update && apt-get install -y curl', '2025-02-13T05:44:37.300Z']],
  );
  assert.deepEqual(
    events.filter((e) => e.type === 'step').map((s) => [s.name, s.status]),
    [['RUN apt-get update && apt-get install -y curl', 'done']],
  );
});

test('analyze: `gh run view --log`, GitLab and Jenkins prefixes in front of npm, apt and curl output', () => {
  const events = analyze(
    [
      'build\tnpm ci\t2024-09-09T17:05:20.0155475Z npm http fetch GET 200 https://example.org/npm/lodash/-/lodash-4.17.21.tgz 45ms (cache miss)',
      '2024-05-14T11:19:20.000000Z 00O Err:4 http://bad.example.org/debian bookworm InRelease',
      '2024-05-14T11:19:20.000000Z 00O   Temporary failure resolving \'bad.example.org\'',
      '[2026-10-01T20:46:04.216Z] curl: (6) Could not resolve host: files.example.org',
    ].join('\n'),
  );
  assert.deepEqual(
    downloads(events).map((d) => [d.name, d.version, d.timestamp]),
    [['lodash', '4.17.21', '2024-09-09T17:05:20.015Z']],
  );
  assert.deepEqual(
    attempts(events).map((a) => [a.tool, a.url_or_host, a.timestamp]),
    [
      ['apt', 'http://bad.example.org/debian/dists/bookworm/InRelease', '2024-05-14T11:19:20.000Z'],
      ['curl', 'files.example.org', '2026-10-01T20:46:04.216Z'],
    ],
  );
});

test('analyze: the byte-order mark of a log saved on Windows does not hide its first line', () => {
  const events = analyze('\ufeffGet:1 http://example.org/debian bookworm/main amd64 curl amd64 7.88.1-10+deb12u5 [315 kB]\r\n');
  assert.deepEqual(downloads(events).map((d) => d.name), ['curl']);
});

test('analyze: a GitLab line the runner split (`00O+`) is joined before parsing', () => {
  const events = analyze(
    [
      '2024-05-14T11:19:20.000000Z 00O Get:1 http://example.org/debian bookworm/main amd64 curl amd64 7.88',
      '2024-05-14T11:19:21.000000Z 00O+.1-10+deb12u5 [315 kB]',
      '2024-05-14T11:19:22.000000Z 00O Get:2 http://example.org/debian bookworm/main amd64 libcurl4 amd64 7.88.1-10+deb12u5 [390 kB]',
    ].join('\n'),
  );
  // The log stops before apt's `Fetched`: both fetches are known to have succeeded only at its end.
  assert.deepEqual(
    downloads(events).map((d) => [d.name, d.version, d.size, d.timestamp]),
    [
      ['curl', '7.88.1-10+deb12u5', 315_000, '2024-05-14T11:19:22.000Z'],
      ['libcurl4', '7.88.1-10+deb12u5', 390_000, '2024-05-14T11:19:22.000Z'],
    ],
  );
});

test("`ERROR:` lines of GitLab's runner and docker-compose v1 are theirs, not pip's", () => {
  // The last line of a failed GitLab job, and docker-compose v1 after a failed legacy step
  // (slecache/api-console-docker#2).
  const events = analyze(
    "Step 3/3 : RUN apk add --update nodejs git\n" +
    " ---> Running in a5dc4548cda2\n" +
    "The command '/bin/sh -c apk add --update nodejs git' returned a non-zero code: 2\n" +
    "ERROR: Service 'docs' failed to build: The command '/bin/sh -c apk add --update nodejs git' returned a non-zero code: 2\n" +
    '2024-05-14T11:19:30.000000Z 01E ERROR: Job failed: exit code 1\n',
  );
  const errs = events.filter((e) => e.type === 'error' && e.tool !== 'docker');
  assert.deepEqual(errs.map((e) => (e.type === 'error' ? [e.tool, e.message] : [])), [
    ['docker-compose', "Service 'docs' failed to build: The command '/bin/sh -c apk add --update nodejs git' returned a non-zero code: 2"],
    ['gitlab-runner', 'Job failed: exit code 1'],
  ]);
});

test("Jenkins Timestamper's time-only prefix (`00:17:52.331 `, `12:34:56 `) comes off; the line keeps no CI time", () => {
  // ros-infrastructure/ros_buildfarm#123 (a classic Jenkins console), hosts replaced.
  assert.deepEqual(splitCiPrefix('00:17:52.859 --2016-01-07 01:53:52--  http://files.example.org/x.deb'), {
    text: '--2016-01-07 01:53:52--  http://files.example.org/x.deb',
    timestamp: null,
    gitlab: false,
    continued: false,
  });
  assert.equal(splitCiPrefix('12:34:56 Collecting requests')?.text, 'Collecting requests');
  assert.equal(splitCiPrefix('12:34:56')?.text, undefined);
  assert.equal(splitCiPrefix('1:34:56 x'), null);
  const events = analyze(
    '00:17:52.859 --2016-01-07 01:53:52--  http://files.example.org/pool/main/d/doxygen/doxygen_1.7.6.1-2ubuntu1_amd64.deb\n' +
    "00:17:53.026 Saving to: ‘/tmp/doxygen.deb’\n" +
    "00:17:58.100 2016-01-07 01:53:58 (1.2 MB/s) - ‘/tmp/doxygen.deb’ saved [2427266/2427266]\n",
  );
  assert.deepEqual(downloads(events).map((d) => [d.tool, d.filename, d.size, d.timestamp]), [
    ['wget', 'doxygen_1.7.6.1-2ubuntu1_amd64.deb', 2_427_266, '2016-01-07T01:53:58'],
  ]);
});

test("docker-compose v1's `ERROR: Service … failed to build` while a FROM step pulls: compose's error, and the registry it could not reach", () => {
  // zolweb/docker-php7#7, host replaced.
  const events = analyze(
    'Building web\n' +
    'Step 1/15 : FROM composer:1.9.1 AS composer\n' +
    "ERROR: Service 'web' failed to build: Get https://registry.example/v2/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)\n",
  );
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host]), [['docker-compose', 'https://registry.example/v2/']]);
  assert.deepEqual(events.filter((e) => e.type === 'error').map((e) => (e.type === 'error' ? e.tool : null)), ['docker-compose']);
});

test("moreutils' `ts` prefix (`Dec 02 07:20:29 `, its default format) comes off; the line keeps no CI time", () => {
  // `pip install … | ts`, as suggested in pypa/pip#6188 and buildkite/feedback#330.
  assert.deepEqual(splitCiPrefix('Dec 02 07:20:29 Collecting requests'), { text: 'Collecting requests', timestamp: null, gitlab: false, continued: false });
  assert.equal(splitCiPrefix('Get 02 07:20:29 x'), null);
  assert.equal(splitCiPrefix('Dec 2 07:20:29 x'), null);
  const events = analyze(
    'Dec 02 07:20:29 Collecting requests\n' +
    'Dec 02 07:20:30   Downloading requests-2.31.0-py3-none-any.whl (62 kB)\n' +
    'Dec 02 07:20:31 Installing collected packages: requests\n',
  );
  assert.deepEqual(downloads(events).map((d) => [d.name, d.size]), [['requests', 62_000]]);
});

test('splitCiPrefix: Compose names each container\'s line (v1 `web_1  | `, v2 `web-1  | `, `logs -t` with its time)', () => {
  assert.deepEqual(splitCiPrefix('api_worker_1  | wget: bad address \'h.invalid\''), { text: 'wget: bad address \'h.invalid\'', timestamp: null, gitlab: false, continued: false });
  assert.equal(splitCiPrefix('core-1        | WARNING: Retrying (Retry(total=4))')?.text, 'WARNING: Retrying (Retry(total=4))');
  assert.equal(splitCiPrefix('web-1  |')?.text, '');
  const timed = splitCiPrefix('web-1  | 2024-05-01T12:00:00.123456789Z Collecting flask');
  assert.deepEqual([timed?.text, timed?.timestamp], ['Collecting flask', '2024-05-01T12:00:00.123Z']);
  // Tables and versions that look alike keep their text.
  for (const line of ['name | version', 'v1.2.3 | fixed', 'total 12 | x', 'a-1 is | not']) assert.equal(splitCiPrefix(line), null, line);
});

test('analyze: `docker-compose up` output (captured with Compose 1.29): each container\'s wget failures are network attempts', () => {
  const events = analyze(fixtureBytes('compose-logs/docker-compose-1.29-up.txt').toString('utf8'));
  assert.deepEqual(
    attempts(events).map((a) => [a.tool, a.url_or_host]),
    [['wget', '127.0.0.1:9'], ['wget', 'no-such-host.invalid'], ['wget', '127.0.0.1:9']],
  );
});

test('analyze: `docker-compose up` output with a `container_name` (captured with Compose 1.29): its lines lose the name compose attached to, a table\'s `name | value` keeps its text', () => {
  const events = analyze(fixtureBytes('compose-logs/docker-compose-1.29-container-name.txt').toString('utf8'));
  assert.deepEqual(
    attempts(events).map((a) => [a.tool, a.url_or_host]),
    [['wget', '127.0.0.1:9'], ['wget', 'no-such-host.invalid']],
  );
  // Without an `Attaching to` line naming it, `shop-frontend | ` is text like any other.
  const unattached = analyze("shop-frontend | wget: bad address 'no-such-host.invalid'\n");
  assert.deepEqual(attempts(unattached), []);
});

test("splitCiPrefix: Buildkite's time in milliseconds before each line of a raw job log, its escape lost", () => {
  // The agent's lines as buildkite/buildkite-logs' tests hold them (`ESC _bk;t=… BEL` before each).
  assert.deepEqual(splitCiPrefix('_bk;t=1745322209921~~~ Running global environment hook'), {
    text: '~~~ Running global environment hook',
    timestamp: '2025-04-22T11:43:29.921Z',
    gitlab: false,
    continued: false,
  });
  assert.equal(splitCiPrefix('_bk;t=1745322209922$ /buildkite/agent/hooks/environment')?.text, '$ /buildkite/agent/hooks/environment');
  assert.deepEqual([splitCiPrefix('_bk;t=1745322209921')?.text, splitCiPrefix('_bk;t=1745322209921_bk;t=1745322209948x')?.timestamp], ['', '2025-04-22T11:43:29.948Z']);
  for (const line of ['_bk;t=invalidcontent', '_bk;t=12x', '__init__.py', '_bk;x=1745322209921']) assert.equal(splitCiPrefix(line), null, line);
});

/** pip's output (test/fixtures/pip/pip-install-fresh.txt) in a Buildkite job, framed by the agent's own lines. */
function buildkiteJob(mark: (ms: number) => string): string {
  const pip = fixtureBytes('pip/pip-install-fresh.txt').toString('utf8').trimEnd().split('\n');
  const lines = [
    '~~~ Running global environment hook',
    '$ /buildkite/agent/hooks/environment',
    '--- :package: Build job checkout directory',
    '~~~ Running commands',
    '$ pip install alpha chunky',
    ...pip,
    '+++ :frame_with_picture: Inline image uploaded',
    '^^^ +++',
  ];
  return lines.map((line, i) => `${mark(1745322209921 + i * 1000)}${line}\n`).join('');
}

test("analyze: a Buildkite raw job log: the time of each line is the time of its events, the agent's group headers are no tool output", () => {
  for (const [form, mark] of [
    ['with its escapes', (ms: number) => `\x1b_bk;t=${ms}\x07`],
    ['copied without them', (ms: number) => `_bk;t=${ms}`],
  ] as const) {
    const events = analyze(buildkiteJob(mark));
    assert.deepEqual(
      downloads(events).map((d) => [d.name, d.version, d.timestamp]),
      [
        // pip's downloads wait for `Installing collected packages`, the line that releases them.
        ['alpha', '2.0.1', '2025-04-22T11:43:41.921Z'],
        ['chunky', '1.0', '2025-04-22T11:43:41.921Z'],
        ['tiny-dep', '1.1.0', '2025-04-22T11:43:41.921Z'],
      ],
      form,
    );
    assert.deepEqual(events.filter((e) => e.type !== 'download'), [], form);
  }
});

test('analyze: a BuildKit build in a Buildkite job, between the agent\'s `---`/`+++`/`^^^ +++` headers, gives the steps and downloads of the build alone', () => {
  const build = fixtureBytes('docker/real/pip-apt.plain.log').toString('utf8').trimEnd().split('\n');
  const job = ['~~~ Running commands', '$ docker build --progress=plain .', '--- :docker: Build', ...build, '+++ :pytest: Tests', '^^^ +++', '--- :docker: Push'];
  const untimed = (events: CaptureEvent[]) => events.map((e) => JSON.stringify({ ...e, timestamp: null, ...(e.type === 'step' ? { started_at: null, ended_at: null, duration_ms: null } : {}) }));
  const inJob = analyze(job.map((line, i) => `\x1b_bk;t=${1745322209921 + i * 100}\x07${line}\n`).join(''));
  assert.deepEqual(untimed(inJob), untimed(analyze(`${build.join('\n')}\n`)));
  assert.ok(downloads(inJob).length > 5);
});

test('splitCiPrefix: `kubectl logs --prefix` names each pod and container (`--timestamps`: the runtime\'s time follows)', () => {
  // As kubectl printed them in kubernetes/kubernetes#123874 and a test of `--prefix --timestamps` (search-index file 65737296417).
  assert.deepEqual(splitCiPrefix('[pod/y-844fbc9777-vhl79/nginx] /docker-entrypoint.sh: Configuration complete; ready for start up'), {
    text: '/docker-entrypoint.sh: Configuration complete; ready for start up',
    timestamp: null,
    gitlab: false,
    continued: false,
  });
  // nginx's own time is the text's, not a prefix.
  assert.equal(splitCiPrefix('[pod/y-844fbc9777-vhl79/nginx] 2024/03/07 21:10:16 [notice] 1#1: nginx/1.25.4')?.text, '2024/03/07 21:10:16 [notice] 1#1: nginx/1.25.4');
  const timed = splitCiPrefix('[pod/api-0/app] 2026-09-02T01:00:00.000000000Z INFO trace-a first');
  assert.deepEqual([timed?.text, timed?.timestamp], ['INFO trace-a first', '2026-09-02T01:00:00.000Z']);
  assert.equal(splitCiPrefix('[pod/api-0/app]')?.text, '');
  // Other bracketed words, and `kubectl run`'s `pod/nginx created`, keep their text.
  for (const line of ['[pod/nginx created]', '[pod/broken', '[pod/Web/app] x', '[deployment/web/app] x', '[pod/a/b]x']) assert.equal(splitCiPrefix(line), null, line);
});

test('analyze: pip in a pod, as `kubectl logs -l app=web --prefix` prints it, is read as pip alone', () => {
  // test/fixtures/pip/pip-install-fresh.txt (pip 25 here) under the prefix kubectl puts on each line.
  const pip = fixtureBytes('pip/pip-install-fresh.txt').toString('utf8').trimEnd().split('\n');
  const events = analyze(pip.map((line) => `[pod/web-7cfd7bf68f-nk5kr/install-deps] ${line}`.trimEnd()).join('\n'));
  assert.deepEqual(
    downloads(events).map((d) => [d.name, d.version, d.size]),
    [['alpha', '2.0.1', 976], ['chunky', '1.0', 17_000], ['tiny-dep', '1.1.0', 913]],
  );
});

test('splitCiPrefix: gitlab-ci-local names each job\'s output line (`build  > `), padded to the longest job\'s name', () => {
  assert.deepEqual(splitCiPrefix('build  > #7 DONE 1.7s'), { text: '#7 DONE 1.7s', timestamp: null, gitlab: false, continued: false });
  assert.equal(splitCiPrefix('defectdojo_create_user                  > $ apk add --no-cache curl jq')?.text, '$ apk add --no-cache curl jq');
  assert.equal(splitCiPrefix('build  > ')?.text, '');
  assert.equal(splitCiPrefix('deploy >')?.text, '');
  // gitlab-ci-local's own lines, and text that only looks alike, keep their text.
  for (const line of ['build  $ docker build -t booking-service:latest .', 'build  starting shell (build)', 'a >>> b', 'x ->y', 'build  >x']) {
    assert.equal(splitCiPrefix(line), null, line);
  }
});

test('analyze: a BuildKit build run by gitlab-ci-local: steps, the apk packages and the layers pulled', () => {
  // A `gitlab-ci-local` run saved in a public repository's report (search-index file 29267573865), cut.
  const events = analyze(
    'build  starting shell (build)\n' +
      'build  $ docker build -t ${IMAGE_NAME}:${IMAGE_TAG} .\n' +
      'build  > #6 [1/5] FROM docker.io/library/golang:1.21-alpine@sha256:2414035b086e3c42b99654c8b26e6f5b1b1598080d65fd03c7f499552ff4dc94\n' +
      'build  > #6 sha256:690e87867337b8441990047e169b892933e9006bdbcbed52ab7a356945477a4d 4.09MB / 4.09MB 0.9s done\n' +
      'build  > #6 DONE 15.9s\n' +
      'build  > \n' +
      'build  > #7 [2/5] RUN apk add --no-cache curl\n' +
      'build  > #7 0.116 fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/main/aarch64/APKINDEX.tar.gz\n' +
      'build  > #7 1.265 (8/9) Installing libcurl (8.14.1-r2)\n' +
      'build  > #7 1.343 (9/9) Installing curl (8.14.1-r2)\n' +
      'build  > #7 DONE 1.7s\n' +
      'build  finished in 25 s\n',
  );
  const steps = events.flatMap((e) => (e.type === 'step' && e.status !== 'running' ? [[e.name, e.status, e.duration_seconds]] : []));
  assert.deepEqual(steps, [
    ['FROM docker.io/library/golang:1.21-alpine@sha256:2414035b086e3c42b99654c8b26e6f5b1b1598080d65fd03c7f499552ff4dc94', 'done', 15.9],
    ['RUN apk add --no-cache curl', 'done', 1.7],
  ]);
  assert.deepEqual(
    downloads(events).map((d) => [d.tool, d.name ?? d.source, d.step]),
    [
      ['docker', 'sha256:690e87867337b8441990047e169b892933e9006bdbcbed52ab7a356945477a4d', 'FROM docker.io/library/golang:1.21-alpine@sha256:2414035b086e3c42b99654c8b26e6f5b1b1598080d65fd03c7f499552ff4dc94'],
      ['apk', 'https://dl-cdn.alpinelinux.org/alpine/v3.20/main/aarch64/APKINDEX.tar.gz', 'RUN apk add --no-cache curl'],
      ['apk', 'libcurl', 'RUN apk add --no-cache curl'],
      ['apk', 'curl', 'RUN apk add --no-cache curl'],
    ],
  );
});

/** The lines `LineNumbers` passes on, in order. */
function numbered(lines: string[]): string[] {
  const out: string[] = [];
  const numbers = new LineNumbers((line) => out.push(line));
  for (const line of lines) numbers.line(line);
  numbers.end();
  return out;
}

test('LineNumbers: a log copied from GitHub\'s web view loses its line numbers once two lines follow each other', () => {
  assert.deepEqual(numbered(['Build container for action use', '14  Sending build context', '15  ', '16  Step 1/5 : FROM alpine', '20   ---> 6dbb9cc54074', 'after']), [
    'Build container for action use',
    'Sending build context',
    '',
    'Step 1/5 : FROM alpine',
    ' ---> 6dbb9cc54074',
    'after',
  ]);
  // curl's meter and other lines that start with a number keep it; so does a lone numbered line at the end.
  const meter = ['100  3620  100  3620    0     0  12345      0 --:--:-- --:--:-- --:--:-- 12345', '100  3620  100  3620    0     0  12345      0 --:--:-- --:--:-- --:--:-- 12345'];
  assert.deepEqual(numbered(meter), meter);
  assert.deepEqual(numbered(['x', '2  apples']), ['x', '2  apples']);
});

test('analyze: a legacy build copied from the GitHub Actions web view, numbered lines: its steps and apk downloads', () => {
  // https://github.com/superfly/flyctl-actions/issues/2 (the log as pasted, cut; line 18 is out of order there too)
  const events = analyze(
    "Build container for action use: '/home/runner/work/_actions/superfly/flyctl-actions/1.1/Dockerfile'.\n" +
      '14  Sending build context to Docker daemon  17.92kB\n' +
      '15  \n' +
      '16  Step 1/5 : FROM alpine\n' +
      '20   ---> 6dbb9cc54074\n' +
      '21  Step 2/5 : RUN apk add --no-cache curl\n' +
      '22   ---> Running in e976fa63b19c\n' +
      '23  fetch https://dl-cdn.alpinelinux.org/alpine/v3.13/main/x86_64/APKINDEX.tar.gz\n' +
      '29  (4/5) Installing libcurl (7.76.1-r0)\n' +
      '18  (5/5) Installing curl (7.76.1-r0)\n' +
      '33  Removing intermediate container e976fa63b19c\n' +
      '34   ---> 400b21f2b9e8\n' +
      '35  Step 3/5 : RUN curl -L https://fly.io/install.sh | FLYCTL_INSTALL=/usr/local\n',
  );
  assert.deepEqual(
    events.flatMap((e) => (e.type === 'step' && e.status !== 'running' ? [[e.name, e.status]] : [])),
    [['FROM alpine', 'done'], ['RUN apk add --no-cache curl', 'done']],
  );
  assert.deepEqual(
    downloads(events).map((d) => [d.name ?? d.source, d.version, d.step]),
    [
      ['https://dl-cdn.alpinelinux.org/alpine/v3.13/main/x86_64/APKINDEX.tar.gz', null, 'RUN apk add --no-cache curl'],
      ['libcurl', '7.76.1-r0', 'RUN apk add --no-cache curl'],
      ['curl', '7.76.1-r0', 'RUN apk add --no-cache curl'],
    ],
  );
});

test('splitCiPrefix: nektos/act names each step output line with its workflow and job (`[CI/build]   | `)', () => {
  assert.deepEqual(splitCiPrefix('[CI/Docker build (tag = short SHA)  ]   | #9 DONE 9.3s'), { text: '#9 DONE 9.3s', timestamp: null, gitlab: false, continued: false });
  assert.equal(splitCiPrefix('[CI/Docker build]   | ')?.text, '');
  assert.equal(splitCiPrefix('[CI/Docker build]   |')?.text, '');
  // act's own lines, BuildKit's display and Jenkins' times are no act output.
  for (const line of ['[CI/Docker build] ⭐ Run Main docker build both images', '[CI/Docker build]   ✅  Success - Main actions/checkout@v6 [7.854466s]', '[+] Building 577.4s (27/27) FINISHED']) {
    assert.equal(splitCiPrefix(line), null, line);
  }
  assert.equal(splitCiPrefix('[2024-05-01T12:00:00.123Z] Collecting flask')?.text, 'Collecting flask');
});

test('analyze: a BuildKit build run by nektos/act, other jobs\' lines in between: the build\'s steps, nothing made up', () => {
  // An `act` run saved in a public repository's notes (search-index file 71297947491), cut; workflow name shortened.
  const events = analyze(
    '[CI/Docker build (tag = short SHA)  ] ⭐ Run Main docker build both images\n' +
      '[CI/Docker build (tag = short SHA)  ]   | #0 building with "default" instance using docker driver\n' +
      '[CI/Docker build (tag = short SHA)  ]   | \n' +
      '[CI/Docker build (tag = short SHA)  ]   | #5 [deps 1/4] FROM docker.io/library/python:3.13-slim@sha256:bf44cdfcb76cd3b41e879bc058fc37ec5872002ccfde7fcb765e218cde0cd79c\n' +
      '[CI/Docker build (tag = short SHA)  ]   | #5 CACHED\n' +
      '[CI/Docker build (tag = short SHA)  ]   | \n' +
      '[CI/Docker build (tag = short SHA)  ]   | #9 [stage-1 2/9] RUN /usr/local/bin/python3 -m pip uninstall -y --root-user-action=ignore pip\n' +
      '[CI/Secret scan (gitleaks)          ]   | Artifact download URL: https://github.com/bypratyush/devops-assignment/actions/runs/1/artifacts/3564946595\n' +
      '[CI/Docker build (tag = short SHA)  ]   | #9 8.054 Found existing installation: pip 26.2.1\n' +
      '[CI/SAST (Bandit)                   ]   | Run started:2026-10-07 18:50:45.962195+00:00\n' +
      '[CI/Docker build (tag = short SHA)  ]   | #9 8.913   Successfully uninstalled pip-26.2.1\n' +
      '[CI/Docker build (tag = short SHA)  ]   | #9 DONE 9.3s\n',
  );
  assert.deepEqual(
    events.flatMap((e) => (e.type === 'step' && e.status !== 'running' ? [[e.name, e.status, e.duration_seconds]] : [])),
    [
      ['FROM docker.io/library/python:3.13-slim@sha256:bf44cdfcb76cd3b41e879bc058fc37ec5872002ccfde7fcb765e218cde0cd79c', 'cached', null],
      ['RUN /usr/local/bin/python3 -m pip uninstall -y --root-user-action=ignore pip', 'done', 9.3],
    ],
  );
  assert.deepEqual([downloads(events).length, attempts(events).length], [0, 0]);
});
