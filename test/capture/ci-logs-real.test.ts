// Logs saved by Heroku, `pack build`, Vagrant, Packer, Google Cloud Build, TeamCity and a bracketed build clock,
// as people pasted them (test/fixtures/ci-logs/real/README.md names each source): every line under
// its system's prefix, the tool output after it read as if it stood alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptureEvent, DownloadEvent } from '../../src/capture/events.js';
import { splitCiPrefix } from '../../src/capture/parsers/ci-prefix.js';
import { MachinePrefix } from '../../src/capture/parsers/machine-prefix.js';
import { BuildpackIndent } from '../../src/capture/parsers/buildpack-indent.js';
import { analyzeLines, attempts, downloads, fixtureLines } from './tools-fixture.js';

const analyze = (name: string): CaptureEvent[] => analyzeLines(fixtureLines(`ci-logs/real/${name}`));
const artifacts = (events: CaptureEvent[]): DownloadEvent[] => downloads(events).filter((d) => !d.index);
const indexes = (events: CaptureEvent[]): DownloadEvent[] => downloads(events).filter((d) => d.index);
const finishedSteps = (events: CaptureEvent[]): [string, string][] =>
  events.flatMap((e) => (e.type === 'step' && e.status !== 'running' ? [[e.name, e.status] as [string, string]] : []));

test("splitCiPrefix: Heroku's `remote: ` comes off", () => {
  assert.equal(splitCiPrefix('remote:        Collecting bottle==0.12.9')?.text, '       Collecting bottle==0.12.9');
  assert.equal(splitCiPrefix('remote: -----> Installing requirements with pip')?.text, '-----> Installing requirements with pip');
  assert.equal(splitCiPrefix('remote:')?.text, '');
  assert.equal(splitCiPrefix('remote:x'), null);
});

test('splitCiPrefix: Cloud Build names each step output line, with or without the step id', () => {
  assert.equal(splitCiPrefix('Step #0: Step 1/6 : FROM node:16-bookworm-slim')?.text, 'Step 1/6 : FROM node:16-bookworm-slim');
  assert.equal(splitCiPrefix('Step #1 - "Init": Using default tag: latest')?.text, 'Using default tag: latest');
  assert.equal(splitCiPrefix('Step #0:')?.text, '');
  // The legacy builder's own steps and Cloud Build's `Starting Step` lines are no prefix.
  for (const line of ['Step 1/3 : FROM alpine', 'Step #x: y', 'Starting Step #0 - "build"']) assert.equal(splitCiPrefix(line), null, line);
});

test("splitCiPrefix: a bracketed clock and TeamCity's time, level and enclosing block come off; no time is taken", () => {
  assert.deepEqual(splitCiPrefix('[00:01:01] Get:1 http://security.example/ubuntu disco-security InRelease [97.5 kB]'), {
    text: 'Get:1 http://security.example/ubuntu disco-security InRelease [97.5 kB]',
    timestamp: null,
    gitlab: false,
    continued: false,
  });
  assert.equal(splitCiPrefix('[17:40:46] :\t [Step 1/2] Step 1/4 : FROM nginx:alpine')?.text, 'Step 1/4 : FROM nginx:alpine');
  assert.equal(splitCiPrefix('[17:40:46] : Build preparation done')?.text, 'Build preparation done');
  assert.equal(splitCiPrefix('[17:40:37] :\t\t [VCS Root details] "https://github.com/x.git" {id=4}')?.text, '"https://github.com/x.git" {id=4}');
  assert.equal(splitCiPrefix('[17:40:46] :\t [Step 1/2]')?.text, '');
  for (const line of ['[+] Building 1.0s (8/14)', '[12:00] x', '[17:40:46]x']) assert.equal(splitCiPrefix(line), null, line);
});

test("splitCiPrefix: `pack build`'s lifecycle phases come off; other bracketed words stay", () => {
  assert.equal(splitCiPrefix('[builder]        Get:1 http://ports.example/ubuntu-ports jammy InRelease [270 kB]')?.text, '       Get:1 http://ports.example/ubuntu-ports jammy InRelease [270 kB]');
  assert.equal(splitCiPrefix('[detector] paketo-buildpacks/apt   0.1.0')?.text, 'paketo-buildpacks/apt   0.1.0');
  for (const line of ['[internal] load build definition from Dockerfile', '[build] x', '[builder]x']) assert.equal(splitCiPrefix(line), null, line);
});

test("BuildpackIndent: a buildpack's seven-blank indent comes off once a `-----> ` header was seen; pip's own nesting stays", () => {
  const indent = new BuildpackIndent();
  assert.equal(indent.strip('       Get:1 http://deb.example trusty Release.gpg [933 B]'), '       Get:1 http://deb.example trusty Release.gpg [933 B]');
  assert.equal(indent.strip('-----> Updating apt caches'), '-----> Updating apt caches');
  assert.equal(indent.strip('       Get:1 http://deb.example trusty Release.gpg [933 B]'), 'Get:1 http://deb.example trusty Release.gpg [933 B]');
  assert.equal(indent.strip('         Downloading bottle-0.12.9.tar.gz (69 kB)'), '  Downloading bottle-0.12.9.tar.gz (69 kB)');
  assert.equal(indent.strip('      six spaces'), '      six spaces');
});

test('MachinePrefix: the indented name comes off only once an `==> NAME: ` line gave it', () => {
  const machines = new MachinePrefix();
  // Before any `==>` line, an indented `name: value` is the tool's own (pip's nested ERROR, YAML).
  assert.equal(machines.strip('    ERROR: Command errored out with exit status 1'), '    ERROR: Command errored out with exit status 1');
  assert.equal(machines.strip('    default: Get:1 http://deb.example/ubuntu bionic InRelease'), '    default: Get:1 http://deb.example/ubuntu bionic InRelease');
  assert.equal(machines.strip('==> default: Running provisioner: shell...'), 'Running provisioner: shell...');
  assert.equal(machines.strip('    default: Get:1 http://deb.example/ubuntu bionic InRelease'), 'Get:1 http://deb.example/ubuntu bionic InRelease');
  assert.equal(machines.strip('    default:   apache2-bin apache2-data'), '  apache2-bin apache2-data');
  assert.equal(machines.strip('    default:'), '');
  assert.equal(machines.strip('    ERROR: Command errored out'), '    ERROR: Command errored out');
  // Packer's closing lines name no build; makepkg's and Homebrew's `==>` lines name none either.
  for (const line of ['==> Builds finished. The artifacts of successful builds are:', '==> ERROR: Failure while downloading x', '==> Downloading https://ghcr.io/v2/homebrew/core/wget/manifests/1.24.5']) {
    assert.equal(machines.strip(line), line);
  }
});

test('analyze: `git push heroku` with pip 21 finds every package the buildpack downloaded', () => {
  const events = analyze('heroku-pip21.txt');
  assert.deepEqual(
    artifacts(events).map((d) => [d.name, d.version, d.kind, d.cached]),
    [
      ['bottle', '0.12.9', 'sdist', false],
      ['certifi', '2017.4.17', 'wheel', false],
      ['chardet', '3.0.3', 'wheel', false],
      ['idna', '2.5', 'wheel', false],
      ['oauthlib', '2.0.2', 'sdist', false],
      ['requests', '2.17.3', 'wheel', false],
      ['requests-oauthlib', '0.8.0', 'wheel', false],
      ['urllib3', '1.21.1', 'wheel', false],
    ],
  );
});

test('analyze: `git push heroku` with pip 18, pasted as a Markdown code block: each URL it printed; the requirement it could not find is no download', () => {
  const events = analyze('heroku-pip18-urls-indented.txt');
  const found = artifacts(events);
  assert.equal(found.length, 10);
  assert.equal(found[0]?.source, 'https://files.pythonhosted.org/packages/7c/e6/92ad559b7192d846975fc916b65f667c7b8c3a32bea7372340bfe9a15fa5/certifi-2018.4.16-py2.py3-none-any.whl');
  assert.ok(!found.some((d) => d.name === 'pkg-resources'));
});

test("analyze: Heroku's apt buildpack: the index files of its `apt-get update` and the .deb it fetched", () => {
  const events = analyze('heroku-apt-trusty.txt');
  assert.equal(indexes(events).filter((d) => !d.cached).length, 14);
  assert.deepEqual(
    artifacts(events).map((d) => [d.name, d.version, d.source]),
    [['libsasl2-dev', '2.1.25.dfsg1-17build1', 'http://deb.example/ubuntu/']],
  );
});

test("analyze: `pack build` with Paketo's apt buildpack: the lifecycle's `[builder] ` and the buildpack's indent come off", () => {
  const events = analyze('pack-paketo-apt.txt');
  assert.equal(indexes(events).filter((d) => !d.cached).length, 12);
  assert.deepEqual(
    artifacts(events).filter((d) => d.kind === 'apt').map((d) => [d.name, d.version]),
    [
      ['libmd0', '1.0.4-1build1'],
      ['libbsd0', '0.11.5-1'],
      ['libedit2', '3.1-20210910-1build1'],
      ['mysql-client-core-8.0', '8.0.44-0ubuntu0.22.04.2'],
      ['mysql-common', '5.8+1.0.8'],
      ['mysql-client-8.0', '8.0.44-0ubuntu0.22.04.2'],
      ['mysql-client', '8.0.44-0ubuntu0.22.04.2'],
    ],
  );
});

test('analyze: `pack build` with a Python buildpack: the wheels pip downloaded under `[builder] `', () => {
  const events = analyze('pack-python-pip.txt');
  assert.deepEqual(
    artifacts(events).map((d) => [d.name, d.version]),
    [
      ['click', '7.1.2'],
      ['h11', '0.10.0'],
      ['starlette', '0.13.8'],
      ['uvicorn', '0.12.1'],
      ['typing-extensions', '3.7.4.3'],
    ],
  );
});

test("analyze: a buildpack's log without `remote: ` (Scalingo): its indent comes off after the first header; apt took both .debs from its cache", () => {
  const events = analyze('scalingo-apt-cached.txt');
  assert.deepEqual(
    artifacts(events).map((d) => [d.name, d.cached]),
    [
      ['libpoppler44', true],
      ['poppler-utils', true],
    ],
  );
});

test("analyze: Vagrant's provisioner output (`    default: `) gives apt's index files and packages", () => {
  const events = analyze('vagrant-bionic-apache.txt');
  assert.deepEqual(
    indexes(events).map((d) => [d.source, d.cached]),
    [
      ['http://deb.example/ubuntu/dists/bionic/InRelease', true],
      ['http://deb.example/ubuntu/dists/bionic-updates/InRelease', false],
      ['http://security.example/ubuntu/dists/bionic-security/InRelease', false],
      ['http://deb.example/ubuntu/dists/bionic-backports/InRelease', false],
    ],
  );
  const packages = artifacts(events);
  assert.equal(packages.length, 10);
  assert.deepEqual([packages[0]?.name, packages[0]?.version, packages[9]?.name], ['libapr1', '1.6.3-2', 'ssl-cert']);
});

test('analyze: an older Vagrant printing the provisioner output under `==> default: ` too', () => {
  const events = analyze('vagrant-old-trusty-chefdk.txt');
  assert.equal(indexes(events).filter((d) => !d.cached).length, 5);
});

test("analyze: Packer's provisioner output, stdout under `    amazon-ebs: `, stderr under `==> amazon-ebs: `", () => {
  const update = analyze('packer-amazon-ebs-update.txt');
  assert.equal(indexes(update).filter((d) => !d.cached).length, 23);
  assert.equal(artifacts(update).length, 0);
  const install = analyze('packer-amazon-ebs-nginx-stderr.txt');
  const packages = artifacts(install);
  assert.equal(packages.length, 18);
  assert.deepEqual([packages[0]?.name, packages[17]?.name, packages[17]?.version], ['libjpeg-turbo8', 'nginx', '1.14.0-0ubuntu1.7']);
  assert.equal(attempts(install).length, 0);
});

test("analyze: Packer's docker builder: apk's indexes and packages and pip's wheel in the provisioner's output", () => {
  const events = analyze('packer-docker-apk-pip.txt');
  assert.equal(indexes(events).length, 4);
  assert.deepEqual(
    artifacts(events).map((d) => [d.name, d.version, d.tool]),
    [
      ['libcrypto1.0', '1.0.2r-r0', 'apk'],
      ['libgcc', '6.3.0-r4', 'apk'],
      ['http-parser', '2.7.1-r1', 'apk'],
      ['libssl1.0', '1.0.2r-r0', 'apk'],
      ['libstdc++', '6.3.0-r4', 'apk'],
      ['libuv', '1.11.0-r1', 'apk'],
      ['nodejs-current', '7.10.1-r1', 'apk'],
      ['nodejs-npm', '6.10.3-r2', 'apk'],
      ['pip', '19.0.3', 'pip'],
    ],
  );
});

test("analyze: Vagrant's output indented as a literal block: the indent and the machine's name come off, pip's cached wheel is read", () => {
  const events = analyze('vagrant-rst-indented-pip.txt');
  assert.deepEqual(
    downloads(events).map((d) => [d.name, d.cached]),
    [['ecdsa', true]],
  );
});

test('analyze: a legacy `docker build` in Cloud Build: its steps and the base image layers it pulled', () => {
  const events = analyze('cloudbuild-node-npm.txt');
  assert.deepEqual(finishedSteps(events), [
    ['FROM node:16-bookworm-slim', 'done'],
    ['WORKDIR /usr/src/app', 'done'],
    ['COPY package.json ./', 'done'],
    ['RUN npm install --only=production', 'done'],
    ['COPY . .', 'done'],
    ['CMD [ "npm", "start" ]', 'done'],
  ]);
  assert.deepEqual(
    artifacts(events).map((d) => [d.name, d.step]),
    ['360eba32fa65', '24f632c8bcc8', '075fefbc2ffb', 'd694c153631f', '45bad16176ca'].map((layer) => [layer, 'FROM node:16-bookworm-slim']),
  );
});

test('analyze: a legacy `docker build` in a TeamCity build step: its steps, and no download for an image already there', () => {
  const events = analyze('teamcity-docker-legacy.txt');
  assert.deepEqual(finishedSteps(events), [
    ['FROM nginx:alpine', 'done'],
    ['COPY default.conf /etc/nginx/conf.d/', 'done'],
    ['COPY index.html /usr/share/nginx/html/', 'done'],
    ['CMD ["nginx", "-g", "daemon off;"]', 'done'],
  ]);
  assert.equal(downloads(events).length, 0);
});

test('analyze: a Docker build under a bracketed elapsed clock: the RUN step and the apt downloads in it', () => {
  const events = analyze('travis-rust-elapsed.txt');
  const step = 'RUN apt-get update && apt-get install -y --no-install-recommends   g++   make   file   curl   ca-certificates   python2.7   git   cmake   sudo   gdb   xz-utils';
  const packages = artifacts(events);
  assert.deepEqual(
    packages.map((d) => d.name),
    ['perl-modules-5.28', 'libgdbm6', 'libgdbm-compat4', 'libperl5.28', 'perl', 'git', 'libpython2.7-stdlib', 'make', 'python2.7'],
  );
  assert.ok(packages.every((d) => d.step === step));
  assert.equal(indexes(events).length, 13);
});
