// `ADD <url>`: the builder fetches the source itself, so the step's name is the only record
// of the download. Captured from the real engine under --network=none
// (test/fixtures/docker/add-url.*.log), which the fetch goes through regardless.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DownloadEvent } from '../../src/capture/events.js';
import { remoteAddSources, remoteSourceFilename } from '../../src/capture/parsers/docker-add.js';
import { record, fixtureLines } from '../helpers/docker-fixtures.js';

const URL = 'http://127.0.0.1:18765/payload.tar.gz';

for (const name of ['add-url.plain.log', 'add-url.rawjson.log', 'add-url.legacy.log']) {
  test(`ADD <url> in ${name}: one download by the builder, attributed to the ADD step, not cached`, () => {
    const recording = record(fixtureLines(name));
    const downloads = recording.events.filter((e): e is DownloadEvent => e.type === 'download');
    assert.deepEqual(
      downloads.map((d) => [d.tool, d.kind, d.source, d.filename, d.cached, d.step]),
      [['docker', 'file', URL, 'payload.tar.gz', false, `ADD ${URL} /tmp/payload.tar.gz`]],
    );
  });
}

test('a cached ADD step is a cached download; a failed one is no download', () => {
  const lines = fixtureLines('add-url.plain.log');
  const header = lines.findIndex((l) => l.startsWith('#6 [2/3] ADD '));
  const cached = lines.map((l, i) => (i > header && l === '#6 DONE 0.0s' ? '#6 CACHED' : l));
  const downloads = record(cached).events.filter((e): e is DownloadEvent => e.type === 'download');
  assert.deepEqual(downloads.map((d) => [d.source, d.cached]), [[URL, true]]);
  const failed = lines.map((l, i) => (i > header && l === '#6 DONE 0.0s' ? '#6 ERROR: invalid response status 404' : l));
  assert.equal(record(failed).events.filter((e) => e.type === 'download').length, 0);
});

test('remoteAddSources: URLs and git repositories among an ADD step\'s sources, in shell and JSON form, after flags', () => {
  assert.deepEqual(remoteAddSources('ADD https://example.org/a.tar.gz /opt/'), ['https://example.org/a.tar.gz']);
  assert.deepEqual(remoteAddSources('ADD --chown=1000:1000 --checksum=sha256:abc https://example.org/a.tar.gz /opt/a'), ['https://example.org/a.tar.gz']);
  assert.deepEqual(remoteAddSources('ADD ["https://example.org/x y.bin", "/opt/"]'), ['https://example.org/x y.bin']);
  assert.deepEqual(remoteAddSources('ADD local.tar.gz https://example.org/b.txt /srv/'), ['https://example.org/b.txt']);
  assert.deepEqual(remoteAddSources('ADD --keep-git-dir=true https://github.com/moby/buildkit.git#v0.10.1 /buildkit'), ['https://github.com/moby/buildkit.git#v0.10.1']);
  assert.deepEqual(remoteAddSources('ADD git@github.com:moby/buildkit.git /bk'), ['git@github.com:moby/buildkit.git']);
  // Local sources, a URL as the destination, other instructions, ARGs the legacy builder leaves unexpanded.
  assert.deepEqual(remoteAddSources('ADD app.tar.gz /srv/'), []);
  assert.deepEqual(remoteAddSources('ADD https://example.org/only-one-word'), []);
  assert.deepEqual(remoteAddSources('COPY https://example.org/a /a'), []);
  assert.deepEqual(remoteAddSources('RUN curl -O https://example.org/a'), []);
  assert.deepEqual(remoteAddSources('ADD $FILE_URL /tmp/f'), []);
});

test('remoteSourceFilename: the last path segment, without query or fragment', () => {
  assert.equal(remoteSourceFilename('https://example.org/dl/pandoc-3.1.deb?token=x#frag'), 'pandoc-3.1.deb');
  assert.equal(remoteSourceFilename('https://github.com/moby/buildkit.git#v0.10.1'), 'buildkit.git');
  assert.equal(remoteSourceFilename('git@github.com:moby/buildkit.git'), 'buildkit.git');
  assert.equal(remoteSourceFilename('https://example.org/'), 'example.org');
});
