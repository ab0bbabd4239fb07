// Cache maintenance throughput on a cache of at least 2 GB (generated under bench/.work/):
//   `offgrid cache verify`  beside `sha256sum` over the same content files;
//   `offgrid cache export`  beside `tar czf` of the same files;
//   `offgrid cache import`  beside `tar xzf` of that tarball (plus hashing nothing: the
//                           peer does less work, import checks every hash).
// Content is random bytes (wheels, .debs and npm tarballs are already compressed). Each
// command runs once with a warm page cache (a read pass first), so disk speed is not what is
// measured. Everything under bench/.work/cache-bench is removed at the end.
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { CacheStore } from '../src/cache/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');

export interface CacheBenchResult {
  readonly sizeMB: number;
  readonly files: number;
  readonly verifyMBps: number;
  readonly sha256sumMBps: number;
  readonly verifyRatio: number;
  readonly exportMBps: number;
  readonly tarCzfMBps: number;
  readonly exportRatio: number;
  readonly importMBps: number;
  readonly tarXzfMBps: number;
  readonly importRatio: number;
  readonly archiveMB: number;
  readonly tarMB: number;
}

function timed(command: string, args: readonly string[], options: { cwd?: string; shell?: boolean } = {}): number {
  const started = performance.now();
  const r = spawnSync(command, args, { cwd: options.cwd ?? ROOT, stdio: ['ignore', 'ignore', 'pipe'], shell: options.shell ?? false, maxBuffer: 1 << 26 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.stderr?.toString().slice(0, 500)}`);
  return seconds;
}

async function generate(root: string, targetBytes: number): Promise<{ bytes: number; files: number }> {
  const store = await CacheStore.open({ root });
  let bytes = 0;
  let files = 0;
  // A spread of sizes like a real cache: many small wheels, some large .debs and wheels.
  const sizes = [8_000, 60_000, 400_000, 2_000_000, 9_000_000, 30_000_000];
  const chunk = Buffer.alloc(1 << 20);
  while (bytes < targetBytes) {
    const size = sizes[files % sizes.length]!;
    const name = `pkg${files}-1.0-py3-none-any.whl`;
    const writer = store.writer(`bench:${name}`, { metadata: { kind: 'wheel', url: `http://127.0.0.1/files/${name}` } });
    let left = size;
    await pipeline(
      Readable.from(
        (function* () {
          while (left > 0) {
            const n = Math.min(left, chunk.length);
            randomFillSync(chunk, 0, n);
            left -= n;
            yield Buffer.from(chunk.subarray(0, n));
          }
        })(),
      ),
      writer,
    );
    await writer.done;
    bytes += size;
    files += 1;
  }
  return { bytes, files };
}

const round = (n: number) => Math.round(n * 10) / 10;

export async function benchCache(sizeGB = 2): Promise<CacheBenchResult> {
  const work = join(ROOT, 'bench/.work/cache-bench');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const cache = join(work, 'cache');
    const { bytes, files } = await generate(cache, sizeGB * 1024 ** 3);
    const mb = bytes / 1e6;
    const content = 'content-v1';
    // Warm the page cache so both sides read from memory.
    timed('sh', ['-c', `find ${content} -type f -print0 | xargs -0 cat > /dev/null`], { cwd: cache });

    const sha256sum = timed('sh', ['-c', `find ${content} -type f -print0 | xargs -0 sha256sum > /dev/null`], { cwd: cache });
    const verify = timed(process.execPath, [CLI, 'cache', 'verify', '--cache-dir', cache]);

    const tarball = join(work, 'peer.tgz');
    const tarCzf = timed('tar', ['czf', tarball, '-C', cache, content]);
    const archive = join(work, 'offgrid.tgz');
    const exported = timed(process.execPath, [CLI, 'cache', 'export', '--cache-dir', cache, '--out', archive]);

    const untarDir = join(work, 'untar');
    mkdirSync(untarDir);
    const tarXzf = timed('tar', ['xzf', tarball, '-C', untarDir]);
    rmSync(untarDir, { recursive: true, force: true });
    const imported = timed(process.execPath, [CLI, 'cache', 'import', '--cache-dir', join(work, 'imported'), archive]);

    const result: CacheBenchResult = {
      sizeMB: Math.round(mb),
      files,
      verifyMBps: round(mb / verify),
      sha256sumMBps: round(mb / sha256sum),
      verifyRatio: Math.round((sha256sum / verify) * 100) / 100,
      exportMBps: round(mb / exported),
      tarCzfMBps: round(mb / tarCzf),
      exportRatio: Math.round((tarCzf / exported) * 100) / 100,
      importMBps: round(mb / imported),
      tarXzfMBps: round(mb / tarXzf),
      importRatio: Math.round((tarXzf / imported) * 100) / 100,
      archiveMB: Math.round(statSync(archive).size / 1e6),
      tarMB: Math.round(statSync(tarball).size / 1e6),
    };
    const verdict = (ratio: number) => (ratio >= 0.8 ? 'meets' : 'MISSES');
    console.log(
      `cache ${result.sizeMB} MB / ${files} files: verify ${result.verifyMBps} MB/s vs sha256sum ${result.sha256sumMBps} (${result.verifyRatio}x, ${verdict(result.verifyRatio)} 0.8x); ` +
        `export ${result.exportMBps} MB/s vs tar czf ${result.tarCzfMBps} (${result.exportRatio}x, ${verdict(result.exportRatio)}); ` +
        `import ${result.importMBps} MB/s vs tar xzf ${result.tarXzfMBps} (${result.importRatio}x, ${verdict(result.importRatio)})`,
    );
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// `node dist/bench/cache.js [GB]` runs it alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await benchCache(Number(process.argv[2] ?? 2));
}
