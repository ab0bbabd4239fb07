// The contract between the Docker build-log framings (BuildKit plain, BuildKit rawjson,
// the legacy builder) and the step tracker that runs tool parsers per build step.
// A framing only says where a step starts and ends and which output lines belong to it.

export type StepOutcomeStatus = 'done' | 'cached' | 'error' | 'canceled';

export interface StepOutcome {
  readonly status: StepOutcomeStatus;
  readonly durationSeconds: number | null;
  /** The builder's own error text for a failed step. */
  readonly error: string | null;
}

/** An image layer the builder fetched (BuildKit `#4 sha256:… 3.4MB / 3.4MB 0.5s done`). */
export interface LayerPull {
  readonly digest: string;
  /** Approximate: the builder prints sizes rounded (e.g. `101.05MB`). */
  readonly bytes: number | null;
  readonly seconds: number | null;
}

export interface StepFrames {
  /** A step (BuildKit vertex, legacy `Step N/M`) begins; `id` is unique while it is open. */
  start(id: string, name: string): void;
  /** One line of output the step's command printed. */
  log(id: string, text: string): void;
  end(id: string, outcome: StepOutcome): void;
  layer(id: string, pull: LayerPull): void;
  /**
   * Another build begins in the same log (Compose v1 building one service after another, two
   * builds in one CI job): its steps number from 1 again, and must not replace the earlier ones.
   */
  newBuild(): void;
}

/** `linux/arm64`, `linux/arm/v7`: the platform a vertex of a multi-platform build names first. */
const PLATFORM = /^(?:linux|windows|darwin|freebsd)\/\S+$/;

/**
 * The name a step is attributed by: its instruction (stepInstruction), after the platform
 * the vertex names in a multi-platform build (`[linux/arm64] RUN go build …`), whose legs
 * run the same instructions.
 */
export function stepLabel(name: string): string {
  const instruction = stepInstruction(name);
  if (instruction === name) return name;
  const platform = name.slice(1, name.indexOf(' '));
  return PLATFORM.test(platform) ? `[${platform}] ${instruction}` : instruction;
}

/** The instruction a step label (stepLabel) names, without the platform of a multi-platform leg. */
export function labelInstruction(label: string): string {
  const close = label.indexOf('] ');
  return label.charCodeAt(0) === 91 /* [ */ && close > 0 && PLATFORM.test(label.slice(1, close)) ? label.slice(close + 2) : label;
}

/**
 * The Dockerfile instruction of a step: its name without BuildKit's position prefix
 * (`[2/4] `, `[builder 2/4] `, Compose's `[api builder 2/4] `), so BuildKit and the legacy
 * builder name the same step alike. `[internal] …` names stay whole.
 */
export function stepInstruction(name: string): string {
  if (name.charCodeAt(0) !== 91 /* [ */) return name;
  const close = name.indexOf('] ');
  if (close === -1) return name;
  // Up to two words before the position: a stage, a platform, a Compose service and its stage.
  // BuildKit pads the position when the total has two digits (`[ 2/10]`).
  return /^\[(?:[^\]\s]+ ){0,2} ?\d+\/\d+\]$/.test(name.slice(0, close + 1)) ? name.slice(close + 2) : name;
}

/**
 * Where a BuildKit vertex stands in its Dockerfile, as it names it without a Compose service
 * or a platform: `deps 2/5` (stage deps, instruction 2 of 5), `3/8` (the one stage, unnamed);
 * null for a vertex with no position (`[internal] …`, `exporting to image`). Stages' own
 * positions repeat (every stage has a 1/N), so two `WORKDIR /app` steps stay told apart.
 */
export function stepPosition(name: string, composeService: string | null): string | null {
  if (name.charCodeAt(0) !== 91 /* [ */) return null;
  const close = name.indexOf('] ');
  if (close === -1) return null;
  const m = /^\[((?:[^\]\s]+ +){0,3}) ?(\d+)\/(\d+)\]$/.exec(name.slice(0, close + 1));
  if (m === null) return null;
  const words = (m[1] ?? '').split(' ').filter((w) => w !== '' && w !== composeService && !PLATFORM.test(w));
  return [...words, `${m[2]}/${m[3]}`].join(' ');
}

/** Parses `0.345`, `12.34` or `123.4` (BuildKit's seconds since the step started); NaN otherwise. */
export function parseSeconds(text: string, from: number, to: number): number {
  let dot = false;
  if (to <= from) return NaN;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (dot || i === from || i === to - 1) return NaN;
      dot = true;
    } else if (c < 48 || c > 57) return NaN;
  }
  return dot ? Number(text.slice(from, to)) : NaN;
}
