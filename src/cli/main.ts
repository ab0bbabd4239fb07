#!/usr/bin/env node
// The only place that touches `process`: parse arguments, call a command, exit.
import { Command, CommanderError, Option } from 'commander';
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';
import { EXIT_USAGE, describeSystemError, isOffgridError } from '../errors.js';
import { systemClock } from '../session/time.js';
import { OFFGRID_VERSION } from '../version.js';
import type { CliIO } from './io.js';
import { say } from './io.js';
import { REPORTS } from './commands/report-names.js';
import { addProxyOptions, proxyFlags, type ProxyOptionValues } from './proxy-options.js';

// Commands load their implementation only when they run, and the commands that register
// themselves are only loaded when named (or for help): every build step that calls offgrid
// pays its start-up time.
const SELF_REGISTERING = {
  verify: ['verify'],
  cache: ['cache'],
  wheelhouse: ['wheelhouse'],
  docker: ['build', 'build-analyze', 'init'],
} as const;
const BUILT_IN = ['run', 'serve', 'analyze', 'report', 'shell-init'];

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let result: Promise<number> = Promise.resolve(0);
  const debug = argv.includes('--debug');
  const program = new Command('offgrid')
    .description('Record every download a build makes, serve repeats from a local cache, and prove the build works offline.')
    .version(OFFGRID_VERSION)
    .option('--debug', 'show stack traces of unexpected errors')
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run offgrid help for the commands)');

  const logDirOption = () => new Option('--log-dir <dir>', "the guide's logs/ directory").default(io.env.OFFGRID_LOG_DIR ?? 'logs');

  program
    .command('run')
    .description('run a build command with its downloads going through the caching proxy; record every one')
    .addOption(logDirOption())
    .option('--service <name>', 'attribute the downloads to this service')
    .argument('<command...>', 'the command, after --')
    .passThroughOptions()
    .action((command: string[], o: ProxyOptionValues & { logDir: string; service?: string }) => {
      result = import('./commands/run.js').then((m) => m.runCommand({ ...proxyFlags(o, debug), service: o.service ?? null, command }, io));
    });
  addProxyOptions(program.commands.at(-1)!, io);

  program
    .command('serve')
    .description('run the caching proxy in the foreground (PyPI and npm mirrors, http_proxy); ledger on shutdown')
    .addOption(logDirOption())
    .option('--port <n>', 'port to listen on (0: any free port)', '8765')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--allow-remote', 'allow a non-loopback --host (other machines can then use this cache)', false)
    .option('--workers <n>', 'processes answering cache hits, sharing the port (one per core serves the most)', '1')
    .action((o: ProxyOptionValues & { logDir: string; port: string; host: string; allowRemote: boolean; workers: string }) => {
      const options = { ...proxyFlags(o, debug), port: o.port, host: o.host, allowRemote: o.allowRemote, workers: o.workers };
      result = import('./commands/serve.js').then((m) => m.serveCommand(options, io));
    });
  addProxyOptions(program.commands.at(-1)!, io);

  program
    .command('analyze')
    .description('build a ledger from logs captured elsewhere (CI output, a saved BuildKit log); - reads stdin')
    .addOption(logDirOption())
    .option('--service <name>', 'attribute the downloads to this service')
    .option('--json', 'print the summary as JSON', false)
    .argument('<files...>')
    .action((files: string[], o: { logDir: string; service?: string; json: boolean }) => {
      result = import('./commands/analyze.js').then((m) => m.analyzeCommand({ logDir: o.logDir, service: o.service ?? null, files, json: o.json }, io));
    });

  program
    .command('report')
    .description(`the guide's log analyses: ${REPORTS.join(', ')}`)
    .addOption(logDirOption())
    .addOption(new Option('--session <id>', 'latest, all, or a session id').default('latest'))
    .option('--base <id>', 'for compare: the older session (default: the one before --session)')
    .option('--json', 'print JSON', false)
    .argument('<report>', REPORTS.join('|'))
    .action((report: string, o: { logDir: string; session: string; base?: string; json: boolean }) => {
      const options = { logDir: o.logDir, report, session: o.session, base: o.base ?? null, json: o.json };
      result = import('./commands/report.js').then((m) => m.reportCommand(options, io));
    });

  const named = argv.find((a) => !a.startsWith('-'));
  const group = Object.entries(SELF_REGISTERING).find(([, names]) => (names as readonly string[]).includes(named ?? ''))?.[0];
  // A built-in command needs none of the others; `help`, no command or an unknown word needs all.
  const versionOnly = named === undefined && argv.some((a) => a === '--version' || a === '-V');
  const wanted = (name: keyof typeof SELF_REGISTERING): boolean =>
    group !== undefined ? group === name : !versionOnly && (named === undefined || !BUILT_IN.includes(named));
  const setResult = (r: Promise<number>): void => void (result = r);
  if (wanted('verify')) (await import('./commands/verify-command.js')).registerVerify(program, io, argv, debug, setResult);
  if (wanted('cache')) (await import('./commands/cache.js')).registerCache(program, io, setResult);
  if (wanted('wheelhouse')) (await import('./commands/wheelhouse.js')).registerWheelhouse(program, io, debug, setResult);
  if (wanted('docker')) (await import('./commands/build.js')).registerDockerCommands(program, io, debug, setResult);

  program
    .command('shell-init')
    .description('print shell functions apt_get_with_logging, pip_with_logging, monitor_docker_build')
    .argument('[shell]', 'bash or zsh', 'bash')
    .action((shell: string) => {
      result = import('./commands/shell-init.js').then((m) => m.shellInitCommand({ shell, offgrid: [process.execPath, selfPath()] }, io));
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return await result;
  } catch (error) {
    return reportFailure(error, io, debug);
  }
}

function reportFailure(error: unknown, io: CliIO, debug: boolean): number {
  if (error instanceof CommanderError) {
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help'
      ? 0
      : EXIT_USAGE;
  }
  if (isOffgridError(error)) {
    say(io.stderr, `offgrid: ${error.message}`);
    if (debug && error.stack) say(io.stderr, error.stack);
    return error.exitCode;
  }
  if (isPathError(error)) {
    // A path the user gave or the machine's state (a file where a directory belongs, no
    // permission, a full disk): theirs to fix, not a bug.
    say(io.stderr, `offgrid: ${describeSystemError(error)}${error.syscall ? ` (${error.syscall})` : ''}: check the path and its permissions`);
    if (debug && error.stack) say(io.stderr, error.stack);
    return EXIT_USAGE;
  }
  say(io.stderr, `offgrid: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
  if (debug && error instanceof Error && error.stack) say(io.stderr, error.stack);
  else say(io.stderr, 'This is a bug in offgrid. Run again with --debug and report the output.');
  return EXIT_USAGE;
}

const PATH_ERRNOS = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EROFS', 'ENOSPC', 'EEXIST', 'ENAMETOOLONG', 'ELOOP', 'EDQUOT']);

function isPathError(error: unknown): error is NodeJS.ErrnoException & { path: string } {
  const e = error as NodeJS.ErrnoException | null;
  return e instanceof Error && typeof e.code === 'string' && PATH_ERRNOS.has(e.code) && typeof e.path === 'string';
}

function selfPath(): string {
  return realpathSync(fileURLToPath(import.meta.url));
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === selfPath();
if (invokedDirectly) {
  // The bundle is minified: a stack trace means something only through its source maps.
  if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
  const io: CliIO = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    cwd: process.cwd(),
    env: process.env,
    clock: systemClock,
  };
  // EPIPE on stdout (offgrid report | head) is not an error worth a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`offgrid: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
