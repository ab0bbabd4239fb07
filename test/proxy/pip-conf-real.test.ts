// pip's upstreams from real pip.conf files (test/fixtures/upstreams/pip-conf/): the real pip
// reads each (`pip config list`, as offgrid asks it), and offgrid's choice must be the indexes
// pip itself then looks in (`Looking in indexes:` of `pip install --dry-run`, its fetch cut short
// by a dead proxy), in order. pip prints no such line when it uses PyPI alone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { PYPI_DEFAULT_INDEX, chooseUpstreams, parsePipConfigList } from '../../src/capture/proxy/upstreams.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/upstreams/pip-conf/', import.meta.url));
const hasPip = spawnSync('python3', ['-m', 'pip', '--version']).status === 0;

/** An index URL without its credentials (pip shows the password as ****), as a directory. */
function comparable(text: string): string {
  const url = new URL(text);
  url.username = '';
  url.password = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

describe('pip.conf files from public repositories, against pip itself', () => {
  for (const name of readdirSync(FIXTURES).filter((n) => n.endsWith('.conf'))) {
    it(name, { skip: !hasPip && 'pip is not installed' }, async () => {
      const home = await mkdtemp(join(tmpdir(), 'offgrid-pip-conf-'));
      try {
        // Only this file: no user or site configuration, no PIP_* variables.
        const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_CONFIG_DIRS: join(home, 'none'), PIP_CONFIG_FILE: join(FIXTURES, name), PYENV_VERSION: process.env.PYENV_VERSION ?? '' };
        const list = spawnSync('python3', ['-m', 'pip', 'config', 'list'], { env, encoding: 'utf8' });
        assert.equal(list.status, 0, list.stderr);
        const ours = chooseUpstreams(parsePipConfigList(list.stdout), null, {}).pypi.map((url) => comparable(url.href));
        const dryRun = spawnSync(
          'python3',
          ['-m', 'pip', 'install', '--dry-run', '--no-deps', '--retries', '0', '--timeout', '1', '--proxy', 'http://127.0.0.1:9', 'offgrid-no-such-project'],
          { env, encoding: 'utf8' },
        );
        const looking = /^Looking in indexes: (.*)$/m.exec(dryRun.stdout)?.[1]?.split(', ') ?? [PYPI_DEFAULT_INDEX];
        assert.deepEqual(ours, looking.map(comparable));
      } finally {
        await rm(home, { recursive: true, force: true });
      }
    });
  }
});
