// build-analyze on logs no `offgrid build` wrote: the guide has users save each service's
// `docker build` output as logs/docker_build/build_<service>.log themselves (from a terminal,
// a CI job, `docker compose build`). Each log is read into one session ledger, attributed to
// its service, and the build metadata is made from what the logs say: no exit code, image or
// Dockerfile is known, so a service's result is read from its log (log-outcome.ts). A
// `docker compose build` log of several services, saved in one file, reports each of them.
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { createOutputCapture } from '../capture/output-capture.js';
import { errorEvent, type CaptureEvent } from '../capture/events.js';
import { LogInputError, logText } from '../capture/log-input.js';
import { splitCiPrefix } from '../capture/parsers/ci-prefix.js';
import { cleanLine } from '../capture/parsers/lines.js';
import { OffgridError, describeSystemError } from '../errors.js';
import type { Ledger } from '../ledger/schema.js';
import { redact } from '../redact.js';
import { Session } from '../session/session.js';
import { isoLocal, type Clock } from '../session/time.js';
import { endsBuild, logOutcome } from './log-outcome.js';
import { dockerBuildDir, serviceLogPath, type BuildMetadata, type ServiceRun } from './metadata.js';

/** Lines of a log kept for the report of a build that did not succeed. */
const LAST_LINES = 15;
const SERVICE_LOG = /^build_(.+)\.log$/;
const LEGACY_STEP = /(?:^|\s)Step \d+\/\d+ : /;

/** The services whose logs lie in logs/docker_build/, by name, sorted. */
export function savedServiceLogs(logDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dockerBuildDir(logDir));
  } catch {
    return [];
  }
  return names
    .map((name) => SERVICE_LOG.exec(name)?.[1])
    .filter((service): service is string => service !== undefined && statSync(serviceLogPath(logDir, service)).isFile())
    .sort();
}

interface LogFacts {
  ended: boolean;
  legacy: boolean;
  /** Lines that were not blank: an empty log is a service whose build never started. */
  lines: number;
  last: string[];
}

/** Reads the saved logs into a session ledger and the metadata of the build they show. */
export async function analyzeSavedLogs(logDir: string, services: readonly string[], clock: Clock): Promise<{ meta: BuildMetadata; ledger: Ledger }> {
  const session = Session.open({ logDir, command: ['offgrid', 'build-analyze', ...services.map((s) => serviceLogPath(logDir, s))], offline: false, clock });
  const started = isoLocal(clock.now());
  const runs: ServiceRun[] = [];
  let refused: string | null = null;
  let legacy = false;
  /** Logs with lines but no build step or Docker error in them: not docker build output. */
  const notDocker: string[] = [];
  for (const service of services) {
    const path = serviceLogPath(logDir, service);
    const facts: LogFacts = { ended: false, legacy: false, lines: 0, last: [] };
    const events: CaptureEvent[] = [];
    const capture = createOutputCapture(
      {
        logLine(line) {
          session.logLine(line);
          // The report's last lines without a CI system's time before each (GitHub Actions, Render).
          const bare = cleanLine(line).trimEnd();
          const text = splitCiPrefix(bare)?.text.trimEnd() ?? bare;
          if (text.trim() === '') return;
          facts.lines++;
          if (endsBuild(text)) facts.ended = true;
          if (LEGACY_STEP.test(text)) facts.legacy = true;
          facts.last.push(redact(text));
          if (facts.last.length > LAST_LINES) facts.last.shift();
        },
        flushLog: () => session.flushLog(),
        record: (event) => events.push(event),
      },
      // No service given: a `docker compose build` log names its services itself (see below).
      null,
    );
    const sink = capture.stream();
    let binary: string | null = null;
    try {
      for await (const text of logText(createReadStream(path, { highWaterMark: 1 << 20 }), path, (why) => (binary = why))) sink.write(text);
    } catch (error) {
      // logText names the file in what it says.
      refused ??= error instanceof LogInputError ? error.message : `cannot read ${path}: ${describeSystemError(error)}`;
    }
    sink.end();
    capture.end();
    if (binary !== null && events.length === 0) refused ??= binary;
    legacy ||= facts.legacy;
    // Docker's last words alone (a CI job's error lines pasted) are a docker build's too.
    if (facts.lines > 0 && !events.some((e) => e.type === 'step' || (e.type === 'error' && e.tool === 'docker'))) notDocker.push(path);
    const compose = composeServices(events);
    for (const event of events) session.record(compose.length > 1 ? event : { ...event, service }, 'this-turn');
    if (compose.length > 1) runs.push(...compose.map((name) => serviceRun(name, path, facts)));
    else runs.push(serviceRun(service, path, facts));
  }
  if (refused !== null) session.record(errorEvent({ message: refused, tool: 'offgrid' }));
  const ledger = await session.finish(refused === null ? 0 : 2);
  if (refused !== null) throw new OffgridError('EINPUT', refused);
  if (notDocker.length > 0) {
    throw new OffgridError(
      'EINPUT',
      `${notDocker.join(', ')} ${notDocker.length > 1 ? 'hold' : 'holds'} no docker build output (no BuildKit "#N [1/4] …" vertex, ` +
        'no legacy "Step 1/4 :", no "[+] Building" screen): save the whole output of the service\'s build there ' +
        '(docker build --progress=plain … 2>&1 | tee logs/docker_build/build_<service>.log), or build it with offgrid build',
    );
  }
  const meta: BuildMetadata = {
    format: 1,
    mode: 'logs',
    session_id: ledger.session_id,
    ledger: session.paths.ledger,
    started_at: started,
    ended_at: isoLocal(clock.now()),
    builder: legacy ? 'legacy' : 'buildkit',
    network: 'host',
    offline: false,
    no_cache: false,
    compose_file: '',
    services: runs.map((run) => withOutcome(run, ledger)),
  };
  return { meta, ledger };
}

/**
 * The Compose services a log names, in order (`[api 2/4] RUN …`, Compose v1's `Building api`).
 * A `docker compose build` of several services saved in one file reports each of them; a log
 * of one service (or of none) is the service its file is named after.
 */
function composeServices(events: readonly CaptureEvent[]): string[] {
  const names = new Set<string>();
  for (const event of events) if (event.service !== null) names.add(event.service);
  return [...names];
}

function serviceRun(service: string, path: string, facts: LogFacts): ServiceRun {
  const empty = facts.lines === 0;
  return {
    name: service,
    image: '',
    dockerfile: '',
    context: '',
    // Settled by withOutcome once the ledger is compiled; an empty log stays not built.
    result: empty ? 'not-built' : facts.ended ? 'success' : 'unfinished',
    exit_code: null,
    started_at: null,
    ended_at: null,
    duration_seconds: null,
    image_size: null,
    error: empty ? `${path} is empty: its build never started, or its output was not saved` : null,
    last_lines: facts.last,
    log: path,
  };
}

function withOutcome(run: ServiceRun, ledger: Ledger): ServiceRun {
  if (run.result === 'not-built') return run;
  const outcome = logOutcome(
    ledger.steps.filter((s) => s.service === run.name),
    ledger.errors.filter((e) => e.service === run.name && e.tool === 'docker'),
    run.result === 'success',
  );
  return { ...run, result: outcome.result, error: outcome.error, last_lines: outcome.result === 'success' ? [] : run.last_lines };
}
