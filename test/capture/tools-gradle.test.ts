// The Gradle wrapper fetching its distribution (test/fixtures/gradle/real/README.md names each
// source): a file download of the distributionUrl, or a failed try when Java's exception follows;
// never a pip sdist named `gradle`, which is what its `Downloading URL` line was taken for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradleDistributionVersion } from '../../src/capture/parsers/gradle-wrapper.js';
import { analyzeLines, attempts, downloads, fixtureLines } from './tools-fixture.js';

const analyze = (name: string) => analyzeLines(fixtureLines(`gradle/real/${name}`));

test('gradleDistributionVersion: the wrapper distribution file names, nothing else', () => {
  assert.equal(gradleDistributionVersion('gradle-8.5-bin.zip'), '8.5');
  assert.equal(gradleDistributionVersion('gradle-7.4.1-all.zip'), '7.4.1');
  assert.equal(gradleDistributionVersion('gradle-8.6-rc-1-bin.zip'), '8.6-rc-1');
  for (const name of ['gradle-8.5.zip', 'gradle-plugin-1.0-bin.zip', 'gradle-8.5-src.zip', 'gradle-8.5-bin.tar.gz']) {
    assert.equal(gradleDistributionVersion(name), null, name);
  }
});

test('analyze: the wrapper with percentages is a file download of its distribution, not a pip sdist', () => {
  const events = analyze('circleci-wrapper-6.3-percent.txt');
  assert.deepEqual(
    downloads(events).map((d) => [d.tool, d.kind, d.name, d.version, d.filename, d.source]),
    [['gradle', 'file', 'gradle', '6.3', 'gradle-6.3-bin.zip', 'https://services.gradle.org/distributions/gradle-6.3-bin.zip']],
  );
  assert.deepEqual(attempts(events), []);
});

test("analyze: an older wrapper's dots alone still mean the distribution was fetched", () => {
  const events = analyze('windows-wrapper-2.2.1-dots.txt');
  assert.deepEqual(
    downloads(events).map((d) => [d.tool, d.kind, d.version, d.source]),
    [['gradle', 'file', '2.2.1', 'https://services.gradle.org/distributions/gradle-2.2.1-all.zip']],
  );
});

test('analyze: the wrapper that could not resolve its host made a failed try at the URL and downloaded nothing', () => {
  for (const [name, url, error] of [
    ['docker-legacy-unknown-host.txt', 'https://services.gradle.org/distributions/gradle-4.8.1-all.zip', 'java.net.UnknownHostException: services.gradle.org'],
    ['company-mirror-unknown-host.txt', 'http://android.oa.com/gradle/gradle-2.14.1-bin.zip', 'java.net.UnknownHostException: android.oa.com'],
  ] as const) {
    const events = analyze(name);
    assert.deepEqual(downloads(events), [], name);
    assert.deepEqual(
      attempts(events).map((a) => [a.tool, a.url_or_host, a.error]),
      [['gradle', url, error]],
      name,
    );
  }
});

test("analyze: the wrapper's step in a legacy Docker build is the step of its failed try", () => {
  const [attempt] = attempts(analyze('docker-legacy-unknown-host.txt'));
  assert.equal(attempt?.service, 'conductor-server');
  assert.match(attempt?.step ?? '', /gradlew build -x test/);
});
