// `offgrid init docker`'s rewrite (makeOfflineReady) on RUN steps written the ways BuildKit
// reads them: flags across continuation lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, splitFlags } from '../../src/docker/dockerfile.js';
import { makeOfflineReady } from '../../src/docker/init.js';

const APT_PREFIX = 'if [ -f /offgrid/apt-archives/Packages ]; then export APT_CONFIG=/offgrid/apt.conf; fi && ';

/** The flags and command of the rewritten file's RUN steps, as BuildKit splits them. */
function runs(text: string): { flags: string[]; command: string }[] {
  return parseDockerfile(text)
    .instructions.filter((i) => i.keyword === 'RUN')
    .map((i) => {
      const { flags, rest } = splitFlags(i.args);
      return { flags, command: i.args.slice(rest) };
    });
}

test('splitFlags: flags as BuildKit extracts them, quoted values and `--` included; the command starts after them', () => {
  const split = (args: string) => {
    const { flags, rest } = splitFlags(args);
    return [flags, args.slice(rest)];
  };
  assert.deepEqual(split('--mount=type=cache,target=/a   --network=host apt-get update'), [['--mount=type=cache,target=/a', '--network=host'], 'apt-get update']);
  assert.deepEqual(split('--mount="type=secret,id=a b" pip install x'), [['--mount=type=secret,id=a b'], 'pip install x']);
  assert.deepEqual(split('-- --not-a-flag'), [[], '--not-a-flag']);
  assert.deepEqual(split('apt-get install --yes x'), [[], 'apt-get install --yes x']);
  assert.deepEqual(split('--network=none'), [['--network=none'], '']);
});

test('init docker: apt prefix after every RUN flag, when the flags span continuation lines (apt cache mounts)', () => {
  const text = [
    'FROM debian:bookworm-slim',
    'RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\',
    '    --mount=type=cache,target=/var/lib/apt,sharing=locked \\',
    '    apt-get update && apt-get install -y ca-certificates',
    '',
  ].join('\n');
  const r = makeOfflineReady(text);
  assert.deepEqual(r.changes.map((c) => c.replace(/:.*/, '')), ['line 2']);
  assert.match(r.changes[0]!, /^line 2: RUN apt-get update && apt-get install -y ca-certificat…: apt from the local repository/);
  assert.match(
    r.text,
    /\nRUN --mount=type=cache,target=\/var\/cache\/apt,sharing=locked \\\n {4}--mount=type=cache,target=\/var\/lib\/apt,sharing=locked \\\n {4}if \[ -f \/offgrid\/apt-archives\/Packages \]; then export APT_CONFIG=\/offgrid\/apt.conf; fi && apt-get update && apt-get install -y ca-certificates\n$/,
  );
  assert.deepEqual(runs(r.text), [
    {
      flags: ['--mount=type=cache,target=/var/cache/apt,sharing=locked', '--mount=type=cache,target=/var/lib/apt,sharing=locked'],
      command: `${APT_PREFIX}apt-get update && apt-get install -y ca-certificates`,
    },
  ]);
  assert.equal(makeOfflineReady(r.text).text, r.text);
});

test('init docker: `RUN \\` with the flags on the next lines, a comment line among them (BuildKit drops it), --network and --security', () => {
  const text = [
    'FROM debian:bookworm-slim',
    'RUN \\',
    '    --mount=type=cache,target=/var/cache/apt \\',
    '    # the lists too',
    '',
    '    --network=host --security=insecure \\',
    '  apt-get update',
    'RUN --network=host apt-get install -y curl',
  ].join('\n');
  const r = makeOfflineReady(text);
  assert.equal(r.changes.length, 2);
  assert.deepEqual(runs(r.text), [
    { flags: ['--mount=type=cache,target=/var/cache/apt', '--network=host', '--security=insecure'], command: `${APT_PREFIX}apt-get update` },
    { flags: ['--network=host'], command: `${APT_PREFIX}apt-get install -y curl` },
  ]);
  assert.match(r.text, /\n {4}# the lists too\n\n {4}--network=host --security=insecure \\\n {2}if \[ -f /);
});

test('init docker: pip in a RUN whose flags span lines is rewritten in the command, the flags left as they are', () => {
  const text = [
    'FROM python:3.12-slim',
    'RUN --mount=type=cache,target=/root/.cache/pip \\',
    '    --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \\',
    '    pip install -r /tmp/requirements.txt',
  ].join('\n');
  const r = makeOfflineReady(text);
  assert.deepEqual(runs(r.text), [
    {
      flags: ['--mount=type=cache,target=/root/.cache/pip', '--mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt'],
      command: 'pip install $(ls /wheelhouse/*.whl >/dev/null 2>&1 && echo --no-index --find-links /wheelhouse) -r /tmp/requirements.txt',
    },
  ]);
  assert.match(r.changes[0]!, /^line 2: RUN pip install -r \/tmp\/requirements.txt…: pip from the wheelhouse/);
});
