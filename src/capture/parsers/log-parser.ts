// THE pipeline every caller feeds build output through: cleaned lines in (see lines.ts),
// CaptureEvents out. It recognises the framing of each line (BuildKit plain, BuildKit
// rawjson, the legacy builder, or none) and hands each command's output to the tool
// parsers with the step it belongs to; lines outside any Docker framing go to one default
// set of tool parsers with step null. Docker's last words after a failed build
// (docker-last-words.ts) are taken before any framing: they end the build whatever block
// is open, and fail the step they name. A CI system's per-line prefix (ci-prefix.ts) comes
// off first (the line numbers of a log copied from GitHub's web view, line-numbers.ts, before
// anything else); its time becomes the time of the events the line yields (an event a parser
// held back, such as a pip download awaiting its `Saved` line, takes the time of the line
// that released it).
// A hard-wrapped paste's pieces of a pip or apt download line are joined back before anything
// (hard-wraps.ts).
// The machine's name Vagrant and Packer print a provisioner's output under comes off after it
// (machine-prefix.ts), then a buildpack's indent (buildpack-indent.ts).
//
// Most lines of a big log are irrelevant; the framing test is a charCodeAt or two before
// any regex or JSON.parse.
import { errorEvent, networkAttemptEvent, type CaptureEvent } from '../events.js';
import { combineToolParsers, type ToolParser, type ToolParserFactory } from './tool-parser.js';
import { BuildKitFramer } from './docker-buildkit.js';
import { splitCiPrefix } from './ci-prefix.js';
import { AttachedContainers } from './compose-attached.js';
import { LineNumbers } from './line-numbers.js';
import { HardWraps } from './hard-wraps.js';
import { LegacyFramer } from './docker-legacy.js';
import { MachinePrefix } from './machine-prefix.js';
import { MavenPrefix } from './maven-prefix.js';
import { BuildpackIndent } from './buildpack-indent.js';
import { RawJsonFramer } from './docker-rawjson.js';
import { TtyFramer } from './docker-tty.js';
import { builderNetworkFailure, StepTracker } from './docker-steps.js';
import { MAX_QUOTE_LINES, dockerLastWords, endsQuote, failedCommand, quoteGoesOn } from './docker-last-words.js';

export interface LogParserOptions {
  /** The Docker Compose service (or image) being built; null outside a Docker build. */
  readonly service: string | null;
  readonly emit: (event: CaptureEvent) => void;
  readonly tools: readonly ToolParserFactory[];
}

export interface LogParser {
  line(text: string): void;
  /** The log ended: open steps and tool parsers report what they hold. */
  end(): void;
  /** Docker build steps running now (begun, not ended) that can reach the network, by label. */
  openNetworkSteps(): string[];
}

const HASH = 35; // #
const BRACE = 123; // {
const SPACE = 32;
const DASH = 45; // BuildKit's `------` ruler
const EQUALS = 61; // `=> ` of BuildKit's terminal display
const TAB = 9;
const GT = 62; // `>` of a Markdown quote
const BACKTICK = 96; // a line pasted as Markdown inline code
/**
 * A Docker build log indented as a Markdown code block (READMEs, notes) or quoted in a
 * reply (`> `, nested `> > `): its first framing line (`    [+] Building …`,
 * `> #5 [2/3] …`, `    Step 2/3 : …`) gives the prefix the lines after it carry. So does the
 * first line of a `git push heroku` (`    remote: …`) or of Vagrant's or Packer's own
 * (`    ==> default: …`), whose prefixes come off after it.
 */
const PASTED_BUILD_LOG = /^([ \t]{2,}|[ \t]{0,3}(?:>[ \t]?)+)(?=\[\+\] Building \d|#\d+ \[|Step \d+(?:\/\d+)? : |remote: |==> [\w.-]+: )/;
/**
 * Tool output quoted in a reply starts with one of these lines (pip's, apt's, npm's). Only a
 * quote: an indented `Collecting`/`Downloading` is pip's own nesting, and curl -v's `> GET`
 * lines are no quote.
 */
const QUOTED_TOOL_OUTPUT =
  /^((?:>[ \t]?)+)(?=[ \t]*(?:Collecting \S|Downloading[ /]\S|Looking in indexes: |Requirement already satisfied: |(?:Get|Hit|Err):\d+ |Reading package lists|The following |npm (?:ERR!|error|WARN|warn) ))/;

/**
 * A log pasted into a GitHub issue a line at a time as inline code (`` `#0 88.43 npm ERR! code ENOTFOUND` ``):
 * its first line of BuildKit's or the legacy builder's framing starts the paste.
 */
const BACKTICKED_BUILD_LOG = /^`(?!`)(?:=> |ERROR \[|CACHED \[|> \[|#\d+ |------`|Step \d+(?:\/\d+)? : |\[\+\] Building \d).*`\s*$/;

interface Paste {
  /** The indent or quote (`> `) the first framing line carried; `` ` `` for lines pasted as inline code. */
  readonly prefix: string;
  /** The quote's `>` marks alone, for a quote; null for an indent. */
  readonly quote: string | null;
}

/** A pasted line without its prefix; null when the line is outside the paste. */
function withoutPastePrefix(line: string, paste: Paste): string | null {
  if (paste.prefix === '`') {
    const end = line.trimEnd();
    return end.length >= 2 && end.startsWith('`') && end.endsWith('`') ? end.slice(1, -1) : line.trim() === '' ? line : null;
  }
  if (line.startsWith(paste.prefix)) return line.slice(paste.prefix.length);
  // Markdown takes the blank after `>` off only when there is one: `>` alone is an empty line.
  if (paste.quote !== null && line.startsWith(paste.quote)) return line.slice(paste.quote.length);
  return line.trim() === '' ? line : null;
}

const BRACKET = 91; // `[+] Building …`
/** Compose v2 (bake): `target backend: failed to solve: process "…" did not complete successfully: exit code: 2`. */
const BAKE_FAILURE = /^target [\w.-]+: failed to /;

/** Compose v1 before each service's build: `Building web` (`Building web...` in Compose 1.5 and older). */
const COMPOSE_V1_BUILDING = /^Building ([\w.-]+?)(?:\.\.\.)?$/;
/**
 * Compose v1's last words: `ERROR: Service 'web' failed to build: <reason>`; Compose 1.5 and
 * older wrote no `ERROR: ` (`Service 'app' failed to build: The command [/bin/sh -c …] …`),
 * later ones a blank before the colon (`failed to build : COPY failed: …`).
 */
const COMPOSE_V1_FAILURE = /^(?:ERROR: )?Service '([^']+)' failed to build(?: ?: (.*))?/;

/** The program behind an `ERROR: …` (or Compose's bare `Service '…'`) line that is neither pip's nor a build step's, or null. */
function foreignErrorOwner(text: string): string | null {
  if (text.startsWith("Service '") && text.includes("' failed to build")) return 'docker-compose';
  if (!text.startsWith('ERROR: ')) return null;
  if (text.startsWith('Job failed', 7)) return 'gitlab-runner'; // `ERROR: Job failed: exit code 1`
  if (text.startsWith("Service '", 7) && text.includes("' failed to build")) return 'docker-compose';
  return null;
}

/** Lines no quoted heredoc script holds: a BuildKit vertex or ruler, Docker's own errors, a legacy step. */
const QUOTE_BREAK = /^(?:#\d+ |------|ERROR|error: |\[\+\] |Step \d+\/\d+ : |Dockerfile:\d)/;

export function createLogParser(options: LogParserOptions): LogParser {
  /** The CI time of the latest prefixed line; lines without one (a `\r` redraw) keep it. */
  let ciTime: string | null = null;
  const emit = (event: CaptureEvent): void =>
    options.emit(ciTime !== null && event.type !== 'step' && event.timestamp === null ? { ...event, timestamp: ciTime } : event);
  const steps = new StepTracker({ ...options, emit });
  const tty = new TtyFramer(steps);
  const buildkit = new BuildKitFramer(steps, (name) => tty.claim(name));
  const rawjson = new RawJsonFramer(steps);
  const legacy = new LegacyFramer(steps);
  let plainTools: ToolParser | null = null;

  const plain = (text: string): void => {
    plainTools ??= combineToolParsers(options.tools, emit, { service: options.service, step: null });
    plainTools.line(text);
  };

  /** The message of the last words reported, which the GitHub Action repeats. */
  let lastWordsSaid: string | null = null;
  /** Docker's last words (docker-last-words.ts): the build is over, and the step they name failed. */
  const buildFailed = (message: string): void => {
    tty.end();
    buildkit.interrupt();
    if (message === lastWordsSaid) return;
    lastWordsSaid = message;
    emit(errorEvent({ message, tool: 'docker', service: options.service, step: null }));
    steps.failRun(failedCommand(message), message);
    steps.builderFailed(message);
  };

  /** Last words whose quoted command (a heredoc's script) goes on over the lines that follow. */
  let quoting: string[] | null = null;
  const quoted = (): void => {
    if (quoting === null) return;
    const message = quoting.join('\n');
    quoting = null;
    buildFailed(message);
  };

  const machines = new MachinePrefix();
  const buildpacks = new BuildpackIndent();
  const maven = new MavenPrefix();
  const dispatch = (line: string): void => {
    const text = maven.strip(buildpacks.strip(machines.strip(line)));
    // A quote cut short (a pasted excerpt) ends at the next line of the build's own framing.
    if (quoting !== null && QUOTE_BREAK.test(text)) quoted();
    if (quoting !== null) {
      quoting.push(text);
      if (endsQuote(text) || quoting.length >= MAX_QUOTE_LINES) quoted();
      return;
    }
    const first = text.charCodeAt(0);
    const lastWords = dockerLastWords(text, tty.seen || buildkit.seen);
    if (lastWords !== null) {
      if (quoteGoesOn(lastWords)) quoting = [lastWords];
      else buildFailed(lastWords);
      return;
    }
    // An error summary pasted alone starts at its `------` ruler or at its ` > [N/M] …:` header.
    const summaryStart = first === DASH || first === SPACE || first === GT || first === BRACKET;
    if ((first === HASH || buildkit.active || ((summaryStart || buildkit.inSummary) && buildkit.wants(text))) && buildkit.line(text)) return;
    if (first === BRACE && rawjson.line(text)) return;
    // Other programs' last words that start like pip's `ERROR:` (GitLab's runner, docker-compose v1),
    // never a build step's output even while a legacy step is open.
    const owner = first === 69 || first === 83 /* S */ ? foreignErrorOwner(text) : null;
    if (owner !== null) {
      // Compose v1 repeats the legacy builder's `The command '…' returned a non-zero code: N`
      // in its own line, the only one a failed step gets when Compose prints it.
      const compose = owner === 'docker-compose' ? COMPOSE_V1_FAILURE.exec(text) : null;
      const reason = compose?.[2] ?? '';
      if (reason.startsWith('The command ')) legacy.fail(reason);
      const service = options.service ?? compose?.[1] ?? null;
      // `ERROR: Service 'web' failed to build: Get https://h/v2/: net/http: TLS handshake timeout`
      const failure = builderNetworkFailure(text);
      if (failure !== null) {
        emit(networkAttemptEvent({ tool: owner, url_or_host: failure.target, error: failure.error, service, step: null }));
      }
      emit(errorEvent({ message: text.startsWith('ERROR: ') ? text.slice(7) : text, tool: owner, service, step: null }));
      return;
    }
    // BuildKit's terminal display: ` => [2/6] RUN …  4.1s` lines under `[+] Building …`.
    if ((first === SPACE || first === EQUALS || first === BRACKET) && tty.line(text)) return;
    tty.interrupt();
    if (legacy.line(text)) return;
    const building = first === 66 /* B */ ? COMPOSE_V1_BUILDING.exec(text) : null;
    if (building !== null) {
      steps.newBuild();
      steps.buildingService(building[1]!);
      return;
    }
    // Other last words of buildx (`ERROR: failed to receive status: …`); Compose building
    // through bake ends with `target backend: failed to solve: …`.
    if (buildkit.active && (text.startsWith('ERROR: failed to ') || (first === 116 /* t */ && BAKE_FAILURE.test(text)))) {
      emit(errorEvent({ message: first === 69 ? text.slice(7) : text, tool: 'docker', service: options.service, step: null }));
      return;
    }
    plain(text);
  };

  /** A GitLab line, held until the next line shows whether the runner split it (`00O+`). */
  let held: { text: string; time: string | null } | null = null;
  const release = (): void => {
    if (held === null) return;
    const { text, time } = held;
    held = null;
    ciTime = time;
    dispatch(attached.strip(text));
  };

  /** A build log pasted into Markdown: its prefix is taken off its lines while they keep it. */
  let paste: Paste | null = null;
  const attached = new AttachedContainers();

  const take = (input: string): void => {
    let raw = input;
    if (paste !== null) {
      const inside = withoutPastePrefix(raw, paste);
      if (inside === null) paste = null;
      else raw = inside;
    } else if (raw.charCodeAt(0) === SPACE || raw.charCodeAt(0) === TAB || raw.charCodeAt(0) === GT) {
      const found = PASTED_BUILD_LOG.exec(raw) ?? (raw.charCodeAt(0) === GT ? QUOTED_TOOL_OUTPUT.exec(raw) : null);
      if (found !== null) {
        const prefix = found[1]!;
        paste = { prefix, quote: prefix.includes('>') ? prefix.trimEnd() : null };
        raw = raw.slice(prefix.length);
      }
    } else if (raw.charCodeAt(0) === BACKTICK && BACKTICKED_BUILD_LOG.test(raw)) {
      paste = { prefix: '`', quote: null };
      raw = raw.trimEnd().slice(1, -1);
    }
    const first = raw.charCodeAt(0);
    // BuildKit, rawjson and indented lines never carry a CI prefix: skip the search there.
    const ci = first > SPACE && first !== HASH && first !== BRACE ? splitCiPrefix(raw) : null;
    if (ci?.continued === true && held !== null) {
      held.text += ci.text;
      return;
    }
    release();
    if (ci === null) {
      dispatch(attached.strip(raw));
    } else if (ci.gitlab) {
      held = { text: ci.text, time: ci.timestamp };
    } else {
      ciTime = ci.timestamp;
      dispatch(attached.strip(ci.text));
    }
  };
  // A job log copied from GitHub's web view numbers its lines; the numbers come off first, after
  // the pieces of a hard-wrapped paste are joined.
  const numbers = new LineNumbers(take);
  const wraps = new HardWraps((line) => numbers.line(line));

  return {
    line: (input: string): void => wraps.line(input),
    openNetworkSteps: () => steps.openNetworkSteps(),
    end(): void {
      wraps.end();
      numbers.end();
      release();
      quoted();
      rawjson.openSteps();
      buildkit.end();
      tty.end();
      steps.endAll();
      plainTools?.end();
      plainTools = null;
    },
  };
}
