// The main process's side of `offgrid serve --workers N`: forks N hit workers
// (hit-worker.ts) with Node's cluster, so they share one listening port, tells them which
// journal their hits go to, replaces a worker that dies, and stops them all before the
// ledger is written. The workers run the same command line; `isHitWorker()` tells them apart.
import cluster, { type Worker } from 'node:cluster';
import type { ProxyLogger } from './types.js';

/** What the main process tells a worker: where it relays, and on which port it listens. */
export const MAIN_SOCKET_ENV = 'OFFGRID_MAIN_SOCKET';
/** A worker that does not finish its requests in hand within this is killed. */
const STOP_GRACE_MS = 5_000;

/** `journal`: the session journal the worker appends its hits to (sent once the session is open). */
export type MainMessage = { readonly type: 'stop' } | { readonly type: 'journal'; readonly path: string };

export function isHitWorker(): boolean {
  return cluster.isWorker && process.env[MAIN_SOCKET_ENV] !== undefined;
}

export interface WorkerPool {
  /** The port every worker listens on. */
  readonly port: number;
  /** Points every worker, and each one started later, at the session's journal. */
  useJournal(path: string): void;
  stop(): Promise<void>;
}

export interface WorkerPoolOptions {
  readonly count: number;
  readonly mainSocket: string;
  readonly log: ProxyLogger;
}

export async function startWorkerPool(options: WorkerPoolOptions): Promise<WorkerPool> {
  let stopping = false;
  let port = 0;
  let journal: string | null = null;
  const workers = new Set<Worker>();
  const tellJournal = (worker: Worker): void => {
    if (journal !== null && worker.isConnected()) worker.send({ type: 'journal', path: journal } satisfies MainMessage);
  };

  const fork = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      // Every worker asks for the port the user gave (0 included): cluster shares one
      // listening socket per address and port asked, so all of them get the same.
      const worker = cluster.fork({ [MAIN_SOCKET_ENV]: options.mainSocket });
      workers.add(worker);
      let listened = false;
      // A worker listens for messages before it listens on the port.
      worker.once('listening', (address) => {
        listened = true;
        port = address.port;
        tellJournal(worker);
        resolve(worker);
      });
      worker.once('exit', (code, signal) => {
        workers.delete(worker);
        if (!listened) {
          reject(new Error(`a hit worker exited before it listened (${signal ?? `exit code ${code}`})`));
          return;
        }
        if (stopping) return;
        // A worker lost while serving: its clients saw their connections drop; the port
        // keeps listening through the others, and a new one takes its place.
        options.log.warn(`hit worker ${worker.process.pid ?? '?'} died (${signal ?? `exit code ${code}`}); starting another`);
        fork().catch((error: Error) => options.log.warn(error.message));
      });
    });

  try {
    await Promise.all(Array.from({ length: options.count }, fork));
  } catch (error) {
    stopping = true;
    for (const worker of workers) worker.kill();
    throw error;
  }

  return {
    get port() {
      return port;
    },
    useJournal: (path) => {
      journal = path;
      for (const worker of workers) tellJournal(worker);
    },
    stop: async () => {
      stopping = true;
      await Promise.all([...workers].map((worker) => stopWorker(worker)));
    },
  };
}

/** Asks a worker to finish and journal its last hits; kills it if it does not in time. */
function stopWorker(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => worker.kill('SIGKILL'), STOP_GRACE_MS);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (worker.isConnected()) worker.send({ type: 'stop' } satisfies MainMessage);
    else worker.kill();
  });
}
