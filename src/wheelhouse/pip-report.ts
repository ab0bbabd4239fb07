// pip's installation report (`pip install --dry-run --report FILE`, pip >= 22.2): the
// whole resolved tree, including what pip only found in metadata, each with the URL it
// would fetch and the file's hash. Pure: JSON text in, resolved packages out.
import * as z from 'zod';
import { normalizeName } from './requirement-spec.js';

const ReportItem = z.object({
  download_info: z.object({
    url: z.string(),
    archive_info: z.object({ hash: z.string().optional(), hashes: z.record(z.string(), z.string()).optional() }).optional(),
    dir_info: z.object({ editable: z.boolean().optional() }).optional(),
    vcs_info: z.object({ vcs: z.string(), commit_id: z.string().optional() }).optional(),
  }),
  requested: z.boolean().optional(),
  requested_extras: z.array(z.string()).nullable().optional(),
  metadata: z.object({ name: z.string(), version: z.string() }),
});

const Report = z.object({
  version: z.string(),
  pip_version: z.string().optional(),
  install: z.array(ReportItem),
});

export interface ResolvedPackage {
  /** PEP 503 normalised. */
  readonly name: string;
  readonly version: string;
  readonly url: string;
  /** The last path segment of the URL, decoded. */
  readonly filename: string;
  /** The sha256 the index published (or pip computed); null when neither is known. */
  readonly sha256: string | null;
  /** Named by a requirement (not only a dependency). */
  readonly requested: boolean;
  /**
   * Where pip takes it from: a file (index, URL or local archive), a local directory, or a
   * VCS checkout. A directory or checkout is no file a wheelhouse can hold: its wheel is built.
   */
  readonly origin: 'archive' | 'directory' | 'vcs';
  /** Installed editable (`-e`): pip reports the checkout of an editable VCS line as a directory. */
  readonly editable: boolean;
  /** The VCS (`git`, `hg`…) and the commit pip resolved, for a checkout. */
  readonly vcs: { readonly name: string; readonly commit: string | null } | null;
}

export class PipReportError extends Error {}

export function parsePipReport(text: string): ResolvedPackage[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PipReportError(`pip's report is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = Report.safeParse(json);
  if (!parsed.success) throw new PipReportError(`pip's report has an unexpected shape: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data.install.map((item) => {
    const info = item.download_info;
    const hashes = info.archive_info?.hashes ?? {};
    const legacy = info.archive_info?.hash;
    const sha256 = hashes['sha256'] ?? (legacy?.startsWith('sha256=') ? legacy.slice(7) : null);
    return {
      name: normalizeName(item.metadata.name),
      version: item.metadata.version,
      url: info.url,
      filename: fileNameOf(info.url),
      sha256: sha256 !== null && /^[0-9a-f]{64}$/i.test(sha256) ? sha256.toLowerCase() : null,
      requested: item.requested === true,
      origin: info.vcs_info !== undefined ? 'vcs' : info.archive_info === undefined ? 'directory' : 'archive',
      editable: info.dir_info?.editable === true,
      vcs: info.vcs_info === undefined ? null : { name: info.vcs_info.vcs, commit: info.vcs_info.commit_id ?? null },
    };
  });
}

function fileNameOf(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.split(/[?#]/)[0] ?? url;
  }
  const last = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}
