// apt output users pasted into public issues (test/fixtures/apt-real/README.md says where
// each came from): the events a build engineer reading it would list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAptParser } from '../../src/capture/parsers/apt.js';
import { parseAptSize } from '../../src/capture/parsers/apt-item.js';
import { parseAptStatus } from '../../src/capture/parsers/apt-status.js';
import { parseAptArchives } from '../../src/capture/parsers/apt-archives.js';
import { attempts, downloads, errors, parseFixture, parseLines } from './tools-fixture.js';

const APT = [createAptParser];

test('apt Get:N then Err:N (Hash Sum mismatch): the index failed, so it is an attempt and no download', () => {
  const events = parseFixture('apt-real/hash-sum-mismatch-index.txt', APT);
  assert.deepEqual(downloads(events).map((e) => [e.filename, e.cached, e.size]), [
    ['InRelease', true, null],
    ['InRelease', true, null],
    ['InRelease', true, null],
    ['InRelease', true, null],
    ['InRelease', true, null],
    ['InRelease', false, 265_000],
  ]);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [['http://deb.example/ubuntu/dists/focal/main/source/Sources', 'Hash Sum mismatch']]);
});

test('apt Get:3, Ign:3, Get:3, Err:3: neither try of the index counts as downloaded', () => {
  const events = parseFixture('apt-real/hash-sum-mismatch-retry.txt', APT);
  assert.deepEqual(downloads(events).map((e) => [e.source, e.size]), [
    ['http://termux.example/dists/stable/InRelease', 1666],
    ['http://termux.example/dists/stable/main/binary-all/Packages', 3692],
  ]);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [
    ['http://termux.example/dists/stable/main/binary-aarch64/Packages', 'Hash Sum mismatch'],
  ]);
  assert.equal(errors(events).length, 2);
});

test('apt: a .deb whose Get:N is followed by Err:N is a failed attempt, not a download or a cache hit', () => {
  const events = parseLines([
    'Get:1 http://deb.example/debian bookworm/main amd64 sl amd64 5.02-1+b1 [13.2 kB]',
    'Get:2 http://deb.example/debian bookworm/main amd64 cowsay all 3.03+dfsg2-8 [21.4 kB]',
    'Err:1 http://deb.example/debian bookworm/main amd64 sl amd64 5.02-1+b1',
    '  File has unexpected size (13000 != 13200). Mirror sync in progress? [IP: 192.0.2.1 80]',
    'Fetched 34.4 kB in 0s (1,234 kB/s)',
  ], APT);
  assert.deepEqual(downloads(events).map((e) => [e.name, e.cached]), [['cowsay', false]]);
  // No `E: Failed to fetch` line gives its URL: its repository and file name.
  assert.deepEqual(attempts(events).map((a) => a.url_or_host), ['http://deb.example/debian sl_5.02-1+b1_amd64.deb']);
});

test('German apt (Holen:, OK:): packages and indexes, sizes in the German number format', () => {
  const install = downloads(parseFixture('apt-real/de-install.txt', APT));
  assert.deepEqual(install.map((e) => [e.name, e.version, e.size, e.cached, e.filename]), [
    ['php-codesniffer', '3.2.3-1', 443_000, false, 'php-codesniffer_3.2.3-1_all.deb'],
  ]);
  const update = downloads(parseFixture('apt-real/de-update.txt', APT));
  assert.deepEqual(update.map((e) => [e.source, e.size, e.cached]), [
    ['http://security.example/ubuntu/dists/bionic-security/InRelease', 88_700, false],
    ['http://ppa.example/alexlarsson/flatpak/ubuntu/dists/bionic/InRelease', null, true],
    ['http://deb.example/ubuntu/dists/bionic/InRelease', null, true],
    ['http://deb.example/ubuntu/dists/bionic-updates/InRelease', null, true],
    ['http://ppa.example/libreoffice/ppa/ubuntu/dists/bionic/InRelease', null, true],
  ]);
});

test('French apt (Réception de :N): apt 2.6 and apt 0.8 package lines, sizes grouped with spaces', () => {
  const arm = downloads(parseFixture('apt-real/fr-install-arm64.txt', APT));
  assert.deepEqual(arm.map((e) => [e.name, e.version, e.size]), [
    ['binutils-avr', '2.26.20160125+Atmel3.6.2-4', 1_395_000],
    ['gcc-avr', '1:5.4.0+Atmel3.6.2-3', 14_100_000],
    ['avr-libc', '1:2.0.0+Atmel3.6.2-3', 4_889_000],
    ['libusb-0.1-4', '2:0.1.12-32', 21_500],
  ]);
  const precise = downloads(parseFixture('apt-real/fr-precise-space-sizes.txt', APT));
  assert.deepEqual(precise.map((e) => [e.name, e.size, e.filename]), [
    ['language-pack-en-base', 881_000, 'language-pack-en-base_1%3a12.04+20130128_all.deb'],
    ['language-pack-en', 1986, 'language-pack-en_1%3a12.04+20130128_all.deb'],
    ['language-pack-fr', 1982, 'language-pack-fr_1%3a12.04+20130128_all.deb'],
    ['firefox-locale-en', 496_000, 'firefox-locale-en_19.0+build1-0ubuntu0.12.04.1_amd64.deb'],
  ]);
  assert.equal(parseAptSize('1\u202f986 B'), 1986);
  assert.equal(parseAptSize('12 34 kB'), null);
});

test('apt status labels: every language apt 2.6 ships, and no other tool\'s lines', () => {
  assert.deepEqual(parseAptStatus('Des:7 http://h.example/debian bookworm InRelease [151 kB]'), { kind: 'get', id: '7', rest: 'http://h.example/debian bookworm InRelease [151 kB]' });
  assert.equal(parseAptStatus('Atteint\u00a0:2 http://h.example/debian bookworm InRelease')?.kind, 'hit');
  assert.equal(parseAptStatus('Fehl:3 http://h.example/debian bookworm Release')?.kind, 'err');
  assert.equal(parseAptStatus('Ошб:3 http://h.example/debian bookworm Release')?.kind, 'err');
  assert.equal(parseAptStatus('忽略:4 http://h.example/debian bookworm InRelease')?.kind, 'ign');
  assert.equal(parseAptStatus('Hata:  5 http://h.example/debian bookworm Release')?.kind, 'err');
  assert.equal(parseAptStatus('В кеші:6 http://h.example/debian bookworm InRelease')?.kind, 'hit');
  assert.equal(parseAptStatus('OK: 25 MiB in 20 packages'), null);
  assert.equal(parseAptStatus('Get: the thing'), null);
  assert.equal(parseAptStatus('Error: 2 http://h.example/debian groovy Release'), null);
});

test('apt 1.0 (Debian 8) package lines (NAME ARCH VERSION after the suite) and its 404s', () => {
  const events = parseFixture('apt-real/jessie-install-404.txt', APT);
  assert.deepEqual(downloads(events).map((e) => [e.name, e.version, e.size, e.filename]), [['python3-gi', '3.14.0-1', 454_000, 'python3-gi_3.14.0-1_amd64.deb']]);
  assert.deepEqual(attempts(events).map((a) => a.error), ['404  Not Found [IP: 46.43.34.31 80]', '404  Not Found [IP: 46.43.34.31 80]']);
});

test('apt Failed to fetch with one space before the reason: the URL is the first word', () => {
  const events = parseFixture('apt-real/fetch-failed-one-space.txt', APT);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [
    ['http://security.example/ubuntu/pool/main/f/file/libmagic-mgc_5.32-2ubuntu0.3_amd64.deb', '404 Not Found [IP: 91.189.88.142 80]'],
    ['http://security.example/ubuntu/pool/main/f/file/libmagic1_5.32-2ubuntu0.3_amd64.deb', '404 Not Found [IP: 91.189.88.142 80]'],
  ]);
});

test('apt 3 "Error: The repository … does not have a Release file." is an error, after the 404 attempt', () => {
  const events = parseFixture('apt-real/apt3-no-release-file.txt', APT);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [
    ['https://tommie.github.io/innernet-debian/debian/dists/resolute/Release', '404  Not Found [IP: 2606:50c0:8002::153 443]'],
  ]);
  assert.deepEqual(errors(events).map((e) => e.message), ["The repository 'https://tommie.github.io/innernet-debian/debian resolute Release' does not have a Release file."]);
  assert.equal(downloads(events).length, 4);
});

test('apt install ./x.deb: Get:1 /PATH.deb is the file given, not a download, and its unpacking is no cache hit', () => {
  // Before: `bottom` (unpacked) and `alation-hydra` (only planned) came out as apt cache hits.
  for (const fixture of ['apt-real/local-deb.txt', 'apt-real/local-deb-docker.txt', 'apt-real/fr-local-deb.txt']) {
    const events = parseFixture(fixture, APT);
    assert.deepEqual(downloads(events), [], fixture);
    assert.deepEqual(attempts(events), [], fixture);
  }
  assert.deepEqual(parseAptStatus('Get:1 /tmp/ezdeb/bottom_0.8.0_amd64.deb bottom amd64 0.8.0 [1,186 kB]'), {
    kind: 'get',
    id: '1',
    rest: '/tmp/ezdeb/bottom_0.8.0_amd64.deb bottom amd64 0.8.0 [1,186 kB]',
  });
});

test('dpkg in another language (Préparation du dépaquetage de .../x.deb ...): a package with no Get: line came from the archive cache', () => {
  // `Il est nécessaire de prendre 0 o/27,0 ko`: nothing was fetched; before, nothing was reported.
  const reinstall = downloads(parseFixture('apt-real/fr-reinstall-cached.txt', APT));
  assert.deepEqual(reinstall.map((e) => [e.name, e.version, e.cached, e.filename]), [['fuse', '2.9.9-5ubuntu3', true, 'fuse_2.9.9-5ubuntu3_amd64.deb']]);
  const old = downloads(parseFixture('apt-real/fr-old-dpkg-cached.txt', APT));
  assert.deepEqual(old.map((e) => [e.name, e.version, e.cached]), [
    ['nspluginwrapper', '1.2.2-0ubuntu9', true],
    ['flashplugin-installer', '10.3.181.14ubuntu0.11.04.1', true],
  ]);
  // Fetched ones stay fetched: 准备解压 .../xorgxrdp_1%3a0.2.12-1_amd64.deb after 获取:2.
  const zh = downloads(parseFixture('apt-real/zh-install.txt', APT));
  assert.deepEqual(zh.map((e) => [e.name, e.version, e.cached, e.size]), [
    ['xrdp', '0.9.12-1', false, 428_000],
    ['xorgxrdp', '1:0.2.12-1', false, 59_900],
  ]);
});

test('apt-get -qq install prints no fetch phase: an unpacked package is not claimed cached (its source is unknown)', () => {
  // Before: net-tools came out cached, and `report to-cache` said nothing needed caching.
  const events = parseFixture('apt-real/qq-install.txt', APT);
  assert.deepEqual(downloads(events).map((e) => [e.name, e.version, e.cached, e.source, e.filename]), [
    ['net-tools', '1.60+git20161116.90da8a0-1', false, null, 'net-tools_1.60+git20161116.90da8a0-1_amd64.deb'],
  ]);
});

test('apt .debs that failed to download (Err:N, no E: line yet): no planned package is claimed cached', () => {
  // `Need to get 704 kB of archives.` (no `X/Y`): nothing was in the archive cache; before,
  // ldnsutils (planned, no line of its own) came out cached.
  const events = parseFixture('apt-real/focal-err-debs-dns.txt', APT);
  assert.deepEqual(downloads(events), []);
});

test("apt's Need to get … of archives. line in its translations: the X/Y form says part was cached", () => {
  assert.equal(parseAptArchives('Need to get 0 B/14.6 kB of archives.'), 'some-cached');
  assert.equal(parseAptArchives('Need to get 704 kB of archives.'), 'none-cached');
  assert.equal(parseAptArchives('Il est nécessaire de prendre 0 o/27,0 ko dans les archives.'), 'some-cached');
  assert.equal(parseAptArchives('Il est nécessaire de prendre 1 382 ko dans les archives.'), 'none-cached');
  assert.equal(parseAptArchives('Es müssen noch 0 B von 443 kB an Archiven heruntergeladen werden.'), 'some-cached');
  assert.equal(parseAptArchives('Es müssen 443 kB an Archiven heruntergeladen werden.'), 'none-cached');
  assert.equal(parseAptArchives('需要下载 52.7 MB/76.2 MB 的归档。'), 'some-cached');
  assert.equal(parseAptArchives('76,2 MB 中 52,7 MB のアーカイブを取得する必要があります。'), 'some-cached');
  assert.equal(parseAptArchives('0 B/21,1 MB skal hentes fra arkiverne.'), 'some-cached');
  assert.equal(parseAptArchives('Need to get the thing of archives.'), null);
  assert.equal(parseAptArchives('Es müssen alle Tests laufen.'), null);
});

test('apt with its fetch phase shown but no archives line (Get: lines of .debs): a package without one was cached', () => {
  const events = parseLines([
    'Get:1 http://deb.example/debian bookworm/main amd64 sl amd64 5.02-1+b1 [13.2 kB]',
    'Fetched 13.2 kB in 0s (1,234 kB/s)',
    'Unpacking sl (5.02-1+b1) ...',
    'Unpacking cowsay (3.03+dfsg2-8) ...',
  ], APT);
  assert.deepEqual(downloads(events).map((e) => [e.name, e.cached]), [['sl', false], ['cowsay', true]]);
});

test('apt Err:N on a .deb: the attempt names the .deb, by the URL of its E: Failed to fetch line, one per package', () => {
  // Before: only the repository (`http://deb.example/debian`), and the E: line's URL was dropped as a repeat.
  const deb404 = parseFixture('apt-real/stretch-err-deb404.txt', APT);
  assert.deepEqual(attempts(deb404).map((a) => [a.url_or_host, a.error]), [
    ['http://deb.example/debian/pool/main/o/openldap/libldap2-dev_2.4.44+dfsg-5+deb9u3_amd64.deb', '404  Not Found'],
  ]);
  // Four packages failing alike were one attempt at the repository (count 3) and one at the
  // security archive; the excerpt ends before apt's E: lines, so each is named by its file.
  const dns = parseFixture('apt-real/focal-err-debs-dns.txt', APT);
  assert.deepEqual(attempts(dns).map((a) => a.url_or_host), [
    'http://deb.example/ubuntu libfstrm0_0.6.0-1_amd64.deb',
    'http://deb.example/ubuntu nsd_4.1.26-1build1_amd64.deb',
    'http://security.example/ubuntu libprotobuf-c1_1.3.3-1ubuntu0.1_amd64.deb',
    'http://deb.example/ubuntu libldns2_1.7.0-4.1ubuntu1_amd64.deb',
  ]);
});

test('apt index files: their real place under dists/ (i18n/, dep11/, source/), or no URL when apt does not say', () => {
  // Ubuntu 24.04 `apt update` lines (a terminal recording in a public GitHub repository, found
  // by exact-string search, which gave no repository path; the Icons and c-n-f lines are written
  // as apt prints them) and a Debian 7 one in Spanish (an IRLP note, likewise). Before:
  // `…/main/amd64 Components`, with a space, and `…/wheezy/main/Sources`.
  const events = parseLines([
    '获取:12 http://security.example/ubuntu noble-security/universe Translation-en [241 kB]',
    '获取:13 http://security.example/ubuntu noble-security/universe amd64 Components [76.3 kB]',
    '获取:14 http://security.example/ubuntu noble-security/main DEP-11 48x48 Icons [45.2 kB]',
    '获取:15 http://security.example/ubuntu noble-security/main amd64 c-n-f Metadata [7,532 B]',
    'Des:8 http://deb.example/debian wheezy/main Sources [5 993 kB]',
    '获取:16 http://deb.example/ubuntu noble InRelease [126',
    'Fetched 45.3 MB in 6s (7,870 kB/s)',
  ], APT);
  assert.deepEqual(downloads(events).map((e) => [e.filename, e.source]), [
    ['Translation-en', 'http://security.example/ubuntu/dists/noble-security/universe/i18n/Translation-en'],
    ['Components-amd64.yml', 'http://security.example/ubuntu/dists/noble-security/universe/dep11/Components-amd64.yml'],
    ['icons-48x48.tar', 'http://security.example/ubuntu/dists/noble-security/main/dep11/icons-48x48.tar'],
    ['Commands-amd64', 'http://security.example/ubuntu/dists/noble-security/main/cnf/Commands-amd64'],
    ['Sources', 'http://deb.example/debian/dists/wheezy/main/source/Sources'],
    [null, null], // a line the recorder wrapped: `InRelease [126` is no index apt names
  ]);
});

test('apt 1.0 prints repositories as bare hosts: an index URL takes the path the W: lines show, or none', () => {
  // Before: `http://deb.example/dists/jessie/Release.gpg` (the repository is at /debian) and
  // `http://security.example/dists/jessie/updates/InRelease` (its path appears nowhere).
  const events = parseFixture('apt-real/jessie-legacy-bare-hosts.txt', APT);
  assert.deepEqual(downloads(events).map((e) => [e.filename, e.source]), [
    ['InRelease', null],
    ['Packages', null],
    ['Release.gpg', 'http://deb.example/debian/dists/jessie/Release.gpg'],
    ['Release', 'http://deb.example/debian/dists/jessie/Release'],
    ['Packages', 'http://deb.example/debian/dists/jessie/main/binary-amd64/Packages'],
  ]);
  // apt ≥ 1.1 prints the full URL: a bare host there is a repository at the server's root.
  const root = parseLines(['Get:1 https://apt.example jammy InRelease [12.9 kB]', 'Fetched 12.9 kB in 0s (60 kB/s)'], APT);
  assert.deepEqual(downloads(root).map((e) => e.source), ['https://apt.example/dists/jammy/InRelease']);
});

test("apt 3's summary (`  Download size: 0 B / 1,805 kB`) shows its fetch phase: a package it printed no Get: line for was cached", () => {
  // `sudo apt --fix-broken install` on Debian 13 (armhf), from a public GitHub repository
  // (found by exact-string search, which gave no repository path).
  const events = parseLines([
    'Upgrading:',
    '  libpython3.13',
    '',
    'Summary:',
    '  Upgrading: 1, Installing: 0, Removing: 0, Not Upgrading: 77',
    '  1 not fully installed or removed.',
    '  Download size: 0 B / 1,805 kB',
    '  Space needed: 0 B / 26.2 GB available',
    '',
    'Continue? [Y/n] y',
    'Reading changelogs... Done',
    '(Reading database ... 112278 files and directories currently installed.)',
    'Preparing to unpack .../libpython3.13_3.13.5-2+deb13u2_armhf.deb ...',
    'Unpacking libpython3.13:armhf (3.13.5-2+deb13u2) over (3.13.5-2) ...',
  ], APT);
  assert.deepEqual(downloads(events).map((e) => [e.name, e.version, e.cached]), [['libpython3.13', '3.13.5-2+deb13u2', true]]);
});

test('apt Err:N for a signature by an unknown key (NO_PUBKEY): the index was downloaded, and the network did not fail', () => {
  // `apt-get update` on Raspbian in Chinese, from notes in a public GitHub repository (found by
  // exact-string search, which gave no repository path). Before: the 44.9 kB InRelease was
  // dropped and a network attempt with error `… NO_PUBKEY …` recorded.
  const events = parseLines([
    '获取:1 http://security.example/debian-security jessie/updates InRelease [44.9 kB]',
    '错误:1 http://security.example/debian-security jessie/updates InRelease               ',
    '  由于没有公钥，无法验证下列签名： NO_PUBKEY 9D6D8F6BC857C906 NO_PUBKEY AA8E81B4331F7F50',
    '命中:2 http://deb.example/raspbian/raspbian buster InRelease',
    '正在读取软件包列表... 完成',
    'W: GPG 错误：http://security.example/debian-security jessie/updates InRelease: 由于没有公钥，无法验证下列签名： NO_PUBKEY 9D6D8F6BC857C906 NO_PUBKEY AA8E81B4331F7F50',
    'E: 仓库 “http://security.example/debian-security jessie/updates InRelease” 没有数字签名。',
  ], APT);
  assert.deepEqual(downloads(events).map((e) => [e.source, e.size, e.cached]), [
    ['http://security.example/debian-security/dists/jessie/updates/InRelease', 44_900, false],
    ['http://deb.example/raspbian/raspbian/dists/buster/InRelease', null, true],
  ]);
  assert.deepEqual(attempts(events), []);
  assert.equal(errors(events).length, 1);
});

test("Ubuntu's amd64v3 variant: the .deb is named after the variant, as dpkg's own line in the same log shows", () => {
  // `apt install nginx` on Ubuntu 26.04 (an AWS write-up in a public GitHub repository, found by
  // exact-string search, which gave no repository path). Before: nginx_1.28.3-2ubuntu1.11_amd64.deb.
  const events = parseLines([
    'Get:1 http://deb.example/ubuntu resolute-updates/main amd64v3 nginx-common all 1.28.3-2ubuntu1.11 [37.9 kB]',
    'Get:2 http://deb.example/ubuntu resolute-updates/main amd64v3 nginx amd64 1.28.3-2ubuntu1.11 [628 kB]',
    'Fetched 666 kB in 0s (12.8 MB/s)',
    'Preparing to unpack .../nginx-common_1.28.3-2ubuntu1.11_all.deb ...',
    'Preparing to unpack .../nginx_1.28.3-2ubuntu1.11_amd64v3.deb ...',
  ], APT);
  assert.deepEqual(downloads(events).map((e) => [e.filename, e.cached]), [
    ['nginx-common_1.28.3-2ubuntu1.11_all.deb', false],
    ['nginx_1.28.3-2ubuntu1.11_amd64v3.deb', false],
  ]);
});

test('apt in a language that puts the URL elsewhere in its Failed to fetch line (ja: `E: URL の取得に失敗しました`): each failed .deb is named by its URL', () => {
  // Before: the first E: line was taken for the end of the run, and both .debs were named by repository and file only.
  const events = parseFixture('apt-real/ja-kali-err-deb404.txt', APT);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [
    ['http://kali.example/kali/pool/main/j/java-wrappers/java-wrappers_0.4_all.deb', '404  Not Found [IP: 104.17.253.239 80]'],
    ['http://kali.example/kali/pool/main/b/burpsuite/burpsuite_2023.10.1.2-0kali1_arm64.deb', '404  Not Found [IP: 104.17.253.239 80]'],
  ]);
  assert.equal(errors(events).length, 3);
  assert.deepEqual(downloads(events), []);
});

test('apt 0.7 package lines (NAME VERSION after the suite, no architecture): a .deb, not an unnamed index file', () => {
  // Before: an index download with no name and no URL, beside the package taken from dpkg's line.
  // The line names no architecture, so no file name is made up.
  const events = parseFixture('apt-real/pt-gutsy-apt07.txt', APT);
  assert.deepEqual(downloads(events).map((d) => [d.name, d.version, d.filename, d.size, d.index, d.cached]), [
    ['flashplugin-nonfree', '9.0.48.0.2+really0ubuntu12', null, 18_100, false, false],
  ]);
});
