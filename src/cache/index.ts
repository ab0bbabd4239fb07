// offgrid's content-addressed cache: the public surface.
export { CacheStore, type CacheHit } from './store.js';
export { CacheWriter, type WriterOptions } from './writer.js';
export { SingleFlight, type Flight, type FlightResponse, type OpenUpstream, type UpstreamResponse } from './single-flight.js';
export type { CacheEntry, EntryMetadata } from './entry.js';
export { CACHE_ERROR_CODES, CacheError, isCacheError, type CacheErrorCode } from './errors.js';
export type { CacheLogger, CacheStoreOptions } from './options.js';
export type { CacheStats, CleanTmpOptions, PruneOptions, PruneReport, VerifyProblem, VerifyReport } from './maintenance.js';
export { CONTENT_DIR, INDEX_DIR, TMP_DIR, contentPath, indexPath, isSha256 } from './layout.js';
export { redactUrl } from './redact.js';
