// Hostile and mangled build logs never make the pipeline throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLogParser } from '../../src/capture/parsers/log-parser.js';
import { TOOL_PARSERS } from '../../src/capture/parsers/tools.js';
import type { CaptureEvent } from '../../src/capture/events.js';
import { dockerFixtureNames, fixtureLines, newRecording, recordingTools } from '../helpers/docker-fixtures.js';

// The captured logs, and the pasted terminal displays (their shape is in no captured log).
const corpus = [...dockerFixtureNames(), 'real/tty-npm-fail.log', 'real/tty-compose-redraws.log'].flatMap((name) => fixtureLines(name));

function parseAll(lines: readonly string[]): CaptureEvent[] {
  const events: CaptureEvent[] = [];
  const parser = createLogParser({
    service: 'fuzz',
    emit: (e) => events.push(e),
    tools: [...TOOL_PARSERS, recordingTools(newRecording())],
  });
  for (const line of lines) parser.line(line);
  parser.end();
  return events;
}

const fixtureLine = fc.constantFrom(...corpus);
const mutation = fc.oneof(
  fixtureLine,
  fc.tuple(fixtureLine, fc.nat(), fc.nat()).map(([l, a, b]) => l.slice(Math.min(a, b) % (l.length + 1), Math.max(a, b) % (l.length + 1))),
  fc.tuple(fixtureLine, fc.string()).map(([l, s]) => l + s),
  fc.tuple(fc.string(), fixtureLine).map(([s, l]) => s + l),
  fc.tuple(fc.nat({ max: 999 }), fc.string()).map(([n, s]) => `#${n} ${s}`),
  fc.tuple(fc.nat({ max: 99 }), fc.double({ min: 0, max: 1000, noNaN: true }), fc.string()).map(([n, t, s]) => `#${n} ${t.toFixed(3)} ${s}`),
  fc.string().map((s) => `{"vertexes":${s}`),
  fc.jsonValue().map((v) => JSON.stringify({ vertexes: [v], logs: [v], statuses: [v] })),
  fc.string(),
  fc.constantFrom('------', ' > [1/2] RUN x:', '#1 ...', '#1 DONE', '#1 ERROR:', 'Step 1/1 : RUN x', ' ---> Using cache'),
  fc.constantFrom('[+] Building 1.0s (1/2)', '[+] Building 0.0s (0/0) FINISHED', ' => ERROR [1/2] RUN x   0.1s', ' => [2/2] RUN y', ' => => # out', 'failed to solve: x'),
);

test('random and mutated fixture lines never throw, and every event is well formed', () => {
  fc.assert(
    fc.property(fc.array(mutation, { maxLength: 60 }), (lines) => {
      for (const event of parseAll(lines)) {
        assert.ok(['download', 'network_attempt', 'error', 'step'].includes(event.type));
        assert.equal(event.service, 'fuzz');
        if (event.type === 'step') assert.ok(['done', 'cached', 'error', 'running'].includes(event.status));
      }
    }),
    { numRuns: 300 },
  );
});

test('shuffled fixture lines never throw', () => {
  fc.assert(
    fc.property(fc.shuffledSubarray(corpus, { maxLength: 200 }), (lines) => {
      parseAll(lines);
    }),
    { numRuns: 100 },
  );
});
