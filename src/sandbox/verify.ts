// `offgrid verify -- CMD`, the whole flow: find a way to cut the network, run offgrid's
// offline proxy and the command inside it (inside.ts), then judge the session's ledger.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CacheStore } from '../cache/index.js';
import type { Ledger } from '../ledger/schema.js';
import { readLedger } from '../report/load.js';
import { type CachedItem, identifyUrl } from './identify.js';
import { type InsideResult, InsideResult as InsideResultSchema, type InsideSpec } from './inside.js';
import { type Isolation, type IsolationAttempt, type IsolationProbe, findIsolation } from './isolation.js';
import { type Verdict, judge } from './verdict.js';

export interface VerifyRun {
  readonly spec: Omit<InsideSpec, 'resultPath'>;
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly probe: IsolationProbe;
}

export type VerifyOutcome =
  | { readonly type: 'no-isolation'; readonly tried: readonly IsolationAttempt[] }
  | { readonly type: 'no-result'; readonly isolation: Isolation; readonly code: number | null }
  | { readonly type: 'done'; readonly isolation: Isolation; readonly result: InsideResult; readonly ledger: Ledger; readonly verdict: Verdict };

const INSIDE = fileURLToPath(new URL('./inside-entry.js', import.meta.url));

export async function verifyOffline(run: VerifyRun): Promise<VerifyOutcome> {
  const { isolation, tried } = await findIsolation(run.probe);
  if (!isolation) return { type: 'no-isolation', tried };
  const work = await mkdtemp(join(tmpdir(), 'offgrid-verify-'));
  try {
    const resultPath = join(work, 'result.json');
    const specPath = join(work, 'spec.json');
    await writeFile(specPath, JSON.stringify({ ...run.spec, resultPath } satisfies InsideSpec));
    const code = await relay(isolation.wrap([process.execPath, INSIDE, specPath]), run);
    const text = await readFile(resultPath, 'utf8').catch(() => null);
    if (text === null) return { type: 'no-result', isolation, code };
    const result = InsideResultSchema.parse(JSON.parse(text));
    const loaded = readLedger(result.ledgerPath);
    if (!('ledger' in loaded)) throw new Error(`the offline session's ledger ${result.ledgerPath} is unreadable: ${loaded.reason}`);
    const cached = await cachedItems(run.spec.cacheDir);
    const verdict = judge(loaded.ledger, result.exitCode, result.spawnError, cached);
    return { type: 'done', isolation, result, ledger: loaded.ledger, verdict };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Runs the wrapped command with its output relayed; SIGINT/SIGTERM are passed on. */
function relay(argv: readonly string[], run: VerifyRun): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: run.spec.cwd, env: run.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.stdout.pipe(run.stdout, { end: false });
    child.stderr.pipe(run.stderr, { end: false });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal ? 128 : null));
    });
  });
}

/** What the cache holds, identified by package, to suggest stand-ins for what was missing. */
export async function cachedItems(cacheDir: string): Promise<CachedItem[]> {
  const store = await CacheStore.open({ root: cacheDir });
  const items: CachedItem[] = [];
  for await (const entry of store.list()) {
    const url = typeof entry.metadata.url === 'string' ? entry.metadata.url : null;
    const filename = typeof entry.metadata['filename'] === 'string' ? entry.metadata['filename'] : null;
    const identity = (url ? identifyUrl(url) : null) ?? (filename ? identifyUrl(`file:///packages/${encodeURIComponent(filename)}`) : null);
    if (identity) items.push({ key: entry.key, url, identity });
  }
  return items;
}
