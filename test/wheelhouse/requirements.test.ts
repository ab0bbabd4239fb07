import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandPipEnv, logicalLines, parseRequirementsText, stripComment, type FileEntry } from '../../src/wheelhouse/requirements.js';
import { checkRequirementSpec, requirementName } from '../../src/wheelhouse/requirement-spec.js';
import { loadRequirementSet } from '../../src/wheelhouse/requirement-set.js';
import { namesRemoteIndex, remoteIndexes } from '../../src/wheelhouse/index-options.js';
import { withFileIndexes } from '../../src/cli/commands/wheelhouse-build.js';

const requirements = (entries: FileEntry[]) => entries.flatMap((e) => (e.type === 'requirement' ? [e.requirement] : []));
const problems = (entries: FileEntry[]) => entries.flatMap((e) => (e.type === 'problem' ? [e.problem] : []));

test('continuation lines are joined and keep the number of their first line', () => {
  assert.deepEqual(logicalLines('a \\\n  b\nc\n'), [{ line: 1, text: 'a   b' }, { line: 3, text: 'c' }, { line: 4, text: '' }]);
  // A comment line ends a continuation, as in pip.
  assert.deepEqual(logicalLines('a \\\n# note\nb').map((l) => l.text), ['a ', 'b']);
  assert.deepEqual(logicalLines('x\r\ny \\\r\nz').map((l) => [l.line, l.text]), [[1, 'x'], [2, 'y z']]);
});

test('comments start at a # at the start of a line or after whitespace, not inside a URL fragment', () => {
  assert.equal(stripComment('alpha==1.0  # pinned'), 'alpha==1.0');
  assert.equal(stripComment('# only a comment'), '');
  assert.equal(stripComment('pkg @ https://h.invalid/p.whl#sha256=abc'), 'pkg @ https://h.invalid/p.whl#sha256=abc');
});

test('requirement lines: names, extras, markers, hashes over continuation lines', () => {
  const text = [
    '# header',
    'Alpha_Pkg[fast,extra2]>=1.0,<2 ; python_version >= "3.8"  # why',
    'beta==1.1 \\',
    '    --hash=sha256:' + 'a'.repeat(64) + ' \\',
    '    --hash=sha256:' + 'b'.repeat(64),
    'gamma @ https://files.invalid/gamma-2.0-py3-none-any.whl',
    './local/delta-1.0-py3-none-any.whl',
    '-e ./src/editable',
    '',
  ].join('\n');
  const reqs = requirements(parseRequirementsText(text, 'requirements.txt', {}));
  assert.deepEqual(reqs.map((r) => [r.line, r.name, r.spec]), [
    [2, 'alpha-pkg', 'Alpha_Pkg[fast,extra2]>=1.0,<2 ; python_version >= "3.8"'],
    [3, 'beta', 'beta==1.1'],
    [6, 'gamma', 'gamma @ https://files.invalid/gamma-2.0-py3-none-any.whl'],
    [7, null, './local/delta-1.0-py3-none-any.whl'],
    [8, null, './src/editable'],
  ]);
  assert.deepEqual(reqs[1]!.hashes, [`sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`]);
  assert.equal(reqs[4]!.editable, true);
});

test('option lines: includes, constraints and global options are told apart', () => {
  const entries = parseRequirementsText('-r base.txt\n--requirement=more.txt\n-c constraints.txt\n--pre\n--only-binary :all:\n-i http://idx.invalid/simple\n', 'r.txt', {});
  assert.deepEqual(entries.map((e) => e.type), ['include', 'include', 'include', 'option', 'option', 'option']);
  assert.deepEqual(entries.slice(0, 3).map((e) => e.type === 'include' && [e.path, e.constraint]), [['base.txt', false], ['more.txt', false], ['constraints.txt', true]]);
});

test('several options on one line, as pip reads them (--index-url URL --trusted-host HOST), quotes removed, long options abbreviated', () => {
  const text = [
    '--extra-index-url http://idx.invalid:8080/simple --trusted-host idx.invalid',
    '-i "https://main.invalid/simple" --pre',
    '--find=https://links.invalid/ --extra-index https://more.invalid/simple',
    '-r base.txt -c constraints.txt',
    '--pre six',
  ].join('\n');
  const entries = parseRequirementsText(text, 'r.txt', {});
  const shown = entries.map((e) => (e.type === 'option' ? [e.line, e.name, e.value] : e.type === 'include' ? [e.line, e.constraint ? '-c' : '-r', e.path] : e.type === 'problem' ? [e.problem.line, e.problem.message] : []));
  assert.deepEqual(shown, [
    [1, '--extra-index-url', 'http://idx.invalid:8080/simple'], [1, '--trusted-host', 'idx.invalid'],
    [2, '-i', 'https://main.invalid/simple'], [2, '--pre', null],
    [3, '--find-links', 'https://links.invalid/'], [3, '--extra-index-url', 'https://more.invalid/simple'],
    [4, '-r', 'base.txt'], [4, '-c', 'constraints.txt'],
    [5, '--pre takes no value, found "six"'],
  ]);
});

test('malformed lines are reported with file, line and a reason; the other lines still parse', () => {
  const text = ['alpha==1.0', 'beta==>1', 'gamma[fast', 'delta ; python_version >>= "3"', '--frobnicate', 'eps==1.0 --hash=md5:abc', 'zeta==1 --hash=sha256:12', '!!!', 'ok-pkg'].join('\n');
  const entries = parseRequirementsText(text, 'req.txt', {});
  assert.deepEqual(requirements(entries).map((r) => r.name), ['alpha', 'ok-pkg']);
  const found = problems(entries);
  assert.deepEqual(found.map((p) => p.line), [2, 3, 4, 5, 6, 7, 8]);
  assert.ok(found.every((p) => p.file === 'req.txt'));
  assert.match(found[0]!.message, /invalid version specifier "==>1"/);
  assert.match(found[1]!.message, /invalid extras/);
  assert.match(found[2]!.message, /invalid environment marker/);
  assert.match(found[3]!.message, /unknown option --frobnicate/);
  assert.match(found[4]!.message, /algorithm must be one of sha256/);
  assert.match(found[5]!.message, /64 hexadecimal characters/);
  assert.match(found[6]!.message, /must start with a project name/);
});

test('requirement specs pip accepts are accepted', () => {
  for (const spec of ['a', 'A.b-c_d', 'a>=1', 'a (>=1,<2)', 'a[x]', 'a[x, y]==1.0.post1', 'a===1.0', 'a~=1.4.2', 'a!=1.*', 'a; os_name == "posix" and (python_version < "3.12" or extra == "x")', 'a @ https://h.invalid/a.whl ; sys_platform == "linux"', 'https://h.invalid/a-1.0.tar.gz', '/abs/a-1.0-py3-none-any.whl', 'a; "linux" in sys_platform', 'a; platform_machine not in "arm64 aarch64"']) {
    assert.equal(checkRequirementSpec(spec), null, spec);
  }
  assert.equal(requirementName('Foo.Bar[x]>=1'), 'foo-bar');
  assert.equal(requirementName('https://h.invalid/a-1.0.tar.gz'), null);
});

test('nested -r and -c are followed relative to the including file; cycles and missing files are handled', async () => {
  const files: Record<string, string> = {
    '/p/requirements.txt': 'alpha\n-r sub/more.txt\n-c constraints.txt\n-r missing.txt\n',
    '/p/sub/more.txt': 'beta\n-r ../requirements.txt\n',
    '/p/constraints.txt': 'beta==1.0\n',
  };
  const set = await loadRequirementSet(['requirements.txt'], ['gamma>=2'], '/p', async (path) => {
    const text = files[path];
    if (text === undefined) throw new Error('ENOENT');
    return text;
  }, {}, null);
  assert.deepEqual(set.requirements.map((r) => [r.file, r.line, r.name]), [['requirements.txt', 1, 'alpha'], ['sub/more.txt', 1, 'beta'], [null, null, 'gamma']]);
  assert.deepEqual(set.files.map((f) => [f.path, f.kind, f.includedBy]), [['requirements.txt', 'requirements', null], ['sub/more.txt', 'requirements', 'requirements.txt'], ['constraints.txt', 'constraints', 'requirements.txt']]);
  assert.deepEqual(set.constraintFiles, ['/p/constraints.txt']);
  assert.equal(set.problems.length, 1);
  assert.equal(set.problems[0]!.line, 4);
  assert.match(set.problems[0]!.message, /cannot read missing\.txt/);
});

test("includes as pip finds them: http(s) and file: URLs as written, a relative path inside a fetched file joined to its URL, credentials kept for the fetch but not shown", async () => {
  const local: Record<string, string> = { '/p/requirements.txt': '-r https://u:tok@h.invalid/reqs/base.txt\n-r file:///srv/local.txt\n', '/srv/local.txt': 'delta\n' };
  const remote: Record<string, string> = {
    'https://u:tok@h.invalid/reqs/base.txt': 'alpha\n-r sub/more.txt\n-c ../c.txt\n-r /abs.txt\n',
    'https://u:tok@h.invalid/reqs/sub/more.txt': 'beta\n',
    'https://u:tok@h.invalid/c.txt': 'beta==1\n',
    'https://u:tok@h.invalid/abs.txt': 'gamma\n',
  };
  const set = await loadRequirementSet(['requirements.txt'], [], '/p', async (path) => {
    const text = local[path];
    if (text === undefined) throw new Error('ENOENT');
    return text;
  }, {}, async (url) => {
    const text = remote[url];
    if (text === undefined) throw new Error('HTTP 404 Not Found');
    return new TextEncoder().encode(text);
  });
  assert.deepEqual(set.problems, []);
  assert.deepEqual(set.files.map((f) => [f.path, f.kind, f.includedBy]), [
    ['requirements.txt', 'requirements', null],
    ['https://***@h.invalid/reqs/base.txt', 'requirements', 'requirements.txt'],
    ['https://***@h.invalid/reqs/sub/more.txt', 'requirements', 'https://***@h.invalid/reqs/base.txt'],
    ['https://***@h.invalid/c.txt', 'constraints', 'https://***@h.invalid/reqs/base.txt'],
    ['https://***@h.invalid/abs.txt', 'requirements', 'https://***@h.invalid/reqs/base.txt'],
    ['file:///srv/local.txt', 'requirements', 'requirements.txt'],
  ]);
  assert.deepEqual(set.requirements.map((r) => r.name), ['alpha', 'beta', 'gamma', 'delta']);
  assert.deepEqual(set.constraintFiles, ['https://u:tok@h.invalid/c.txt']);
  assert.deepEqual([...set.fetched.keys()].length, 4);
  // A file that cannot be fetched stops the reading, named with where it was named.
  remote['https://u:tok@h.invalid/reqs/sub/more.txt'] = undefined as unknown as string;
  await assert.rejects(
    loadRequirementSet(['requirements.txt'], [], '/p', async (path) => local[path]!, {}, async (url) => {
      const text = remote[url];
      if (text === undefined) throw new Error(`HTTP 404 Not Found for ${url}`);
      return new TextEncoder().encode(text);
    }),
    { message: 'cannot fetch the requirements file https://***@h.invalid/reqs/sub/more.txt (named at https://***@h.invalid/reqs/base.txt:2): HTTP 404 Not Found for https://***@h.invalid/reqs/sub/more.txt' },
  );
});

test('an include naming a variable (-r ${REQS}/base.txt, -c ${CONSTRAINTS}) is read where pip reads it', async () => {
  const files: Record<string, string> = { '/p/requirements.txt': '-r ${REQS}/base.txt\n-c ${CONSTRAINTS}\n-r ${UNSET}/x.txt\n', '/srv/reqs/base.txt': 'alpha\n', '/srv/c.txt': 'alpha<2\n' };
  const set = await loadRequirementSet(['requirements.txt'], [], '/p', async (path) => {
    const text = files[path];
    if (text === undefined) throw new Error('ENOENT');
    return text;
  }, { REQS: '/srv/reqs', CONSTRAINTS: '/srv/c.txt' }, null);
  assert.deepEqual(set.requirements.map((r) => [r.file, r.name]), [['/srv/reqs/base.txt', 'alpha']]);
  assert.deepEqual(set.constraintFiles, ['/srv/c.txt']);
  assert.deepEqual(set.problems.map((p) => p.text), ['-r ${UNSET}/x.txt']);
});

test("a file's index written with environment variables is read as pip reads it: ${NAME} expanded, $NAME and unset ones left", async () => {
  // The shape GitLab's and Artifactory's docs give for private indexes in requirements.txt.
  const set = await loadRequirementSet(['requirements.txt'], [], '/p', async () =>
    '--index-url https://__token__:${CI_JOB_TOKEN}@${PYPI_HOST}/api/v4/projects/1/packages/pypi/simple\n' +
      '--extra-index-url ${EXTRA_INDEX}\n--extra-index-url https://$LOWER@more.invalid/simple\n--extra-index-url ${UNSET_ONE}\nalpha\n',
    {},
    null,
  );
  const env = { CI_JOB_TOKEN: 'tok', PYPI_HOST: 'gitlab.invalid', EXTRA_INDEX: 'https://extra.invalid/simple', LOWER: 'x' };
  assert.deepEqual(remoteIndexes(set.options, env), {
    indexUrl: 'https://__token__:tok@gitlab.invalid/api/v4/projects/1/packages/pypi/simple',
    extraIndexUrls: ['https://extra.invalid/simple', 'https://$LOWER@more.invalid/simple'],
    findLinks: [],
  });
  // Withheld from pip (the mirror serves them): all but the one pip could not use either.
  assert.deepEqual(set.options.filter((o) => !namesRemoteIndex(o, env)).map((o) => o.value), ['${UNSET_ONE}']);
  assert.equal(expandPipEnv('${lower} ${A1_B} $A1_B', { lower: 'no', A1_B: 'yes' }), '${lower} yes $A1_B');
});

test("a file's remote indexes, in pip's precedence: the last index-url wins, extra indexes add up; file:// ones stay with pip", async () => {
  const set = await loadRequirementSet(['top.txt'], [], '/p', async (path) =>
    path === '/p/top.txt'
      ? '-i https://first.invalid/simple\n--index-url https://private.invalid/simple\n--extra-index-url https://extra.invalid/simple\n-r more.txt\nalpha\n'
      : '--extra-index-url file:///srv/wheels/simple\n--extra-index-url https://extra.invalid/simple\n--find-links https://links.invalid/\nbeta\n',
    {},
    null,
  );
  assert.deepEqual(remoteIndexes(set.options, {}), { indexUrl: 'https://private.invalid/simple', extraIndexUrls: ['https://extra.invalid/simple'], findLinks: ['https://links.invalid/'] });
  assert.deepEqual(set.options.filter((o) => !namesRemoteIndex(o, {})).map((o) => `${o.name} ${o.value}`), ['--extra-index-url file:///srv/wheels/simple', '--find-links https://links.invalid/']);
  assert.equal(remoteIndexes([{ name: '--find-links', value: '/srv/wheels' }, { name: '--index-url', value: 'file:///x' }], {}), null);
});

test("a file's find-links pages (pip fetches them itself) put their hosts on the proxy's allow-list, without credentials", () => {
  const flags = { logDir: 'logs', offline: false, proxy: true, cacheDir: null, pypiUpstream: [], npmUpstream: null, allowHost: ['given.invalid'], debug: false };
  const indexes = remoteIndexes(
    [{ name: '-f', value: 'https://u:${TOKEN}@Links.invalid/wheels/' }, { name: '--find-links', value: '${LINKS}' }, { name: '--find-links', value: './local' }],
    { TOKEN: 't0k', LINKS: 'http://more.invalid:8080/x.html' },
  );
  assert.deepEqual(indexes, { indexUrl: null, extraIndexUrls: [], findLinks: ['https://u:t0k@Links.invalid/wheels/', 'http://more.invalid:8080/x.html'] });
  const chosen = withFileIndexes(flags, indexes);
  assert.deepEqual(chosen.allowHost, ['given.invalid', 'links.invalid', 'more.invalid']);
  assert.deepEqual(chosen.pypiUpstream, []);
  assert.equal(chosen.pypiExtraUpstream, undefined);
});
