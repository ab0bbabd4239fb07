// The files the proxy benchmark serves from disk (nginx's docroot, the proxies' upstream):
// big versioned blobs (immutable, so the proxy serves them from its cache without asking
// again), 4 KB pages (versioned ones the proxy caches forever, plain index pages it
// revalidates), and a fake Debian mirror (InRelease, Packages.xz, .deb files in pool/).
// Kept in bench/.work/ across runs (it is git-ignored); rebuilt only when a size is off.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const MB = 1_000_000;
export const SMALL_PAGES = 100;
export const SMALL_PAGE_BYTES = 4096;

/** URL paths (under the docroot) of everything the benchmark requests. */
export interface BenchFiles {
  readonly docroot: string;
  /** size in MB → path of a versioned blob of that size. */
  readonly blobs: ReadonlyMap<number, string>;
  /** `/small/page-1.0.N.html`, versioned: cached forever by the proxy. */
  readonly cachedPages: readonly string[];
  /** `/small/index-N.html`: revalidated with nginx on every request when online. */
  readonly indexPages: readonly string[];
  /** apt's order: index files, then the .deb files. */
  readonly aptPaths: readonly string[];
  readonly aptBytes: number;
}

/** Writes `bytes` of incompressible data (a random 4 MiB block repeated) unless the file already has that size. */
async function blob(path: string, bytes: number): Promise<void> {
  if (existsSync(path) && statSync(path).size === bytes) return;
  mkdirSync(dirname(path), { recursive: true });
  const block = randomBytes(4 * 1024 * 1024);
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; written += block.length) {
    const chunk = bytes - written < block.length ? block.subarray(0, bytes - written) : block;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function page(path: string, n: number): void {
  if (existsSync(path) && statSync(path).size === SMALL_PAGE_BYTES) return;
  mkdirSync(dirname(path), { recursive: true });
  const head = `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.1"><title>Links for pkg${n}</title></head><body>\n`;
  const tail = '</body></html>\n';
  let body = '';
  for (let v = 0; head.length + body.length + tail.length < SMALL_PAGE_BYTES; v++) {
    body += `<a href="../../files/pkg${n}-${v}.0-py3-none-any.whl#sha256=${'0'.repeat(64)}">pkg${n}-${v}.0-py3-none-any.whl</a><br>\n`;
  }
  writeFileSync(path, (head + body + tail).slice(0, SMALL_PAGE_BYTES - tail.length) + tail);
}

/** Sizes of the fake mirror's .deb files: mostly small, a few large, like a real `apt-get install`. */
const DEB_SIZES: readonly number[] = [
  ...Array<number>(24).fill(20_000),
  ...Array<number>(20).fill(150_000),
  ...Array<number>(12).fill(1_500_000),
  ...Array<number>(4).fill(12_000_000),
];

export async function prepareFiles(work: string, blobSizesMB: readonly number[]): Promise<BenchFiles> {
  const docroot = join(work, 'www');
  const blobs = new Map<number, string>();
  for (const size of blobSizesMB) {
    const path = `/files/blob-${size}mb-1.0.bin`;
    await blob(join(docroot, path), size * MB);
    blobs.set(size, path);
  }
  const cachedPages: string[] = [];
  const indexPages: string[] = [];
  for (let n = 0; n < SMALL_PAGES; n++) {
    cachedPages.push(`/small/page-1.0.${n}.html`);
    indexPages.push(`/small/index-${n}.html`);
    page(join(docroot, cachedPages[n]!), n);
    page(join(docroot, indexPages[n]!), n);
  }
  const aptPaths = ['/debian/dists/bookworm/InRelease', '/debian/dists/bookworm/main/binary-amd64/Packages.xz'];
  await blob(join(docroot, aptPaths[0]!), 150_000);
  await blob(join(docroot, aptPaths[1]!), 9_000_000);
  let aptBytes = 150_000 + 9_000_000;
  DEB_SIZES.forEach((size, i) => {
    const name = `pkg${String(i).padStart(2, '0')}`;
    aptPaths.push(`/debian/pool/main/p/${name}/${name}_1.${i}-1_amd64.deb`);
    aptBytes += size;
  });
  for (let i = 0; i < DEB_SIZES.length; i++) await blob(join(docroot, aptPaths[i + 2]!), DEB_SIZES[i]!);
  return { docroot, blobs, cachedPages, indexPages, aptPaths, aptBytes };
}
