// A proxy under test (real server on 127.0.0.1:0 with a temp cache) and an HTTP client that
// reports an incomplete body as such instead of hiding it.
import { mkdtemp, rm } from 'node:fs/promises';
import { type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureEvent, DownloadEvent, NetworkAttemptEvent } from '../../src/capture/events.js';
import { type RunningProxy, type ServerLimits, startProxy } from '../../src/capture/proxy/server.js';
import type { ProxyRoute } from '../../src/capture/proxy/types.js';

export interface TestProxy {
  readonly proxy: RunningProxy;
  readonly events: CaptureEvent[];
  readonly cacheDir: string;
  readonly warnings: string[];
  downloads(): DownloadEvent[];
  attempts(): NetworkAttemptEvent[];
  close(): Promise<void>;
}

export interface TestProxyOptions {
  readonly offline?: boolean;
  readonly allowedHosts?: readonly string[];
  readonly cacheDir?: string;
  readonly routes?: readonly ProxyRoute[];
  readonly limits?: Partial<ServerLimits>;
}

export async function startTestProxy(options: TestProxyOptions = {}): Promise<TestProxy> {
  const dir = options.cacheDir ?? (await mkdtemp(join(tmpdir(), 'offgrid-proxy-')));
  const events: CaptureEvent[] = [];
  const warnings: string[] = [];
  const proxy = await startProxy({
    cacheDir: dir,
    offline: options.offline ?? false,
    upstreams: { pypi: [], npm: null, allowedHosts: new Set(options.allowedHosts ?? ['127.0.0.1']) },
    record: (event) => events.push(event),
    clock: { now: () => new Date() },
    log: { debug() {}, warn: (message) => warnings.push(message) },
    routes: options.routes ?? [],
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return {
    proxy,
    events,
    cacheDir: dir,
    warnings,
    downloads: () => events.filter((e): e is DownloadEvent => e.type === 'download'),
    attempts: () => events.filter((e): e is NetworkAttemptEvent => e.type === 'network_attempt'),
    close: async () => {
      await proxy.close();
      if (!options.cacheDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface FetchResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** False when the connection ended before the body was complete. */
  readonly complete: boolean;
}

/**
 * Sends `GET target` to the proxy at `proxyUrl`: an absolute URL as a forward-proxy
 * request, a path as an origin-form request.
 */
export function fetchVia(proxyUrl: string, target: string, headers: Record<string, string> = {}, method = 'GET'): Promise<FetchResult> {
  const proxy = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: proxy.hostname, port: proxy.port, method, path: target, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let done = false;
      const finish = (complete: boolean): void => {
        if (done) return;
        done = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete });
      };
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => finish(res.complete));
      res.on('error', () => finish(false));
      res.on('aborted', () => finish(false));
      res.on('close', () => finish(res.complete));
    });
    req.on('error', reject);
    req.end();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Retries `check` until it stops throwing (2 s at most). The proxy records an event after
 * its side of the response finished, which can be just after the client saw the last byte.
 */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(10);
    }
  }
}
