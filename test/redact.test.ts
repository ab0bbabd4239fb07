import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { redact } from '../src/redact.js';

test('user and password in a URL are redacted, the rest kept', () => {
  assert.equal(redact('https://alice:s3cret@pypi.example.org/simple/numpy/'), 'https://***@pypi.example.org/simple/numpy/');
});

test('a lone token as the user part is redacted (pip#6891)', () => {
  assert.equal(redact('https://ghp_abcdef123@git.example.org/x.whl'), 'https://***@git.example.org/x.whl');
});

test('a user name or password holding @ is redacted up to the last @ before the host (pypa/pip#6776, #6792)', () => {
  // pip 19.2's own message, as pasted in pypa/pip#6776 (an e-mail address as the user).
  assert.equal(
    redact('ERROR: Could not install packages due to an EnvironmentError: Failed to parse: https://user@example.com:pass@url-to-pypi-server'),
    'ERROR: Could not install packages due to an EnvironmentError: Failed to parse: https://***@url-to-pypi-server',
  );
  assert.equal(redact('https://readonly:xyz@2111@companyx.example/api/pypi/simple'), 'https://***@companyx.example/api/pypi/simple');
  // An '@' in the path (npm scopes) is not userinfo.
  assert.equal(redact('https://u:p@registry.example/@acme/pkg'), 'https://***@registry.example/@acme/pkg');
  assert.equal(redact('https://registry.example/@acme/pkg?x=a@b'), 'https://registry.example/@acme/pkg?x=a@b');
});

test("a password holding a quote is redacted whole (an apt source's URI, test/fixtures/upstreams/apt-sources/pcsw-creds.sources)", () => {
  const source = readFileSync(new URL('../../test/fixtures/upstreams/apt-sources/pcsw-creds.sources', import.meta.url), 'utf8');
  const uri = /^URIs: (.*)$/m.exec(source)![1]!;
  assert.equal(redact(`#6 [2/4] RUN echo "URIs: ${uri}" >> /etc/apt/sources.list.d/uat.sources`), '#6 [2/4] RUN echo "URIs: https://***@packages.example.com/apt" >> /etc/apt/sources.list.d/uat.sources');
  // The same under `set -x`, which prints the quote as '\''.
  assert.equal(redact(`+ echo 'URIs: ${uri.replace("'", "'\\''")}'`), "+ echo 'URIs: https://***@packages.example.com/apt'");
  assert.equal(redact("echo 'https://host.example/x' 'a@b'"), "echo 'https://host.example/x' 'a@b'");
});

test("a password holding '#', which pip prints unmasked, is redacted whole (pypa/pipenv#3085, pypa/pip#4364)", () => {
  // pip's own line, as pasted in pypa/pipenv#3085 (the password there is 'pass#word').
  assert.equal(
    redact('Looking in indexes: https://pypi.org/simple, https://user:pass#word@simudyne.jfrog.io/simudyne/api/pypi/simudyne-pypi/simple'),
    'Looking in indexes: https://pypi.org/simple, https://***@simudyne.jfrog.io/simudyne/api/pypi/simudyne-pypi/simple',
  );
  assert.equal(redact('pip install -i https://username:password#@artifactory.mycorp.com/api/pypi/some-repo/simple foo'), 'pip install -i https://***@artifactory.mycorp.com/api/pypi/some-repo/simple foo');
  // A fragment after a path is no userinfo.
  assert.equal(redact('see https://docs.example/page#section@top'), 'see https://docs.example/page#section@top');
});

test('token-like query parameters are redacted, others kept', () => {
  assert.equal(
    redact('http://h.example/a.tgz?token=abc&x=1&X-Amz-Signature=dead&api_key=k&private_token=pt'),
    'http://h.example/a.tgz?token=***&x=1&X-Amz-Signature=***&api_key=***&private_token=***',
  );
});

test('URLs inside free text (a log line) are redacted', () => {
  assert.equal(
    redact("Looking in indexes: https://u:p@idx.example/simple, https://other.example/simple?access_token=zz"),
    'Looking in indexes: https://***@idx.example/simple, https://other.example/simple?access_token=***',
  );
});

test('a token in the path of a hosted index URL is redacted (Gemfury, Cloudsmith)', () => {
  assert.equal(redact('Looking in indexes: https://pypi.fury.io/Xa9fK2mQ7pL4tR8wZ3vB/acme/'), 'Looking in indexes: https://pypi.fury.io/***/acme/');
  assert.equal(
    redact('GET https://dl.cloudsmith.io/ElW1Xh5hmIyHqtMr/acme/tools/python/simple/requests/ 200'),
    'GET https://dl.cloudsmith.io/***/acme/tools/python/simple/requests/ 200',
  );
});

test('an anaconda.org token segment (/t/TOKEN/) is redacted, as conda does', () => {
  assert.equal(
    redact('Looking in indexes: https://pypi.anaconda.org/t/ac-5d0f3b2e-91c4-4e7a-b8d6-3f1e2a9c7b40/acme/simple'),
    'Looking in indexes: https://pypi.anaconda.org/t/***/acme/simple',
  );
  assert.equal(redact('https://conda.anaconda.org/t/ab-12345678-90ab/acme/noarch/repodata.json'), 'https://conda.anaconda.org/t/***/acme/noarch/repodata.json');
  // A forum topic's slug (no digit) is not a token.
  const topic = 'see https://discuss.example/t/offline-builds-with-pip/4312';
  assert.equal(redact(topic), topic);
});

test('digests, names and versions in paths are kept', () => {
  for (const url of [
    'https://files.example/packages/3f/2b/8c1d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d/numpy-2.2.6-cp311-cp311-manylinux_2_17_x86_64.whl',
    'http://mirror.invalid/debian/dists/bookworm/main/binary-amd64/by-hash/SHA256/9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5',
    'https://registry.example/@acme/SuperLongPackageName/-/SuperLongPackageName-1.0.0.tgz',
    'https://index.example/simple/azure-mgmt-containerservice/',
  ]) {
    assert.equal(redact(url), url);
  }
});

test('text without credentials is returned unchanged', () => {
  const line = 'Get:1 http://deb.mirror.invalid/debian bookworm/main amd64 jq amd64 1.6-2.1 [135 kB]';
  assert.equal(redact(line), line);
});

test('property: a password or token never survives redaction', () => {
  const word = fc.stringMatching(/^[A-Za-z0-9_.~-]{6,20}$/);
  fc.assert(
    fc.property(word, word, fc.constantFrom('https', 'http'), fc.boolean(), (user, tail, scheme, withUser) => {
      const secret = `ZZ${tail}`; // cannot occur in the rest of the line
      const url = withUser ? `${scheme}://${user}:${secret}@host.example/p?token=${secret}` : `${scheme}://${secret}@host.example/p`;
      const out = redact(`Downloading ${url} (1.2 MB)`);
      assert.ok(!out.includes(secret), out);
    }),
  );
});

test("npm's credential settings are redacted wherever a build prints them (an .npmrc written under set -x, npm config set)", () => {
  assert.equal(redact('+ echo //registry.example/:_authToken=npm_Zq81AbCdEf0123456789'), '+ echo //registry.example/:_authToken=***');
  assert.equal(redact('echo "//npm.example/:_authToken=${NPM_TOKEN}" > .npmrc'), 'echo "//npm.example/:_authToken=***" > .npmrc');
  assert.equal(redact('npm config set //npm.example/:_authToken npm_Zq81AbCdEf0123456789'), 'npm config set //npm.example/:_authToken ***');
  assert.equal(redact('  _auth = "dXNlcjpwYXNz"'), '  _auth = "***"');
  assert.equal(redact('//npm.example/r/:_password=cGFzcw== //npm.example/r/:username=alice'), '//npm.example/r/:_password=*** //npm.example/r/:username=alice');
  assert.equal(redact('my_authority=x, _authors = y'), 'my_authority=x, _authors = y');
});

test('credentials sent as HTTP headers are redacted (curl -v, -H on a command line); look-alike words are kept', () => {
  assert.equal(redact('curl -H "Authorization: Bearer ghp_Zq81AbCdEf0123" https://api.example/x'), 'curl -H "Authorization: Bearer ***" https://api.example/x');
  assert.equal(redact('> Authorization: Basic dXNlcjpwYXNz'), '> Authorization: Basic ***');
  assert.equal(redact('> Proxy-Authorization: c2VjcmV0'), '> Proxy-Authorization: ***');
  assert.equal(redact('--header "PRIVATE-TOKEN: glpat-Zq81AbCdEf" --header "X-JFrog-Art-Api:AKCp8abc"'), '--header "PRIVATE-TOKEN: ***" --header "X-JFrog-Art-Api:***"');
  for (const kept of ['tokenizers: 0.15.0', 'secretstorage: 3.3', 'ERROR: token: invalid', 'HTTP 401 Authorization Required']) assert.equal(redact(kept), kept);
});

test('a token in the variable an .npmrc names (NPM_TOKEN=… npm ci, export TWINE_PASSWORD=…) and tokens of known formats are redacted', () => {
  assert.equal(redact('+ NPM_TOKEN=npm_0123456789abcdefABCDEF0123456789abcd npm ci'), '+ NPM_TOKEN=*** npm ci');
  assert.equal(redact('export TWINE_PASSWORD="pypi-AgEIcHlwaS5vcmcCJDAw"; twine upload dist/*'), 'export TWINE_PASSWORD=***; twine upload dist/*');
  assert.equal(redact('AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG make'), 'AWS_SECRET_ACCESS_KEY=*** make');
  assert.equal(redact('+ T=npm_0123456789abcdefABCDEF0123456789abcd'), '+ T=***');
  assert.equal(redact('using glpat-AbCdEf0123456789xyzw and ghp_0123456789abcdefABCDEF0123456789abcd'), 'using *** and ***');
  for (const kept of ['TOKENIZERS_PARALLELISM=false python train.py', 'MAX_TOKENS=512', 'npm_config_cache=/root/.npm', 'Collecting npm_helper==1.0']) assert.equal(redact(kept), kept);
});

test("a URL's credentials in uv's trace log (Rust's `Url { … username: …, password: Some(…) … }`) are redacted", () => {
  // The shape of astral-sh/uv#13248's `TRACE Considering retry of error: …` line, with credentials in place of its empty ones.
  const line =
    'TRACE Considering retry of error: Error { kind: WrappedReqwestError(Url { scheme: "https", cannot_be_a_base: false, username: "deploy", password: Some("Tok3n\\"Value"), host: Some(Domain("gitlab.example.com")), port: None, path: "/simple/ruff/", query: None, fragment: None }) }';
  assert.equal(
    redact(line),
    'TRACE Considering retry of error: Error { kind: WrappedReqwestError(Url { scheme: "https", cannot_be_a_base: false, username: "***", password: Some("***"), host: Some(Domain("gitlab.example.com")), port: None, path: "/simple/ruff/", query: None, fragment: None }) }',
  );
  // A token as the user name, no password: redacted too; no credentials: the line is kept.
  assert.equal(redact('Url { scheme: "https", cannot_be_a_base: false, username: "glpat_Zq81", password: None, host: None }'), 'Url { scheme: "https", cannot_be_a_base: false, username: "***", password: None, host: None }');
  const none = 'Url { scheme: "https", cannot_be_a_base: false, username: "", password: None, host: Some(Domain("d1p3klp2t5517h.cloudfront.net")) }';
  assert.equal(redact(none), none);
});
