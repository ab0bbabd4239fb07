// `offgrid build [SERVICE…]`: the guide's `make build`. Builds each service of the
// project's compose file with the real engine, through the caching proxy, with one
// session ledger, per-service logs and logs/docker_build/build_report.md.
// `offgrid verify SERVICE…` (verify-docker.ts) runs the same machinery with no network.
// The options are registered in build.ts, which loads this module only when it runs.
import { resolve } from 'node:path';
import { EXIT_FAILED, EXIT_OK, OffgridError } from '../../errors.js';
import { formatBytes, formatSeconds } from '../../report/format.js';
import { isoLocal } from '../../session/time.js';
import type { BuildAnalysis } from '../../docker/analysis.js';
import { proxyBuildArgs, type BuildNetwork } from '../../docker/build-command.js';
import { platformName } from '../../docker/dockerfile.js';
import { type Builder, type Engine, builderFromEnv, dockerClient, probeEngine } from '../../docker/engine.js';
import type { BuildMetadata, ServiceRun } from '../../docker/metadata.js';
import { reportPath } from '../../docker/metadata.js';
import { buildPlatform } from '../../docker/preflight.js';
import { loadProject, selectServices } from '../../docker/project.js';
import { writeBuildReport, writeMetadata } from '../../docker/report-files.js';
import { buildServices } from '../../docker/runner.js';
import { portIsFree, projectPort } from '../../docker/proxy-port.js';
import { say, type CliIO } from '../io.js';
import { recoverQuietly, sessionSummaryLine, startRecordingOrExplain, type ProxyFlags } from './session-common.js';

export interface DockerRunOptions extends ProxyFlags {
  readonly services: readonly string[];
  /** The files given with --compose (as `docker compose -f`); empty: the project's own. */
  readonly compose: readonly string[];
  readonly noCache: boolean;
  readonly json: boolean;
  /** null: BuildKit where the engine offers it. */
  readonly builder: Builder | null;
  /** A fixed port for the proxy (stable build-arg values); null: any free port. */
  readonly proxyPort: number | null;
}

export interface DockerRunResult {
  readonly meta: BuildMetadata;
  readonly analysis: BuildAnalysis;
}

/**
 * Shared by build and verify: build the services, then write the ledger, metadata and
 * report. `probing`: the engine check, when the caller started it already.
 */
export async function runDockerBuilds(
  options: DockerRunOptions,
  mode: 'build' | 'verify',
  command: readonly string[],
  io: CliIO,
  probing: Promise<Engine> | null = null,
): Promise<DockerRunResult> {
  const project = loadProject(io.cwd, options.compose, io.env);
  const specs = selectServices(project, options.services);
  const engine = await (probing ?? probeEngine(dockerClient(io.env), io.env, options.builder ?? builderFromEnv(io.env)));
  await recoverQuietly(options.logDir, io);
  const network: BuildNetwork = options.offline ? 'none' : 'host';
  const port = options.proxyPort ?? (network === 'host' ? await usualPort(io) : null);
  const listen = port !== null ? { host: '127.0.0.1', port, allowRemote: false } : undefined;
  // The builds run in containers: the host's pip configuration does not reach them.
  const recording = await startRecordingOrExplain(options, command, io, listen, false);
  const startedAt = isoLocal(io.clock.now());
  // Build output is shown live; with --json stdout carries only the JSON.
  const live = options.json ? io.stderr : io.stdout;
  let built;
  try {
    built = await buildServices({
      specs,
      recording,
      engine,
      plan: {
        builder: engine.builder,
        network,
        noCache: options.noCache,
        proxyArgs: network === 'host' ? proxyBuildArgs(recording.env) : {},
        platform: platformName(buildPlatform(process.arch, io.env)),
      },
      logDir: options.logDir,
      cwd: io.cwd,
      env: io.env,
      stdout: live,
      stderr: io.stderr,
      clock: io.clock,
      notice: (text) => say(io.stderr, `offgrid: ${text}`),
      inheritStdin: false,
    });
  } catch (error) {
    await recording.finish(null);
    throw error;
  }
  const failed = built.runs.some((r) => r.result !== 'success');
  const [ledger, runs] = await Promise.all([recording.finish(failed ? EXIT_FAILED : EXIT_OK), built.withImageSizes()]);
  const meta: BuildMetadata = {
    format: 1,
    mode,
    session_id: ledger.session_id,
    ledger: recording.session.paths.ledger,
    started_at: startedAt,
    ended_at: isoLocal(io.clock.now()),
    builder: engine.builder,
    network,
    offline: options.offline,
    no_cache: options.noCache,
    compose_file: project.file,
    services: runs,
  };
  writeMetadata(options.logDir, meta);
  const analysis = writeBuildReport(options.logDir, meta, ledger);
  say(io.stderr, sessionSummaryLine(ledger, recording.session.paths.ledger));
  return { meta, analysis };
}

/** The project's own proxy port (proxy-port.ts), or null (any port) when something else has it now. */
async function usualPort(io: CliIO): Promise<number | null> {
  const port = projectPort(resolve(io.cwd));
  if (await portIsFree(port)) return port;
  say(io.stderr, `offgrid: this project's proxy port ${port} is in use, so the proxy takes another: steps after an ARG PIP_INDEX_URL or npm_config_registry line run again (--proxy-port N fixes the port)`);
  return null;
}

const SHOWN: Record<ServiceRun['result'], string> = { success: 'ok', failed: 'FAILED', 'not-built': 'NOT BUILT', unfinished: 'UNFINISHED' };

export function summaryLines(analysis: BuildAnalysis, logDir: string): string[] {
  const lines = analysis.services.map((s) => {
    const r = s.run;
    const what =
      r.result === 'success'
        ? `built${r.duration_seconds === null ? '' : ` in ${formatSeconds(r.duration_seconds)}`}, ${s.stepsRun} step(s) run, ${s.stepsCached} CACHED${r.image_size !== null ? `, image ${formatBytes(r.image_size)}` : ''}`
        : (r.error ?? r.result);
    return `${r.name}: ${SHOWN[r.result]} — ${what}`;
  });
  lines.push(`report: ${reportPath(logDir)}`);
  return lines;
}

export function jsonResult(analysis: BuildAnalysis, extra: Record<string, unknown> = {}): string {
  return JSON.stringify(
    {
      ...extra,
      session_id: analysis.meta.session_id,
      ledger: analysis.meta.ledger,
      verdict: analysis.verdict,
      services: analysis.services.map((s) => ({
        ...s.run,
        steps_run: s.stepsRun,
        steps_cached: s.stepsCached,
        network_attempts: s.attempts,
      })),
    },
    null,
    2,
  );
}

export async function buildCommand(options: DockerRunOptions, io: CliIO, probing: Promise<Engine> | null = null): Promise<number> {
  if (options.proxyPort !== null && (!Number.isInteger(options.proxyPort) || options.proxyPort < 0 || options.proxyPort > 65535)) {
    throw new OffgridError('EUSAGE', `--proxy-port must be a port number (0-65535), got ${options.proxyPort}`);
  }
  const command = ['offgrid', 'build', ...options.services];
  const { analysis } = await runDockerBuilds(options, 'build', command, io, probing);
  if (options.json) say(io.stdout, jsonResult(analysis));
  else for (const line of summaryLines(analysis, options.logDir)) say(io.stderr, `offgrid: ${line}`);
  return analysis.services.every((s) => s.run.result === 'success') ? EXIT_OK : EXIT_FAILED;
}
