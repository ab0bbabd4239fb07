// `offgrid wheelhouse …` and `offgrid wheelhouse verify …`: options, and the start of a
// run. A warm run (everything already in the wheelhouse) is one `pip download --no-index`,
// and pip is the slow part, so it starts here, before the rest of offgrid is loaded: the
// manifest's file list is read without validating it, and the build (wheelhouse-build.ts)
// uses that pip only if the validated manifest lists the same files (local-first.ts).
import { Option, type Command } from 'commander';
import { basename, join, resolve } from 'node:path';
import { OffgridError, describeSystemError } from '../../errors.js';
import { sessionStamp } from '../../session/time.js';
import { type LocalAttempt, readListing, startLocalResolution } from '../../wheelhouse/local-first.js';
import type { TargetOptions } from '../../wheelhouse/pip-args.js';
import { pipRunner } from '../../wheelhouse/pip-runner.js';
import { openRunLog, type RunLog } from '../../wheelhouse/run-log.js';
import { MANIFEST_FILE } from '../../wheelhouse/files.js';
import type { CliIO } from '../io.js';
import { addProxyOptions, proxyFlags, type ProxyOptionValues } from '../proxy-options.js';
import type { ProxyFlags } from './session-common.js';

export interface WheelhouseOptions extends ProxyFlags {
  readonly requirementFiles: readonly string[];
  readonly packages: readonly string[];
  readonly dest: string;
  readonly indexUrl: string | null;
  readonly extraIndexUrls: readonly string[];
  readonly target: TargetOptions;
  readonly archive: string | null;
  readonly json: boolean;
  readonly python: string;
  readonly refresh: boolean;
}

/** Project and lock files given to -r (pip reads each line as a requirement), with the command that writes requirements from them. */
const NOT_REQUIREMENTS: Readonly<Record<string, string>> = {
  'pyproject.toml': 'uv export --no-emit-project -o requirements.txt, or pip-compile pyproject.toml',
  'setup.cfg': 'pip-compile setup.cfg',
  'setup.py': 'pip-compile setup.py',
  'Pipfile': 'pipenv requirements > requirements.txt',
  'Pipfile.lock': 'pipenv requirements > requirements.txt',
  'poetry.lock': 'poetry export -o requirements.txt',
  'uv.lock': 'uv export --no-emit-project -o requirements.txt',
  'pdm.lock': 'pdm export -o requirements.txt',
};

export async function wheelhouseCommand(options: WheelhouseOptions, io: CliIO): Promise<number> {
  if (options.requirementFiles.length === 0 && options.packages.length === 0) {
    throw new OffgridError('EUSAGE', 'nothing to download: give requirements files with -r FILE, or package names');
  }
  for (const file of options.requirementFiles) {
    const writer = Object.hasOwn(NOT_REQUIREMENTS, basename(file)) ? NOT_REQUIREMENTS[basename(file)] : undefined;
    if (writer !== undefined) throw new OffgridError('EUSAGE', `${file} is not a requirements file: write one from it first (${writer}) and give that with -r`);
  }
  const dest = resolve(io.cwd, options.dest);
  const logPath = join(options.logDir, 'wheelhouse', `download_${sessionStamp(io.clock.now())}.log`);
  let log: RunLog;
  try {
    log = openRunLog(logPath, io.clock);
  } catch (error) {
    throw new OffgridError('ELOGDIR', `cannot write ${logPath}: ${describeSystemError(error)}`);
  }
  const signals = watchInterrupts();
  let early: LocalAttempt | null = null;
  try {
    early = options.refresh ? null : await startWarmCheck(options, io, dest, log);
    const { buildCommand } = await import('./wheelhouse-build.js');
    return await buildCommand(options, io, { dest, logPath, log, early, interrupted: signals.interrupted });
  } finally {
    await early?.cancel(); // settled already when the build used it
    signals.dispose();
  }
}

/** Notices Ctrl-C / SIGTERM while pip runs (runChild passes the signal on to pip). */
function watchInterrupts(): { interrupted: () => boolean; dispose: () => void } {
  let interrupted = false;
  const on = (): void => void (interrupted = true);
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return { interrupted: () => interrupted, dispose: () => (process.off('SIGINT', on), void process.off('SIGTERM', on)) };
}

/** Starts pip on the files the previous manifest lists, if there is one. */
async function startWarmCheck(options: WheelhouseOptions, io: CliIO, dest: string, log: RunLog): Promise<LocalAttempt | null> {
  // pip would fetch a file named by URL itself, around the proxy; the build fetches it through the proxy instead.
  if (options.requirementFiles.some((f) => /^https?:/i.test(f))) return null;
  const listing = await readListing(join(dest, MANIFEST_FILE));
  if (listing === null) return null;
  const pip = pipRunner({ python: options.python, cwd: io.cwd, env: io.env, log, capture: () => null });
  return startLocalResolution({ dest, listing, files: options.requirementFiles, packages: options.packages, target: options.target, pip });
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

interface WheelhouseOptionValues extends ProxyOptionValues {
  requirement?: string[];
  dest: string;
  indexUrl?: string;
  extraIndexUrl?: string[];
  platform?: string[];
  pythonVersion?: string;
  implementation?: string;
  abi?: string;
  onlyBinary?: string;
  archive?: string;
  json: boolean;
  python: string;
  refresh: boolean;
}

/** `offgrid wheelhouse …` and `offgrid wheelhouse verify …`. */
export function registerWheelhouse(program: Command, io: CliIO, debug: boolean, setResult: (result: Promise<number>) => void): void {
  const logDir = new Option('--log-dir <dir>', "the guide's logs/ directory").default(io.env.OFFGRID_LOG_DIR ?? 'logs');
  const wheelhouse = program
    .command('wheelhouse')
    .description('download every wheel the requirements need into wheelhouse/, with a manifest and a log (verify: prove it is complete)')
    .argument('[packages...]', 'requirements named on the command line')
    .option('-r, --requirement <file>', 'a requirements file, a path or an http(s) URL (repeatable; -r, -c, markers, extras and hashes inside are honoured)', collect)
    .option('--dest <dir>', 'the wheelhouse directory', 'wheelhouse')
    .option('--index-url <url>', 'the package index to mirror (default: pip\'s own index settings)')
    .option('--extra-index-url <url>', 'another index to mirror (repeatable)', collect)
    .option('--platform <tag>', 'download for this platform, e.g. manylinux2014_x86_64 (repeatable)', collect)
    .option('--python-version <x.y>', 'download for this Python version')
    .option('--implementation <impl>', 'download for this implementation (cp, pp…)')
    .option('--abi <tag>', 'download for this ABI, e.g. cp311')
    .option('--only-binary <which>', 'only :all: is accepted here (implied by any target option)')
    .option('--archive <file>', 'also write a reproducible tar.gz of the wheelhouse (manifest inside)')
    .option('--json', 'print the outcome as JSON', false)
    .option('--python <exe>', 'the Python whose pip runs', 'python3')
    .option('--refresh', 'resolve against the index even when the wheelhouse already satisfies the requirements (picks up newer versions)', false)
    .addOption(logDir)
    .action((packages: string[], o: WheelhouseOptionValues) => {
      if (o.onlyBinary !== undefined && o.onlyBinary !== ':all:') {
        throw new OffgridError('EUSAGE', `--only-binary ${o.onlyBinary}: only :all: is accepted here; put a per-package --only-binary line in the requirements file instead`);
      }
      setResult(wheelhouseCommand({
        ...proxyFlags(o, debug),
        requirementFiles: o.requirement ?? [],
        packages,
        dest: o.dest,
        indexUrl: o.indexUrl ?? null,
        extraIndexUrls: o.extraIndexUrl ?? [],
        target: { platforms: o.platform ?? [], pythonVersion: o.pythonVersion ?? null, implementation: o.implementation ?? null, abi: o.abi ?? null, onlyBinary: o.onlyBinary === ':all:' },
        archive: o.archive ?? null,
        json: o.json,
        python: o.python,
        refresh: o.refresh,
      }, io));
    });
  addProxyOptions(wheelhouse, io);
  wheelhouse
    .command('verify')
    .description('check every file of the manifest (sha256, nothing unlisted), then install the requirements from the wheelhouse alone with pip --no-index --dry-run')
    .option('--dest <dir>', 'the wheelhouse directory', 'wheelhouse')
    .option('--json', 'print the outcome as JSON', false)
    .option('--python <exe>', 'the Python whose pip runs', 'python3')
    .action((o: { dest: string; json: boolean; python: string }) => setResult(import('./wheelhouse-verify.js').then((m) => m.wheelhouseVerifyCommand(o, io))));
}
