// Per-step state behind the Docker framings: one set of tool parsers per open build step
// (BuildKit interleaves the output of parallel steps, and a tool parser's state is only
// valid for one command's output), the last lines of each step for error context, and
// the step's outcome as StepEvent / ErrorEvent.
import type { CaptureEvent, ErrorEvent, NetworkAttemptEvent, StepEvent } from '../events.js';
import { downloadEvent, errorEvent, networkAttemptEvent } from '../events.js';
import { IMAGE_LOOKUP_SOURCE, remoteAddSources, remoteSourceFilename } from './docker-add.js';
import { goDialFailure } from './netclients.js';
import { combineToolParsers, type ToolParser, type ToolParserFactory } from './tool-parser.js';
import { stepInstruction, stepLabel, stepPosition, type LayerPull, type StepFrames, type StepOutcome } from './docker-frames.js';

/** Lines of a step kept for the ErrorEvent of a failed step. */
export const ERROR_CONTEXT_LINES = 8;
/** BuildKit's lookup of an image on its registry: a `# syntax=` frontend (`docker.io/docker/dockerfile:1`). */
const RESOLVE_IMAGE_CONFIG = /^resolve image config for (\S+)$/;
/** The name of a step whose header the log does not hold (docker-buildkit.ts names it `#N`). */
const HEADERLESS = /^#\d+$/;
/** `RUN --mount=type=cache,target=/root/.cache pip install …`: the command after RUN's flags. */
const RUN_FLAGS = /^RUN\s+(?:--\S+\s+)*/;
/** BuildKit's import of a `--cache-from` cache: `importing cache manifest from user/app:cache`. */
const CACHE_IMPORT = /^importing cache manifest from /;
/** The instructions whose step can fetch anything (`RUN`, `ADD <url>`). */
const NETWORK_STEP = /^(?:RUN|ADD)\s/i;

interface StepState {
  /** The framing's id (`5` of `#5`, `2` of `Step 2/3`), unique while the step is open. */
  readonly frameId: string;
  /** The id the step is reported by, unique in the log: the frame id, `b2:5` in the log's second build. */
  readonly id: string;
  /** What the step is reported by (stepLabel). */
  readonly name: string;
  /** The Dockerfile instruction it runs (`RUN …`, `ADD …`), without any platform. */
  readonly instruction: string;
  /** The service given, else the Compose service the vertex names (`[api 2/4] RUN …`). */
  readonly service: string | null;
  /** Its place in the Dockerfile, `deps 2/5` (stepPosition); null when the vertex names none. */
  readonly position: string | null;
  parsers: ToolParser | null;
  readonly recent: string[];
  recentNext: number;
  recentCount: number;
  networkAttempts: number;
  firstAttempt: NetworkAttemptEvent | null;
}

export interface StepTrackerOptions {
  readonly service: string | null;
  readonly emit: (event: CaptureEvent) => void;
  readonly tools: readonly ToolParserFactory[];
}

export class StepTracker implements StepFrames {
  private readonly steps = new Map<string, StepState>();
  private lastLogged: StepState | null = null;
  private readonly composeServices = new Set<string>();
  /** The step that failed last. */
  private lastFailed: StepState | null = null;
  /** What failed steps' errors said the builder could not reach (`url\0reason`). */
  private readonly unreached = new Set<string>();
  /** The service Compose v1 said it is building (`Building web`). */
  private building: string | null = null;
  /** Which build of the log the steps now starting belong to, counted from 1. */
  private build = 1;
  private startedInBuild = false;

  constructor(private readonly options: StepTrackerOptions) {}

  /** Compose v1's `Building web`: the steps that follow build that service. */
  buildingService(service: string): void {
    this.building = service;
  }

  start(id: string, name: string): void {
    // A number reused by a later build in the same log: the earlier step never finished.
    if (this.steps.has(id)) this.finish(id, { status: 'running', durationSeconds: null, error: null });
    this.startedInBuild = true;
    const compose = this.composeService(name);
    this.steps.set(id, {
      frameId: id,
      id: this.build === 1 ? id : `b${this.build}:${id}`,
      name: stepLabel(name),
      instruction: stepInstruction(name),
      service: this.options.service ?? compose ?? this.building,
      position: stepPosition(name, compose),
      parsers: null,
      recent: new Array<string>(ERROR_CONTEXT_LINES),
      recentNext: 0,
      recentCount: 0,
      networkAttempts: 0,
      firstAttempt: null,
    });
  }

  /** A later build's steps get ids of their own; one that has no step yet is still the same build. */
  newBuild(): void {
    if (!this.startedInBuild) return;
    this.build++;
    this.startedInBuild = false;
  }

  log(id: string, text: string): void {
    // Consecutive lines mostly belong to one step: skip the map lookup then.
    const last = this.lastLogged;
    const step = last !== null && last.frameId === id ? last : (this.steps.get(id) ?? this.adopt(id));
    this.lastLogged = step;
    step.recent[step.recentNext] = text;
    step.recentNext = (step.recentNext + 1) % ERROR_CONTEXT_LINES;
    if (step.recentCount < ERROR_CONTEXT_LINES) step.recentCount++;
    step.parsers ??= this.parsersFor(step);
    step.parsers.line(text);
  }

  end(id: string, outcome: StepOutcome): void {
    const status = outcome.status === 'canceled' ? 'error' : outcome.status;
    this.finish(id, {
      status,
      durationSeconds: outcome.durationSeconds,
      error: outcome.status === 'canceled' ? 'canceled' : outcome.error,
    });
  }

  layer(id: string, pull: LayerPull): void {
    const step = this.steps.get(id) ?? this.adopt(id);
    this.options.emit(
      downloadEvent({
        kind: 'file',
        tool: 'docker',
        cached: false,
        name: pull.digest,
        size: pull.bytes,
        duration_ms: pull.seconds === null ? null : Math.round(pull.seconds * 1000),
        service: step.service,
        step: step.name,
      }),
    );
  }

  /**
   * Docker's last words named a failed RUN command: the open step running it failed; if no
   * step shows it, the only open step, when its header was cut off (`#7`, a log that starts
   * mid-step). A log cut before the step's own error line leaves it open otherwise.
   */
  failRun(command: string | null, error: string): void {
    const open = [...this.steps.values()];
    const step =
      open.find((s) => command !== null && runCommand(s.instruction) === command) ??
      (open.length === 1 && HEADERLESS.test(open[0]!.name) ? open[0] : undefined);
    if (step !== undefined) this.finish(step.frameId, { status: 'error', durationSeconds: null, error });
  }

  /**
   * Docker's last words (`failed to solve …: failed to do request: Head https://…: i/o
   * timeout`) name what the builder could not reach: an attempt of the step that failed
   * last, unless a failed step's own error named it already.
   */
  builderFailed(message: string): void {
    const dial = builderNetworkFailure(message);
    if (dial === null || this.unreached.has(`${dial.target}\0${dial.error}`)) return;
    const step = this.lastFailed;
    this.options.emit(
      networkAttemptEvent({ tool: 'docker', url_or_host: dial.target, error: dial.error, service: step?.service ?? this.options.service, step: step?.name ?? null }),
    );
  }

  /** Steps begun and not ended whose instruction can reach the network (RUN, ADD), by label. */
  openNetworkSteps(): string[] {
    const open: string[] = [];
    for (const step of this.steps.values()) if (NETWORK_STEP.test(step.instruction)) open.push(step.name);
    return open;
  }

  /** The log ended: steps still open are reported as running. */
  endAll(): void {
    for (const id of [...this.steps.keys()]) this.finish(id, { status: 'running', durationSeconds: null, error: null });
  }

  /**
   * `docker compose build` names each vertex after its service: `[api internal] load …`,
   * `[api 2/4] RUN …`, `[api builder 2/4] RUN …`. A plain `docker build` writes
   * `[internal]` and `[builder 2/4]`, so a name counts as a service only once an
   * `[name internal]` vertex showed it is one (platforms, `[linux/arm64 internal]`, are not).
   * BuildKit pads the position to the width of the total: `[backend  3/12]`. The image
   * export names the service alone: `[api] exporting to image`.
   */
  private composeService(name: string): string | null {
    const m = /^\[([A-Za-z0-9][\w.-]*)(?: +(internal|(?:([^\]\s]+) +)?\d+\/\d+))?\] /.exec(name);
    if (m?.[1] === undefined) return null;
    // `[api proddependencies  2/25]`: two words before a position, neither a platform, are a
    // service and its stage (docker build writes one, `[deps 2/5]`, or a platform and one).
    const serviceAndStage = m[3] !== undefined && !m[1].includes('/') && !m[3].includes('/');
    if (m[2] === 'internal' || serviceAndStage) {
      if (this.composeServices.size < 1000) this.composeServices.add(m[1]);
      return m[1];
    }
    return this.composeServices.has(m[1]) ? m[1] : null;
  }

  private adopt(id: string): StepState {
    // Output of a step whose header was cut off (a log that starts mid-build).
    this.start(id, `#${id}`);
    return this.steps.get(id) as StepState;
  }

  private parsersFor(step: StepState): ToolParser {
    const at = { service: step.service, step: step.name };
    const emit = (event: CaptureEvent): void => {
      if (event.type === 'network_attempt') {
        step.networkAttempts++;
        step.firstAttempt ??= event;
      }
      this.options.emit(event);
    };
    return combineToolParsers(this.options.tools, emit, at);
  }

  private finish(id: string, outcome: { status: StepEvent['status']; durationSeconds: number | null; error: string | null }): void {
    const step = this.steps.get(id);
    if (step === undefined) return;
    this.steps.delete(id);
    if (this.lastLogged === step) this.lastLogged = null;
    // The tools' end() may still emit (inferred downloads, network attempts) for this step.
    step.parsers?.end();
    step.parsers = null;
    const { service } = step;
    this.options.emit({
      type: 'step',
      service,
      id: step.id,
      name: step.name,
      ...(step.position !== null ? { position: step.position } : {}),
      status: outcome.status,
      duration_seconds: outcome.durationSeconds,
      error: outcome.error,
    });
    if (outcome.status === 'done' || outcome.status === 'cached') this.builderFetches(step, outcome.status === 'cached');
    if (outcome.status === 'error' && outcome.error !== 'canceled') {
      // The builder's own fetch failed (a base image, `ADD https://…`): a network try no
      // tool line shows.
      const dial = outcome.error === null ? null : builderNetworkFailure(outcome.error);
      this.lastFailed = step;
      if (dial !== null) {
        this.unreached.add(`${dial.target}\0${dial.error}`);
        this.options.emit(networkAttemptEvent({ tool: 'docker', url_or_host: dial.target, error: dial.error, service, step: step.name }));
      }
      this.options.emit(this.failure(step, outcome.error));
    } else if (outcome.status === 'done' && step.networkAttempts > 0) {
      this.options.emit(this.swallowed(step));
    }
  }

  /**
   * What the builder fetched itself, on the daemon's network (which `--network=none` leaves
   * open), so that no proxy sees it and no output line says it: an `ADD <url>` step's
   * sources, and a `# syntax=` frontend's image, which BuildKit looks up on its registry on
   * every build (`resolve image config for docker.io/docker/dockerfile:1`, 0.4–2.3 s in
   * real logs, with a registry token fetched), even when the image itself is CACHED.
   */
  private builderFetches(step: StepState, cached: boolean): void {
    for (const source of remoteAddSources(step.instruction)) {
      this.options.emit(
        downloadEvent({ kind: 'file', tool: 'docker', cached, source, filename: remoteSourceFilename(source), service: step.service, step: step.name }),
      );
    }
    const resolved = RESOLVE_IMAGE_CONFIG.exec(step.instruction);
    if (resolved !== null && !cached) {
      this.options.emit(
        downloadEvent({ kind: 'file', tool: 'docker', cached: false, index: true, source: `${IMAGE_LOOKUP_SOURCE}${resolved[1]}`, name: resolved[1]!, service: step.service, step: step.name }),
      );
    }
  }

  private failure(step: StepState, error: string | null): ErrorEvent {
    const lines = lastLines(step);
    const context = lines.length > 0 ? `\nlast output:\n${lines.join('\n')}` : '';
    // `--cache-from` a cache not pushed yet (a first build): BuildKit shows ERROR and builds on.
    const outcome = CACHE_IMPORT.test(step.instruction) ? ' (BuildKit built on without that cache: the build did not fail for it)' : '';
    return errorEvent({
      message: `build step "${step.name}" failed: ${error ?? 'no reason given'}${outcome}${context}`,
      tool: 'docker',
      service: step.service,
      step: step.name,
    });
  }

  private swallowed(step: StepState): ErrorEvent {
    const first = step.firstAttempt;
    const what = first === null ? '' : ` (first: ${first.url_or_host}: ${first.error})`;
    return errorEvent({
      message:
        `build step "${step.name}" succeeded although it failed to reach the network ` +
        `${step.networkAttempts} time(s)${what}: a swallowed failure (e.g. \`|| true\`) hides a network dependency`,
      tool: 'docker',
      service: step.service,
      step: step.name,
    });
  }
}

/**
 * containerd's registry client: `failed to do request: Head "https://h/v2/…": EOF` (any
 * reason); BuildKit ≤ 0.8 (Docker 20.10) did not quote the URL.
 */
const REQUEST_FAILED_RE = /failed to do request: [A-Za-z]+ "?(https?:\/\/[^"\s]+?)"?: (.+)$/;

/** The legacy builder's `ADD <url>`: `ADD failed: failed to GET https://h/f with status 404 Not Found: <html…`. */
const ADD_GET_FAILED_RE = /failed to GET (https?:\/\/\S+) with status (\d{3}[^:]*)/;

/** The registry or URL the builder failed to reach, from a step's error; null if it names none. */
export function builderNetworkFailure(error: string): { target: string; error: string } | null {
  const request = REQUEST_FAILED_RE.exec(error);
  if (request !== null) return { target: request[1] ?? '', error: request[2] ?? '' };
  const get = ADD_GET_FAILED_RE.exec(error);
  if (get !== null) return { target: get[1]!, error: `HTTP ${get[2]!}` };
  return goDialFailure(error);
}

/** The shell command of a `RUN …` step's name, or null for another instruction. */
function runCommand(name: string): string | null {
  const flags = RUN_FLAGS.exec(name);
  return flags === null ? null : name.slice(flags[0].length);
}

function lastLines(step: StepState): string[] {
  const out: string[] = [];
  const start = (step.recentNext - step.recentCount + ERROR_CONTEXT_LINES) % ERROR_CONTEXT_LINES;
  for (let i = 0; i < step.recentCount; i++) out.push(step.recent[(start + i) % ERROR_CONTEXT_LINES] ?? '');
  return out;
}
