// What a build (or verify) run knew that the ledger does not: which services it built, how
// each ended, how long it took, the image size. `logs/docker_build/build_metadata.json`;
// `offgrid build-analyze` reads it with the session's ledger. zod-checked when read back.
import { join } from 'node:path';
import * as z from 'zod';

/** unfinished: a saved log (build-analyze, mode logs) that ends before its build did. */
export const ServiceResult = z.enum(['success', 'failed', 'not-built', 'unfinished']);
export type ServiceResult = z.infer<typeof ServiceResult>;

export const ServiceRun = z.object({
  name: z.string(),
  image: z.string(),
  dockerfile: z.string(),
  context: z.string(),
  result: ServiceResult,
  exit_code: z.number().int().nullable(),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  duration_seconds: z.number().nonnegative().nullable(),
  image_size: z.number().int().nonnegative().nullable(),
  /** Why it failed or was not built, with what to do. */
  error: z.string().nullable(),
  /** The last lines of its output, for a failure. */
  last_lines: z.array(z.string()),
  /** Its build log; null for a service whose build never started. */
  log: z.string().nullable(),
});
export type ServiceRun = z.infer<typeof ServiceRun>;

export const BuildMetadata = z.object({
  format: z.literal(1),
  /**
   * build: `offgrid build`; verify: `offgrid verify` (--network=none --no-cache, proxy offline);
   * logs: build-analyze of build_<service>.log files saved without offgrid (no image, Dockerfile
   * or exit code known; builder and network are what the logs suggest, not what was used).
   */
  mode: z.enum(['build', 'verify', 'logs']),
  session_id: z.string(),
  ledger: z.string(),
  started_at: z.string(),
  ended_at: z.string(),
  builder: z.enum(['buildkit', 'legacy']),
  network: z.enum(['host', 'none']),
  offline: z.boolean(),
  no_cache: z.boolean(),
  compose_file: z.string(),
  services: z.array(ServiceRun),
});
export type BuildMetadata = z.infer<typeof BuildMetadata>;

export function dockerBuildDir(logDir: string): string {
  return join(logDir, 'docker_build');
}
export function metadataPath(logDir: string): string {
  return join(dockerBuildDir(logDir), 'build_metadata.json');
}
export function reportPath(logDir: string): string {
  return join(dockerBuildDir(logDir), 'build_report.md');
}
export function serviceLogPath(logDir: string, service: string): string {
  return join(dockerBuildDir(logDir), `build_${service}.log`);
}
