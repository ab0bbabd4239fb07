// uv, as pasted in public issues (hosts replaced with example names).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeLines, attempts, downloads, errors, parseLines } from './tools-fixture.js';

test("uv: a failed fetch's chain of causes is one network attempt at the URL it names, with the last cause", () => {
  // astral-sh/uv-docker-example#37 (uv sync in BuildKit), astral-sh/uv#3570 (`Caused by:` form).
  const chain = analyzeLines([
    '#9 [stage-0 3/5] RUN uv sync --frozen --no-install-project --no-dev',
    '#9 0.156 Using CPython 3.12.8 interpreter at: /usr/local/bin/python3',
    '#9 21.47   × Failed to download `watchfiles==0.23.0`',
    '#9 21.47   ├─▶ Failed to fetch:',
    '#9 21.47   │   `https://files.example.org/packages/03/f1/watchfiles-0.23.0-cp312-cp312-manylinux_2_17_x86_64.whl`',
    '#9 21.47   ├─▶ Could not connect, are you offline?',
    '#9 21.47   ├─▶ Request failed after 3 retries',
    '#9 21.47   ├─▶ error sending request for url',
    '#9 21.47   │   (https://files.example.org/packages/03/f1/watchfiles-0.23.0-cp312-cp312-manylinux_2_17_x86_64.whl)',
    '#9 21.47   ├─▶ client error (Connect)',
    '#9 21.47   ├─▶ dns error: failed to lookup address information: Try again',
    '#9 21.47   ╰─▶ failed to lookup address information: Try again',
    '#9 ERROR: process "/bin/sh -c uv sync --frozen --no-install-project --no-dev" did not complete successfully: exit code: 1',
    '#14 [builder 9/10] RUN uv pip install --system --no-cache -r requirements.txt',
    '#14 2.433 error: error sending request for url (https://pkgs.example.org/pypi/simple/huggingface-hub/)',
    '#14 2.433   Caused by: client error (Connect)',
    '#14 2.433   Caused by: invalid peer certificate: BadSignature',
    '#14 ERROR: process "/bin/sh -c uv pip install --system --no-cache -r requirements.txt" did not complete successfully: exit code: 2',
  ]);
  assert.deepEqual(attempts(chain).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['uv', 'https://files.example.org/packages/03/f1/watchfiles-0.23.0-cp312-cp312-manylinux_2_17_x86_64.whl', 'failed to lookup address information: Try again'],
    ['uv', 'https://pkgs.example.org/pypi/simple/huggingface-hub/', 'invalid peer certificate: BadSignature'],
  ]);
  assert.deepEqual(errors(chain).filter((e) => e.tool !== 'docker'), []);
});

test('uv: the large downloads it names (`Downloading x (6.9MiB)`, then ` Downloaded x`) are downloads', () => {
  // As uv prints them (astral-sh/uv issue and session pastes).
  const got = downloads(parseLines([
    'Resolved 26 packages in 2.92s',
    'Downloading torchvision (6.9MiB)',
    'Downloading cpython-3.12.3-linux-x86_64-gnu (19.2MiB)',
    ' Downloaded torchvision',
    ' Downloaded cpython-3.12.3-linux-x86_64-gnu',
    'Prepared 1 package in 185ms',
    ' + torchvision==0.20.1+cu121',
  ]));
  // A package's version is in the summary of what uv installed, after its download.
  assert.deepEqual(got.map((d) => [d.tool, d.kind, d.name, d.version, d.size, d.cached]), [
    ['uv', 'file', 'cpython-3.12.3-linux-x86_64-gnu', null, Math.round(19.2 * 1024 ** 2), false],
    ['uv', 'wheel', 'torchvision', '0.20.1+cu121', Math.round(6.9 * 1024 ** 2), false],
  ]);
  // Since uv 0.5, a Python download says `(download)` (a public repo's work log of `uv build`).
  const python = downloads(parseLines([
    'Downloading cpython-3.14.8-linux-aarch64-gnu (download) (28.9MiB)',
    ' Downloaded cpython-3.14.8-linux-aarch64-gnu (download)',
  ]));
  assert.deepEqual(python.map((d) => [d.kind, d.name, d.size]), [['file', 'cpython-3.14.8-linux-aarch64-gnu', Math.round(28.9 * 1024 ** 2)]]);
  // `uv pip install … | tail -30` (an agent's session log in a public repo) cut the
  // `Downloading` lines off: uv prints ` Downloaded x` only once x has arrived. cargo's
  // `Downloaded crate v1.0` is not uv's.
  const cut = downloads(parseLines([' Downloaded nvidia-cudnn-cu12', ' Downloaded torch', 'Prepared 16 packages in 23.99s', '  Downloaded serde v1.0.193']));
  assert.deepEqual(cut.map((d) => [d.tool, d.name, d.size]), [['uv', 'nvidia-cudnn-cu12', null], ['uv', 'torch', null]]);
  // pip's own `×` errors are pip's, not uv's.
  const pip = parseLines([
    'error: subprocess-exited-with-error',
    '',
    '× Preparing metadata (pyproject.toml) did not run successfully.',
    '│ exit code: 1',
    '╰─> See above for output.',
  ]);
  assert.deepEqual(errors(pip).map((e) => e.tool), ['pip']);
});

test('uv -v: each try uv retries (`DEBUG Transient request failure for URL, retrying: …`) is a network attempt with its last cause', () => {
  // astral-sh/uv#8450 (uv 0.4.24 in BuildKit, a private GitLab index) and astral-sh/uv#9243
  // (uv 0.5.2 behind a TLS-inspecting proxy), verbatim but for the hosts.
  const events = analyzeLines([
    '#14 0.500 DEBUG Transient request failure for https://gitlab.example.org/api/v4/groups/7/-/packages/pypi/simple/alembic/, retrying: error sending request for url (https://gitlab.example.org/api/v4/groups/7/-/packages/pypi/simple/alembic/)',
    '#14 0.500   Caused by: client error (Connect)',
    '#14 0.500   Caused by: dns error: failed to lookup address information: Name does not resolve',
    '#14 0.500   Caused by: failed to lookup address information: Name does not resolve',
    'DEBUG No cache entry for: https://pypi.example.org/simple/seaborn/',
    'DEBUG Transient request failure for https://pypi.example.org/simple/seaborn/, retrying: error sending request for url (https://pypi.example.org/simple/seaborn/)',
    '  Caused by: client error (Connect)',
    '  Caused by: invalid peer certificate: UnknownIssuer',
    'DEBUG Searching for a compatible version of seaborn',
  ]);
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['uv', 'https://gitlab.example.org/api/v4/groups/7/-/packages/pypi/simple/alembic/', 'failed to lookup address information: Name does not resolve'],
    ['uv', 'https://pypi.example.org/simple/seaborn/', 'invalid peer certificate: UnknownIssuer'],
  ]);
  assert.equal(errors(events).length, 0);
});

test("uv: the server's HTTP status error (401/403/404 from a private index) is a network attempt at the URL", () => {
  // astral-sh/uv#3255 (the URL's query cut to one parameter; REDACTED is the reporter's).
  const events = parseLines([
    'error: Failed to download `mode-optimizer-service-client==1.0.4`',
    '  Caused by: Request error: HTTP status client error (403 Forbidden) for url (https://s3.amazonaws.com/gemfury/gems/REDACTED/mode_optimizer_service_client_1_0_4_py2_py3_none_any_whl?X-Amz-Signature=REDACTED)',
  ]);
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['uv', 'https://s3.amazonaws.com/gemfury/gems/REDACTED/mode_optimizer_service_client_1_0_4_py2_py3_none_any_whl?X-Amz-Signature=REDACTED', 'Request error: HTTP status client error (403 Forbidden) for url (https://s3.amazonaws.com/gemfury/gems/REDACTED/mode_optimizer_service_client_1_0_4_py2_py3_none_any_whl?X-Amz-Signature=REDACTED)'],
  ]);
  assert.equal(errors(events).length, 0);
});

test("uv: a failed file's attempt names its URL without the index's `#sha256=…` fragment, as pip's do", () => {
  // astral-sh/uv#3122 (uv 0.1.33, a Sonatype Nexus index; the reporter's `<NEXUS_SERVER_URL>` replaced by a host).
  const events = parseLines([
    'error: Failed to download distributions',
    '  Caused by: Failed to fetch wheel: google-cloud-pubsub==2.21.0',
    '  Caused by: HTTP status client error (401 Unauthorized) for url (https://nexus.example.com/packages/google-cloud-pubsub/2.21.0/google_cloud_pubsub-2.21.0-py2.py3-none-any.whl#sha256=fabd19e08faa1f70081b0e5ea003a3c031a1d2c1b798cf1be5ded2dbf1d1dbef)',
  ]);
  assert.deepEqual(attempts(events).map((a) => a.url_or_host), ['https://nexus.example.com/packages/google-cloud-pubsub/2.21.0/google_cloud_pubsub-2.21.0-py2.py3-none-any.whl']);
});

test('uv on a console without Unicode (Windows): its ASCII chain (`x`, `|->`, `` `-> ``) is read as the Unicode one', () => {
  // HuaYaoAI/FinGenius#19 (`uv venv --python 3.12` on Windows).
  const url = 'https://github.com/astral-sh/python-build-standalone/releases/download/20250409/cpython-3.12.10%2B20250409-x86_64-pc-windows-msvc-install_only_stripped.tar.gz';
  const events = parseLines([
    'G:\\Desktop\\project\\FinGenius>uv venv --python 3.12',
    '  x Failed to download',
    `  | ${url}`,
    '  |-> Request failed after 3 retries',
    '  |-> error sending request for url',
    `  |   (${url})`,
    '  |-> client error (Connect)',
    '  `-> invalid peer certificate: UnknownIssuer',
  ]);
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), [['uv', url, 'invalid peer certificate: UnknownIssuer']]);
  assert.equal(errors(events).length, 0);
});

test('uv python install: `error: Failed to install cpython-…` is a network attempt at the Python it could not fetch, or an error', () => {
  // astral-sh/uv#9218 (the signed redirect URL of its 4th line cut to its path).
  const url = 'https://github.com/indygreg/python-build-standalone/releases/download/20241016/cpython-3.11.10%2B20241016-aarch64-apple-darwin-install_only_stripped.tar.gz';
  const events = parseLines([
    'error: Failed to install cpython-3.11.10-macos-aarch64-none',
    `  Caused by: Failed to download ${url}`,
    '  Caused by: Request failed after 3 retries',
    '  Caused by: error sending request for url (https://objects.githubusercontent.com/github-production-release-asset-2e65be/162334160/384c4dfe-dbb7-4a3b-a558-f0955d233681)',
    '  Caused by: client error (Connect)',
    '  Caused by: invalid peer certificate: UnknownIssuer',
  ]);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [[url, 'invalid peer certificate: UnknownIssuer']]);
  // astral-sh/uv#6072 (uv 0.2.36): one line, naming no URL.
  const short = parseLines(['error: Failed to install cpython-3.12.4-macos-aarch64-none: Request failed after 3 retries']);
  assert.deepEqual(errors(short).map((e) => e.message), ['Failed to install cpython-3.12.4-macos-aarch64-none: Request failed after 3 retries']);
});

test("uv's hint that an index refused it (`hint: An index URL (URL) could not be queried … (401 Unauthorized)`) is a failed attempt at the index", () => {
  // A uv 0.5.28 issue thread: two private indexes, one hint each, under the resolver's failure.
  const feed = 'https://pkgs.private-repo.com/_packaging/feed/pypi/simple/';
  const sandbox = 'https://pkgs.private-repo.com/_packaging/Sandbox/pypi/simple/';
  const events = analyzeLines([
    "  × No solution found when resolving dependencies for split (python_full_version >= '3.12'):",
    "  ╰─▶ Because cachy was not found in the package registry and your project depends on cachy==0.3.0, we can conclude that your project's requirements are unsatisfiable.",
    '',
    `      hint: An index URL (${feed}) could not be queried due to a lack of valid authentication credentials (401 Unauthorized).`,
    '',
    `      hint: An index URL (${sandbox}) could not be queried due to a lack of valid authentication credentials (401 Unauthorized).`,
  ]);
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['uv', feed, 'HTTP status 401 Unauthorized'],
    ['uv', sandbox, 'HTTP status 401 Unauthorized'],
  ]);
  // uv 0.5.25 (astral-sh/uv issue thread) wraps the hint after its URL; a Windows console inside its sentence.
  const wrapped = analyzeLines([
    '      hint: An index URL (https://artifactory.foobar.com/artifactory/api/pypi/python-virtual/simple)',
    '      could not be queried due to a lack of valid authentication credentials (401 Unauthorized).',
    'hint: An index URL (https://my-repo.com/simple/) could not be       ',
    '      queried due to a lack of valid authentication credentials (401 Unauthorized).',
  ]);
  assert.deepEqual(attempts(wrapped).map((a) => [a.url_or_host, a.error]), [
    ['https://artifactory.foobar.com/artifactory/api/pypi/python-virtual/simple', 'HTTP status 401 Unauthorized'],
    ['https://my-repo.com/simple/', 'HTTP status 401 Unauthorized'],
  ]);
  // uv's own test snapshot of the 403 hint (its placeholder host replaced).
  const forbidden = analyzeLines(['hint: An index (https://pkgs.example.com/simple/) returned a 403 Forbidden error. Check that the index URL is correct and the credentials are valid.']);
  assert.deepEqual(attempts(forbidden).map((a) => [a.url_or_host, a.error]), [['https://pkgs.example.com/simple/', 'HTTP status 403 Forbidden']]);
});

