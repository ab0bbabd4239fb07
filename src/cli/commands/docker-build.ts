// `offgrid build [SERVICE…]`: the guide's `make build`. Builds each service of the
// project's compose file with the real engine, through the caching proxy, with one
// session ledger, per-service logs and logs/docker_build/build_report.md.
// `offgrid verify SERVICE…` (verify-docker.ts) runs the same machinery with no network.
import { Option, type Command } from 'commander';
import { EXIT_FAILED, EXIT_OK, OffgridError } from '../../errors.js';
import { formatBytes, formatSeconds } from '../../report/format.js';
import { isoLocal } from '../../session/time.js';
import type { BuildAnalysis } from '../../docker/analysis.js';
import { proxyBuildArgs, type BuildNetwork } from '../../docker/build-command.js';
import { dockerClient, probeEngine, type Builder } from '../../docker/engine.js';
import type { BuildMetadata } from '../../docker/metadata.js';
import { reportPath } from '../../docker/metadata.js';
import { loadProject, selectServices } from '../../docker/project.js';
import { writeBuildReport, writeMetadata } from '../../docker/report-files.js';
import { buildServices } from '../../docker/runner.js';
import { say, type CliIO } from '../io.js';
import { addProxyOptions, proxyFlags, type ProxyOptionValues } from '../proxy-options.js';
import { buildAnalyzeCommand } from './build-analyze.js';
import { initDockerCommand } from './init-docker.js';
import { recoverQuietly, sessionSummaryLine, startRecordingOrExplain, type ProxyFlags } from './session-common.js';

export interface DockerRunOptions extends ProxyFlags {
  readonly services: readonly string[];
  readonly compose: string | null;
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

/** Shared by build and verify: build the services, then write the ledger, metadata and report. */
export async function runDockerBuilds(
  options: DockerRunOptions,
  mode: 'build' | 'verify',
  command: readonly string[],
  io: CliIO,
): Promise<DockerRunResult> {
  const project = loadProject(io.cwd, options.compose, io.env);
  const specs = selectServices(project, options.services);
  const docker = dockerClient(io.env);
  const engine = await probeEngine(docker, io.env, options.builder ?? forcedBuilder(io.env));
  await recoverQuietly(options.logDir, io);
  const network: BuildNetwork = options.offline ? 'none' : 'host';
  const listen = options.proxyPort !== null ? { host: '127.0.0.1', port: options.proxyPort, allowRemote: false } : undefined;
  const recording = await startRecordingOrExplain(options, command, io, listen);
  const startedAt = isoLocal(io.clock.now());
  // Build output is shown live; with --json stdout carries only the JSON.
  const live = options.json ? io.stderr : io.stdout;
  let runs;
  try {
    runs = await buildServices({
      specs,
      recording,
      engine,
      plan: { builder: engine.builder, network, noCache: options.noCache, proxyArgs: network === 'host' ? proxyBuildArgs(recording.env) : {} },
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
  const failed = runs.some((r) => r.result !== 'success');
  const ledger = await recording.finish(failed ? EXIT_FAILED : EXIT_OK);
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

function forcedBuilder(env: NodeJS.ProcessEnv): Builder | null {
  if (env.DOCKER_BUILDKIT === '0') return 'legacy';
  if (env.DOCKER_BUILDKIT === '1') return null;
  return null;
}

export function summaryLines(analysis: BuildAnalysis, logDir: string): string[] {
  const lines = analysis.services.map((s) => {
    const r = s.run;
    const what =
      r.result === 'success'
        ? `built in ${formatSeconds(r.duration_seconds ?? 0)}, ${s.stepsRun} step(s) run, ${s.stepsCached} CACHED${r.image_size !== null ? `, image ${formatBytes(r.image_size)}` : ''}`
        : (r.error ?? r.result);
    return `${r.name}: ${r.result === 'success' ? 'ok' : r.result === 'failed' ? 'FAILED' : 'NOT BUILT'} — ${what}`;
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

export async function buildCommand(options: DockerRunOptions, io: CliIO): Promise<number> {
  if (options.proxyPort !== null && (!Number.isInteger(options.proxyPort) || options.proxyPort < 0 || options.proxyPort > 65535)) {
    throw new OffgridError('EUSAGE', `--proxy-port must be a port number (0-65535), got ${options.proxyPort}`);
  }
  const command = ['offgrid', 'build', ...options.services];
  const { analysis } = await runDockerBuilds(options, 'build', command, io);
  if (options.json) say(io.stdout, jsonResult(analysis));
  else for (const line of summaryLines(analysis, options.logDir)) say(io.stderr, `offgrid: ${line}`);
  return analysis.services.every((s) => s.run.result === 'success') ? EXIT_OK : EXIT_FAILED;
}

/** Registers `build`, `build-analyze` and `init docker` (main.ts calls this once). */
export function registerDockerCommands(program: Command, io: CliIO, debug: boolean, setResult: (result: Promise<number>) => void): void {
  const logDir = () => new Option('--log-dir <dir>', "the guide's logs/ directory").default(io.env.OFFGRID_LOG_DIR ?? 'logs');
  const builderOption = () => new Option('--builder <builder>', 'buildkit or legacy (default: BuildKit where the engine offers it)').choices(['buildkit', 'legacy']);
  const build = program
    .command('build')
    .description("the guide's make build: build each compose service with the real engine through the caching proxy; logs/docker_build/")
    .argument('[services...]', 'services to build (default: every service with a build: section)')
    .addOption(logDir())
    .option('--compose <file>', 'the compose file (default: compose.yaml, docker-compose.yml, … or offgrid.yaml)')
    .option('--no-cache', 'build without the Docker build cache')
    .option('--json', 'print the result as JSON (build output goes to stderr)', false)
    .addOption(builderOption())
    .option('--proxy-port <port>', 'a fixed port for the proxy, so build args that carry its address stay the same between builds')
    .action((services: string[], o: ProxyOptionValues & { compose?: string; cache: boolean; json: boolean; builder?: Builder; proxyPort?: string }) => {
      setResult(
        buildCommand(
          {
            ...proxyFlags(o, debug),
            services,
            compose: o.compose ?? null,
            noCache: !o.cache,
            json: o.json,
            builder: o.builder ?? null,
            proxyPort: o.proxyPort === undefined ? null : Number(o.proxyPort),
          },
          io,
        ),
      );
    });
  addProxyOptions(build, io);

  program
    .command('build-analyze')
    .description("the guide's make build-analyze: write logs/docker_build/build_report.md for the last build")
    .addOption(logDir())
    .option('--json', 'print the analysis as JSON', false)
    .action((o: { logDir: string; json: boolean }) => {
      setResult(buildAnalyzeCommand({ logDir: o.logDir, json: o.json }, io));
    });

  const init = program.command('init').description('make a project offline-ready');
  init
    .command('docker')
    .description("make the project's Dockerfiles build offline the guide's way (wheelhouse, apt archives); shows the diff")
    .option('--compose <file>', 'the compose file whose Dockerfiles to change (default: the project\'s, else ./Dockerfile*)')
    .option('--dry-run', 'show the diff without changing anything', false)
    .option('--json', 'print what changed as JSON', false)
    .action((o: { compose?: string; dryRun: boolean; json: boolean }) => {
      setResult(initDockerCommand({ compose: o.compose ?? null, dryRun: o.dryRun, json: o.json }, io));
    });
}
