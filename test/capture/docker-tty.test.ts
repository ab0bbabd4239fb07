// BuildKit's terminal display (docker-tty.ts), on screens shaped as Docker prints them; the
// whole pasted log is in test/capture/docker-real.test.ts (tty-npm-fail.log).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptureEvent, DownloadEvent, StepEvent } from '../../src/capture/events.js';
import { createLogParser } from '../../src/capture/parsers/log-parser.js';
import { TOOL_PARSERS } from '../../src/capture/parsers/tools.js';

function parse(lines: readonly string[]): CaptureEvent[] {
  const events: CaptureEvent[] = [];
  const parser = createLogParser({ service: null, emit: (e) => events.push(e), tools: TOOL_PARSERS });
  for (const line of lines) parser.line(line);
  parser.end();
  return events;
}
const steps = (events: CaptureEvent[]) => events.filter((e): e is StepEvent => e.type === 'step').map((s) => [s.name, s.status, s.duration_seconds]);
const row = (name: string, time: string) => ` => ${name}`.padEnd(70) + ` ${time}`;

test('a scrollback of redraws counts the last screen once; a later build after other text counts again', () => {
  const events = parse([
    '[+] Building 1.2s (2/4)',
    row('[internal] load build definition from Dockerfile', '0.0s'),
    row('[1/2] FROM docker.io/library/alpine:3.19', '1.1s'),
    '[+] Building 4.0s (4/4) FINISHED',
    row('[internal] load build definition from Dockerfile', '0.0s'),
    row('[1/2] FROM docker.io/library/alpine:3.19', '1.3s'),
    row('[2/2] ADD https://example.org/tool.tgz /opt/', '2.5s'),
    row('exporting to image', '0.1s'),
    '$ docker build -t again .',
    '[+] Building 0.2s (4/4) FINISHED',
    row('CACHED [2/2] ADD https://example.org/tool.tgz /opt/', '0.0s'),
  ]);
  assert.deepEqual(steps(events), [
    ['[internal] load build definition from Dockerfile', 'done', 0],
    ['FROM docker.io/library/alpine:3.19', 'done', 1.3],
    ['ADD https://example.org/tool.tgz /opt/', 'done', 2.5],
    ['exporting to image', 'done', 0.1],
    ['ADD https://example.org/tool.tgz /opt/', 'cached', 0],
  ]);
  // The ADD source is the builder's download, as in a plain log.
  const adds = events.filter((e): e is DownloadEvent => e.type === 'download' && e.source === 'https://example.org/tool.tgz');
  assert.deepEqual(adds.map((d) => d.cached), [false, true]);
});

test('a running step\'s output lines (=> => #) are its output; a failed step without a summary still ends, as an error', () => {
  const events = parse([
    '[+] Building 12.3s (5/6)',
    row('[2/3] RUN pip install requests', '12.1s'),
    ' => => # Collecting requests',
    " => => # WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/requests/",
    row('ERROR [3/3] RUN apt-get update', '0.4s'),
  ]);
  assert.deepEqual(steps(events), [
    ['RUN pip install requests', 'done', 12.1],
    ['RUN apt-get update', 'error', 0.4],
  ]);
  const attempt = events.find((e) => e.type === 'network_attempt');
  assert.equal(attempt?.type === 'network_attempt' ? attempt.step : null, 'RUN pip install requests');
});

test('lines that only look like the display are left to the other parsers', () => {
  const events = parse(['  => not a step', 'x => y 1.0s', ' ---> Running in 73f8224ad939']);
  assert.deepEqual(steps(events), []);
});
