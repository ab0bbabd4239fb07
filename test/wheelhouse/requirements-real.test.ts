// Requirements files from real projects and issues (test/fixtures/requirements-real/, sources in
// its README), read as `offgrid wheelhouse` reads them. Each expectation is pip's own reading
// of the file (pip 23.2's req_file.py), unless a comment says otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { REPO_ROOT } from '../helpers/cli.js';
import { loadRequirementSet, type RequirementSet } from '../../src/wheelhouse/requirement-set.js';
import { remoteIndexes } from '../../src/wheelhouse/index-options.js';
import { requirementSource } from '../../src/wheelhouse/requirement-spec.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/requirements-real');

function load(file: string, env: NodeJS.ProcessEnv = {}): Promise<RequirementSet> {
  return loadRequirementSet([file], [], FIXTURES, (path) => readFile(path), env, null);
}

const lines = (set: RequirementSet) => set.requirements.map((r) => [r.line, r.spec, r.name]);

test("PowerShell 5's pip freeze > requirements.txt (UTF-16LE, byte-order mark, CRLF) is read as pip reads it", async () => {
  const set = await load('powershell-freeze-utf16.txt');
  assert.deepEqual(set.problems, []);
  assert.deepEqual(lines(set), [[1, 'Django==1.4.2', 'django']]);
  // The manifest's digest is the file's bytes, as `verify` reads them again.
  assert.equal(set.files[0]!.sha256, createHash('sha256').update(await readFile(join(FIXTURES, 'powershell-freeze-utf16.txt'))).digest('hex'));
});

test("VCS requirements with credentials, written or from ${VARIABLES}: a name only from #egg=, never from the URL's user or tag", async () => {
  const set = await load('private-vcs-credentials.txt');
  assert.deepEqual(set.problems, []);
  assert.deepEqual(set.requirements.map((r) => [r.line, r.name, r.editable]), [
    [2, null, false], [4, 'django-redis', false], [5, 'django-package', false], [6, 'djangorestframework', false], [8, 'myprivate', true],
  ]);
});

test('index options written after a requirement are set aside, as pip ignores them there; the requirement stands', async () => {
  const set = await load('options-after-requirement.txt');
  assert.deepEqual(set.problems, []);
  assert.deepEqual(set.requirements.map((r) => [r.line, r.name, r.options, r.ignoredOptions]), [
    [2, 'test-package', [], ['--extra-index-url https://myindex.com/simple']],
    [4, 'cdecimal', [], ['--no-index', '--find-links http://www.bytereef.org/software/mpdecimal/releases/cdecimal-2.3.tar.gz']],
    [6, 'gdw', [], ['--index-url http://my_pypi.local/pypi']],
  ]);
  // They are no index of the file's: pip does not read them, so the mirror does not either.
  assert.deepEqual(set.options, []);
});

test("pipenv's requirements: its -i index, single-quoted markers with 'not in', the project as '.', VCS lines named by #egg=", async () => {
  const set = await load('pipenv-requirements.txt');
  assert.deepEqual(set.problems, []);
  assert.equal(set.requirements.length, 18);
  assert.deepEqual(set.requirements.filter((r) => !/^[\w.-]+(\[[\w,]+\])?==[\w.]+( ;|$)/.test(r.spec)).map((r) => [r.line, r.spec, r.name]), [
    [10, '.', null],
    [15, 'git+https://github.com/cartertemm/ODTReader.git/@49d6938693f6faa3ff09998f86dba551ae3a996b#egg=odtreader', 'odtreader'],
    [16, 'git+https://github.com/D4-project/BGP-Ranking.git/@68de39f6c5196f796055c1ac34504054d688aa59#egg=pybgpranking&subdirectory=client', 'pybgpranking'],
  ]);
  assert.deepEqual(set.requirements.find((r) => r.line === 17)!.name, 'pymisp');
  assert.deepEqual(remoteIndexes(set.options, {}), { indexUrl: 'https://pypi.org/simple', extraIndexUrls: [], findLinks: [] });
});

test("generators' output reads as pip reads it: pip-compile, uv export and pdm export hashes, poetry's long markers, the project as -e .", async () => {
  const compiled = await load('warehouse/dev.txt');
  assert.deepEqual(compiled.problems, []);
  assert.deepEqual(compiled.requirements.map((r) => [r.line, r.spec, r.hashes.length]), [[7, 'asyncudp==0.11.0', 2], [11, 'build==1.4.0', 2], [15, 'click==8.3.1', 2], [19, 'hupper==1.12.1', 2]]);
  const uv = await load('uv-export-editable.txt');
  assert.deepEqual(uv.problems, []);
  assert.deepEqual(uv.requirements.map((r) => [r.line, r.spec, r.editable, r.hashes.length]), [[3, '.', true, 0], [4, 'aiohappyeyeballs==2.4.0', false, 2]]);
  const poetry = await load('poetry-export.txt');
  assert.deepEqual(poetry.problems, []);
  assert.deepEqual(poetry.requirements.map((r) => [r.line, r.name, r.hashes.length]), [[2, 'better-profanity', 2], [6, 'cryptography', 0]]);
  const pdm = await load('pdm-export.txt');
  assert.deepEqual(pdm.problems, []);
  assert.deepEqual(pdm.requirements.map((r) => [r.line, r.name, r.hashes.length]), [[4, 'certifi', 2], [7, null, 1]]);
  const direct = await load('warehouse/docs-dev.in');
  assert.deepEqual(direct.problems, []);
  assert.equal(direct.requirements.at(-1)!.name, 'packaging');
});

test('django: -r base.txt is read beside the including file; spaced specifiers and sys.platform markers are requirements', async () => {
  const py2 = await load('django-tests/py2.txt');
  assert.deepEqual(py2.files.map((f) => [f.path, f.includedBy]), [['django-tests/py2.txt', null], ['django-tests/base.txt', 'django-tests/py2.txt']]);
  assert.deepEqual(py2.requirements.map((r) => r.name), ['bcrypt', 'docutils', 'numpy', 'pillow', 'pyyaml', 'pytz', 'selenium', 'enum34', 'mock']);
  const py3 = await load('django-tests/py3.txt');
  assert.deepEqual(py3.problems, []);
  assert.equal(py3.requirements.length, 20);
  assert.equal(py3.requirements.find((r) => r.name === 'pillow')!.spec, "Pillow >= 6.2.1; sys.platform != 'win32' or python_version < '3.13'");
});

test("a log line redirected into poetry's export is named by line, as pip refuses it too", async () => {
  const set = await load('poetry-export-log-line.txt');
  assert.deepEqual(set.requirements, []);
  assert.deepEqual(set.problems.map((p) => [p.line, p.message]), [[1, 'unexpected "virtualenv my-repo-AsW4q1BB-py3.9 in /root/.cache/pypoetry/virtualenvs" after "Creating" (expected NAME[extras] SPECIFIERS ; MARKER)']]);
});

test('${VAR} in a requirement is read as pip reads it (expanded), and kept as written for the manifest', async () => {
  const env = { DAGSTER_VERSION: '1.7.0', NUMPY: 'numpy==1.26.4', PYTORCH: 'torch>=2', pkg: 'ijson' };
  const set = await load('environment-variables.txt', env);
  assert.deepEqual(set.requirements.map((r) => [r.line, r.spec, r.name]), [
    [2, 'dagster==${DAGSTER_VERSION}', 'dagster'], [3, 'dagster-cloud==${DAGSTER_VERSION}', 'dagster-cloud'],
    [4, 'dagster-cloud-cli==${DAGSTER_VERSION}', 'dagster-cloud-cli'], [6, '${NUMPY}', 'numpy'], [7, '${PYTORCH}', 'torch'],
  ]);
  assert.deepEqual(set.problems.map((p) => [p.line, p.message]), [
    [9, 'not a requirement: it must start with a project name, a path or a URL (pip expands ${NAME} only when NAME is set and of upper-case letters, digits and _)'],
  ]);
  // Unset, a variable stays as written, and the line is broken for pip too.
  assert.deepEqual((await load('environment-variables.txt')).problems.map((p) => p.line), [2, 3, 4, 6, 7, 9]);
});

test("a constraints file at a URL (AWS MWAA's Airflow constraints, quoted) is fetched, and its lines constrain; the requirements stand", async () => {
  const url = 'https://raw.githubusercontent.com/apache/airflow/constraints-2.4.3/constraints-3.10.txt';
  // Without a fetcher the URL is listed, unread: what the build fetches through its proxy.
  const unread = await load('mwaa-remote-constraints.txt');
  assert.deepEqual(unread.problems, []);
  assert.deepEqual(unread.unfetched, [url]);
  const asked: string[] = [];
  const set = await loadRequirementSet(['mwaa-remote-constraints.txt'], [], FIXTURES, (path) => readFile(path), {}, async (u) => {
    asked.push(u);
    return new TextEncoder().encode('apache-airflow-providers-mysql==3.2.1\napache-airflow-providers-slack==6.0.0\n');
  });
  assert.deepEqual(asked, [url]);
  assert.deepEqual(set.problems, []);
  assert.deepEqual(set.requirements.map((r) => [r.line, r.name]), [[3, 'apache-airflow-providers-snowflake'], [4, 'apache-airflow-providers-mysql'], [5, 'apache-airflow-providers-slack']]);
  assert.deepEqual(set.constraintFiles, [url]);
  assert.deepEqual(set.files.map((f) => [f.path, f.kind, f.includedBy]), [['mwaa-remote-constraints.txt', 'requirements', null], [url, 'constraints', 'mwaa-remote-constraints.txt']]);
});

// Real files with the forms the wheelhouse builds from source or fetches: each expectation is
// pip 23.2.1's own reading (pip._internal.req.req_file.parse_requirements, then
// install_req_from_parsed_requirement for the name), compared line by line.
const sourceOf = (set: RequirementSet) => set.requirements.map((r) => [r.line, r.editable, r.name, requirementSource(r.spec)]);

test("edx-platform's local editables (-e ., -e common/lib/…) are editable local paths: the project under build, left out of a wheelhouse", async () => {
  const set = await load('edx-local-editables.in');
  assert.deepEqual(set.problems, []);
  assert.deepEqual(sourceOf(set), [2, 3, 4, 5, 6, 7, 8, 9, 11].map((line) => [line, true, null, 'path']));
});

test("edx-platform's GitHub requirements: editable and plain git lines, #egg=name==version, and one fragment without egg= that pip cannot name either", async () => {
  const set = await load('edx-github.in');
  assert.deepEqual(set.problems, []);
  assert.deepEqual(sourceOf(set), [
    [4, true, 'django-wiki', 'vcs'], [5, true, 'olxcleaner', 'vcs'], [6, false, 'mongodbproxy', 'vcs'], [7, true, 'edx-jsme', 'vcs'],
    [11, false, 'django-ratelimit-backend', 'vcs'], [14, true, 'codejail', 'vcs'], [15, true, 'rate-xblock', 'vcs'], [16, true, 'xblock-google-drive', 'vcs'],
    [18, true, null, 'vcs'], [21, false, 'xblock-poll', 'vcs'], [22, false, 'xblock-drag-and-drop-v2', 'vcs'],
  ]);
});

test("Zulip's archive URLs named by #egg=name==version&subdirectory=…, beside markers and extras", async () => {
  const set = await load('zulip-common.in');
  assert.deepEqual(set.problems, []);
  assert.deepEqual(sourceOf(set), [
    [2, false, 'markdown', 'index'], [3, false, 'importlib-metadata', 'index'], [6, false, 'html2text', 'index'], [8, false, 'talon-core', 'url'],
    [12, false, 'zulip', 'url'], [13, false, 'zulip-bots', 'url'], [16, false, 'social-auth-app-django', 'index'], [17, false, 'social-auth-core', 'index'],
    [20, false, 'requests', 'index'],
  ]);
  const dev = await load('zulip-dev.in');
  assert.deepEqual(sourceOf(dev), [[9, false, 'moto', 'index'], [12, false, 'coverage', 'index'], [15, false, 'pip-tools', 'index'], [18, false, 'zulint', 'url']]);
  // Its -r files are not among the fixtures: each is its own broken line, as for pip a missing file stops the run.
  assert.deepEqual(dev.problems.map((p) => [p.line, p.text]), [[4, '-r pip.in'], [5, '-r prod.in'], [6, '-r docs.in'], [20, '-r mypy.in']]);
});

test("Read the Docs' and crate.io's pegged git requirements: git+git://, and an editable git:// that pip reads as git+git://", async () => {
  const rtfd = await load('rtfd-requirements.txt');
  assert.deepEqual(rtfd.problems, []);
  assert.deepEqual(sourceOf(rtfd).filter(([, , , source]) => source === 'vcs').map(([line, , name]) => [line, name]), [
    [8, 'django-haystack'], [9, 'django-filter'], [10, 'django-taggit-dev'], [11, 'django-pagination-dev'], [12, 'django-basic-apps-dev'], [13, 'django-registration-dev'], [14, 'django-tastypie-dev'],
  ]);
  const crate = await load('crateio-requirements.txt');
  assert.deepEqual(crate.problems, []);
  assert.deepEqual(crate.options.map((o) => [o.line, o.name, o.value]), [[1, '--extra-index-url', 'http://dist.pinaxproject.com/dev/']]);
  assert.equal(crate.requirements.length, 17);
  assert.deepEqual(sourceOf(crate).filter(([, editable]) => editable), [
    [7, true, 'crate-web', 'vcs'], [8, true, 'crate-pypi', 'vcs'], [11, true, 'django-haystack', 'vcs'], [14, true, 'django-user-accounts', 'vcs'],
    [16, true, 'jutils', 'vcs'], [18, true, 'saved-searches', 'vcs'],
  ]);
});

test("FlowETL's constraints URL built from ${AIRFLOW_VERSION} and ${PYTHON_VERSION} is the URL pip fetches", async () => {
  const set = await load('flowetl-constraints.txt', { AIRFLOW_VERSION: '2.8.4', PYTHON_VERSION: '3.10' });
  assert.deepEqual(set.problems, []);
  assert.deepEqual(set.unfetched, ['https://raw.githubusercontent.com/apache/airflow/constraints-2.8.4/constraints-3.10.txt']);
  assert.deepEqual(sourceOf(set), [[11, false, 'apache-airflow', 'index']]);
});
