// `offgrid wheelhouse verify`: every file of the manifest is there with its sha256, nothing
// unlisted, and pip installs the requirements from the wheelhouse alone.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXIT_FAILED, EXIT_OK, OffgridError } from '../../errors.js';
import { ManifestError } from '../../wheelhouse/manifest.js';
import { PipStartError, pipRunner } from '../../wheelhouse/pip-runner.js';
import { nullRunLog } from '../../wheelhouse/run-log.js';
import { NoManifestError, describeProblem, verifyWheelhouse } from '../../wheelhouse/verify.js';
import { say, warn, type CliIO } from '../io.js';

export interface WheelhouseVerifyOptions {
  readonly dest: string;
  readonly python: string;
  readonly json: boolean;
}

export async function wheelhouseVerifyCommand(options: WheelhouseVerifyOptions, io: CliIO): Promise<number> {
  const dest = resolve(io.cwd, options.dest);
  const workDir = await mkdtemp(join(tmpdir(), 'offgrid-wheelhouse-verify-'));
  const pip = pipRunner({ python: options.python, cwd: io.cwd, env: io.env, log: nullRunLog, capture: () => null });
  try {
    const result = await verifyWheelhouse({ dest, cwd: io.cwd, pip, workDir });
    const ok = result.problems.length === 0;
    if (options.json) {
      say(io.stdout, JSON.stringify({ ok, dest: options.dest, checked_files: result.checkedFiles, pip_checked: result.pipRan, problems: result.problems, warnings: result.warnings }, null, 2));
    } else {
      for (const w of result.warnings) warn(io, w);
      if (ok) say(io.stdout, `offgrid: wheelhouse ${options.dest} verified: ${result.checkedFiles} file(s) with the right sha256, nothing unlisted${result.pipRan ? ', and pip installs the requirements from it with no index' : ''}`);
      else {
        say(io.stdout, `offgrid: wheelhouse ${options.dest} is NOT complete (${result.problems.length} problem(s)):`);
        for (const p of result.problems) say(io.stdout, `  ${describeProblem(p)}`);
      }
    }
    return ok ? EXIT_OK : EXIT_FAILED;
  } catch (error) {
    if (error instanceof NoManifestError || error instanceof ManifestError) throw new OffgridError('EINPUT', error.message);
    if (error instanceof PipStartError) throw new OffgridError('ESPAWN', `${error.message} (use --python to name the Python whose pip should run)`);
    throw error;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
