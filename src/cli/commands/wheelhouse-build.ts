// `offgrid wheelhouse [-r FILE]… [PACKAGE…]`, the part loaded after pip's warm check has
// started (wheelhouse.ts): every wheel a project needs, downloaded by the user's own pip
// through the caching proxy (so the session ledger records each), into `wheelhouse/`
// with a manifest and a log.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { errorEvent } from '../../capture/events.js';
import { EXIT_FAILED, EXIT_OK, OffgridError } from '../../errors.js';
import { formatBytes } from '../../report/format.js';
import { isoLocal } from '../../session/time.js';
import type { Recording } from '../../session/recording.js';
import { writeReproducibleArchive } from '../../wheelhouse/archive.js';
import { InterruptedError, buildWheelhouse, writeManifest, type Network } from '../../wheelhouse/build.js';
import { fileFetcher } from '../../wheelhouse/fetch-file.js';
import type { FileIndexes } from '../../wheelhouse/index-options.js';
import type { LocalAttempt } from '../../wheelhouse/local-first.js';
import { MANIFEST_FILE, archivedManifest, serializeManifest, type Manifest } from '../../wheelhouse/manifest.js';
import { PipStartError, pipRunner } from '../../wheelhouse/pip-runner.js';
import { createProgress } from '../../wheelhouse/progress.js';
import { RequirementFileError } from '../../wheelhouse/requirement-set.js';
import type { RunLog } from '../../wheelhouse/run-log.js';
import { say, warn, type CliIO } from '../io.js';
import { recoverQuietly, startRecordingOrExplain, type ProxyFlags } from './session-common.js';
import type { WheelhouseOptions } from './wheelhouse.js';

const EXIT_INTERRUPTED = 130;

/**
 * The proxy's PyPI upstreams once the requirements files are read, with pip's precedence:
 * a file's index-url replaces every index given before it, its extra indexes add to them.
 * The hosts of its find-links pages join the allow-list.
 */
export function withFileIndexes(flags: ProxyFlags, fileIndexes: FileIndexes | null): ProxyFlags {
  if (fileIndexes === null) return flags;
  // pip reads a file's find-links pages itself, through the proxy: only their hosts are needed.
  const linkHosts = fileIndexes.findLinks.flatMap((link) => {
    try {
      return [new URL(link).hostname.toLowerCase()];
    } catch {
      return [];
    }
  });
  const allowed = linkHosts.length === 0 ? flags : { ...flags, allowHost: [...flags.allowHost, ...linkHosts] };
  if (fileIndexes.indexUrl !== null) return { ...allowed, pypiUpstream: [fileIndexes.indexUrl, ...fileIndexes.extraIndexUrls] };
  return fileIndexes.extraIndexUrls.length === 0 ? allowed : { ...allowed, pypiExtraUpstream: fileIndexes.extraIndexUrls };
}

/** The hosts of requirements files named by URL join the allow-list: offgrid fetches them through its proxy. */
export function withFetchHosts(flags: ProxyFlags, urls: readonly string[]): ProxyFlags {
  const hosts = urls.flatMap((url) => (URL.canParse(url) ? [new URL(url).host.toLowerCase()] : []));
  return hosts.length === 0 ? flags : { ...flags, allowHost: [...new Set([...flags.allowHost, ...hosts])] };
}

/** What the thin command (wheelhouse.ts) prepared before this module was loaded. */
export interface WheelhouseStart {
  readonly dest: string;
  readonly logPath: string;
  readonly log: RunLog;
  /** The warm path's pip, already running, or null. */
  readonly early: LocalAttempt | null;
  /** True once Ctrl-C or SIGTERM arrived (watched from before the warm path's pip started). */
  readonly interrupted: () => boolean;
}

export async function buildCommand(options: WheelhouseOptions, io: CliIO, start: WheelhouseStart): Promise<number> {
  const { dest, logPath, log } = start;
  await recoverQuietly(options.logDir, io);
  const upstreams = [...(options.indexUrl ? [options.indexUrl] : []), ...options.extraIndexUrls, ...options.pypiUpstream];
  const flags: ProxyFlags = { ...options, pypiUpstream: upstreams };
  const command = ['offgrid', 'wheelhouse', ...options.requirementFiles.flatMap((f) => ['-r', f]), ...options.packages, '--dest', options.dest];
  // The proxy and the session start only when pip needs the index: a wheelhouse that
  // already satisfies the requirements is checked with --no-index and records nothing.
  let started: Promise<Recording> | null = null;
  let startedIndexes: FileIndexes | null = null;
  const startOnce = (fileIndexes: FileIndexes | null, fetchUrls: readonly string[]): Promise<Recording> => {
    if (started !== null) return started;
    startedIndexes = fileIndexes;
    return (started = startRecordingOrExplain(withFetchHosts(withFileIndexes(flags, fileIndexes), fetchUrls), command, io));
  };
  // Read through a function: TypeScript cannot see the assignment inside startOnce.
  const startedRecording = (): Promise<Recording> | null => started;
  const progress = createProgress(io.stderr, { quiet: false });
  const note = (text: string): void => log.note(text);
  const startedAt = isoLocal(io.clock.now());
  const workDir = await mkdtemp(join(tmpdir(), 'offgrid-wheelhouse-'));
  const localPip = pipRunner({ python: options.python, cwd: io.cwd, env: io.env, log, capture: () => null });
  let recording: Recording | null = null;
  const network = async (fileIndexes: FileIndexes | null = null, fetchUrls: readonly string[] = []): Promise<Network> => {
    const r = await startOnce(fileIndexes, fetchUrls);
    if (recording === null) {
      recording = r;
      note(`session ${r.session.id}${r.proxy ? ` through the proxy ${r.proxy.url}` : ' without the proxy'}${options.offline ? ' (offline)' : ''}`);
    }
    const proxyUrl = r.proxy?.url ?? null;
    return {
      pip: pipRunner({ python: options.python, cwd: io.cwd, env: { ...io.env, ...r.env }, log, capture: () => r.capture(null) }),
      proxyUrl, fetch: fileFetcher(proxyUrl, io.env), fileIndexes: startedIndexes,
    };
  };
  // Without the proxy, pip itself is told about the indexes given to offgrid.
  const index = options.proxy ? [] : [...(options.indexUrl ? ['--index-url', options.indexUrl] : []), ...options.extraIndexUrls.flatMap((u) => ['--extra-index-url', u])];
  let exitCode: number | null = null;
  try {
    note(`wheelhouse ${dest}`);
    const result = await buildWheelhouse(
      { dest, cwd: io.cwd, requirementFiles: options.requirementFiles, packages: options.packages, target: options.target, index, offline: options.offline, refresh: options.refresh, env: io.env },
      { localPip, network, clock: io.clock, progress, note, workDir, interrupted: start.interrupted, early: start.early },
    );
    const pending = startedRecording();
    const session = pending === null ? null : await pending;
    exitCode = result.failures.length > 0 ? EXIT_FAILED : EXIT_OK;
    const manifest: Manifest = {
      ...result.manifest,
      run: { started_at: startedAt, finished_at: isoLocal(io.clock.now()), offline: options.offline, log_file: logPath, session_id: session?.session.id ?? null, exit_code: exitCode },
    };
    const manifestPath = await writeManifest(dest, manifest);
    note(`manifest ${manifestPath}`);
    for (const failure of result.failures) {
      note(`FAILED ${failure}`);
      session?.session.record(errorEvent({ message: `wheelhouse: ${failure}`, tool: 'offgrid' }));
    }
    let archive: string | null = null;
    if (options.archive !== null) {
      if (result.failures.length > 0) warn(io, `archive ${options.archive} not written: the wheelhouse is incomplete`);
      else {
        archive = resolve(io.cwd, options.archive);
        await writeArchive(archive, dest, manifest);
        note(`archive ${archive}`);
      }
    }
    progress.end();
    for (const name of result.unknownFiles) warn(io, `${join(options.dest, name)} is not from offgrid wheelhouse; it is left alone (verify will report it)`);
    const ledger = session === null ? null : await session.finish(exitCode);
    log.close();
    report(io, options, { manifest, manifestPath, logPath, ledgerPath: session?.session.paths.ledger ?? null, archive, failures: result.failures, removed: result.removedFiles, unknown: result.unknownFiles, sessionId: ledger?.session_id ?? null });
    return exitCode;
  } catch (error) {
    progress.end();
    if (error instanceof InterruptedError) {
      note('interrupted; the manifest is unchanged and partial downloads were removed');
      await finishQuietly(startedRecording(), EXIT_INTERRUPTED);
      say(io.stderr, 'offgrid: interrupted; the wheelhouse and its manifest are as they were before this run (apart from files already complete)');
      return EXIT_INTERRUPTED;
    }
    note(`failed: ${error instanceof Error ? error.message : String(error)}`);
    await finishQuietly(startedRecording(), exitCode);
    if (error instanceof RequirementFileError) throw new OffgridError('EINPUT', error.message);
    if (error instanceof PipStartError) throw new OffgridError('ESPAWN', `${error.message} (use --python to name the Python whose pip should run)`);
    throw error;
  } finally {
    log.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Ends the session if it started; a proxy that failed to start is the error already being reported. */
async function finishQuietly(recording: Promise<Recording> | null, exitCode: number | null): Promise<void> {
  if (recording === null) return;
  let r: Recording;
  try {
    r = await recording;
  } catch {
    return;
  }
  await r.finish(exitCode);
}

async function writeArchive(out: string, dest: string, manifest: Manifest): Promise<void> {
  const files = manifest.packages.filter((p) => p.filename !== null && p.status !== 'error').map((p) => ({ name: p.filename!, source: { path: join(dest, p.filename!) } }));
  const manifestBytes = Buffer.from(serializeManifest(archivedManifest(manifest)));
  await writeReproducibleArchive(out, basename(dest), [...files, { name: MANIFEST_FILE, source: { bytes: manifestBytes } }]);
}

interface Outcome {
  manifest: Manifest;
  manifestPath: string;
  logPath: string;
  ledgerPath: string | null;
  archive: string | null;
  failures: readonly string[];
  removed: readonly string[];
  unknown: readonly string[];
  sessionId: string | null;
}

function report(io: CliIO, options: WheelhouseOptions, o: Outcome): void {
  const t = o.manifest.totals;
  if (options.json) {
    say(io.stdout, JSON.stringify({
      ok: o.failures.length === 0, dest: options.dest, manifest: rel(io, o.manifestPath), log: o.logPath, ledger: o.ledgerPath,
      session_id: o.sessionId, archive: o.archive && rel(io, o.archive), totals: t, pip_version: o.manifest.pip_version,
      target: o.manifest.target, failures: o.failures, removed: o.removed, unknown_files: o.unknown,
    }, null, 2));
    return;
  }
  say(io.stdout, `offgrid: wheelhouse ${options.dest}: ${t.packages} package(s): ${t.success} downloaded (${formatBytes(t.bytes_downloaded)}), ${t.skipped} already present, ${t.error} failed; ${formatBytes(t.bytes)} in all`);
  say(io.stdout, `  manifest ${rel(io, o.manifestPath)}; log ${o.logPath}${o.ledgerPath ? `; ledger ${o.ledgerPath}` : '; nothing downloaded, no session recorded'}${o.archive ? `; archive ${rel(io, o.archive)}` : ''}`);
  if (o.removed.length > 0) say(io.stdout, `  removed ${o.removed.length} file(s) the requirements no longer need`);
  if (o.failures.length > 0) {
    say(io.stdout, `FAILED (${o.failures.length}):`);
    for (const f of o.failures) say(io.stdout, `  ${f}`);
  }
}

const rel = (io: CliIO, path: string): string => relative(io.cwd, path) || '.';
