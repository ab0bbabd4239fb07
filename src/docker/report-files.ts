// The edge of the build report: reads and writes build_metadata.json and build_report.md.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { OffgridError, describeSystemError } from '../errors.js';
import type { Ledger } from '../ledger/schema.js';
import { readLedger } from '../report/load.js';
import { sessionPaths } from '../session/layout.js';
import { analyzeBuild, type BuildAnalysis } from './analysis.js';
import { BuildMetadata, metadataPath, reportPath } from './metadata.js';
import { renderBuildReport } from './render-report.js';

function writeAtomic(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, text, 'utf8');
    renameSync(tmp, path);
  } catch (error) {
    throw new OffgridError('ELOGDIR', `cannot write ${path}: ${describeSystemError(error)}`);
  }
}

export function writeMetadata(logDir: string, meta: BuildMetadata): void {
  writeAtomic(metadataPath(logDir), `${JSON.stringify(meta, null, 2)}\n`);
}

export function readMetadata(logDir: string): BuildMetadata {
  const path = metadataPath(logDir);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new OffgridError('ENOSESSION', `no Docker build recorded in ${logDir} (${path} is missing): run offgrid build first`);
    }
    throw new OffgridError('EINPUT', `cannot read ${path}: ${error instanceof SyntaxError ? 'not JSON' : describeSystemError(error)}`);
  }
  const parsed = BuildMetadata.safeParse(value);
  if (!parsed.success) throw new OffgridError('EINPUT', `${path} is not offgrid build metadata: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** Analyzes a build and writes logs/docker_build/build_report.md; returns the analysis. */
export function writeBuildReport(logDir: string, meta: BuildMetadata, ledger: Ledger): BuildAnalysis {
  const analysis = analyzeBuild(meta, ledger);
  writeAtomic(reportPath(logDir), renderBuildReport(analysis));
  return analysis;
}

/** build-analyze: the report of the last recorded build, from its files. */
export function reportFromFiles(logDir: string): BuildAnalysis {
  const meta = readMetadata(logDir);
  // By session id inside this log directory: the directory may have moved since.
  const path = sessionPaths(logDir, meta.session_id).ledger;
  const loaded = readLedger(path);
  if ('reason' in loaded) throw new OffgridError('ELEDGER', `the ledger of the last build, ${path}, cannot be used: ${loaded.reason}`);
  return writeBuildReport(logDir, meta, loaded.ledger);
}
