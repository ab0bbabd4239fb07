// An index entry: what a key maps to. Stored as one JSON file per key (see layout.ts);
// `last_used_at` is not in the file but is the file's mtime, so marking an entry used is a
// `utimes` that cannot resurrect an entry prune has just removed.
import * as z from 'zod';
import { CacheError } from './errors.js';

export const ENTRY_FORMAT_VERSION = 1;

export const EntryMetadata = z.looseObject({
  kind: z.string().nullable().optional(),
  content_type: z.string().nullable().optional(),
  etag: z.string().nullable().optional(),
  last_modified: z.string().nullable().optional(),
  /** Upstream URL with credentials removed (see redact.ts). */
  url: z.string().nullable().optional(),
});
export type EntryMetadata = z.infer<typeof EntryMetadata>;

const StoredEntry = z.object({
  version: z.literal(ENTRY_FORMAT_VERSION),
  key: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  stored_at: z.string(),
  metadata: EntryMetadata,
});

export interface CacheEntry {
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
  /** ISO 8601, when the content was committed. */
  readonly stored_at: string;
  /** ISO 8601, when the entry was last read (null if never, or unknown). */
  readonly last_used_at: string | null;
  readonly metadata: EntryMetadata;
}

export function serializeEntry(entry: CacheEntry): string {
  const { last_used_at: _notStored, ...stored } = entry;
  return `${JSON.stringify({ version: ENTRY_FORMAT_VERSION, ...stored })}\n`;
}

export function parseEntry(text: string, where: string, lastUsedAt: string | null): CacheEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CacheError('ECACHECORRUPT', `index entry ${where} is not valid JSON; it is ignored (run \`offgrid cache verify\` to remove it)`, { path: where }, { cause: error });
  }
  const parsed = StoredEntry.safeParse(raw);
  if (!parsed.success) {
    throw new CacheError('ECACHECORRUPT', `index entry ${where} is malformed (${parsed.error.issues[0]?.message ?? 'unknown'}); it is ignored (run \`offgrid cache verify\` to remove it)`, { path: where });
  }
  const { version: _version, ...entry } = parsed.data;
  return { ...entry, last_used_at: lastUsedAt };
}
