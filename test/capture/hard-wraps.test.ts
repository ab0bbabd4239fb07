// Hard-wrapped pastes (test/fixtures/wrapped/README.md: real logs cut by `fold -w WIDTH`): the
// pieces of a pip or apt download line are joined back, and only those.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptureEvent } from '../../src/capture/events.js';
import { HardWraps } from '../../src/capture/parsers/hard-wraps.js';
import { analyzeLines, downloads, fixtureLines } from './tools-fixture.js';

function joined(lines: readonly string[]): string[] {
  const out: string[] = [];
  const wraps = new HardWraps((line) => out.push(line));
  for (const line of lines) wraps.line(line);
  wraps.end();
  return out;
}

/** The downloads, failed tries and errors (a wrapped step's name stays cut: it is no download line). */
const record = (events: CaptureEvent[]) =>
  events.filter((e) => e.type !== 'step').map((e) => JSON.stringify(e.type === 'download' ? [e.kind, e.name, e.version, e.size, e.source, e.cached, e.index] : e));

test('analyze: a hard-wrapped paste gives the downloads of the log it was cut from', () => {
  for (const [wrapped, original] of [
    ['vagrant-bionic-apache.fold80.txt', 'ci-logs/real/vagrant-bionic-apache.txt'],
    ['packer-amazon-ebs-nginx-stderr.fold120.txt', 'ci-logs/real/packer-amazon-ebs-nginx-stderr.txt'],
    ['pip10-egg-archive.fold100.txt', 'pip/real/pip10-egg-archive.txt'],
    ['buildkit-pip-apt.fold80.txt', 'docker/real/pip-apt.plain.log'],
  ] as const) {
    const expected = analyzeLines(fixtureLines(original));
    assert.ok(downloads(expected).length > 2, original);
    const found = analyzeLines(fixtureLines(`wrapped/${wrapped}`));
    // A wrapped `Collecting URL` line loses the project it names; the file is still found.
    const files = (events: CaptureEvent[]) => downloads(events).map((d) => [d.kind, d.filename, d.version, d.size, d.source]);
    assert.deepEqual(files(found), files(expected), wrapped);
    if (!wrapped.startsWith('pip10')) assert.deepEqual(record(found), record(expected), wrapped);
  }
});

test("analyze: pip 18's URLs under Heroku's `remote: `, wrapped at 80 columns, are each found whole", () => {
  const found = downloads(analyzeLines(fixtureLines('wrapped/heroku-pip18-urls-indented.fold80.txt'))).filter((d) => !d.index);
  const expected = downloads(analyzeLines(fixtureLines('ci-logs/real/heroku-pip18-urls-indented.txt'))).filter((d) => !d.index);
  assert.equal(found.length, 10);
  assert.deepEqual(found.map((d) => [d.name, d.version, d.size, d.source]), expected.map((d) => [d.name, d.version, d.size, d.source]));
});

test('HardWraps: the pieces of a line cut at the width are joined only into a whole download line', () => {
  const url = 'https://files.example.org/packages/7c/e6/92ad559b7192d846975fc916b65f667c7b8c3a32bea7372340bfe9a15fa5/';
  const line = `  Downloading ${url}certifi-2018.4.16-py2.py3-none-any.whl (150kB)`;
  const cut = (text: string, width: number) => text.match(new RegExp(`.{1,${width}}`, 'g')) ?? [];
  assert.deepEqual(joined([...cut(line, 80), 'Collecting x']), [line, 'Collecting x']);
  // Cut inside the size: the first piece names the file, the second closes the size.
  const short = `Downloading ${url.slice(0, 45)}certifi-2018.4.16-py2.py3-none-any.tar.gz (150kB)`;
  assert.equal(short.indexOf('(150kB)'), 99);
  assert.deepEqual(joined([short.slice(0, 100), short.slice(100)]), [short]);
  // Cut right before the size, the first piece is a whole line of its own (the file, no size): kept apart.
  const before = `Downloading ${url.slice(0, 47)}certifi-2018.4.16-py2.py3-none-any.tar.gz (150kB)`;
  assert.equal(before.indexOf(' (150kB)'), 100);
  assert.deepEqual(joined([before.slice(0, 100), before.slice(100)]), [before.slice(0, 100), ' (150kB)']);
  const get = 'Get:17 http://deb.example/ubuntu bionic-updates/main amd64 libnginx-mod-http-image-filter amd64 1.14.0-0ubuntu1.7 [14.6 kB]';
  assert.deepEqual(joined(cut(get, 80)), [get]);
});

test('HardWraps: nothing is joined, and no download made up, where the cut is not certain', () => {
  const pieces = (lines: string[]) => assert.deepEqual(joined(lines), lines);
  const url80 = '  Downloading https://files.example.org/packages/7c/e6/92ad559b7192d846975fc916b';
  assert.equal(url80.length, 80);
  // The next line goes on with text that makes no download line.
  pieces([url80, 'Collecting six']);
  pieces([url80, '16b65f667c7b8c3a32bea7372340bfe9a15fa5/x.whl.partial']);
  // A first piece of a width no terminal has.
  pieces([url80.slice(0, 79), '6b65f667c7b8c3a32bea73/certifi-2018.4.16-py2.py3-none-any.whl (150kB)']);
  // A line whole by itself at the width, and a line of its own after a cut one.
  const whole = `Get:1 http://deb.example/ubuntu bionic/main amd64 libxpm4 amd64 1:3.5.12-1 [34.0 kB]`;
  pieces([whole.padStart(80), 'x']);
  const get80 = 'Get:1 http://deb.example/ubuntu bionic/main amd64 fonts-dejavu-core all 2.37-1 [';
  assert.equal(get80.length, 80);
  pieces([get80, 'Get:2 http://deb.example/ubuntu bionic/main amd64 libxpm4 amd64 1:3.5.12-1 [34.0 kB]']);
  // A last piece as long as the others, and the log ends: the pieces stay apart unless whole.
  pieces([url80, url80]);
  assert.deepEqual(downloads(analyzeLines([url80, 'Collecting six'])), []);
});
