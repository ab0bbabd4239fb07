// `offgrid build`, `offgrid build-analyze` and `offgrid init docker`: their options. Each
// command's machinery is loaded only when it runs (docker-build.ts, build-analyze.ts,
// init-docker.ts); `build` starts the engine check first, so the docker client's answer
// and the module loading overlap.
import { Option, type Command } from 'commander';
import { type Builder, builderFromEnv, dockerClient, probeEngine } from '../../docker/engine.js';
import { composeOption } from '../compose-option.js';
import type { CliIO } from '../io.js';
import { addProxyOptions, proxyFlags, type ProxyOptionValues } from '../proxy-options.js';

/** Registers `build`, `build-analyze` and `init docker` (main.ts calls this once). */
export function registerDockerCommands(program: Command, io: CliIO, debug: boolean, setResult: (result: Promise<number>) => void): void {
  const logDir = () => new Option('--log-dir <dir>', "the guide's logs/ directory").default(io.env.OFFGRID_LOG_DIR ?? 'logs');
  const builderOption = () => new Option('--builder <builder>', 'buildkit or legacy (default: BuildKit where the engine offers it)').choices(['buildkit', 'legacy']);
  const build = program
    .command('build')
    .description("the guide's make build: build each compose service with the real engine through the caching proxy; logs/docker_build/")
    .argument('[services...]', 'services to build (default: every service with a build: section)')
    .addOption(logDir())
    .addOption(composeOption('the compose file (default: compose.yaml, docker-compose.yml, … or offgrid.yaml)'))
    .option('--no-cache', 'build without the Docker build cache')
    .option('--json', 'print the result as JSON (build output goes to stderr)', false)
    .addOption(builderOption())
    .option('--proxy-port <port>', 'the proxy\'s port (default: the project\'s own, from its directory, when free), so build args that carry its address stay the same between builds')
    .action((services: string[], o: ProxyOptionValues & { compose: string[]; cache: boolean; json: boolean; builder?: Builder; proxyPort?: string }) => {
      const builder = o.builder ?? null;
      // The engine check (a docker process) runs while the build machinery loads.
      const probing = probeEngine(dockerClient(io.env), io.env, builder ?? builderFromEnv(io.env));
      probing.catch(() => {}); // reported when the build awaits it (after the compose file is read)
      setResult(
        import('./docker-build.js').then((m) => m.buildCommand(
          {
            ...proxyFlags(o, debug),
            services,
            compose: o.compose,
            noCache: !o.cache,
            json: o.json,
            builder,
            proxyPort: o.proxyPort === undefined ? null : Number(o.proxyPort),
          },
          io,
          probing,
        )),
      );
    });
  addProxyOptions(build, io);

  program
    .command('build-analyze')
    .description("the guide's make build-analyze: write logs/docker_build/build_report.md for the last build")
    .addOption(logDir())
    .option('--json', 'print the analysis as JSON', false)
    .action((o: { logDir: string; json: boolean }) => {
      setResult(import('./build-analyze.js').then((m) => m.buildAnalyzeCommand({ logDir: o.logDir, json: o.json }, io)));
    });

  const init = program.command('init').description('make a project offline-ready');
  init
    .command('docker')
    .description("make the project's Dockerfiles build offline the guide's way (wheelhouse, apt archives); shows the diff")
    .addOption(composeOption("the compose file whose Dockerfiles to change (default: the project's, else ./Dockerfile*)"))
    .option('--dry-run', 'show the diff without changing anything', false)
    .option('--json', 'print what changed as JSON', false)
    .action((o: { compose: string[]; dryRun: boolean; json: boolean }) => {
      setResult(import('./init-docker.js').then((m) => m.initDockerCommand({ compose: o.compose, dryRun: o.dryRun, json: o.json }, io)));
    });
}
