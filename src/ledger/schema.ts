// The ledger (`logs/build/downloads_YYYYMMDD_HHMMSS.json`) and the events that feed it.
// One zod schema is the source of both the TypeScript types and the JSON Schema that
// ships in `schema/ledger.schema.json` (see scripts/write-schema.mjs).
import * as z from 'zod';

export const KINDS = ['wheel', 'sdist', 'apt', 'npm', 'file'] as const;
export const Kind = z.enum(KINDS);
export type Kind = z.infer<typeof Kind>;

/** Where a record came from: the caching proxy saw it, a tool's log said it, or both. */
export const Evidence = z.enum(['proxy', 'log', 'both']);
export type Evidence = z.infer<typeof Evidence>;

/** What the proxy did with a request (the `x-offgrid-cache` header). */
export const CacheStatus = z.enum(['hit', 'miss', 'revalidated', 'offline-miss']);
export type CacheStatus = z.infer<typeof CacheStatus>;

const nullableString = z.string().nullable();

export const DownloadRecord = z.object({
  kind: Kind,
  name: nullableString.describe('package name, where the URL, index or log says it'),
  version: nullableString,
  filename: nullableString,
  source: nullableString.describe('URL with credentials redacted; null when only a file name is known'),
  destination: nullableString,
  size: z.number().int().nonnegative().nullable(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  cached: z.boolean().describe('true when served from a cache (offgrid, pip, apt, a wheelhouse) rather than the network'),
  timestamp: z.string(),
  duration_ms: z.number().nonnegative().nullable(),
  tool: z.string(),
  service: nullableString,
  step: nullableString,
  evidence: Evidence,
  index: z.boolean().describe('an index file (apt Release/Packages, a PyPI simple page, an npm packument), not an artifact'),
  cache_status: CacheStatus.nullable(),
});
export type DownloadRecord = z.infer<typeof DownloadRecord>;

export const NetworkAttempt = z.object({
  url_or_host: z.string(),
  tool: z.string(),
  error: z.string(),
  timestamp: z.string(),
  service: nullableString,
  step: nullableString,
  evidence: Evidence,
  count: z.number().int().positive().describe('identical attempts (a retry loop) are folded into one record'),
});
export type NetworkAttempt = z.infer<typeof NetworkAttempt>;

export const LedgerError = z.object({
  message: z.string(),
  timestamp: z.string(),
  tool: nullableString,
  service: nullableString,
  step: nullableString,
});
export type LedgerError = z.infer<typeof LedgerError>;

/** A Docker build step as the build log showed it. */
export const BuildStep = z.object({
  service: nullableString,
  id: z.string().describe("BuildKit vertex number or legacy step number; in a log holding several builds, later builds' ids are prefixed (`b2:5`); steps a pasted log numbered nowhere get `tty-N` (terminal display) or `summary-N` (error summary alone)"),
  name: z.string(),
  position: z
    .string()
    .optional()
    .describe("where BuildKit placed the step in its Dockerfile: `3/8`, `deps 2/5` (stage deps, instruction 2 of 5); absent when the log names none (legacy builder, `[internal]` vertices, older ledgers)"),
  status: z.enum(['done', 'cached', 'error', 'running']),
  duration_seconds: z.number().nonnegative().nullable(),
  error: nullableString,
});
export type BuildStep = z.infer<typeof BuildStep>;

const KindCount = z.object({ downloaded: z.number().int(), cached: z.number().int() });

export const Summary = z.object({
  total_downloads: z.number().int().describe('items fetched over the network (cached == false)'),
  total_cached: z.number().int().describe('items served from a cache'),
  bytes_downloaded: z.number().int(),
  bytes_cached: z.number().int(),
  network_attempts: z.number().int(),
  by_kind: z.record(Kind, KindCount),
  index_files: KindCount.extend({ bytes: z.number().int() }).describe(
    'index files (apt lists, PyPI simple pages, npm packuments): not counted in the totals above',
  ),
});
export type Summary = z.infer<typeof Summary>;

export const Ledger = z.object({
  schema_version: z.literal(1),
  session_id: z.string().regex(/^\d{8}_\d{6}(_\d+)?$/),
  started_at: z.string(),
  ended_at: z.string(),
  duration_seconds: z.number().nonnegative(),
  command: z.array(z.string()),
  exit_code: z.number().int().nullable(),
  offline: z.boolean(),
  complete: z.boolean().describe('false when compiled from the journal of a session that did not finish'),
  summary: Summary,
  downloads: z.object({
    wheels: z.array(DownloadRecord).describe('Python distributions: wheels and sdists'),
    apt: z.array(DownloadRecord),
    npm: z.array(DownloadRecord),
    other: z.array(DownloadRecord),
    indexes: z.array(DownloadRecord).describe('index files, kept apart so the artifact queries stay clean'),
  }),
  cached: z.array(DownloadRecord),
  network_attempts: z.array(NetworkAttempt),
  errors: z.array(LedgerError),
  steps: z.array(BuildStep),
});
export type Ledger = z.infer<typeof Ledger>;

export function ledgerJsonSchema(): object {
  return z.toJSONSchema(Ledger, { target: 'draft-2020-12' });
}
