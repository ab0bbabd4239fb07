// The edge of the build report: reads and writes build_metadata.json and build_report.md.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { OffgridError, describeSystemError } from '../errors.js';
import type { Ledger } from '../ledger/schema.js';
import { readLedger } from '../report/load.js';
import { sessionPaths } from '../session/layout.js';
import { analyzeBuild, type BuildAnalysis } from './analysis.js';
import { BuildMetadata, metadataPath, reportPath, serviceLogPath } from './metadata.js';
import { analyzeSavedLogs, savedServiceLogs } from './service-logs.js';
import type { Clock } from '../session/time.js';
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

/**
 * build-analyze: the report of the last build. A build offgrid recorded is read from its
 * metadata and ledger; logs saved without offgrid (no metadata, or metadata an earlier
 * build-analyze made from them) are read again, since they may have changed since.
 */
export async function reportFromFiles(logDir: string, clock: Clock): Promise<BuildAnalysis> {
  const recorded = existsSync(metadataPath(logDir)) ? readMetadata(logDir) : null;
  if (recorded === null || recorded.mode === 'logs') {
    const services = savedServiceLogs(logDir);
    if (services.length === 0) {
      throw new OffgridError(
        'ENOSESSION',
        `no Docker build recorded in ${logDir}: neither ${metadataPath(logDir)} nor any ${serviceLogPath(logDir, '<service>')}; ` +
          'run offgrid build, or save each service\'s docker build output there',
      );
    }
    const { meta, ledger } = await analyzeSavedLogs(logDir, services, clock);
    writeMetadata(logDir, meta);
    return writeBuildReport(logDir, meta, ledger);
  }
  const meta = recorded;
  // By session id inside this log directory: the directory may have moved since.
  const path = sessionPaths(logDir, meta.session_id).ledger;
  const loaded = readLedger(path);
  if ('reason' in loaded) throw new OffgridError('ELEDGER', `the ledger of the last build, ${path}, cannot be used: ${loaded.reason}`);
  return writeBuildReport(logDir, meta, loaded.ledger);
}
