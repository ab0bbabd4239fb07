// Parser throughput: logs of real captured lines, at least 500 MB, parsed by offgrid's
// pipeline in a child process (so its peak RSS is its own), side by side with `grep -cE`
// over the same file. Three mixes, because the cost is per download line, not per byte:
//   dense — nothing but the captured tool output of test/fixtures (pip, apt-get, BuildKit
//           plain/rawjson/legacy): every few lines an event; the worst case;
//   mixed — the same tool output as 5% of the bytes, the rest real build output (what
//           `python3 -m compileall` prints compiling a copy of the standard library);
//   noise — build output only: the floor cost of reading every line.
// The mixed log is also built at half the size to show peak memory does not grow with it.
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORK = join(ROOT, 'bench/.work');
const FIXTURE_DIRS = ['pip', 'apt', 'docker'].map((d) => join(ROOT, 'test/fixtures', d));

export interface ParserBenchResult {
  readonly mix: Mix;
  readonly sizeMB: number;
  readonly offgridMBps: number;
  readonly grepMBps: number;
  readonly ratioToGrep: number;
  readonly peakRssMB: number;
  readonly events: number;
}

export type Mix = 'dense' | 'mixed' | 'noise';

function toolOutput(): Buffer {
  const sample = FIXTURE_DIRS.flatMap((dir) =>
    readdirSync(dir)
      .filter((n) => n.endsWith('.txt') || n.endsWith('.log'))
      .map((n) => readFileSync(join(dir, n))),
  );
  return Buffer.concat(sample.map((b) => (b.at(-1) === 10 ? b : Buffer.concat([b, Buffer.from('\n')]))));
}

/** Real build output: compileall over a copy of part of the standard library. */
function buildOutput(): Buffer {
  const dir = join(WORK, 'compileall');
  execFileSync('rm', ['-rf', dir]);
  execFileSync('mkdir', ['-p', dir]);
  const stdlib = execFileSync('python3', ['-c', 'import sysconfig; print(sysconfig.get_paths()["stdlib"])'], { encoding: 'utf8' }).trim();
  for (const pkg of ['json', 'email', 'asyncio', 'unittest', 'xml', 'http', 'logging', 'concurrent']) {
    execFileSync('cp', ['-r', join(stdlib, pkg), dir]);
  }
  return execFileSync('python3', ['-m', 'compileall', '-f', dir], { maxBuffer: 64 << 20 });
}

function block(mix: Mix): Buffer {
  if (mix === 'dense') return toolOutput();
  const noise = buildOutput();
  if (mix === 'noise') return noise;
  const tools = toolOutput();
  const copies = Math.max(1, Math.round((tools.length * 19) / noise.length));
  return Buffer.concat([tools, ...Array.from({ length: copies }, () => noise)]);
}

async function buildLog(path: string, minBytes: number, mix: Mix): Promise<void> {
  if (existsSync(path) && statSync(path).size >= minBytes) return;
  const piece = block(mix);
  const out = createWriteStream(path);
  for (let written = 0; written < minBytes; written += piece.length) {
    if (!out.write(piece)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function parseInChild(path: string): { seconds: number; peakRssMB: number; events: number } {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/bench/parse-file.js'), path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`parse-file failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { seconds: number; peakRssMB: number; events: number };
}

function grepSeconds(path: string): number {
  const started = process.hrtime.bigint();
  // The same line kinds the parsers look for.
  const r = spawnSync('grep', ['-cE', '(Collecting|Downloading|Using cached|Get:[0-9]|Hit:|Err:|^#[0-9]+ )', path], { stdio: ['ignore', 'pipe', 'inherit'] });
  // grep -c exits 1 when nothing matched (the noise-only log): still a full scan.
  if (r.status !== 0 && r.status !== 1) throw new Error(`grep failed with exit ${String(r.status)}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export async function benchParsers(sizeMB: number, mix: Mix): Promise<ParserBenchResult> {
  execFileSync('mkdir', ['-p', WORK]);
  const path = join(WORK, `parsers-${mix}-${sizeMB}MB.log`);
  await buildLog(path, sizeMB * 1_000_000, mix);
  const bytes = statSync(path).size;
  grepSeconds(path); // warm the page cache for both
  const parsed = parseInChild(path);
  const grep = grepSeconds(path);
  const mb = bytes / 1_000_000;
  return {
    mix,
    sizeMB: Math.round(mb),
    offgridMBps: round(mb / parsed.seconds),
    grepMBps: round(mb / grep),
    ratioToGrep: round(grep / parsed.seconds, 3),
    peakRssMB: round(parsed.peakRssMB),
    events: parsed.events,
  };
}

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
