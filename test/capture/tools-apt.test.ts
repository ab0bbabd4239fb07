import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAptParser } from '../../src/capture/parsers/apt.js';
import { parseAptItem, parseAptSize } from '../../src/capture/parsers/apt-item.js';
import { attempts, byName, downloads, errors, fixtureBytes, parseFixture, parseLines, splitLines } from './tools-fixture.js';

const APT = [createAptParser];

test('apt sizes: powers of 1000, commas as thousands separators', () => {
  assert.equal(parseAptSize('1,234 B'), 1234);
  assert.equal(parseAptSize('8,786 kB'), 8_786_000);
  assert.equal(parseAptSize('8790 kB'), 8_790_000);
  assert.equal(parseAptSize('1.2 MB'), 1_200_000);
  assert.equal(parseAptSize('55.4 kB'), 55_400);
  assert.equal(parseAptSize('big'), null);
  // Numbers in the locale's format, messages in English: peabee/releases#2 (it_IT).
  assert.equal(parseAptSize('55,4 kB'), 55_400);
  assert.equal(parseAptSize('8.684 kB'), 8_684_000);
  assert.equal(parseAptSize('34,0 MB'), 34_000_000);
  assert.equal(parseAptSize('1.234 B'), 1234);
  assert.equal(parseAptSize('1,2,3 kB'), null);
});

test('apt Get: item forms (package, index, flat repository)', () => {
  const deb = parseAptItem('http://h/debian bookworm/main amd64 sl amd64 5.02-1+b1 [13.2 kB]');
  assert.deepEqual(deb?.deb, { name: 'sl', version: '5.02-1+b1', arch: 'amd64' });
  assert.equal(deb?.size, 13_200);
  const index = parseAptItem('http://h/debian bookworm/main Translation-en [6,109 kB]');
  assert.equal(index?.deb, null);
  assert.equal(index?.size, 6_109_000);
  const flat = parseAptItem('http://127.0.0.1:8/ ./ figlet 2.2.5-3+b1 [137 kB]');
  assert.deepEqual(flat?.deb, { name: 'figlet', version: '2.2.5-3+b1', arch: null });
  assert.equal(parseAptItem('nonsense'), null);
});

test('apt-get install: fetched .debs, and the ones taken from the archive cache', () => {
  const events = parseFixture('apt/apt-install.txt', APT);
  const got = downloads(events);
  const fetched = got.filter((e) => !e.cached);
  assert.deepEqual(fetched.map((e) => [e.name, e.version, e.size]), [
    ['libtext-charwidth-perl', '0.04-11', 9496],
    ['cowsay', '3.03+dfsg2-8', 21_400],
    ['sl', '5.02-1+b1', 13_200],
  ]);
  assert.ok(fetched.every((e) => e.kind === 'apt' && e.source === 'http://deb.mirror.invalid/debian' && !e.index));
  assert.equal(byName(fetched).get('cowsay')?.filename, 'cowsay_3.03+dfsg2-8_all.deb');
  // "Need to get 44.0 kB/663 kB": the other three were already in /var/cache/apt/archives.
  const cached = got.filter((e) => e.cached);
  assert.deepEqual(cached.map((e) => [e.name, e.version, e.filename]).sort(), [
    ['fortune-mod', '1:1.99.1-7.3', 'fortune-mod_1%3a1.99.1-7.3_amd64.deb'],
    ['fortunes-min', '1:1.99.1-7.3', 'fortunes-min_1%3a1.99.1-7.3_all.deb'],
    ['librecode0', '3.6-25', 'librecode0_3.6-25_amd64.deb'],
  ]);
  assert.equal(errors(events).length, 0);
});

test('apt-get install --reinstall from the archive cache: all cached, nothing fetched', () => {
  const got = downloads(parseFixture('apt/apt-reinstall.txt', APT));
  assert.deepEqual(got.map((e) => [e.name, e.version, e.cached]), [
    ['cowsay', '3.03+dfsg2-8', true],
    ['sl', '5.02-1+b1', true],
  ]);
});

test('apt 3.0 (Debian 13): its plan headers (Installing:, Installing dependencies:) name what it installs; suggested and recommended packages are not planned', () => {
  // apt 3.0's layout, as it prints `apt install apache2` on Debian 13 (this machine has apt 2.6,
  // so the text is apt 3.0's published output with the mirror host replaced). Two of the ten
  // came from /var/cache/apt/archives: they have no Get: line, and apt's summary says so
  // (`Download size: FETCHED / TOTAL`; the plain form means nothing was cached).
  const lines = [
    'Installing:                     ',
    '  apache2',
    '',
    'Installing dependencies:',
    '  apache2-bin   apache2-utils  libaprutil1-dbd-sqlite3  libaprutil1t64  ssl-cert',
    '  apache2-data  libapr1t64     libaprutil1-ldap         liblua5.4-0',
    '',
    'Suggested packages:',
    '  apache2-doc  apache2-suexec-pristine  | apache2-suexec-custom  ufw  www-browser',
    '',
    'Recommended packages:',
    '  ca-certificates',
    '',
    'Summary:',
    '  Upgrading: 0, Installing: 10, Removing: 0, Not Upgrading: 87',
    '  Download size: 2,139 kB / 2,405 kB',
    '  Space needed: 8,568 kB / 58.7 GB available',
    '',
    ...['libapr1t64 amd64 1.7.5-1 [104 kB]', 'apache2-bin amd64 2.4.65-2 [1,395 kB]', 'apache2-data all 2.4.65-2 [160 kB]', 'apache2-utils amd64 2.4.65-2 [217 kB]',
      'libaprutil1t64 amd64 1.6.3-3+b1 [89.1 kB]', 'libaprutil1-dbd-sqlite3 amd64 1.6.3-3+b1 [14.2 kB]', 'libaprutil1-ldap amd64 1.6.3-3+b1 [12.4 kB]', 'liblua5.4-0 amd64 5.4.7-1+b2 [147 kB]']
      .map((item, i) => `Get:${i + 1} http://deb.mirror.invalid/debian trixie/main amd64 ${item}`),
    'Fetched 2,139 kB in 0s (9,012 kB/s)',
  ];
  const got = downloads(parseLines(lines, APT));
  assert.equal(got.filter((e) => !e.cached).length, 8);
  assert.deepEqual(got.filter((e) => e.cached).map((e) => e.name).sort(), ['apache2', 'ssl-cert']);
  assert.ok(!got.some((e) => ['apache2-doc', 'ufw', 'www-browser', 'ca-certificates', 'Upgrading:'].includes(e.name ?? '')));
});

test('apt 3.0 spells out its W: and E: prefixes (Warning:, Error:); a failed fetch is still an attempt, another tool\'s Error: line is not apt\'s', () => {
  // apt 3.0 on Debian 13 with the mirror unreachable (layout of its published output).
  const events = parseLines([
    "Warning: Failed to fetch http://deb.mirror.invalid/debian/dists/trixie/InRelease  Temporary failure resolving 'deb.mirror.invalid'",
    'Warning: Some index files failed to download. They have been ignored, or old ones used instead.',
    "Error: Failed to fetch http://deb.mirror.invalid/debian/pool/main/c/curl/curl_8.14.1-2_amd64.deb  Temporary failure resolving 'deb.mirror.invalid'",
    'Error: Unable to fetch some archives, maybe run apt-get update or try with --fix-missing?',
    'Error: connect ECONNREFUSED 127.0.0.1:5432',
  ], APT);
  assert.deepEqual(attempts(events).map((a) => a.url_or_host), [
    'http://deb.mirror.invalid/debian/dists/trixie/InRelease',
    'http://deb.mirror.invalid/debian/pool/main/c/curl/curl_8.14.1-2_amd64.deb',
  ]);
  assert.deepEqual(errors(events).map((e) => e.message), [
    "Failed to fetch http://deb.mirror.invalid/debian/pool/main/c/curl/curl_8.14.1-2_amd64.deb  Temporary failure resolving 'deb.mirror.invalid'",
    'Unable to fetch some archives, maybe run apt-get update or try with --fix-missing?',
  ]);
});

test('apt-get --download-only: every planned package fetched, none reported cached', () => {
  const got = downloads(parseFixture('apt/apt-download-only.txt', APT));
  assert.deepEqual(got.map((e) => e.name), ['figlet', 'libcaca0', 'toilet-fonts', 'toilet']);
  assert.ok(got.every((e) => !e.cached));
  // apt said "Need to get 1084 kB"; the sum of rounded item sizes agrees to the kB.
  assert.equal(Math.round(got.reduce((sum, e) => sum + (e.size ?? 0), 0) / 1000), 1085);
  const flat = downloads(parseFixture('apt/apt-download-only-local.txt', APT));
  assert.deepEqual(flat.map((e) => [e.name, e.size]), [['figlet', 137_000], ['libcaca0', 201_000], ['toilet-fonts', 724_000], ['toilet', 22_600]]);
  const upgrade = downloads(parseFixture('apt/apt-download-upgrade.txt', APT));
  assert.deepEqual(upgrade.map((e) => [e.name, e.version, e.cached]), [['base-files', '12.4+deb12u15', false]]);
});

test('apt-get update: index files are index events; Hit: is an unchanged (cached) index', () => {
  const fresh = downloads(parseFixture('apt/apt-update-fresh-lists.txt', APT));
  assert.equal(fresh.length, 6);
  assert.ok(fresh.every((e) => e.index && !e.cached && e.kind === 'apt'));
  assert.equal(fresh[0]?.source, 'http://deb.mirror.invalid/debian/dists/bookworm/InRelease');
  assert.equal(fresh[0]?.size, 151_000);
  assert.equal(fresh[3]?.source, 'http://deb.mirror.invalid/debian/dists/bookworm/main/binary-amd64/Packages');
  assert.equal(fresh[3]?.size, 8_790_000);
  const local = downloads(parseFixture('apt/apt-update-local.txt', APT));
  assert.deepEqual(local.map((e) => [e.filename, e.size, e.cached]), [['Release', 175, false], ['Packages', 3042, false]]);
  const hit = downloads(parseFixture('apt/apt-update-local-hit.txt', APT));
  assert.deepEqual(hit.map((e) => [e.filename, e.index, e.cached]), [['Release', true, true]]);
});

test('apt Err: + reason is one network attempt; the W: summary does not count it twice', () => {
  const port = parseFixture('apt/apt-update-closed-port.txt', APT);
  assert.deepEqual(attempts(port).map((a) => [a.url_or_host, a.error]), [
    ['http://127.0.0.1:1/debian/dists/bookworm/InRelease', 'Could not connect to 127.0.0.1:1 (127.0.0.1). - connect (111: Connection refused)'],
  ]);
  const dns = parseFixture('apt/apt-update-invalid-host.txt', APT);
  assert.deepEqual(attempts(dns).map((a) => a.error), ["Could not resolve 'deb.mirror.invalid'"]);
  assert.equal(downloads(dns).length, 0);
});

test('apt .deb fetches against a stopped server: attempts and errors, no false cache hits', () => {
  const events = parseFixture('apt/apt-download-server-down.txt', APT);
  // Each failed .deb is named by the URL of its `E: Failed to fetch` line.
  assert.deepEqual(attempts(events).map((a) => a.url_or_host), [
    'http://127.0.0.1:39321/./figlet_2.2.5-3%2bb1_amd64.deb',
    'http://127.0.0.1:39321/./libcaca0_0.99.beta20-3%2bdeb12u1_amd64.deb',
    'http://127.0.0.1:39321/./toilet-fonts_0.3-1.4_all.deb',
    'http://127.0.0.1:39321/./toilet_0.3-1.4_amd64.deb',
  ]);
  assert.equal(errors(events).length, 5);
  assert.equal(downloads(events).length, 0);
});

test('apt: a "W: Failed to fetch" with no Err: line is still an attempt', () => {
  const events = parseLines(["W: Failed to fetch http://h.invalid/debian/dists/x/InRelease  Temporary failure resolving 'h.invalid'"], APT);
  assert.deepEqual(attempts(events).map((a) => [a.url_or_host, a.error]), [
    ['http://h.invalid/debian/dists/x/InRelease', "Temporary failure resolving 'h.invalid'"],
  ]);
});

test('apt output with CRLF line ends parses the same', () => {
  const crlf = Buffer.from(fixtureBytes('apt/apt-install.txt').toString('utf8').replace(/\n/g, '\r\n'));
  const plain = downloads(parseFixture('apt/apt-install.txt', APT));
  assert.deepEqual(downloads(parseLines(splitLines(crlf, 7), APT)), plain);
});
