// Parser throughput: a log of real captured lines (pip, apt-get, BuildKit), at least
// 500 MB, parsed by offgrid's pipeline in a child process (so its peak RSS is its own),
// side by side with `grep -cE` over the same file. Run twice at two sizes to show that
// peak memory does not grow with the log.
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORK = join(ROOT, 'bench/.work');
const FIXTURE_DIRS = ['pip', 'apt', 'docker'].map((d) => join(ROOT, 'test/fixtures', d));

export interface ParserBenchResult {
  readonly sizeMB: number;
  readonly offgridMBps: number;
  readonly grepMBps: number;
  readonly ratioToGrep: number;
  readonly peakRssMB: number;
  readonly events: number;
}

async function buildLog(path: string, minBytes: number): Promise<void> {
  if (existsSync(path) && statSync(path).size >= minBytes) return;
  const sample = FIXTURE_DIRS.flatMap((dir) =>
    readdirSync(dir)
      .filter((n) => n.endsWith('.txt') || n.endsWith('.log'))
      .map((n) => readFileSync(join(dir, n))),
  );
  const block = Buffer.concat(sample.map((b) => (b.at(-1) === 10 ? b : Buffer.concat([b, Buffer.from('\n')]))));
  const out = createWriteStream(path);
  for (let written = 0; written < minBytes; written += block.length) {
    if (!out.write(block)) await once(out, 'drain');
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
  execFileSync('grep', ['-cE', '(Collecting|Downloading|Using cached|Get:[0-9]|Hit:|Err:|^#[0-9]+ )', path], { stdio: ['ignore', 'pipe', 'inherit'] });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export async function benchParsers(sizeMB: number): Promise<ParserBenchResult> {
  execFileSync('mkdir', ['-p', WORK]);
  const path = join(WORK, `parsers-${sizeMB}MB.log`);
  await buildLog(path, sizeMB * 1_000_000);
  const bytes = statSync(path).size;
  grepSeconds(path); // warm the page cache for both
  const parsed = parseInChild(path);
  const grep = grepSeconds(path);
  const mb = bytes / 1_000_000;
  return {
    sizeMB: Math.round(mb),
    offgridMBps: round(mb / parsed.seconds),
    grepMBps: round(mb / grep),
    ratioToGrep: round(grep / parsed.seconds, 3),
    peakRssMB: round(parsed.peakRssMB),
    events: parsed.events,
  };
}

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
