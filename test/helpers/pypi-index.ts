// A real PyPI-style index on 127.0.0.1 for tests: PEP 503 HTML and PEP 691 JSON simple
// pages plus the distribution files, built in memory by pypi-dist.ts. It counts requests
// per path (tests assert how many reached the "upstream"), can be stopped and restarted
// on the same port, and can inject faults per path.
import { restartable } from './restartable-server.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { buildDists, normalizeProject, type BuiltFile, type DistSpec } from './pypi-dist.js';

export type { BuiltFile, DistSpec } from './pypi-dist.js';

export type Fault =
  /** Send headers and `afterBytes` of the body (default half), then destroy the socket. */
  | { readonly type: 'reset-mid-body'; readonly afterBytes?: number; times?: number }
  /** Answer with this status and a short body instead. */
  | { readonly type: 'status'; readonly status: number; times?: number }
  /** Wait before answering normally. */
  | { readonly type: 'delay'; readonly ms: number; times?: number };

export interface PypiIndex {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `http://127.0.0.1:PORT/simple/` */
  readonly simpleUrl: string;
  readonly port: number;
  /** Requests per URL path (query strings dropped), faults included. */
  readonly requests: Map<string, number>;
  /** Every file served, by file name. */
  readonly files: ReadonlyMap<string, BuiltFile>;
  /**
   * Faults by URL path; `times` (default: forever) counts down on each use and the
   * fault is removed when it reaches 0.
   */
  readonly faults: Map<string, Fault>;
  /** URL of a served file. */
  fileUrl(filename: string): string;
  /** Sum of requests whose path starts with `prefix`. */
  requestCount(prefix?: string): number;
  /** Stop listening and drop open connections; `restart()` listens again on the same port. */
  close(): Promise<void>;
  restart(): Promise<void>;
}

export interface PypiIndexOptions {
  readonly packages: readonly DistSpec[];
  /** Real distribution files served beside the built ones (realWheel()). */
  readonly files?: readonly BuiltFile[];
  readonly faults?: Iterable<readonly [string, Fault]>;
}

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';

export async function startPypiIndex(options: PypiIndexOptions): Promise<PypiIndex> {
  const files = new Map<string, BuiltFile>();
  const projects = new Map<string, BuiltFile[]>();
  for (const built of [...options.packages.flatMap((spec) => buildDists(spec)), ...(options.files ?? [])]) {
    files.set(built.filename, built);
    const list = projects.get(built.project) ?? [];
    list.push(built);
    projects.set(built.project, list);
  }
  const requests = new Map<string, number>();
  const faults = new Map<string, Fault>(options.faults ?? []);

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const fault = takeFault(faults, path);
    if (fault?.type === 'delay') {
      setTimeout(() => route(req, res, path, undefined), fault.ms);
      return;
    }
    route(req, res, path, fault);
  });

  function route(req: IncomingMessage, res: ServerResponse, path: string, fault: Fault | undefined): void {
    if (fault?.type === 'status') {
      send(req, res, fault.status, 'text/plain', Buffer.from(`injected ${fault.status}\n`), undefined);
      return;
    }
    const wantsJson = prefersJson(req.headers.accept);
    if (path === '/simple/' || path === '/simple') {
      const names = [...projects.keys()].sort();
      const body = wantsJson
        ? JSON.stringify({ meta: { 'api-version': '1.0' }, projects: names.map((name) => ({ name })) })
        : page('Simple index', names.map((n) => `<a href="/simple/${n}/">${n}</a>`));
      send(req, res, 200, wantsJson ? JSON_TYPE : 'text/html', Buffer.from(body), fault);
      return;
    }
    const simple = /^\/simple\/([^/]+)\/?$/.exec(path);
    if (simple?.[1] !== undefined) {
      const asked = decodeURIComponent(simple[1]);
      const project = normalizeProject(asked);
      const list = projects.get(project);
      if (list === undefined) {
        send(req, res, 404, 'text/plain', Buffer.from('not found\n'), undefined);
        return;
      }
      if (asked !== project || !path.endsWith('/')) {
        // PEP 503: non-normalised names redirect to the normalised URL.
        res.writeHead(301, { location: `/simple/${project}/` }).end();
        return;
      }
      const body = wantsJson ? projectJson(project, list) : projectHtml(project, list);
      send(req, res, 200, wantsJson ? JSON_TYPE : 'text/html', Buffer.from(body), fault);
      return;
    }
    const served = path.startsWith('/files/') ? files.get(decodeURIComponent(path.slice(7))) : undefined;
    if (served === undefined) {
      send(req, res, 404, 'text/plain', Buffer.from('not found\n'), undefined);
      return;
    }
    send(req, res, 200, 'application/octet-stream', served.bytes, fault);
  }

  const lifecycle = restartable(server);
  const port = await lifecycle.start();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    simpleUrl: `${url}/simple/`,
    port,
    requests,
    files,
    faults,
    fileUrl: (filename) => `${url}/files/${encodeURIComponent(filename)}`,
    requestCount: (prefix = '/') =>
      [...requests].reduce((sum, [path, n]) => (path.startsWith(prefix) ? sum + n : sum), 0),
    close: lifecycle.close,
    restart: lifecycle.restart,
  };
}

function takeFault(faults: Map<string, Fault>, path: string): Fault | undefined {
  const fault = faults.get(path);
  if (fault === undefined) return undefined;
  if (fault.times !== undefined) {
    fault.times -= 1;
    if (fault.times <= 0) faults.delete(path);
  }
  return fault;
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  body: Buffer,
  fault: Fault | undefined,
): void {
  // Like PyPI: files are immutable, pages short-lived; pip's HTTP cache needs these to
  // answer repeats itself ("Using cached ...").
  const cacheControl = type === 'application/octet-stream' ? 'max-age=365000000, immutable, public' : 'max-age=600, public';
  const headers = { 'content-type': type, 'content-length': body.length, 'cache-control': cacheControl };
  res.writeHead(status, status === 200 ? headers : { ...headers, 'cache-control': 'no-store' });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (fault?.type === 'reset-mid-body') {
    const cut = Math.min(body.length - 1, fault.afterBytes ?? Math.floor(body.length / 2));
    res.write(body.subarray(0, Math.max(0, cut)), () => res.socket?.destroy());
    return;
  }
  res.end(body);
}

/** Content negotiation between PEP 691 JSON and HTML by q-value (JSON wins ties). */
function prefersJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let json = -1;
  let html = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const media = type.trim().toLowerCase();
    if (media === JSON_TYPE) json = Math.max(json, q);
    else if (media === 'text/html' || media === 'application/vnd.pypi.simple.v1+html' || media === '*/*')
      html = Math.max(html, q);
  }
  return json > 0 && json >= html;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function page(title: string, links: string[]): string {
  return `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"><title>${title}</title></head><body>\n${links.join('<br>\n')}\n</body></html>\n`;
}

function projectHtml(project: string, list: readonly BuiltFile[]): string {
  return page(
    `Links for ${project}`,
    list.map((f) => {
      const rp = f.requiresPython === undefined ? '' : ` data-requires-python="${escapeHtml(f.requiresPython)}"`;
      return `<a href="/files/${encodeURIComponent(f.filename)}#sha256=${f.sha256}"${rp}>${escapeHtml(f.filename)}</a>`;
    }),
  );
}

function projectJson(project: string, list: readonly BuiltFile[]): string {
  return JSON.stringify({
    meta: { 'api-version': '1.0' },
    name: project,
    files: list.map((f) => ({
      filename: f.filename,
      url: `/files/${encodeURIComponent(f.filename)}`,
      hashes: { sha256: f.sha256 },
      ...(f.requiresPython === undefined ? {} : { 'requires-python': f.requiresPython }),
    })),
  });
}
