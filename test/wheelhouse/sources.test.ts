// Where a requirement points, and what the wheelhouse does with what pip resolved from a
// directory or a checkout. The report is pip 23.2.1's own (`pip install --dry-run --report`
// on `./proj`, `git+file://…/repo@v1.0#egg=gitpkg` and `-e ./edproj`; metadata cut to the
// fields read), kept in test/fixtures/pip/report-sources.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/cli.js';
import { parsePipReport } from '../../src/wheelhouse/pip-report.js';
import { planSourceBuilds } from '../../src/wheelhouse/build-wheels.js';
import { requirementSource } from '../../src/wheelhouse/requirement-spec.js';
import type { RequirementLine } from '../../src/wheelhouse/requirements.js';

test('requirementSource tells the index, a URL, a local path and a VCS checkout apart, named or not', () => {
  const cases: [string, string][] = [
    ['requests>=2; python_version >= "3.8"', 'index'],
    ['.', 'path'], ['./libs/x', 'path'], ['../shared', 'path'], ['dist/x-1.0-py3-none-any.whl', 'path'],
    ['file:///tmp/x-1.0.tar.gz', 'path'], ['x @ file:///croot/x_1706031385326/work', 'path'],
    ['git+https://github.com/org/repo.git@v1#egg=repo', 'vcs'], ['repo[extra] @ git+file:///srv/repo@v1.0', 'vcs'],
    ['hg+https://hg.example/x#egg=x', 'vcs'], ['git://github.com/dstufft/django-user-accounts.git#egg=django-user-accounts', 'vcs'],
    ['x @ https://files.example/x-1.0.zip', 'url'], ['https://files.example/x-1.0.tar.gz', 'url'],
  ];
  for (const [spec, source] of cases) assert.equal(requirementSource(spec), source, spec);
});

test("pip's report: a directory, an editable directory and a git checkout (with its commit) are told from files", () => {
  const pkgs = parsePipReport(readFileSync(join(FIXTURES, 'pip/report-sources.json'), 'utf8'));
  assert.deepEqual(pkgs.map((p) => [p.name, p.origin, p.editable, p.vcs]), [
    ['localpkg', 'directory', false, null],
    ['gitpkg', 'vcs', false, { name: 'git', commit: '2b1754d41a2216c44a72b4379d5c79483b4c28a5' }],
    ['edpkg', 'directory', true, null],
    ['alpha', 'archive', false, null],
  ]);
});

test('the build plan: directories and checkouts are built from their own line (made non-editable); an editable directory is the project, left out', () => {
  const pkgs = parsePipReport(readFileSync(join(FIXTURES, 'pip/report-sources.json'), 'utf8'));
  const line = (n: number, spec: string, name: string | null, editable: boolean): RequirementLine => ({ file: 'r.txt', line: n, spec, name, hashes: [], options: [], ignoredOptions: [], editable });
  const lines = [line(1, './proj', null, false), line(2, 'git+file:///tmp/reqs2x/repo@v1.0#egg=gitpkg', 'gitpkg', false), line(3, './edproj', null, true)];
  const byPkg = new Map([['localpkg', lines[0]!], ['gitpkg', lines[1]!], ['edpkg', lines[2]!]]);
  const plan = planSourceBuilds(pkgs, (p) => byPkg.get(p.name) ?? null);
  assert.deepEqual(plan.build.map((b) => [b.pkg.name, b.line.spec, b.line.editable]), [['localpkg', './proj', false], ['gitpkg', lines[1]!.spec, false]]);
  assert.deepEqual(plan.projects.map((p) => [p.pkg.name, p.line.line]), [['edpkg', 3]]);
  // An editable git:// line (crate.io's requirements) is built as pip reads it: git+git://.
  const crate = line(1, 'git://github.com/dstufft/django-user-accounts.git#egg=django-user-accounts', 'django-user-accounts', true);
  const vcs = { ...pkgs[1]!, name: 'django-user-accounts' };
  assert.deepEqual(planSourceBuilds([vcs], () => crate).build.map((b) => [b.line.spec, b.line.editable]), [['git+git://github.com/dstufft/django-user-accounts.git#egg=django-user-accounts', false]]);
  // A checkout no line names (a dependency's direct reference) is built pinned to the commit pip chose.
  const alone = planSourceBuilds(pkgs, () => null);
  assert.deepEqual(alone.build.map((b) => b.line.spec), [
    'localpkg @ file:///tmp/reqs2x/proj', 'gitpkg @ git+file:///tmp/reqs2x/repo@2b1754d41a2216c44a72b4379d5c79483b4c28a5', 'edpkg @ file:///tmp/reqs2x/edproj',
  ]);
});
