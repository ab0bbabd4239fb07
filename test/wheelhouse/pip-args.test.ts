import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/cli.js';
import { pipFailureReason } from '../../src/wheelhouse/pip-args.js';

test("pip's reason for a failed build names the cause its subprocess printed, not '╰─> See above for output.'", () => {
  // pip 23.2.1 resolving '-e .' (a uv export's first line) from an index without setuptools.
  const output = readFileSync(join(REPO_ROOT, 'test/fixtures/pip/pip23-build-deps-missing.txt'), 'utf8');
  assert.equal(
    pipFailureReason(output),
    'pip subprocess to install build dependencies did not run successfully.; Could not find a version that satisfies the requirement setuptools>=40.8.0 (from versions: none); No matching distribution found for setuptools>=40.8.0',
  );
});

test("pip's reason is its ERROR: lines, the last three, credentials redacted", () => {
  const output = 'Collecting x\nERROR: one\nERROR: two\nERROR: Could not install packages due to an OSError: https://__token__:pypi-AgEIcHlwaS5vcmcabcdefghijklmnop@h.invalid/x.whl\n';
  assert.equal(pipFailureReason(output), 'one; two; Could not install packages due to an OSError: https://***@h.invalid/x.whl');
});
