// Builds services one after another with the real engine, every build's output shown live,
// written to logs/docker_build/build_<service>.log and parsed into the one session ledger
// (attributed to the service). A service that fails does not stop the others; a daemon
// that stops ends the run with the remaining services marked not built.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Writable } from 'node:stream';
import { createOutputCapture } from '../capture/output-capture.js';
import { attributeToBuild } from './proxy-attribution.js';
import { errorEvent } from '../capture/events.js';
import { runChild } from '../capture/run-child.js';
import { redact } from '../redact.js';
import type { Recording } from '../session/recording.js';
import { isoLocal, type Clock } from '../session/time.js';
import { dockerBuildCommand, type BuildPlan } from './build-command.js';
import { DAEMON_HINT, daemonAnswers, imageExists, imageSize, passesBuildContexts, type Engine } from './engine.js';
import { dockerBuildDir, serviceLogPath, type ServiceRun } from './metadata.js';
import { buildPlatform, parsePlatform, preflight, pullFailureHint } from './preflight.js';
import type { ServiceSpec } from './service.js';

/** Lines of a failed build kept for the message and the report. */
const LAST_LINES = 15;

export interface RunnerOptions {
  readonly specs: readonly ServiceSpec[];
  readonly recording: Recording;
  readonly engine: Engine;
  readonly plan: BuildPlan;
  readonly logDir: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Where the build's own output goes (live). */
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly clock: Clock;
  /** offgrid's status lines (stderr). */
  readonly notice: (text: string) => void;
  readonly inheritStdin: boolean;
}

export interface BuiltServices {
  /** Each service's run; a built image's size is not in it yet (see `withImageSizes`). */
  readonly runs: readonly ServiceRun[];
  /**
   * The runs with the size of each built image. `docker image inspect` starts as soon as a
   * build ends and runs beside what comes next (the next service, the session's ledger):
   * on a fully cached build it is a fifth of offgrid's own time.
   */
  withImageSizes(): Promise<ServiceRun[]>;
}

export async function buildServices(options: RunnerOptions): Promise<BuiltServices> {
  mkdirSync(dockerBuildDir(options.logDir), { recursive: true });
  const runs: ServiceRun[] = [];
  const sizes: Promise<number | null>[] = [];
  let stopReason: string | null = null;
  for (const spec of options.specs) {
    // A service whose image this one takes as a named context did not build: its build would fetch the image instead.
    const missing = spec.buildsFirst.find((name) => runs.some((r) => r.name === name && r.result !== 'success'));
    const reason = stopReason ?? (missing === undefined ? null : `service ${missing}, whose image it takes as a named context (build.additional_contexts), did not build`);
    if (reason !== null) {
      runs.push(notBuilt(spec, options, reason));
      sizes.push(Promise.resolve(null));
      continue;
    }
    const run = await buildOne(spec, options);
    runs.push(run);
    sizes.push(run.result === 'success' ? imageSize(options.engine, spec.image, options.env) : Promise.resolve(null));
    if (run.exit_code !== null && (run.exit_code === 130 || run.exit_code === 143)) stopReason = 'the run was interrupted before this service was built';
    else if (run.result === 'failed' && !(await daemonAnswers(options.engine.docker, options.env))) {
      stopReason = `the Docker daemon stopped answering during the build of ${spec.name}: ${DAEMON_HINT}`;
    }
  }
  return {
    runs,
    withImageSizes: async () => {
      const measured = await Promise.all(sizes);
      return runs.map((run, i) => (run.result === 'success' ? { ...run, image_size: measured[i] ?? null } : run));
    },
  };
}

function notBuilt(spec: ServiceSpec, options: RunnerOptions, reason: string): ServiceRun {
  const msg = `service ${spec.name} was not built: ${reason}`;
  options.recording.session.record(errorEvent({ message: msg, tool: 'offgrid', service: spec.name }));
  return base(spec, options, { result: 'not-built', error: msg, log: null });
}

function base(spec: ServiceSpec, options: RunnerOptions, fields: Partial<ServiceRun>): ServiceRun {
  return {
    name: spec.name,
    image: spec.image,
    dockerfile: relative(options.cwd, spec.dockerfile) || spec.dockerfile,
    context: relative(options.cwd, spec.context) || '.',
    result: 'not-built',
    exit_code: null,
    started_at: null,
    ended_at: null,
    duration_seconds: null,
    image_size: null,
    error: null,
    last_lines: [],
    log: relative(options.cwd, serviceLogPath(options.logDir, spec.name)) || serviceLogPath(options.logDir, spec.name),
    ...fields,
  };
}

/**
 * The service as the builder reads it: a build.dockerfile_inline written to a file beside the
 * service's log (`build_<service>.Dockerfile`), outside the project, so -f can name it.
 */
function withDockerfileOnDisk(spec: ServiceSpec, logDir: string): ServiceSpec {
  if (spec.dockerfileInline === null) return spec;
  const path = join(dockerBuildDir(logDir), `build_${spec.name}.Dockerfile`);
  writeFileSync(path, spec.dockerfileInline);
  return { ...spec, dockerfile: path };
}

async function buildOne(given: ServiceSpec, options: RunnerOptions): Promise<ServiceRun> {
  const spec = withDockerfileOnDisk(given, options.logDir);
  const { recording, engine, plan } = options;
  const session = recording.session;
  const started = options.clock.now();
  const logPath = serviceLogPath(options.logDir, spec.name);
  const fd = openSync(logPath, 'w');
  const recent: string[] = [];
  let pending: string[] = [];
  const own = (text: string): void => {
    session.logLine(text);
    pending.push(`${redact(text)}\n`);
  };
  const flush = (): void => {
    session.flushLog();
    if (pending.length > 0) writeSync(fd, pending.join(''));
    pending = [];
  };
  const finish = (fields: Partial<ServiceRun>): ServiceRun => {
    flush();
    closeSync(fd);
    const ended = options.clock.now();
    return base(spec, options, {
      started_at: isoLocal(started),
      ended_at: isoLocal(ended),
      duration_seconds: Math.max(0, ended.getTime() - started.getTime()) / 1000,
      ...fields,
    });
  };
  try {
    const command = dockerBuildCommand(spec, plan);
    for (const note of command.notes) {
      own(`offgrid: service ${spec.name}: ${note}`);
      options.notice(`service ${spec.name}: ${note}`);
    }
    const problem = await preflight(spec, plan.network === 'none', plan.builder, {
      cwd: options.cwd,
      platform: command.platform !== null ? parsePlatform(command.platform) : buildPlatform(process.arch, options.env),
      buildContexts: passesBuildContexts(engine),
      imageExists: (image) => imageExists(engine.docker, image, options.env),
    });
    if (problem !== null) {
      own(`offgrid: ${problem}`);
      options.notice(problem);
      session.record(errorEvent({ message: problem, tool: 'offgrid', service: spec.name }));
      return finish({ result: 'failed', error: problem });
    }
    own(`offgrid: service ${spec.name}: ${engine.docker} ${command.args.map(redact).join(' ')}`);
    options.notice(`building service ${spec.name} (${plan.network === 'none' ? 'no network' : 'through the caching proxy'}, ${engine.builder})`);
    const capture = createOutputCapture(
      {
        logLine(line) {
          session.logLine(line);
          pending.push(`${redact(line)}\n`);
          recent.push(line);
          if (recent.length > LAST_LINES) recent.shift();
        },
        flushLog: flush,
        record: (event) => session.record(event),
      },
      spec.name,
    );
    // What the proxy sees meanwhile is this service's, and the running step's (see proxy-attribution.ts).
    recording.attributeProxyEvents((event) => attributeToBuild(event, spec.name, capture.openNetworkSteps()));
    let code: number;
    try {
      code = await runChild(engine.docker, command.args, {
        cwd: options.cwd,
        env: { ...options.env, ...command.env },
        stdout: options.stdout,
        stderr: options.stderr,
        capture,
        inheritStdin: options.inheritStdin,
      });
    } finally {
      recording.attributeProxyEvents(null);
    }
    if (code === 0) return finish({ result: 'success', exit_code: 0 });
    const error =
      pullFailureHint(recent, spec.name) ??
      (!(await daemonAnswers(engine.docker, options.env))
        ? `service ${spec.name}: the Docker daemon stopped answering during its build (docker exited ${code}): ${DAEMON_HINT}; its log so far is kept in ${relative(options.cwd, logPath)}`
        : `service ${spec.name}: docker build exited ${code}: see ${relative(options.cwd, logPath) || logPath} and logs/docker_build/build_report.md`);
    session.record(errorEvent({ message: error, tool: 'offgrid', service: spec.name }));
    return finish({ result: 'failed', exit_code: code, error, last_lines: recent.map(redact) });
  } catch (error) {
    // The log of this service and of the ones before stays; the caller still writes the report.
    const message = `service ${spec.name}: ${error instanceof Error ? error.message : String(error)}`;
    session.record(errorEvent({ message, tool: 'offgrid', service: spec.name }));
    return finish({ result: 'failed', error: message, last_lines: recent.map(redact) });
  }
}
