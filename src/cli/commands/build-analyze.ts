// `offgrid build-analyze` (the guide's `make build-analyze`): rewrites
// logs/docker_build/build_report.md from the last build's metadata and ledger, or from the
// build_<service>.log files saved there without offgrid.
import { EXIT_OK } from '../../errors.js';
import { reportPath } from '../../docker/metadata.js';
import { reportFromFiles } from '../../docker/report-files.js';
import { renderBuildReport } from '../../docker/render-report.js';
import { say, type CliIO } from '../io.js';
import { jsonResult, summaryLines } from './docker-build.js';

export interface BuildAnalyzeOptions {
  readonly logDir: string;
  readonly json: boolean;
}

export async function buildAnalyzeCommand(options: BuildAnalyzeOptions, io: CliIO): Promise<number> {
  const analysis = await reportFromFiles(options.logDir, io.clock);
  if (options.json) say(io.stdout, jsonResult(analysis));
  else {
    io.stdout.write(renderBuildReport(analysis));
    for (const line of summaryLines(analysis, options.logDir)) say(io.stderr, `offgrid: ${line}`);
    say(io.stderr, `offgrid: wrote ${reportPath(options.logDir)}`);
  }
  return EXIT_OK;
}
