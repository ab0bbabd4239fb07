// `offgrid serve`: the caching proxy in the foreground, for a shell, a CI job or a team.
// It prints the environment lines that point tools at it and, on SIGINT/SIGTERM, writes
// the session ledger of everything it served. With `--workers N`, N processes share the
// port and answer cache hits on their own cores (worker-pool.ts, hit-worker.ts); this
// process then serves the rest over a private socket; every process journals into the one
// session, whose ledger this process writes.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHitWorker } from '../../capture/proxy/hit-worker.js';
import { ProxyConfigError, checkBindAddress } from '../../capture/proxy/server.js';
import { MAIN_SOCKET_ENV, type MainMessage, type WorkerPool, isHitWorker, startWorkerPool } from '../../capture/proxy/worker-pool.js';
import type { ProxyLogger } from '../../capture/proxy/types.js';
import { OffgridError, describeSystemError } from '../../errors.js';
import { JournalShare } from '../../session/journal-share.js';
import type { ListenOptions, Recording } from '../../session/recording.js';
import { defaultCacheDir } from '../../session/recording.js';
import { say, type CliIO } from '../io.js';
import { proxyLogger, recoverQuietly, sessionSummaryLine, startRecordingOrExplain, type ProxyFlags } from './session-common.js';

export interface ServeOptions extends ProxyFlags {
  readonly port: string;
  readonly host: string;
  readonly allowRemote: boolean;
  readonly workers: string;
}

/** More processes than this would only take turns on the same cores. */
const MAX_WORKERS = 64;

export async function serveCommand(options: ServeOptions, io: CliIO): Promise<number> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OffgridError('EUSAGE', `--port must be a port number, not ${options.port}`);
  const workers = Number(options.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) throw new OffgridError('EUSAGE', `--workers must be a whole number from 1 to ${MAX_WORKERS}, not ${options.workers}`);
  if (!options.proxy) throw new OffgridError('EUSAGE', 'serve is the proxy: --no-proxy makes no sense here');
  if (isHitWorker()) return hitWorker(options, io);
  await recoverQuietly(options.logDir, io);
  let pool: WorkerPool | null = null;
  let recording: Recording | null = null;
  const socketDir = workers > 1 ? mkdtempSync(join(tmpdir(), 'offgrid-serve-')) : null;
  try {
    let listen: ListenOptions = { host: options.host, port, allowRemote: options.allowRemote };
    if (socketDir) {
      try {
        checkBindAddress(options.host, options.allowRemote, proxyLogger(io, options.debug));
      } catch (error) {
        if (error instanceof ProxyConfigError) throw new OffgridError('EUSAGE', error.message);
        throw error;
      }
      const mainSocket = join(socketDir, 'main.sock');
      pool = await startWorkerPool({ count: workers, mainSocket, log: proxyLogger(io, options.debug) }).catch((error: Error) => {
        throw new OffgridError('EPROXY', `cannot start the caching proxy's workers: ${error.message}`);
      });
      listen = { ...listen, port: pool.port, internal: { socketPath: mainSocket, publicHost: options.host, publicPort: pool.port } };
    }
    recording = await startRecordingOrExplain(options, ['offgrid', 'serve', ...(options.offline ? ['--offline'] : [])], io, listen);
    const proxy = recording.proxy!;
    pool?.useJournal(recording.session.paths.journal);
    // One write: whoever reads the banner (a script, a test) gets the whole environment at once.
    say(
      io.stdout,
      [
        `offgrid: caching proxy at ${proxy.url}${options.offline ? ' (offline: cache only)' : ''}${pool ? ` (${workers} processes answer hits)` : ''}`,
        `offgrid: session ${recording.session.id}; stop with Ctrl-C to write its ledger`,
        '# point a shell at it:',
        ...Object.entries(recording.env).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
      ].join('\n'),
    );
    await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
    // The workers' last hits are journaled before the session ends and its ledger is written.
    await pool?.stop();
    pool = null;
    const ledger = await recording.finish(0);
    say(io.stderr, sessionSummaryLine(ledger, recording.session.paths.ledger));
    return 0;
  } finally {
    await pool?.stop();
    if (socketDir) rmSync(socketDir, { recursive: true, force: true });
  }
}

/** A hit worker's life: serve until the main process says stop (or goes away). */
async function hitWorker(options: ServeOptions, io: CliIO): Promise<number> {
  // Ctrl-C reaches the whole process group; the main process decides when workers stop.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});
  const log = proxyLogger(io, options.debug);
  const journal = new JournalShare(io.clock);
  // Listening for the main process before listening on the port: it writes as soon as a worker listens.
  const stopped = new Promise<void>((resolve) => {
    process.on('message', (message: MainMessage) => {
      if (message.type === 'stop') resolve();
      else if (message.type === 'journal') openJournal(journal, message.path, log);
    });
    process.once('disconnect', resolve);
  });
  const worker = await startHitWorker({
    host: options.host,
    port: Number(options.port),
    allowRemote: options.allowRemote,
    cacheDir: options.cacheDir ?? defaultCacheDir(io.env),
    offline: options.offline,
    mainSocket: process.env[MAIN_SOCKET_ENV]!,
    record: (event) => journal.record(event),
    clock: io.clock,
    log,
  });
  await stopped;
  await worker.close();
  journal.close();
  if (process.connected) process.disconnect();
  return 0;
}

function openJournal(journal: JournalShare, path: string, log: ProxyLogger): void {
  try {
    journal.open(path);
  } catch (error) {
    log.warn(`hit worker ${process.pid} cannot write to the session journal ${path}: ${describeSystemError(error)}; its hits are not recorded`);
  }
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
