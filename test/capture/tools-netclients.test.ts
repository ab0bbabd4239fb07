import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNetClientParser } from '../../src/capture/parsers/netclients.js';
import { analyzeLines, attempts, downloads, errors, fixtureLines, parseFixture, parseLines } from './tools-fixture.js';

const NET = [createNetClientParser];

test('curl failures: resolve, connect, timeout are attempts; an HTTP error is an error and a failed try', () => {
  assert.deepEqual(attempts(parseFixture('curl/curl-invalid-host.txt', NET)).map((a) => [a.tool, a.url_or_host]), [
    ['curl', 'no-such-host.invalid'],
  ]);
  assert.deepEqual(attempts(parseFixture('curl/curl-closed-port.txt', NET)).map((a) => a.url_or_host), ['127.0.0.1:1']);
  const timeout = attempts(parseFixture('curl/curl-timeout.txt', NET));
  assert.match(timeout[0]?.error ?? '', /timed out/);
  const notFound = parseFixture('curl/curl-404.txt', NET);
  assert.deepEqual(attempts(notFound).map((a) => [a.url_or_host, a.error]), [['unknown host', 'The requested URL returned error: 404']]);
  assert.match(errors(notFound)[0]?.message ?? '', /\(22\).*404/);
  // Homebrew's `curl -f`, the error glued to the meter (test/fixtures/curl/real/README.md).
  assert.deepEqual(attempts(parseFixture('curl/real/brew-22.txt', NET)).map((a) => a.error), ['The requested URL returned error: 404 Not Found']);
  assert.equal(parseFixture('curl/curl-success.txt', NET).length, 0);
  const refused = parseLines(['curl: (7) Failed to connect to example.invalid port 80 after 0 ms: Connection refused'], NET);
  assert.equal(attempts(refused)[0]?.url_or_host, 'example.invalid:80');
});

test('wget success: a file download with URL, destination and size', () => {
  assert.deepEqual(
    downloads(parseFixture('wget/wget-success.txt', NET)).map((e) => [e.kind, e.tool, e.filename, e.destination, e.size, e.cached, e.timestamp]),
    [['file', 'wget', 'data.bin', 'data.bin.1', 123_456, false, '2026-11-23T19:35:30']],
  );
  assert.match(downloads(parseFixture('wget/wget-success.txt', NET))[0]?.source ?? '', /^http:\/\/127\.0\.0\.1:\d+\/data\.bin$/);
  assert.deepEqual(
    downloads(parseFixture('wget/wget-success-nv.txt', NET)).map((e) => [e.filename, e.destination, e.size]),
    [['hello.txt', 'hello.txt.1', 6]],
  );
});

test('wget failures: one attempt per failed try, with the URL', () => {
  assert.deepEqual(attempts(parseFixture('wget/wget-closed-port.txt', NET)).map((a) => [a.url_or_host, a.error]), [
    ['http://127.0.0.1:1/x.tgz', 'Connection refused'],
  ]);
  assert.deepEqual(attempts(parseFixture('wget/wget-invalid-host.txt', NET)).map((a) => [a.url_or_host, a.error]), [
    ['http://no-such-host.invalid/x.tgz', 'Name or service not known'],
  ]);
  assert.deepEqual(attempts(parseFixture('wget/wget-invalid-host-nv.txt', NET)).map((a) => a.url_or_host), ['no-such-host.invalid']);
  const notFound = parseFixture('wget/wget-404.txt', NET);
  assert.match(errors(notFound)[0]?.message ?? '', /missing\.bin: ERROR 404/);
  // A server on this machine (here the test's, in a build offgrid's own proxy) is no network.
  assert.deepEqual(attempts(notFound), []);
  // A server elsewhere: its answer is also a failed try at the URL, as apt counts it; before, error only.
  const buildkit = analyzeLines(fixtureLines('wget/real/buildkit-404.txt'));
  assert.deepEqual(attempts(buildkit).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['wget', 'https://dlcdn.apache.org/druid/35.0.0/apache-druid-35.0.0-bin.tar.gz', 'ERROR 404: Not Found'],
  ]);
});

test('DNS failures from any program, counted once per failure', () => {
  assert.deepEqual(attempts(parseFixture('curl/other-node-fetch-enotfound.txt', NET)).map((a) => [a.tool, a.url_or_host]), [
    ['node', 'no-such-host.invalid'],
  ]);
  const python = attempts(parseFixture('curl/other-python-urlopen-nxdomain.txt', NET));
  assert.equal(python.length, 1, 'the traceback names the failure twice');
  const generic = parseLines([
    "urllib3.exceptions.NameResolutionError: HTTPSConnectionPool(host='files.invalid', port=443): Temporary failure in name resolution",
  ], NET);
  assert.deepEqual(attempts(generic).map((a) => a.url_or_host), ['files.invalid']);
  // Lines other parsers own are left to them.
  assert.equal(parseLines(["W: Failed to fetch http://x.invalid/InRelease  Temporary failure resolving 'x.invalid'", '  Could not resolve host x'], NET).length, 0);
});

test('after a pip traceback, DNS failures of other programs count again', () => {
  const events = parseLines([
    'ERROR: Exception:',
    'Traceback (most recent call last):',
    '  File "/usr/lib/python3/socket.py", line 962, in getaddrinfo',
    'socket.gaierror: [Errno -2] Name or service not known',
    '',
    'During handling of the above exception, another exception occurred:',
    "pip._vendor.requests.exceptions.ConnectionError: HTTPConnectionPool(host='a.invalid', port=80): Max retries exceeded with url: /x.whl (Caused by NewConnectionError('<x>: Failed to establish a new connection: [Errno -2] Name or service not known'))",
    'curl: (6) Could not resolve host: b.invalid',
  ], NET);
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host]), [['curl', 'b.invalid']]);
});

test('curl -v: a GET answered 2xx is a download with its URL and size; redirects and tunnels are not', () => {
  assert.deepEqual(downloads(parseFixture('curl/curl-verbose.txt', NET)).map((d) => [d.tool, d.kind, d.source, d.filename, d.size, d.cached]), [
    ['curl', 'file', 'http://127.0.0.1:41989/hello.txt', 'hello.txt', 6, false],
  ]);
  // Captured: `curl -v -L -o /dev/null http://127.0.0.1:39411/sub` (301, then 200), with the progress meter.
  assert.deepEqual(downloads(parseFixture('curl/curl-verbose-redirect.txt', NET)).map((d) => [d.source, d.size]), [
    ['http://127.0.0.1:39411/sub/', 236],
  ]);
  // curl 8 over HTTPS through a proxy tunnel, HTTP/2, lower-case headers, connection kept.
  const tunnel = parseLines([
    '* Uses proxy env variable https_proxy == \'http://127.0.0.1:3128\'',
    '*   Trying 127.0.0.1:3128...',
    '* Connected to 127.0.0.1 (127.0.0.1) port 3128',
    '* CONNECT tunnel: HTTP/1.1 negotiated',
    '> CONNECT files.example.org:443 HTTP/1.1',
    '> Host: files.example.org:443',
    '< HTTP/1.1 200 Connection established',
    '* TLSv1.3 (OUT), TLS handshake, Client hello (1):',
    '* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384 / X25519 / RSASSA-PSS',
    '> GET /releases/tool-1.2.3.tar.gz HTTP/2',
    '> Host: files.example.org',
    '< HTTP/2 200 ',
    '< content-length: 1048576',
    '* Connection #0 to host 127.0.0.1 left intact',
    '> GET /releases/missing.tar.gz HTTP/1.1',
  ], NET);
  assert.deepEqual(downloads(tunnel).map((d) => [d.source, d.size]), [['https://files.example.org/releases/tool-1.2.3.tar.gz', 1_048_576]]);
  // A transfer curl gave up on is no download.
  const cut = parseLines([
    '* Connected to 127.0.0.1 (127.0.0.1) port 8080 (#0)',
    '> GET /big.bin HTTP/1.1',
    '< HTTP/1.1 200 OK',
    'curl: (18) transfer closed with 100 bytes remaining to read',
  ], NET);
  assert.equal(downloads(cut).length, 0);
});

test('wget2 (the wget of Fedora 40+): `Saving` then `HTTP response 200 OK [URL]` is a download; a redirect is not', () => {
  // Lines as wget2 prints them (pasted in public issues), hosts replaced.
  const events = parseLines([
    "[0] Downloading 'https://files.example.org/project/boost_1_87_0.tar.gz' ...",
    'HTTP response 302  [https://files.example.org/project/boost_1_87_0.tar.gz]',
    'Adding URL: https://mirror.example.org/project/boost_1_87_0.tar.gz?viasf=1',
    "Saving 'boost_1_87_0.tar.gz'",
    'HTTP response 200 OK [https://mirror.example.org/project/boost_1_87_0.tar.gz?viasf=1]',
    "Saving 'sam_vit_b_01ec64.pth'",
    'HTTP response 200  [https://files.example.org/segment_anything/sam_vit_b_01ec64.pth]',
    'HTTP response 404 Not Found [https://files.example.org/missing.bin]',
  ], NET);
  assert.deepEqual(downloads(events).map((d) => [d.tool, d.source, d.filename, d.destination]), [
    ['wget', 'https://mirror.example.org/project/boost_1_87_0.tar.gz?viasf=1', 'boost_1_87_0.tar.gz', 'boost_1_87_0.tar.gz'],
    ['wget', 'https://files.example.org/segment_anything/sam_vit_b_01ec64.pth', 'sam_vit_b_01ec64.pth', 'sam_vit_b_01ec64.pth'],
  ]);
  assert.deepEqual(errors(events).map((e) => e.message), ['https://files.example.org/missing.bin: HTTP response 404']);
});

test('wget retries: each try that broke after connecting is an attempt at the URL; `(try: N)` is not part of the URL', () => {
  // Captured from GNU wget 1.21.3 against a local server that cuts the body (then, for the
  // first file, serves it whole), never answers, or stalls mid-body.
  const retried = parseFixture('wget/wget-retry-then-saved.txt', NET);
  const url = 'http://127.0.0.1:18081/flip/tool-1.2.tar.gz';
  assert.deepEqual(attempts(retried).map((a) => [a.url_or_host, a.error, a.timestamp]), [[url, 'Connection closed at byte 1000', '2026-12-02T07:00:01']]);
  assert.deepEqual(downloads(retried).map((d) => [d.source, d.filename, d.destination, d.size]), [[url, 'tool-1.2.tar.gz', '/tmp/tool.tgz', 100_000]]);
  assert.deepEqual(attempts(parseFixture('wget/wget-read-error-headers.txt', NET)).map((a) => [a.url_or_host, a.error]), [
    ['http://127.0.0.1:18081/hang/x.tar.gz', 'Read error (Connection timed out) in headers'],
    ['http://127.0.0.1:18081/hang/x.tar.gz', 'Read error (Connection timed out) in headers'],
  ]);
  assert.deepEqual(attempts(parseFixture('wget/wget-read-error-body.txt', NET)).map((a) => a.error), [
    'Read error at byte 1000/100000 (Connection timed out)',
    'Read error at byte 1000/100000 (Connection timed out)',
  ]);
  const closed = parseFixture('wget/wget-connection-closed.txt', NET);
  assert.deepEqual(attempts(closed).map((a) => a.url_or_host), ['http://127.0.0.1:18081/cut/x.bin', 'http://127.0.0.1:18081/cut/x.bin']);
  assert.equal(downloads(closed).length, 0, 'a transfer wget gave up on is no download');
  // Lines as pasted in wapm-packages/nginx#7 and pbatard/libwdi#94, hosts replaced; wget
  // prints the try number as `(try:%2d)`.
  const pasted = parseLines([
    '--2023-03-29 08:47:55--  (try: 2)  http://files.example.org:8001/',
    'Connecting to files.example.org:8001... connected.',
    'HTTP request sent, awaiting response... Read error (Connection reset by peer) in headers.',
    'Retrying.',
    '--2017-08-21 09:06:20--  (try:10)  http://files.example.org/downloads/zadig-2.3.exe',
    '2017-08-21 09:06:18 (9.84 MB/s) - Read error at byte 5156072/5157496 (Connection reset by peer). Retrying.',
    '--2013-08-09 22:09:10--  (try: 3)  https://files.example.org/java/app.jar',
    'Connecting to files.example.org (files.example.org)|192.0.2.7|:443... connected.',
    'Unable to establish SSL connection.',
  ], NET);
  assert.deepEqual(attempts(pasted).map((a) => [a.url_or_host, a.error]), [
    ['http://files.example.org:8001/', 'Read error (Connection reset by peer) in headers'],
    ['http://files.example.org/downloads/zadig-2.3.exe', 'Read error at byte 5156072/5157496 (Connection reset by peer)'],
    ['https://files.example.org/java/app.jar', 'Unable to establish SSL connection'],
  ]);
});

test('wget -O -: the file written to stdout is a download (GNU wget and busybox)', () => {
  assert.deepEqual(downloads(parseFixture('wget/wget-stdout.txt', NET)).map((d) => [d.source, d.filename, d.destination, d.size]), [
    ['http://127.0.0.1:18391/file.bin', 'file.bin', '-', 200_000],
  ]);
  assert.deepEqual(downloads(parseFixture('wget/busybox-wget-stdout.txt', NET)).map((d) => [d.tool, d.filename, d.destination, d.size]), [['wget', null, '-', 195 * 1024]]);
});

test('busybox wget: the size is read off its last progress line, exact below 100000 bytes and in KiB (rounded down) above', () => {
  // BusyBox v1.35.0 (Debian 12) fetching 30000, 1048576 and 5300000 bytes from a local server.
  assert.deepEqual(downloads(parseFixture('wget/busybox-wget-sizes.txt', NET)).map((d) => [d.filename, d.size]), [
    ['bbw-data.bin', 30_000],
    ['bbw-one.bin', 1_048_576],
    ['bbw-five.bin', 5175 * 1024],
  ]);
});

test('busybox wget: a connection that broke after connecting is an attempt at the host it connected to', () => {
  // gliderlabs/docker-alpine#344, koalaman/shellcheck#2163 (`wget -q … -O -`: no host line),
  // VictoriaMetrics-Community/homeassistant-addon-victoriametrics#69; hosts replaced.
  const events = parseLines([
    'Connecting to files.example.org (192.0.2.10:80)',
    'wget: error getting response: Connection reset by peer',
    'wget: error getting response: Connection reset by peer',
    'Connecting to proxy.example:8080 (192.0.2.12:8080)',
    'wget: download timed out',
    'Connecting to releases.example.org (192.0.2.20:443)',
    'wget: connection closed prematurely',
  ], NET);
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['wget', 'files.example.org', 'error getting response: Connection reset by peer'],
    ['wget', 'files.example.org', 'error getting response: Connection reset by peer'],
    ['wget', 'proxy.example:8080', 'download timed out'],
    ['wget', 'releases.example.org', 'connection closed prematurely'],
  ]);
});

test("wget's and curl's certificate failures are network attempts, and wget's `ERROR:` lines are not pip's", () => {
  // Captured: GNU wget 1.21.3 (GnuTLS) and curl against a local server with a self-signed certificate.
  const events = parseFixture('wget/wget-certificate-untrusted.txt');
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['wget', 'https://127.0.0.1:18443/file.bin', 'The certificate of ‘127.0.0.1’ is not trusted'],
  ]);
  assert.deepEqual(errors(events), []);
  assert.deepEqual(attempts(parseFixture('curl/curl-certificate-untrusted.txt')).map((a) => [a.tool, a.error]), [
    ['curl', 'SSL certificate problem: self-signed certificate'],
  ]);
  // wget built with OpenSSL, as in lightgbm-org/LightGBM#2554 (hosts replaced).
  const openssl = parseLines([
    '--2019-11-08 16:39:04--  https://repo.example.org/miniconda/Miniconda3-latest-Linux-x86_64.sh',
    'Connecting to repo.example.org (repo.example.org)|192.0.2.79|:443... connected.',
    "ERROR: cannot verify repo.example.org's certificate, issued by 'CN=Example CA,O=Example':",
    "  Unable to locally verify the issuer's authority.",
    "To connect to repo.example.org insecurely, use `--no-check-certificate'.",
  ]);
  assert.deepEqual(attempts(openssl).map((a) => [a.url_or_host, a.error]), [
    ['https://repo.example.org/miniconda/Miniconda3-latest-Linux-x86_64.sh', "cannot verify repo.example.org's certificate, issued by 'CN=Example CA,O=Example'"],
  ]);
  assert.deepEqual(errors(openssl), []);
});

test("git's failures to reach a remote are network attempts (tool git), at the URL or host it names", () => {
  // jupyter/docker-stacks#2112, intel/ipex-llm#5388, travelping/docker-nettools#7, and
  // alfaro96/scikit-lr#98 (pip's indented git output inside BuildKit); hosts replaced.
  const events = parseLines([
    "fatal: unable to access 'https://git.example.org/PAIR-code/facets/': gnutls_handshake() failed: Error in the pull function.",
    "fatal: unable to access 'https://git.example.org/analytics-zoo/graphene.git/': gnutls_handshake() failed: An unexpected TLS packet was received.",
    "fatal: unable to access 'https://git.example.org/org/repo.git/': Could not resolve host: git.example.org",
    'fatal: unable to connect to git.example.org:',
    'git.example.org[0: 192.0.2.4]: errno=Operation timed out',
    '  fatal: unable to connect to git.example.org:',
    '  git.example.org[0: 192.0.2.151]: errno=Connection refused',
    "fatal: unable to access 'https://git.example.org/private/repo.git/': The requested URL returned error: 403",
  ], NET);
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['git', 'https://git.example.org/PAIR-code/facets/', 'gnutls_handshake() failed: Error in the pull function.'],
    ['git', 'https://git.example.org/analytics-zoo/graphene.git/', 'gnutls_handshake() failed: An unexpected TLS packet was received.'],
    ['git', 'https://git.example.org/org/repo.git/', 'Could not resolve host: git.example.org'],
    ['git', 'git.example.org', 'Operation timed out'],
    ['git', 'git.example.org', 'Connection refused'],
    ['git', 'https://git.example.org/private/repo.git/', 'The requested URL returned error: 403'],
  ]);
  assert.deepEqual(errors(events).map((e) => [e.tool, e.message]), [
    ['git', 'https://git.example.org/private/repo.git/: The requested URL returned error: 403'],
  ]);
});

test("the Docker daemon's Go HTTP client giving up (`net/http: TLS handshake timeout`, `Client.Timeout exceeded`) is a network attempt at the URL", () => {
  // freedomofdevelopers/fod#687, xiaopeng163/docker.tips#4, docker-archive-public/docker.kitematic#2497
  // (an old daemon: the URL unquoted); hosts replaced.
  const events = parseLines([
    'Error response from daemon: Get "https://registry.example/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)',
    'Error response from daemon: Head "https://registry.example/v2/library/postgres/manifests/10": net/http: TLS handshake timeout',
    'error pulling image configuration: Get https://cdn.example.org/registry-v2/blobs/sha256/6c/data?Expires=1523420912: net/http: TLS handshake timeout',
  ], NET);
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['docker', 'https://registry.example/v2/', 'net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)'],
    ['docker', 'https://registry.example/v2/library/postgres/manifests/10', 'net/http: TLS handshake timeout'],
    ['docker', 'https://cdn.example.org/registry-v2/blobs/sha256/6c/data?Expires=1523420912', 'net/http: TLS handshake timeout'],
  ]);
});

test("curl's error on the line of its progress meter (curl ends a row with \\r, not a newline) is read like one on its own line", () => {
  // Before: the glued `curl: (6)` left no trace; only the unglued `curl: (7)` was recorded.
  const singularity = parseFixture('curl/real/singularity-nonet.txt', NET);
  assert.deepEqual(attempts(singularity).map((a) => [a.tool, a.url_or_host]), [
    ['curl', 'davetang.org'],
    ['curl', '23.196.3.208:80'],
  ]);
  const gha = analyzeLines(fixtureLines('curl/real/gha-meter-glued.txt'));
  assert.deepEqual(attempts(gha).map((a) => [a.url_or_host, a.error]), [
    ['.s3.amazonaws.com', 'Could not resolve host: .s3.amazonaws.com'],
    ['.s3.amazonaws.com', 'Could not resolve host: .s3.amazonaws.com'],
  ]);
  // A line that only mentions curl after other text is not curl's.
  assert.deepEqual(parseLines(['  see also curl: (6) in the docs'], NET), []);
});

test('old wget (1.5–1.10) prints times without a date: its saved files and its 404 are read, alone or through the log reader', () => {
  // Before: nothing was recorded (`--01:20:34--  URL` was not taken for wget's start).
  for (const events of [parseFixture('wget/real/old-mirror.txt', NET), analyzeLines(fixtureLines('wget/real/old-mirror.txt'))]) {
    assert.deepEqual(downloads(events).map((d) => [d.source, d.destination, d.size, d.timestamp]), [
      ['http://www.art-webb.com:80/', 'www.art-webb.com/index.html', 1160, null],
      ['http://www.art-webb.com:80/Movie1.swf', 'www.art-webb.com/Movie1.swf', 8897, null],
    ]);
    assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [['http://www.art-webb.com:80/no-robots.txt', 'ERROR 404: Not Found']]);
  }
});

test("git's errno line for a remote named by its address (a line starting with a digit) is still read", () => {
  const events = parseLines(['fatal: unable to connect to 192.0.2.4:', '192.0.2.4[0: 192.0.2.4]: errno=Connection refused'], NET);
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), [['git', '192.0.2.4', 'Connection refused']]);
});

test('an HTTP error from a server on this machine is no network attempt; one from elsewhere is', async () => {
  const { answeredOverNetwork } = await import('../../src/capture/parsers/http-answer.js');
  assert.equal(answeredOverNetwork('http://127.0.0.1:8765/npm/left-pad'), false);
  assert.equal(answeredOverNetwork('http://localhost/x'), false);
  assert.equal(answeredOverNetwork('http://[::1]:8080/x'), false);
  assert.equal(answeredOverNetwork('https://user:tok@registry.example/x'), true);
  assert.equal(answeredOverNetwork('unknown host'), true);
});

test("wget in another language (`- 已保存 ‘x’ [n/n])`, `- »x« gespeichert [n/n]`, `— « x » sauvegardé [n/n]`): the saved file is a download", () => {
  // Before: a translated wget's download left no trace.
  const saved = (path: string) => downloads(parseFixture(path, NET)).map((d) => [d.source, d.destination, d.size, d.timestamp]);
  assert.deepEqual(saved('wget/real/zh-redirect.txt'), [
    ['https://dl.influxdata.com/influxdb/releases/influxdb2-2.7.11_linux_amd64.tar.gz', 'influxdb2-2.7.11_linux_amd64.tar.gz', 49_614_126, '2025-03-29T22:30:12'],
  ]);
  assert.deepEqual(saved('wget/real/zh-no-length.txt'), [['http://www.google.com/', 'index.html.10', 11_375, '2018-09-06T20:24:27']]);
  assert.deepEqual(saved('wget/real/de-saved.txt'), [['https://nodejs.org/dist/v4.4.6/node-v4.4.6-linux-x64.tar.gz', 'node.tar.gz', 12_174_079, '2016-10-19T22:00:58']]);
  assert.deepEqual(saved('wget/real/fr-saved.txt'), [['https://dl.min.io/server/minio/release/linux-amd64/minio.deb', 'minio.deb', 35_683_782, '2024-01-29T08:59:05']]);
  // A dated line of another program, with no wget URL before it, is nothing.
  assert.deepEqual(parseLines(['2024-01-29 08:59:05 (494 KB/s) — « x » sauvegardé [1/1]'], NET), []);
});

test("wget's failures in another language (`FEHLER 404: Not Found.`, `wget: 无法解析主机地址 “h”`): a failed try at the URL it was fetching", () => {
  // Before: nothing was recorded.
  assert.deepEqual(attempts(parseFixture('wget/real/de-404.txt', NET)).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['wget', 'https://appvr.org/dl/Captain-Hardcore-v0.13.apk', 'FEHLER 404: Not Found'],
  ]);
  assert.equal(errors(parseFixture('wget/real/de-404.txt', NET)).length, 1);
  assert.deepEqual(attempts(parseFixture('wget/real/zh-unresolved.txt', NET)).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['wget', 'http://wget/', '无法解析主机地址 “wget”'],
  ]);
  // The resolver's own words on wget's translated `Resolving` line are not a second, unattributed failure.
  assert.deepEqual(attempts(parseFixture('wget/real/zh-unresolved-macos.txt', NET)).map((a) => [a.tool, a.url_or_host]), [['wget', 'http://-/']]);
  // Not after another URL's start, nor in lowercase words: another program's line.
  assert.deepEqual(parseLines(['--2025-05-15 20:03:04--  https://a.example/x', '2025-05-15 20:03:05 info 200: ok', 'wget: 无法解析主机地址 “b.example”'], NET), []);
});

test("git over ssh that cannot reach its host, and a clone cut off mid-transfer (`error: RPC failed; curl 56 …`), are network attempts", () => {
  // Before: the ssh failure was an attempt at 'unknown host' by an unknown tool, and the cut clone left no trace.
  // (status notes in public repositories, search-index file ids 52509059032 and 41007538018; 62030655163 for OpenSSL's form)
  const events = parseLines([
    'ssh: Could not resolve hostname github.com: Temporary failure in name resolution',
    'fatal: Could not read from remote repository.',
    'ssh: connect to host github.com port 22: Connection timed out',
    "正克隆到 'ipython'...",
    'remote: Counting objects: 154141, done.',
    'error: RPC failed; curl 56 GnuTLS recv error (-9): A TLS packet with unexpected length was received.',
    'fatal: The remote end hung up unexpectedly',
    'error: RPC failed; curl 56 OpenSSL SSL_read: Connection timed out, errno 110',
  ], NET);
  assert.deepEqual(attempts(events).map((a) => [a.tool, a.url_or_host, a.error]), [
    ['ssh', 'github.com', 'Temporary failure in name resolution'],
    ['ssh', 'github.com:22', 'Connection timed out'],
    ['git', 'unknown host', 'curl 56 GnuTLS recv error (-9): A TLS packet with unexpected length was received.'],
    ['git', 'unknown host', 'curl 56 OpenSSL SSL_read: Connection timed out, errno 110'],
  ]);
  // An HTTP answer git got (`RPC failed; HTTP 500 curl 22 …`) names no URL: an error, no attempt.
  const answered = parseLines(['error: RPC failed; HTTP 500 curl 22 The requested URL returned error: 500'], NET);
  assert.deepEqual(attempts(answered), []);
  assert.deepEqual(errors(answered).map((e) => [e.tool, e.message]), [['git', 'RPC failed; HTTP 500 curl 22 The requested URL returned error: 500']]);
});
