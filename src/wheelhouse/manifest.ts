// `wheelhouse/wheelhouse_manifest.json`: what the wheelhouse holds and how the last run
// went. One zod schema gives the types, the validation of a manifest read back, and the
// JSON Schema shipped in schema/wheelhouse-manifest.schema.json.
import * as z from 'zod';

export { MANIFEST_FILE } from './files.js';

export const EntryStatus = z.enum(['success', 'skipped', 'error']);
export type EntryStatus = z.infer<typeof EntryStatus>;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const nullableString = z.string().nullable();

/** What every entry carries: the file it resolved to and how this run got it. */
const FileFields = {
  name: nullableString.describe('PEP 503 normalised project name'),
  version: nullableString,
  filename: nullableString,
  source: nullableString.describe('the URL the file came from, credentials redacted'),
  sha256: sha256.nullable(),
  size: z.number().int().nonnegative().nullable(),
  status: EntryStatus.describe('success: downloaded (or, for a local directory or VCS checkout, built) by this run; skipped: already in the wheelhouse with the right sha256; error: see message'),
  message: nullableString.describe("why it failed (pip's reason), or a note such as a replaced file"),
  timestamp: nullableString.describe('when this run settled the entry (ISO 8601 with offset); null inside an archive'),
};

export const PackageEntry = z.object({
  ...FileFields,
  requested: z.boolean().describe('named by a requirement line, not only a dependency'),
  replaced_sha256: sha256.nullable().describe('the sha256 of a file with the same name that was wrong and has been replaced'),
});
export type PackageEntry = z.infer<typeof PackageEntry>;

export const RequirementEntry = z.object({
  ...FileFields,
  file: nullableString.describe('the requirements file; null for a package named on the command line'),
  line: z.number().int().positive().nullable(),
  requirement: z.string().describe('the requirement as written, without its --hash options'),
});
export type RequirementEntry = z.infer<typeof RequirementEntry>;

export const Target = z.object({
  platforms: z.array(z.string()).describe('--platform tags; empty: the host'),
  python_version: nullableString,
  implementation: nullableString,
  abi: nullableString,
  only_binary: z.boolean(),
});
export type Target = z.infer<typeof Target>;

export const RequirementFile = z.object({
  path: z.string(),
  sha256,
  kind: z.enum(['requirements', 'constraints']),
  included_by: nullableString.describe('the file whose -r/-c line named it; null for a file given on the command line'),
});

export const Totals = z.object({
  requirements: z.number().int().nonnegative(),
  packages: z.number().int().nonnegative(),
  success: z.number().int().nonnegative().describe('packages downloaded or built by this run'),
  skipped: z.number().int().nonnegative().describe('packages already present with the right sha256'),
  error: z.number().int().nonnegative().describe('requirement lines and packages that failed'),
  bytes: z.number().int().nonnegative().describe('total size of the files the manifest lists'),
  bytes_downloaded: z.number().int().nonnegative(),
});
export type Totals = z.infer<typeof Totals>;

export const RunInfo = z.object({
  started_at: z.string(),
  finished_at: z.string(),
  offline: z.boolean(),
  log_file: nullableString,
  session_id: nullableString.describe('the session whose ledger (logs/build/downloads_<id>.json) recorded the downloads'),
  exit_code: z.number().int(),
});

export const Manifest = z.object({
  schema_version: z.literal(1),
  generator: z.string(),
  pip_version: z.string(),
  python: z.string().describe('the interpreter pip ran under'),
  target: Target,
  requirement_files: z.array(RequirementFile),
  packages_on_command_line: z.array(z.string()),
  requirements: z.array(RequirementEntry),
  packages: z.array(PackageEntry).describe('every resolved package, dependencies included, sorted by name'),
  totals: Totals,
  run: RunInfo.nullable().describe('the run that wrote this manifest; null inside a --archive (so the same wheels give the same bytes)'),
});
export type Manifest = z.infer<typeof Manifest>;

export function manifestJsonSchema(): object {
  return z.toJSONSchema(Manifest, { target: 'draft-2020-12' });
}

export function computeTotals(requirements: readonly RequirementEntry[], packages: readonly PackageEntry[], bytesDownloaded: number): Totals {
  const count = (status: EntryStatus) => packages.filter((p) => p.status === status).length;
  return {
    requirements: requirements.length,
    packages: packages.length,
    success: count('success'),
    skipped: count('skipped'),
    error: count('error') + requirements.filter((r) => r.status === 'error').length,
    bytes: packages.reduce((sum, p) => sum + (p.status !== 'error' ? (p.size ?? 0) : 0), 0),
    bytes_downloaded: bytesDownloaded,
  };
}

/**
 * The manifest as it goes into an archive: what the wheelhouse holds, nothing about the
 * run (times, downloaded versus already there), so the same wheels give the same bytes.
 */
export function archivedManifest(manifest: Manifest): Manifest {
  const settle = <T extends { status: EntryStatus; timestamp: string | null; message: string | null }>(entry: T): T =>
    entry.status === 'error' ? { ...entry, timestamp: null } : { ...entry, status: 'success', message: null, timestamp: null };
  const requirements = manifest.requirements.map(settle);
  const packages = manifest.packages.map((p) => ({ ...settle(p), replaced_sha256: null }));
  return { ...manifest, requirements, packages, totals: computeTotals(requirements, packages, 0), run: null };
}

export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export class ManifestError extends Error {}

export function parseManifest(text: string, path: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ManifestError(`${path} is not an offgrid wheelhouse manifest: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data;
}
