// `offgrid build`, `build-analyze` and `verify SERVICE…` with the real engine (the daemon
// scripts/ci-docker.sh starts, local base images; nothing is pulled from a registry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BUSYBOX_IMAGE, DOCKER, dockerSkipReason, ensureBaseImages, run } from '../helpers/docker.js';
import { FIXTURES, readValidLedger, runCli } from '../helpers/cli.js';
import { startPypiIndex } from '../helpers/pypi-index.js';
import { BuildMetadata } from '../../src/docker/metadata.js';
import { type Project, TAG, project, section } from './engine-helpers.js';

const skip = await dockerSkipReason();
const opts = { skip: skip ?? false, timeout: 600_000 };
if (!skip) await ensureBaseImages();

const metadata = (dir: string) => BuildMetadata.parse(JSON.parse(readFileSync(join(dir, 'logs/docker_build/build_metadata.json'), 'utf8')));

// A RUN step that fetches a wheel through offgrid's PyPI mirror with busybox wget (the busybox
// image has no pip): the simple page, then the file it links. PIP_INDEX_URL reaches the step
// because it is declared with ARG.
const fetchWheel = (first: string) => `FROM ${BUSYBOX_IMAGE}
ARG PIP_INDEX_URL
RUN echo ${first}
RUN wget -Y off -q -O /tmp/page.html "\${PIP_INDEX_URL}shared-lib/" && href=$(sed -n 's/.*href="\\([^"#]*\\)[#"].*/\\1/p' /tmp/page.html | head -n 1) && wget -Y off -O /tmp/shared_lib-1.0-py3-none-any.whl "\${PIP_INDEX_URL%%/pypi/*}$href"
`;

test('two services fetching the same wheel through the proxy: one session ledger, per-service logs, the shared dependency and what is still fetched in the report', opts, async (t) => {
  const index = await startPypiIndex({ packages: [{ name: 'shared-lib', version: '1.0', padBytes: 20_000 }] });
  t.after(() => index.close());
  const token = `${process.pid}-${Date.now()}`;
  const p = project(
    t,
    {
      'compose.yaml': `services:\n  api:\n    build: ./api\n    image: ${TAG}-api\n  worker:\n    build:\n      context: ./worker\n    image: ${TAG}-worker\n  db:\n    image: postgres:16\n`,
      'api/Dockerfile': fetchWheel(`api-${token}`),
      'worker/Dockerfile': fetchWheel(`worker-${token}`),
    },
    [`${TAG}-api`, `${TAG}-worker`],
  );
  const r = await p.cli(['build', '--pypi-upstream', index.simpleUrl]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /offgrid: api: ok — built in .*2 step\(s\) run, 0 CACHED, image/);
  const meta = metadata(p.dir);
  assert.deepEqual(meta.services.map((s) => [s.name, s.result]), [['api', 'success'], ['worker', 'success']]);
  assert.ok((meta.services[0]?.image_size ?? 0) > 0);
  const ledger = readValidLedger(join(p.dir, meta.ledger));
  // The upstream saw the wheel once: the second service got it from offgrid's cache.
  assert.equal(index.requestCount('/files/'), 1);
  const wheels = ledger.downloads.wheels.filter((w) => w.name === 'shared-lib');
  assert.deepEqual(wheels.map((w) => [w.service, w.cached]), [['api', false], ['worker', true]]);
  assert.match(wheels[0]?.step ?? '', /^RUN wget -Y off/);
  assert.match(p.read('logs/docker_build/build_api.log'), new RegExp(`api-${token}`));
  assert.doesNotMatch(p.read('logs/docker_build/build_api.log'), new RegExp(`worker-${token}`));

  const report = p.read('logs/docker_build/build_report.md');
  assert.match(section(report, 'api'), /\| `RUN wget -Y off[^\n]*` \| – \| 1 fetched \(21\.\d kB\) \| – \| – \|/);
  assert.match(section(report, 'worker'), /\| `RUN wget -Y off[^\n]*` \| – \| 1 cached \(21\.\d kB\) \| – \| – \|/);
  assert.match(report, /\| wheel \| shared-lib \| api, worker \|/);
  assert.match(report, /- \*\*wheel\*\* \(1\): `shared_lib-1\.0-py3-none-any\.whl`\n  - to cache: put them in a wheelhouse/);
  // Fetched through offgrid's mirror, so in its cache: nothing went around it.
  assert.doesNotMatch(report, /not through offgrid's proxy/);
  assert.match(report, /\*\*Not proved offline-ready\.\*\*/);

  // build-analyze regenerates the same report from the files.
  const again = await p.cli(['build-analyze']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(p.read('logs/docker_build/build_report.md'), report);
});

test('a download the build log shows but the proxy never saw (wget -Y off) is named in the report as not in offgrid\'s cache, with why', opts, async (t) => {
  const body = Buffer.alloc(30_000, 7);
  const server = createServer((req, res) => (req.url === '/data-2.0.bin' ? res.writeHead(200, { 'content-length': body.length }).end(body) : res.writeHead(404).end()));
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const p = project(
    t,
    {
      'compose.yaml': `services:\n  app:\n    build: .\n    image: ${TAG}-around\n`,
      Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN echo around-${process.pid}-${Date.now()} && wget -Y off -O /tmp/data.bin http://127.0.0.1:${port}/data-2.0.bin\n`,
    },
    [`${TAG}-around`],
  );
  const r = await p.cli(['build']);
  assert.equal(r.code, 0, r.stderr);
  const ledger = readValidLedger(join(p.dir, metadata(p.dir).ledger));
  // busybox wget names the file it saved, never the URL.
  assert.deepEqual(ledger.downloads.other.map((d) => [d.filename, d.evidence, d.cached]), [['data.bin', 'log', false]]);
  const report = p.read('logs/docker_build/build_report.md');
  assert.match(report, /- \*\*file\*\* \(1\): `data\.bin`\n  - to cache: [^\n]*\n  - not through offgrid's proxy, so not in its cache either \(all: `data\.bin`\): [^\n]*`-Y off`/);
});

test('a download only the proxy saw (wget -q prints nothing) is attributed to its service and the RUN step that was running', opts, async (t) => {
  const index = await startPypiIndex({ packages: [{ name: 'quiet-lib', version: '1.0' }] });
  t.after(() => index.close());
  const p = project(
    t,
    {
      'compose.yaml': `services:\n  quiet:\n    build: .\n    image: ${TAG}-quiet\n`,
      // The sleep leaves BuildKit time to print the step before the request reaches the proxy.
      Dockerfile: `FROM ${BUSYBOX_IMAGE}\nARG PIP_INDEX_URL\nRUN echo quiet-${process.pid}-${Date.now()}\nRUN sleep 1 && wget -Y off -q -O /tmp/page.html "\${PIP_INDEX_URL}quiet-lib/"\n`,
    },
    [`${TAG}-quiet`],
  );
  const r = await p.cli(['build', '--pypi-upstream', index.simpleUrl]);
  assert.equal(r.code, 0, r.stderr);
  const ledger = readValidLedger(join(p.dir, metadata(p.dir).ledger));
  const pages = ledger.downloads.indexes.filter((page) => page.name === 'quiet-lib');
  assert.equal(pages.length, 1);
  assert.equal(pages[0]!.evidence, 'proxy');
  assert.equal(pages[0]!.service, 'quiet');
  assert.match(pages[0]!.step ?? '', /^RUN sleep 1 && wget -Y off -q -O \/tmp\/page\.html/);
});

/** Builds the project twice; each service of the second build with its steps run and CACHED. */
async function stepsOfRebuild(p: Project): Promise<[string, number, number][]> {
  const first = await p.cli(['build']);
  assert.equal(first.code, 0, first.stderr);
  const second = await p.cli(['build', '--json']);
  assert.equal(second.code, 0, second.stderr);
  const json = JSON.parse(second.stdout) as { services: { name: string; steps_run: number; steps_cached: number }[] };
  return json.services.map((s) => [s.name, s.steps_run, s.steps_cached]);
}

test('a rebuild with nothing changed is fully CACHED, and the report says so', opts, async (t) => {
  const p = project(
    t,
    {
      'offgrid.yaml': `services:\n  app:\n    build: {context: ., dockerfile: app.Dockerfile}\n    image: ${TAG}-cached\n`,
      'app.Dockerfile': `FROM ${BUSYBOX_IMAGE}\nRUN echo cached-${process.pid}-${Date.now()} > /built\nCOPY app.Dockerfile /app/\n`,
    },
    [`${TAG}-cached`],
  );
  assert.deepEqual(await stepsOfRebuild(p), [['app', 0, 2]]);
  assert.match(section(p.read('logs/docker_build/build_report.md'), 'app'), /- steps \(FROM not counted\): 0 run, 2 CACHED/);
});

test('a stage that declares ARG PIP_INDEX_URL is still fully CACHED when built again: the proxy keeps the project\'s port without --proxy-port', opts, async (t) => {
  const p = project(
    t,
    {
      'compose.yaml': `services:\n  app:\n    build: .\n    image: ${TAG}-port\n`,
      Dockerfile: `FROM ${BUSYBOX_IMAGE}\nARG PIP_INDEX_URL\nRUN echo "port-${process.pid}-${Date.now()} $PIP_INDEX_URL" > /index\n`,
    },
    [`${TAG}-port`],
  );
  assert.deepEqual(await stepsOfRebuild(p), [['app', 0, 1]]);
});

test('compose build secrets and extra hosts reach the real build: RUN --mount=type=secret reads the file, the step resolves the extra host', opts, async (t) => {
  const secret = `s3cret-${process.pid}`;
  const p = project(
    t,
    {
      'compose.yaml':
        `services:\n  app:\n    build:\n      context: .\n      secrets: [pip_conf]\n      extra_hosts: ["pypi.internal:10.9.8.7"]\n    image: ${TAG}-secrets\n` +
        'secrets:\n  pip_conf:\n    file: ./secrets/pip.conf\n',
      'secrets/pip.conf': `${secret}\n`,
      // The step prints the secret's length, never the secret; the host file shows the extra host.
      Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN --mount=type=secret,id=pip_conf echo "secret-bytes-$(wc -c < /run/secrets/pip_conf)-${Date.now()}" && grep "10.9.8.7.*pypi.internal" /etc/hosts\n`,
    },
    [`${TAG}-secrets`],
  );
  const r = await p.cli(['build']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const log = p.read('logs/docker_build/build_app.log');
  assert.match(log, new RegExp(`secret-bytes-${secret.length + 1}-`));
  assert.match(log, /10\.9\.8\.7\s+pypi\.internal/);
});

test('a build secret read from an environment variable that only the project\'s .env sets reaches RUN --mount=type=secret, as compose passes it, and is never logged', opts, async (t) => {
  // Aleph-Alpha intelligence-layer README (search-index file id 21161533729): the compose
  // snippet verbatim but for the image line, with its "(.env)" as the token's place.
  const token = `ghp-dotenv-${process.pid}`;
  const p = project(
    t,
    {
      'docker-compose.yml':
        'services:\n  service-using-intelligence-layer:\n    build:\n      context: .\n      secrets:\n        - GITHUB_TOKEN\n' +
        `    image: ${TAG}-envsecret\n\n` +
        'secrets:\n  GITHUB_TOKEN:\n    # Needs to be set in your environment (.env) under the same name.\n    environment: "GITHUB_TOKEN"\n',
      '.env': `GITHUB_TOKEN=${token}\n`,
      // The step checks the value without printing it.
      Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN --mount=type=secret,id=GITHUB_TOKEN test "$(wc -c < /run/secrets/GITHUB_TOKEN)" -eq ${token.length} && echo token-arrived-${Date.now()}\n`,
    },
    [`${TAG}-envsecret`],
  );
  const r = await p.cli(['build'], { GITHUB_TOKEN: '' });
  assert.equal(r.code, 1, 'an empty GITHUB_TOKEN in the shell wins over .env, as in compose');
  const ok = await p.cli(['build'], { GITHUB_TOKEN: undefined });
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  const log = p.read('logs/docker_build/build_service-using-intelligence-layer.log');
  assert.match(log, /token-arrived-/);
  assert.doesNotMatch(log + ok.stdout + ok.stderr + p.read(metadata(p.dir).ledger), new RegExp(token));
});

test('a service whose image another takes as a named context (service:OTHER) is built first; when it fails, the services that need it are not built, named', opts, async (t) => {
  // The service: chain of a real monorepo's docker-compose.prod.yml (test/fixtures/compose/real/rmsm-service-contexts), its base failing on purpose.
  const compose = readFileSync(join(FIXTURES, 'compose/real/rmsm-service-contexts/infra/docker/docker-compose.prod.yml'), 'utf8');
  const p = project(
    t,
    {
      'infra/docker/docker-compose.prod.yml': compose,
      'docker/base.Dockerfile': `FROM ${BUSYBOX_IMAGE}\nRUN echo base-${Date.now()} && false\n`,
      'docker/deps.Dockerfile': 'FROM rmsm/base:latest\n',
      'docker/build.Dockerfile': 'FROM rmsm/deps:latest\n',
      'apps/api/Dockerfile': 'FROM rmsm/build:latest AS production\n',
    },
    ['rmsm/base:latest'],
  );
  const r = await runCli(['build', '--compose', 'infra/docker/docker-compose.prod.yml', 'api'], { cwd: p.dir, env: { OFFGRID_CACHE_DIR: p.cache }, timeoutMs: 600_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(metadata(p.dir).services.map((s) => [s.name, s.result]), [
    ['docker-platform-base', 'failed'],
    ['docker-platform-deps', 'not-built'],
    ['docker-platform-build', 'not-built'],
    ['api', 'not-built'],
  ]);
  assert.match(r.stderr, /api: NOT BUILT — service api was not built: service docker-platform-base, whose image it takes as a named context \(build.additional_contexts\), did not build/);
});

test('compose labels and extra tags reach the image offline; a registry cache_from and pull: true are left out and named, and nothing is pulled', opts, async (t) => {
  const p = project(
    t,
    {
      'compose.yaml':
        'services:\n  app:\n    build:\n      context: .\n      labels:\n        org.example.offgrid: "yes"\n' +
        `      tags: ["${TAG}-extra"]\n      cache_from: ["type=registry,ref=registry.invalid/app:cache"]\n      pull: true\n    image: ${TAG}-labels\n`,
      Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN echo labelled-${Date.now()}\n`,
    },
    [`${TAG}-labels`, `${TAG}-extra`],
  );
  const r = await p.cli(['build', '--offline']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stderr, /service app: build\.cache_from type=registry,ref=registry\.invalid\/app:cache is not used offline/);
  assert.match(r.stderr, /service app: build\.pull is not used offline/);
  const inspect = await run(DOCKER, ['image', 'inspect', '--format', '{{index .Config.Labels "org.example.offgrid"}} {{.Id}}', `${TAG}-labels`, `${TAG}-extra`]);
  const [labelled, extra] = inspect.stdout.trim().split('\n');
  assert.equal(labelled?.split(' ')[0], 'yes');
  assert.equal(extra, labelled);
});

test('build.dockerfile_inline is built from its text, written beside the service log; the project gets no file', opts, async (t) => {
  const p = project(
    t,
    {
      'compose.yaml': `services:\n  docs:\n    build:\n      context: .\n      dockerfile_inline: |\n        FROM ${BUSYBOX_IMAGE}\n        RUN echo inline-\${MARK}\n    image: ${TAG}-inline\n`,
      '.env': `MARK=${process.pid}\n`,
    },
    [`${TAG}-inline`],
  );
  const r = await p.cli(['build', '--offline']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(p.read('logs/docker_build/build_docs.Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN echo inline-${process.pid}\n`);
  assert.match(p.read('logs/docker_build/build_docs.log'), new RegExp(`inline-${process.pid}`));
  assert.equal(existsSync(join(p.dir, 'Dockerfile')), false);
});

test('bad input: a failing service does not stop the others; a Dockerfile that does not parse and a missing base image are named; the report covers what completed', opts, async (t) => {
  const p = project(
    t,
    {
      'docker-compose.yml':
        `services:\n  good:\n    build: {context: ., dockerfile: good.Dockerfile}\n    image: ${TAG}-good\n` +
        `  broken:\n    build: {context: ., dockerfile: broken.Dockerfile}\n    image: ${TAG}-broken\n` +
        `  typo:\n    build: {context: ., dockerfile: typo.Dockerfile}\n    image: ${TAG}-typo\n` +
        `  nobase:\n    build: {context: ., dockerfile: nobase.Dockerfile}\n    image: ${TAG}-nobase\n`,
      'good.Dockerfile': `FROM ${BUSYBOX_IMAGE}\nRUN echo good\n`,
      'broken.Dockerfile': `FROM ${BUSYBOX_IMAGE}\nRUN echo about to fail-${Date.now()} && exit 3\n`,
      'typo.Dockerfile': `FROM ${BUSYBOX_IMAGE}\nRUNN echo\n`,
      'nobase.Dockerfile': `FROM offgrid-test/no-such-image:1\nRUN echo\n`,
    },
    [`${TAG}-good`],
  );
  const r = await p.cli(['build', '--offline']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /offgrid: good: ok/);
  assert.match(r.stderr, /offgrid: broken: FAILED — service broken: docker build exited 1/);
  assert.match(r.stderr, /service typo: typo.Dockerfile does not parse: line 2: unknown instruction: RUNN/);
  assert.match(r.stderr, /service nobase: base image offgrid-test\/no-such-image:1 is not on this machine and this build has no network: pull it online first/);
  const report = p.read('logs/docker_build/build_report.md');
  assert.match(report, /- services: 1 of 4 built \(broken, typo, nobase did not\)/);
  const broken = section(report, 'broken');
  assert.match(broken, /- failing step `RUN echo about to fail-\d+ && exit 3`: executor failed running/);
  assert.match(broken, /last output:\n\s+about to fail-\d+/);
  assert.ok(existsSync(join(p.dir, 'logs/docker_build/build_good.log')));
  readValidLedger(join(p.dir, metadata(p.dir).ledger));
});

test('bad input: no compose file, a service without build, and a daemon that is not running exit 2 with what to do', opts, async (t) => {
  const p = project(t, { 'compose.yaml': 'services:\n  db:\n    image: postgres:16\n  app:\n    build: .\n', Dockerfile: `FROM ${BUSYBOX_IMAGE}\n` }, []);
  const noBuild = await p.cli(['build', 'db']);
  assert.equal(noBuild.code, 2);
  assert.match(noBuild.stderr, /service db has no build: section \(it runs the image postgres:16\)/);
  const noFile = await p.cli(['build', '--compose', 'missing.yml']);
  assert.equal(noFile.code, 2);
  assert.match(noFile.stderr, /compose file missing.yml does not exist/);
  const noDaemon = await p.cli(['build'], { DOCKER_HOST: `unix://${join(p.dir, 'no-daemon.sock')}` });
  assert.equal(noDaemon.code, 2);
  assert.match(noDaemon.stderr, /offgrid: the Docker daemon is not running or not reachable \(.*\): start it/);
  // The engine is asked while the compose file is read; a broken project is still named first.
  const both = await p.cli(['build', '--compose', 'missing.yml'], { DOCKER_HOST: `unix://${join(p.dir, 'no-daemon.sock')}` });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /compose file missing.yml does not exist/);
});

test('verify: a busybox step that hides a failed download behind || true fails, named with its step and URL', opts, async (t) => {
  const p = project(
    t,
    {
      'compose.yaml': `services:\n  api:\n    build: .\n    image: ${TAG}-verify\n`,
      Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN wget -O /tmp/model.bin http://models.example.invalid/model.bin || true\n`,
    },
    [`${TAG}-verify`],
  );
  const r = await p.cli(['verify', 'api']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAIL api: built, but a step tried the network/);
  assert.match(r.stdout, /step "RUN wget -O \/tmp\/model.bin http:\/\/models.example.invalid\/model.bin \|\| true" tried models.example.invalid/);
  const meta = metadata(p.dir);
  assert.equal(meta.mode, 'verify');
  assert.equal(meta.network, 'none');
  assert.equal(readValidLedger(join(p.dir, meta.ledger)).offline, true);
  assert.match(p.read('logs/docker_build/build_report.md'), /\*\*Not offline-ready\.\*\*/);
});

test('verify: a step whose failed fetch printed nothing (2>/dev/null || true) passes, with a warning naming the step and URL', opts, async (t) => {
  const p = project(
    t,
    {
      'compose.yaml': `services:\n  api:\n    build: .\n    image: ${TAG}-quiet\n`,
      Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN wget -q -O /tmp/model.bin http://models.example.invalid/model.bin 2>/dev/null || true\n`,
    },
    [`${TAG}-quiet`],
  );
  const r = await p.cli(['verify', 'api']);
  // Nothing in the log shows the failure: verify cannot fail it, and says what it could not see.
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /PASS api/);
  assert.match(
    r.stdout,
    /warning: api: step "RUN wget -q -O \/tmp\/model.bin http:\/\/models.example.invalid\/model.bin 2>\/dev\/null \|\| true" built without network and printed no failure, yet wget fetches http:\/\/models.example.invalid\/model.bin: either that command did not run, or the step hid its failure/,
  );
  assert.match(p.read('logs/docker_build/build_report.md'), /Not seen, so not counted:\n\n- api: step "RUN wget -q/);
});

test('verify: ADD <url> fails although the build succeeds, since the builder fetches it over its own network; the same file COPY\'d from the context passes', opts, async (t) => {
  // A file server on the host's loopback: the daemon's network reaches it, --network=none or not.
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/tool-1.0.tar' ? 200 : 404, { 'content-type': 'application/octet-stream' });
    res.end(req.url === '/tool-1.0.tar' ? 'tool bytes\n' : '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tool-1.0.tar`;
  const p = project(
    t,
    {
      'compose.yaml': `services:\n  fetches:\n    build: ./fetches\n    image: ${TAG}-add-url\n  vendored:\n    build: ./vendored\n    image: ${TAG}-add-local\n`,
      'fetches/Dockerfile': `FROM ${BUSYBOX_IMAGE}\nADD ${url} /opt/tool-1.0.tar\nRUN cat /opt/tool-1.0.tar\n`,
      'vendored/Dockerfile': `FROM ${BUSYBOX_IMAGE}\nCOPY tool-1.0.tar /opt/tool-1.0.tar\nRUN cat /opt/tool-1.0.tar\n`,
      'vendored/tool-1.0.tar': 'tool bytes\n',
    },
    [`${TAG}-add-url`, `${TAG}-add-local`],
  );
  const r = await p.cli(['verify', 'fetches', 'vendored']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAIL fetches: built, but the builder fetched from the network/);
  assert.ok(r.stdout.includes(`step "ADD ${url} /opt/tool-1.0.tar" fetches ${url} over the builder's own network`), r.stdout);
  assert.match(r.stdout, /PASS vendored: built with --network=none --no-cache/);
  const meta = metadata(p.dir);
  assert.deepEqual(meta.services.map((s) => [s.name, s.result]), [['fetches', 'success'], ['vendored', 'success']]);
  const files = readValidLedger(join(p.dir, meta.ledger)).downloads.other.filter((f) => f.tool === 'docker');
  assert.deepEqual(files.map((f) => [f.source, f.filename, f.cached, f.service]), [[url, 'tool-1.0.tar', false, 'fetches']]);
  const report = p.read('logs/docker_build/build_report.md');
  assert.match(report, /\*\*Not offline-ready\.\*\*/);
  assert.match(report, /COPY it instead of fetching it in a RUN step or with ADD <url>/);

  // Built again with --network=none and the layer cache kept: the ADD step is CACHED, yet the
  // builder asked the server again, so the build is still not offline-ready.
  assert.equal((await p.cli(['build', 'fetches'])).code, 0);
  const offline = await p.cli(['build', '--offline', 'fetches']);
  assert.equal(offline.code, 0, offline.stderr);
  assert.match(offline.stdout + offline.stderr, /#(\d+) \[2\/3\] ADD [^\n]*\n(?:#\1 sha256:[0-9a-f]+\n)?#\1 CACHED/);
  const again = p.read('logs/docker_build/build_report.md');
  assert.match(again, /\*\*Not offline-ready\.\*\*/);
  assert.ok(again.includes(`fetches ${url} over the builder's own network`), again);
});
