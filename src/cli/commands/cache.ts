// `offgrid cache stats|ls|verify|prune|export|import|import-dir`: look after the store and
// carry it to a machine with no network.
//
// Exit codes: 0 ok; 1 `verify` found (and removed) corrupt or dangling entries; 2 bad input
// (a nonsense size or age, an unreadable manifest, a tampered or truncated archive).
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ArchiveError, exportCache, importCache, selectEntry } from '../../cache/archive.js';
import { exportApt } from '../../cache/apt-repo.js';
import { importDirectory } from '../../cache/import-dir.js';
import { keepListOf } from '../../cache/keep.js';
import { parseAge, parseSize } from '../../cache/units.js';
import { CacheStore, type CacheEntry } from '../../cache/index.js';
import { EXIT_FAILED, EXIT_OK, OffgridError, describeSystemError } from '../../errors.js';
import type { Ledger } from '../../ledger/schema.js';
import { loadLedgers, selectSessions } from '../../report/load.js';
import { formatBytes, table } from '../../report/format.js';
import { defaultCacheDir } from '../../session/recording.js';
import { say, type CliIO } from '../io.js';

export interface CacheCommandOptions {
  readonly action: 'stats' | 'ls' | 'verify' | 'prune' | 'export' | 'export-apt' | 'import' | 'import-dir';
  readonly cacheDir: string | null;
  readonly logDir: string;
  readonly json: boolean;
  readonly kind: string | null;
  readonly maxSize: string | null;
  readonly olderThan: string | null;
  readonly keepManifest: readonly string[];
  readonly forSession: string | null;
  readonly out: string | null;
  /** import: the archive; import-dir: the directory. */
  readonly input: string | null;
}

const RECENT_SESSIONS = 20;

export async function cacheCommand(options: CacheCommandOptions, io: CliIO): Promise<number> {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(io.cwd, p));
  const root = abs(options.cacheDir ?? defaultCacheDir(io.env));
  const out = (o: unknown, text: () => string) => say(io.stdout, options.json ? JSON.stringify(o, null, 2) : text());
  // Only an import may make a cache; the other actions look at one, and a mistyped
  // --cache-dir must be said, not created and reported empty.
  if (options.action !== 'import' && options.action !== 'import-dir' && !existsSync(root)) {
    throw new OffgridError('ECACHE', `no cache at ${root}: nothing was stored there yet (offgrid run, serve, build and wheelhouse fill it; --cache-dir or OFFGRID_CACHE_DIR names another)`);
  }
  switch (options.action) {
    case 'stats':
      return stats(root, abs(options.logDir), out);
    case 'ls':
      return list(root, options.kind, out);
    case 'verify': {
      const store = await CacheStore.open({ root });
      const report = await store.verify();
      out(report, () =>
        [
          `checked ${report.entriesChecked} entries, ${report.contentChecked} content files (${formatBytes(report.bytesChecked)})`,
          ...report.removed.map((p) => `removed ${p.key ?? p.path}: ${p.reason}${p.sha256 ? ` (sha256 ${p.sha256})` : ''}`),
          ...(report.orphanedContentRemoved > 0 ? [`removed ${report.orphanedContentRemoved} content file(s) no entry named`] : []),
          report.removed.length === 0 ? 'the cache is sound' : `${report.removed.length} entr${report.removed.length === 1 ? 'y was' : 'ies were'} bad and removed; the next online build fetches them again`,
        ].join('\n'),
      );
      return report.removed.length === 0 ? EXIT_OK : EXIT_FAILED;
    }
    case 'prune':
      return prune(root, options, abs, out);
    case 'export': {
      const target = requireOut(options, 'offgrid cache export --out cache.tgz');
      const session = options.forSession ? sessionSelection(abs(options.logDir), options.forSession) : null;
      const report = await archiveErrors(() => exportCache(root, { kind: options.kind, sha256s: session?.sha256s ?? null, urls: session?.urls ?? null }, abs(target)));
      out({ ...report, out: abs(target) }, () => `exported ${report.entries} entries (${report.contentFiles} files, ${formatBytes(report.bytes)}) to ${abs(target)}`);
      return EXIT_OK;
    }
    case 'export-apt': {
      const target = abs(requireOut(options, 'offgrid cache export apt --out apt-export/ (or apt-archives.tgz)'));
      const report = await exportApt(root, target).catch((error: unknown) => {
        throw new OffgridError('ECACHE', `cannot export the .deb files: ${error instanceof Error ? error.message : String(error)}`);
      });
      out({ ...report, out: target }, () =>
        [
          `exported ${report.packages} .deb file(s) (${formatBytes(report.bytes)}) as ${target.endsWith('gz') ? `${target}: ` : ''}${report.directory}`,
          `  in a Dockerfile: COPY apt-archives /var/cache/apt/archives`,
          `  as an apt source: deb [trusted=yes] file:${target.endsWith('gz') ? '/PATH/TO/' : ''}${target.endsWith('gz') ? 'apt-archives' : report.directory} ./`,
        ].join('\n'),
      );
      return EXIT_OK;
    }
    case 'import': {
      const archive = abs(options.input ?? '');
      const report = await archiveErrors(() => importCache(root, archive));
      out(report, () => `imported ${archive}: ${report.added} entries added, ${report.unchanged} already here${report.keptLocal > 0 ? `, ${report.keptLocal} kept as this cache has them (different content under the same key)` : ''}; all ${report.contentFiles} files (${formatBytes(report.bytes)}) matched their hashes`);
      return EXIT_OK;
    }
    case 'import-dir': {
      const dir = abs(options.input ?? '');
      const report = await importDirectory(root, dir).catch((error: unknown) => {
        throw new OffgridError('EINPUT', `cannot import ${dir}: ${describeSystemError(error)}`);
      });
      out(report, () =>
        `imported ${report.added} file(s) from ${dir} (${Object.entries(report.byKind).map(([k, n]) => `${n} ${k}`).join(', ') || 'none new'}; ${formatBytes(report.bytes)}), ${report.unchanged} already here, ${report.skipped} skipped (not a .deb, wheel or sdist)` +
          (report.keptLocal.length > 0 ? `; kept the cache's own copy of ${report.keptLocal.join(', ')}` : ''),
      );
      return EXIT_OK;
    }
  }
}

function requireOut(options: CacheCommandOptions, example: string): string {
  if (!options.out) throw new OffgridError('EUSAGE', `say where to write it: ${example}`);
  return options.out;
}

async function archiveErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ArchiveError) throw new OffgridError('EARCHIVE', `refused: ${error.message}; nothing was merged`);
    if ((error as NodeJS.ErrnoException).code) throw new OffgridError('EINPUT', describeSystemError(error));
    throw error;
  }
}

function entryName(entry: CacheEntry): string {
  const name = typeof entry.metadata['filename'] === 'string' ? entry.metadata['filename'] : typeof entry.metadata.url === 'string' ? entry.metadata.url : entry.key;
  return name;
}

async function allEntries(root: string): Promise<CacheEntry[]> {
  const store = await CacheStore.open({ root });
  const entries: CacheEntry[] = [];
  for await (const entry of store.list()) entries.push(entry);
  return entries;
}

/** Hits over the recent sessions: artifacts (not index files) served without the network. */
export function hitRatio(ledgers: readonly Ledger[]): { sessions: number; hits: number; misses: number; ratio: number | null } {
  let hits = 0;
  let misses = 0;
  for (const ledger of ledgers) {
    for (const record of [...ledger.downloads.wheels, ...ledger.downloads.apt, ...ledger.downloads.npm, ...ledger.downloads.other]) {
      if (record.cached) hits += 1;
      else misses += 1;
    }
  }
  return { sessions: ledgers.length, hits, misses, ratio: hits + misses === 0 ? null : hits / (hits + misses) };
}

async function stats(root: string, logDir: string, out: (o: unknown, text: () => string) => void): Promise<number> {
  const store = await CacheStore.open({ root });
  const s = await store.stats();
  const entries = await allEntries(root);
  const bySha = new Map<string, CacheEntry>();
  for (const e of entries) bySha.set(e.sha256, e);
  const largest = [...bySha.values()].sort((a, b) => b.size - a.size).slice(0, 10);
  const recent = loadLedgers(logDir).ledgers.slice(-RECENT_SESSIONS).map((l) => l.ledger);
  const ratio = hitRatio(recent);
  const json = {
    root,
    entries: s.entries,
    content_files: s.contentFiles,
    bytes: s.bytes,
    by_kind: s.byKind,
    bad_index_entries: s.badIndexEntries,
    hit_ratio: ratio,
    largest: largest.map((e) => ({ name: entryName(e), kind: e.metadata.kind ?? null, size: e.size, sha256: e.sha256 })),
  };
  out(json, () =>
    [
      `cache ${root}: ${s.entries} entries, ${s.contentFiles} files, ${formatBytes(s.bytes)}`,
      table([['kind', 'entries', 'bytes'], ...Object.entries(s.byKind).sort().map(([k, v]) => [k, String(v.entries), formatBytes(v.bytes)])]),
      ratio.ratio === null
        ? `hit ratio: no downloads recorded in ${logDir}`
        : `hit ratio over the last ${ratio.sessions} session(s): ${(ratio.ratio * 100).toFixed(1)}% (${ratio.hits} from a cache, ${ratio.misses} fetched)`,
      ...(largest.length > 0 ? ['largest:', table(largest.map((e) => [`  ${formatBytes(e.size)}`, e.metadata.kind ?? '?', entryName(e)]))] : []),
      ...(s.badIndexEntries > 0 ? [`${s.badIndexEntries} unreadable index entr(ies): run offgrid cache verify`] : []),
    ].join('\n'),
  );
  return EXIT_OK;
}

async function list(root: string, kind: string | null, out: (o: unknown, text: () => string) => void): Promise<number> {
  const entries = (await allEntries(root)).filter((e) => selectEntry(e, { kind, sha256s: null, urls: null })).sort((a, b) => (entryName(a) < entryName(b) ? -1 : 1));
  out(entries, () => table(entries.map((e) => [e.metadata.kind ?? '?', formatBytes(e.size), e.last_used_at ?? e.stored_at, entryName(e)])) || '(the cache is empty)');
  return EXIT_OK;
}

async function prune(root: string, options: CacheCommandOptions, abs: (p: string) => string, out: (o: unknown, text: () => string) => void): Promise<number> {
  const maxSize = options.maxSize === null ? undefined : parseSize(options.maxSize);
  if (maxSize === null) throw new OffgridError('EUSAGE', `--max-size ${JSON.stringify(options.maxSize)} is not a size: give bytes or a number with K, M, G, T (e.g. 500M, 2G)`);
  const olderThanMs = options.olderThan === null ? undefined : parseAge(options.olderThan);
  if (olderThanMs === null) throw new OffgridError('EUSAGE', `--older-than ${JSON.stringify(options.olderThan)} is not an age: give a number with s, m, h, d or w (e.g. 30d, 12h)`);
  const keepSha = new Set<string>();
  const keepNames = new Set<string>();
  for (const file of options.keepManifest) {
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(abs(file), 'utf8'));
    } catch (error) {
      throw new OffgridError('EINPUT', `--keep-manifest ${file}: ${error instanceof SyntaxError ? 'not JSON' : describeSystemError(error)}`);
    }
    const keep = keepListOf(document);
    if (keep.sha256s.size === 0 && keep.filenames.size === 0) throw new OffgridError('EINPUT', `--keep-manifest ${file} names no sha256 or file: not a wheelhouse manifest or a ledger`);
    keep.sha256s.forEach((h) => keepSha.add(h));
    keep.filenames.forEach((n) => keepNames.add(n));
  }
  const before = await allEntries(root);
  for (const e of before) if (keepNames.has(entryName(e).split('?')[0]!.split('/').pop()!)) keepSha.add(e.sha256);
  const store = await CacheStore.open({ root });
  const report = await store.prune({ ...(maxSize !== undefined ? { maxSize } : {}), ...(olderThanMs !== undefined ? { olderThanMs } : {}), keep: keepSha });
  const after = new Set((await allEntries(root)).map((e) => e.key));
  const removed = before.filter((e) => !after.has(e.key));
  out({ ...report, kept_by_manifest: keepSha.size, removed: removed.map((e) => ({ key: e.key, name: entryName(e), size: e.size, sha256: e.sha256 })) }, () =>
    [
      ...removed.slice(0, 50).map((e) => `removed ${formatBytes(e.size)}  ${entryName(e)}`),
      ...(removed.length > 50 ? [`… and ${removed.length - 50} more (--json lists all)`] : []),
      `freed ${formatBytes(report.freedBytes)} (${report.removedEntries} entries, ${report.removedContent} files); ${report.remainingEntries} entries (${formatBytes(report.remainingBytes)}) remain${keepSha.size > 0 ? `; ${keepSha.size} file(s) protected by --keep-manifest` : ''}`,
    ].join('\n'),
  );
  return EXIT_OK;
}

/** The content and URLs one session used (every record, cached or not, index files too). */
function sessionSelection(logDir: string, selector: string): { sha256s: Set<string>; urls: Set<string> } {
  const [loaded] = selectSessions(loadLedgers(logDir), selector);
  const ledger = loaded!.ledger;
  const records = [...ledger.downloads.wheels, ...ledger.downloads.apt, ...ledger.downloads.npm, ...ledger.downloads.other, ...ledger.downloads.indexes, ...ledger.cached];
  const sha256s = new Set<string>();
  const urls = new Set<string>();
  for (const r of records) {
    if (r.sha256) sha256s.add(r.sha256);
    if (r.source) urls.add(r.source);
  }
  return { sha256s, urls };
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Registers `offgrid cache …`. */
export function registerCache(program: Command, io: CliIO, setResult: (result: Promise<number>) => void): void {
  const cache = program.command('cache').description('look after the cache: stats, ls, verify, prune, export, import, import-dir');
  const common = (c: Command) =>
    c
      .addOption(new Option('--cache-dir <dir>', 'the cache (default: $OFFGRID_CACHE_DIR or ~/.cache/offgrid)').default(io.env.OFFGRID_CACHE_DIR))
      .addOption(new Option('--log-dir <dir>', "the guide's logs/ directory").default(io.env.OFFGRID_LOG_DIR ?? 'logs'))
      .option('--json', 'print JSON', false);
  type Common = { cacheDir?: string; logDir: string; json: boolean };
  const base = (o: Common, action: CacheCommandOptions['action']): CacheCommandOptions => ({
    action,
    cacheDir: o.cacheDir ?? null,
    logDir: o.logDir,
    json: o.json,
    kind: null,
    maxSize: null,
    olderThan: null,
    keepManifest: [],
    forSession: null,
    out: null,
    input: null,
  });
  common(cache.command('stats').description('size, entries and bytes by kind, hit ratio over recent sessions, largest items')).action((o: Common) => setResult(cacheCommand(base(o, 'stats'), io)));
  common(cache.command('ls').description('list the entries').option('--kind <kind>', 'wheel, sdist, apt, npm or file')).action((o: Common & { kind?: string }) =>
    setResult(cacheCommand({ ...base(o, 'ls'), kind: o.kind ?? null }, io)),
  );
  common(cache.command('verify').description('re-hash everything; remove and report corrupt entries (exit 1 if any)')).action((o: Common) => setResult(cacheCommand(base(o, 'verify'), io)));
  common(
    cache
      .command('prune')
      .description('remove least recently used content; never what a --keep-manifest still needs')
      .option('--max-size <size>', 'shrink the cache to this size (500M, 2G)')
      .option('--older-than <age>', 'remove what was not used for this long (30d, 12h)')
      .option('--keep-manifest <file>', 'a wheelhouse manifest or ledger whose files must stay (repeatable)', collect),
  ).action((o: Common & { maxSize?: string; olderThan?: string; keepManifest?: string[] }) =>
    setResult(cacheCommand({ ...base(o, 'prune'), maxSize: o.maxSize ?? null, olderThan: o.olderThan ?? null, keepManifest: o.keepManifest ?? [] }, io)),
  );
  common(
    cache
      .command('export')
      .description('write a portable archive (manifest + hashes) of the cache; `export apt` writes the .deb files as apt-archives/ and a flat apt repository')
      .argument('[what]', 'apt: the .deb files as apt-archives/')
      .option('--kind <kind>', 'only this kind (wheel, sdist, apt, npm, file)')
      .option('--for-session <id>', 'only what this session used (latest, or an id)')
      .option('--out <file>', 'the archive to write (FILE.tgz; for apt: a directory or FILE.tgz)'),
  ).action((what: string | undefined, o: Common & { kind?: string; forSession?: string; out?: string }) => {
    if (what !== undefined && what !== 'apt') {
      setResult(Promise.reject(new OffgridError('EUSAGE', `cache export ${what}: the only thing to name is apt (offgrid cache export apt --out DIR)`)));
      return;
    }
    setResult(cacheCommand({ ...base(o, what === 'apt' ? 'export-apt' : 'export'), kind: o.kind ?? null, forSession: o.forSession ?? null, out: o.out ?? null }, io));
  });
  common(cache.command('import').description('verify every hash of an exported archive and merge it into this cache').argument('<archive>')).action((archive: string, o: Common) =>
    setResult(cacheCommand({ ...base(o, 'import'), input: archive }, io)),
  );
  common(cache.command('import-dir').description('bring existing caches in: an apt archives directory, a pip wheelhouse').argument('<dir>')).action((dir: string, o: Common) =>
    setResult(cacheCommand({ ...base(o, 'import-dir'), input: dir }, io)),
  );
}
