// offgrid's content-addressed cache: the public surface.
//
//   <root>/content-v1/sha256/ab/cd/<sha256>   the bytes, named by their hash
//   <root>/index-v1/ab/cd/<sha256(key)>        one JSON entry per key (mtime = last use)
//   <root>/tmp/<pid>-<random>.<purpose>        writes in progress (cleanTmp removes dead ones)
//   <root>/writers/, <root>/lock               commit markers and the maintenance lock
//
// Guarantees: an index entry only ever names complete, hash-checked content; reads verify
// and fail with EINTEGRITY before the last byte on corruption; verify/prune run under a lock
// writers respect; one upstream fetch per key however many requests (SingleFlight).
//
// "Verify on read" is per process (memory.ts): the first read of a content file hashes it;
// later reads skip the hash while fstat shows the same inode, size, mtime and ctime, and
// the hashing read began over a timestamp tick after the file's last change (git's "racy
// clean" rule). A file changed in any way is hashed again. Small entries (≤ 64 KiB) are
// kept whole in memory once verified. `cache verify` always re-hashes everything.
export { CacheStore, type CacheHit } from './store.js';
export { CacheWriter, type DeclaredDigest, type WriterOptions } from './writer.js';
export type { VerifiedReader } from './reader.js';
export { SingleFlight, type FetchOptions, type Flight, type FlightResponse, type OpenUpstream, type UpstreamResponse } from './single-flight.js';
export type { CacheEntry, EntryMetadata } from './entry.js';
export { CACHE_ERROR_CODES, CacheError, isCacheError, type CacheErrorCode } from './errors.js';
export type { CacheLogger, CacheStoreOptions } from './options.js';
export type { CacheStats, CleanTmpOptions, PruneOptions, PruneReport, VerifyProblem, VerifyReport } from './maintenance.js';
export { CONTENT_DIR, INDEX_DIR, TMP_DIR, contentPath, indexPath, isSha256 } from './layout.js';
