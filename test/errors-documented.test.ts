// Every error code is part of the interface: the README documents each one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../src/errors.js';
import { CACHE_ERROR_CODES } from '../src/cache/errors.js';
import { REPO_ROOT } from './helpers/cli.js';

test('every error code is documented in the README', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const missing = [...Object.keys(ERROR_CODES), ...Object.keys(CACHE_ERROR_CODES)].filter((code) => !readme.includes(`| \`${code}\` |`));
  assert.deepEqual(missing, []);
});

test('the library exports the parts the README names', async () => {
  const lib = await import('../src/index.js');
  for (const name of ['compileLedger', 'createLogParser', 'startProxy', 'CacheStore', 'Session', 'startRecording', 'buildWheelhouse', 'verifyOffline', 'redact']) {
    assert.equal(typeof (lib as Record<string, unknown>)[name], 'function', name);
  }
});
