import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combineToolParsers, type ToolParserFactory } from '../../src/capture/parsers/tool-parser.js';
import { TOOL_PARSERS } from '../../src/capture/parsers/tools.js';
import { fixtureFiles, fixtureLines } from './tools-fixture.js';

function recorder(seen: string[], name: string, firstChars?: string): ToolParserFactory {
  const factory = () => ({ line: (text: string) => void seen.push(`${name}:${text}`), end: () => void seen.push(`${name}:end`) });
  return firstChars === undefined ? factory : Object.assign(factory, { firstChars });
}

test('combineToolParsers: a line reaches the parsers that read every line and those whose first characters admit it', () => {
  const seen: string[] = [];
  const all = combineToolParsers([recorder(seen, 'all'), recorder(seen, 'n', 'n'), recorder(seen, 'ab', 'ab')], () => {}, { service: null, step: null });
  for (const line of ['npm http fetch', 'a', 'b', 'zzz', '', '× not ascii']) all.line(line);
  all.end();
  assert.deepEqual(seen, [
    'all:npm http fetch', 'n:npm http fetch',
    'all:a', 'ab:a',
    'all:b', 'ab:b',
    'all:zzz',
    'all:', 'n:', 'ab:',
    'all:× not ascii', 'n:× not ascii', 'ab:× not ascii',
    'all:end', 'n:end', 'ab:end',
  ]);
});

test('a parser that declares first characters finds in real output what it finds when handed every line', () => {
  // Tool output captured here, and the shapes of the tools whose parsers declare them.
  const dirs = ['pip', 'apt', 'apt-real', 'npm', 'pnpm', 'yarn', 'node-gyp', 'curl', 'wget', 'gradle', 'easy-install'];
  const lines = dirs.flatMap((dir) => fixtureFiles(dir).flatMap((path) => fixtureLines(path)));
  lines.push(
    'fetch https://cdn.example.org/alpine/v3.19/main/x86_64/APKINDEX.tar.gz',
    'Compiling foo.py',
    'WARNING: fetching https://cdn.example.org/alpine/v3.19/main: temporary error (try again later)',
    'fetch https://cdn.example.org/alpine/v3.19/community/x86_64/APKINDEX.tar.gz',
    'Compiling bar.py',
    '(1/1) Installing curl (8.5.0-r0)',
    'info There appears to be trouble with your network connection. Retrying...',
    'error An unexpected error occurred: "https://registry.example/x/-/x-1.0.tgz: ESOCKETTIMEDOUT".',
    'Downloading torch (750.9MiB)',
    ' Downloaded torch',
    '  × Failed to download `x==1.0`',
    '  ├─▶ Failed to fetch: `https://files.example.org/x-1.0-py3-none-any.whl`',
    '  ╰─▶ client error (Connect)',
    'Compiling baz.py',
    'a2abf6c4d29d: Pull complete',
    "➤ YN0013: │ lodash@npm:4.17.21 can't be found in the cache and will be fetched from the remote registry",
    '➤ YN0035: │ x@npm:*: Package not found',
    'Compiling qux.py',
    '➤ YN0035: │   Response Code: 404 (Not Found)',
    '➤ YN0035: │   Request URL: https://registry.example/x',
  );
  for (const factory of TOOL_PARSERS.filter((f) => f.firstChars !== undefined)) {
    const direct: unknown[] = [];
    const parser = factory((e) => direct.push(e), { service: null, step: null });
    for (const line of lines) parser.line(line);
    parser.end();
    const dispatched: unknown[] = [];
    const combined = combineToolParsers([factory], (e) => dispatched.push(e), { service: null, step: null });
    for (const line of lines) combined.line(line);
    combined.end();
    assert.ok(direct.length > 0, `${factory.firstChars ?? ''}: no events at all`);
    assert.deepEqual(dispatched.map((e) => JSON.stringify(e)).sort(), direct.map((e) => JSON.stringify(e)).sort(), factory.firstChars);
  }
});
