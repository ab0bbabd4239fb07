// BuildKit's `--progress=rawjson` (buildx ≥ 0.13, buildctl): one JSON client.SolveStatus
// per line, {vertexes, statuses, logs, warnings}. A vertex is reported again each time it
// changes (started, completed, cached, error); logs carry base64 `data` chunks that need
// not end at a line break. Vertices are numbered in the order they start, as the plain
// printer numbers them, so both framings name steps alike.
import { cleanLine, MAX_LINE_BYTES } from './lines.js';
import type { StepFrames } from './docker-frames.js';

interface RawVertex {
  digest?: unknown;
  name?: unknown;
  started?: unknown;
  completed?: unknown;
  cached?: unknown;
  error?: unknown;
}

interface RawStatus {
  id?: unknown;
  vertex?: unknown;
  total?: unknown;
  current?: unknown;
  started?: unknown;
  completed?: unknown;
}

interface RawLog {
  vertex?: unknown;
  data?: unknown;
}

interface VertexState {
  id: string;
  open: boolean;
  /** Output after the last line break, kept until the line completes. */
  partial: string;
  /** The builder repeats a finished vertex; the same completion is reported once. */
  lastCompleted: string | null;
}

const CANCELED = 'context canceled';

export class RawJsonFramer {
  private readonly vertices = new Map<string, VertexState>();
  private started = 0;

  constructor(private readonly frames: StepFrames) {}

  /** Takes a line if it is a rawjson SolveStatus. */
  line(text: string): boolean {
    if (!looksLikeSolveStatus(text)) return false;
    let status: unknown;
    try {
      status = JSON.parse(text);
    } catch {
      return false;
    }
    if (typeof status !== 'object' || status === null) return false;
    const { vertexes, statuses, logs } = status as { vertexes?: unknown; statuses?: unknown; logs?: unknown };
    if (Array.isArray(vertexes)) for (const v of vertexes) if (isObject(v)) this.vertex(v as RawVertex);
    if (Array.isArray(logs)) for (const l of logs) if (isObject(l)) this.log(l as RawLog);
    if (Array.isArray(statuses)) for (const s of statuses) if (isObject(s)) this.status(s as RawStatus);
    return true;
  }

  /** Flushes partial lines of open vertices; returns their ids. */
  openSteps(): string[] {
    const open: string[] = [];
    for (const state of this.vertices.values()) {
      if (!state.open) continue;
      this.flush(state);
      open.push(state.id);
    }
    return open;
  }

  private vertex(v: RawVertex): void {
    if (typeof v.digest !== 'string' || typeof v.started !== 'string') return;
    const name = typeof v.name === 'string' ? v.name : v.digest;
    let state = this.vertices.get(v.digest);
    if (state === undefined) {
      state = { id: String(++this.started), open: false, partial: '', lastCompleted: null };
      this.vertices.set(v.digest, state);
    }
    if (!state.open && v.completed === undefined) {
      state.open = true;
      this.frames.start(state.id, name);
      return;
    }
    if (typeof v.completed !== 'string' || v.completed === state.lastCompleted) return;
    state.lastCompleted = v.completed;
    if (!state.open) {
      // A vertex reported done in one message (cached, or restarted and finished at once).
      this.frames.start(state.id, name);
    }
    this.flush(state);
    state.open = false;
    const error = typeof v.error === 'string' && v.error !== '' ? v.error : null;
    const duration = (Date.parse(v.completed) - Date.parse(v.started)) / 1000;
    this.frames.end(state.id, {
      status: error !== null ? (error.endsWith(CANCELED) ? 'canceled' : 'error') : v.cached === true ? 'cached' : 'done',
      durationSeconds: Number.isFinite(duration) && duration >= 0 && v.cached !== true ? Math.round(duration * 1000) / 1000 : null,
      error,
    });
  }

  private log(l: RawLog): void {
    if (typeof l.vertex !== 'string' || typeof l.data !== 'string') return;
    const state = this.vertices.get(l.vertex);
    if (state === undefined || !state.open) return;
    const chunk = state.partial + Buffer.from(l.data, 'base64').toString('utf8');
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', from);
      if (nl === -1) break;
      this.frames.log(state.id, cleanLine(chunk.slice(from, nl)));
      from = nl + 1;
    }
    const rest = chunk.slice(from);
    // A "line" that never ends must not grow without bound.
    state.partial = rest.length > MAX_LINE_BYTES ? rest.slice(0, MAX_LINE_BYTES) : rest;
  }

  private status(s: RawStatus): void {
    if (typeof s.vertex !== 'string' || typeof s.id !== 'string' || typeof s.completed !== 'string') return;
    if (!s.id.startsWith('sha256:')) return;
    const state = this.vertices.get(s.vertex);
    if (state === undefined || typeof s.total !== 'number' || s.total <= 0) return;
    const seconds = typeof s.started === 'string' ? (Date.parse(s.completed) - Date.parse(s.started)) / 1000 : NaN;
    this.frames.layer(state.id, { digest: s.id, bytes: s.total, seconds: Number.isFinite(seconds) ? seconds : null });
  }

  private flush(state: VertexState): void {
    if (state.partial === '') return;
    const text = cleanLine(state.partial);
    state.partial = '';
    this.frames.log(state.id, text);
  }
}

/** Cheap test before JSON.parse: a SolveStatus object starts with one of its four keys. */
export function looksLikeSolveStatus(text: string): boolean {
  return (
    text.charCodeAt(0) === 123 /* { */ &&
    (text.startsWith('{"vertexes"') ||
      text.startsWith('{"statuses"') ||
      text.startsWith('{"logs"') ||
      text.startsWith('{"warnings"'))
  );
}

const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null;
