// The build report from a ledger and build metadata, without an engine: how downloads the
// proxy never saw, and downloads of unknown size, are reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLedger, type JournalEntry } from '../../src/ledger/compile.js';
import type { DownloadRecord } from '../../src/ledger/schema.js';
import { analyzeBuild } from '../../src/docker/analysis.js';
import { renderBuildReport } from '../../src/docker/render-report.js';
import type { BuildMetadata } from '../../src/docker/metadata.js';

const STEP = 'RUN apt-get update && apt-get install -y jq';

function meta(network: 'host' | 'none', offline: boolean): BuildMetadata {
  return {
    format: 1, mode: 'build', session_id: '20261203_070000', ledger: 'logs/build/downloads_20261203_070000.json',
    started_at: '2026-12-03T07:00:00.000+00:00', ended_at: '2026-12-03T07:01:00.000+00:00', builder: 'buildkit', network, offline,
    no_cache: false, compose_file: 'compose.yaml',
    services: [{
      name: 'api', image: 'api:latest', dockerfile: 'Dockerfile', context: '.', result: 'success', exit_code: 0,
      started_at: '2026-12-03T07:00:00.000+00:00', ended_at: '2026-12-03T07:01:00.000+00:00', duration_seconds: 60,
      image_size: 1000, error: null, last_lines: [], log: 'logs/docker_build/build_api.log',
    }],
  };
}

function record(fields: Partial<DownloadRecord>): JournalEntry {
  return {
    t: 'download',
    record: {
      kind: 'apt', cached: false, name: 'jq', version: '1.6-2.1', filename: 'jq_1.6-2.1_amd64.deb', source: 'http://mirror.example/debian/pool/main/j/jq/jq_1.6-2.1_amd64.deb',
      destination: null, size: 64_000, sha256: null, timestamp: '2026-12-03T07:00:30.000+00:00', duration_ms: null, tool: 'apt', service: 'api', step: STEP,
      evidence: 'log', index: false, cache_status: null, ...fields,
    },
  };
}

const header = { session_id: '20261203_070000', started_at: '2026-12-03T07:00:00.000+00:00', command: ['offgrid', 'build'], offline: false };
const end = { ended_at: '2026-12-03T07:01:00.000+00:00', exit_code: 0, complete: true };
const report = (m: BuildMetadata, entries: JournalEntry[]) => renderBuildReport(analyzeBuild(m, compileLedger(header, entries, end)));

test('an online build: apt packages only the log saw went around offgrid\'s proxy, named with the likely cause; those the proxy saw are not', () => {
  const text = report(meta('host', false), [
    record({}),
    record({ name: 'libjq1', filename: 'libjq1_1.6-2.1_amd64.deb', source: 'http://mirror.example/debian/pool/main/j/jq/libjq1_1.6-2.1_amd64.deb' }),
    record({ name: 'libonig5', filename: 'libonig5_6.9.8-1_amd64.deb', source: 'http://mirror.example/debian/pool/main/libo/libonig/libonig5_6.9.8-1_amd64.deb', evidence: 'proxy', tool: 'proxy' }),
  ]);
  assert.match(text, /- \*\*apt\*\* \(3\): /);
  assert.match(text, /  - not through offgrid's proxy, so not in its cache either \(2 of 3: `jq_1\.6-2\.1_amd64\.deb`, `libjq1_1\.6-2\.1_amd64\.deb`\): an `Acquire::http::Proxy` setting in the image/);
});

test('an offline build, or one whose every download the proxy saw, names nothing as gone around it', () => {
  assert.doesNotMatch(report(meta('none', true), [record({})]), /not through offgrid's proxy/);
  assert.doesNotMatch(report(meta('host', false), [record({ evidence: 'both' })]), /not through offgrid's proxy/);
});

test('downloads of unknown size are not counted as 0 B', () => {
  const all = report(meta('host', false), [record({ size: null }), record({ size: null, filename: 'b.deb', source: 'http://mirror.example/b.deb' })]);
  assert.match(all, /\| 2 fetched \(size unknown\) \|/);
  const some = report(meta('host', false), [record({ size: 2048 }), record({ size: null, filename: 'b.deb', source: 'http://mirror.example/b.deb' })]);
  assert.match(some, /\| 2 fetched \(2\.0 kB \+ 1 of unknown size\) \|/);
});

/** A CONNECT tunnel as offgrid's proxy records it (shaped as in a real build's ledger: npm 9 in Debian's bookworm image, no User-Agent on its CONNECT). */
function tunnel(host: string, step: string, tool = 'http'): JournalEntry {
  return record({
    kind: 'file', name: null, version: null, filename: null, source: `https://${host}:443`, size: 2235, tool, step, evidence: 'proxy',
    destination: 'tunnel: content not visible (CONNECT; 376 bytes sent, 2235 bytes received)',
  });
}

test('https tunnels are named by the index client whose step opened them, with the ARG line that gives the step offgrid\'s index, not as files to COPY', () => {
  const text = report(meta('host', false), [
    tunnel('registry.example', 'RUN npm install --omit=dev'),
    tunnel('registry.example', 'RUN npm install --omit=dev'), // npm's next connection: one host, one line
    tunnel('pypi.example', 'RUN pip3 install --no-cache-dir -r requirements.txt'),
    tunnel('downloads.example', 'RUN curl -fsSLO https://downloads.example/tool.tgz', 'curl'),
    record({ kind: 'file', name: null, version: null, filename: 'tool.tgz', source: 'http://downloads.example/tool.tgz', tool: 'curl', evidence: 'proxy', step: 'RUN wget http://downloads.example/tool.tgz' }),
  ]);
  assert.match(text, /- \*\*file\*\* \(1\): `tool\.tgz`\n  - to cache: download the file once into the build context/);
  assert.match(text, /- \*\*https tunnels \(npm\)\*\* \(1\): `https:\/\/registry\.example:443`\n  - to cache: npm went to its registry over https, through a tunnel: .*add `ARG npm_config_registry` before it/);
  assert.match(text, /- \*\*https tunnels \(pip\)\*\* \(1\): `https:\/\/pypi\.example:443`\n  - to cache: pip went to its index over https, .*add `ARG PIP_INDEX_URL` and `ARG PIP_TRUSTED_HOST` before it/);
  assert.match(text, /- \*\*https tunnels \(no index client\)\*\* \(1\): `https:\/\/downloads\.example:443`\n  - to cache: https:\/\/ URLs go through a tunnel nothing can cache/);
});
