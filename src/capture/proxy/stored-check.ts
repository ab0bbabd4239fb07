// The after-the-fact check of a file the cache stored: the cache verifies sha256 while it
// stores, but an upstream may declare only another digest (npm's sha512 `dist.integrity`,
// an index page's `#md5=` or `#sha1=` fragment). The stored file is hashed once with that
// algorithm and removed on a mismatch: the client that got it rejects it itself (pip and
// npm check the digest), and no later client, offline included, is served it.
import { createHash } from 'node:crypto';
import type { CacheStore } from '../../cache/index.js';
import { isoLocal } from '../../session/time.js';
import { errorEvent } from '../events.js';
import type { ProxyContext } from './types.js';

export interface DeclaredDigest {
  /** A node crypto algorithm name (sha512, sha1, md5, …). */
  readonly algorithm: string;
  /** Accepted digests, in `encoding`. */
  readonly digests: readonly string[];
  readonly encoding: 'hex' | 'base64';
}

/** Hashes the stored `key`; on a mismatch removes it, warns and records an error event. */
export async function checkStored(ctx: ProxyContext, store: CacheStore, key: string, expected: DeclaredDigest, what: { tool: string; description: string }): Promise<void> {
  const hit = await store.read(key);
  if (!hit) return;
  const hash = createHash(expected.algorithm);
  for await (const chunk of hit.stream as AsyncIterable<Buffer>) hash.update(chunk);
  const found = hash.digest(expected.encoding);
  if (expected.digests.includes(found)) return;
  await store.remove(key);
  const message = `${what.description} does not match its ${expected.algorithm} (expected ${expected.digests[0]}, got ${found}); removed from the cache`;
  ctx.log.warn(message);
  ctx.record(errorEvent({ message, tool: what.tool, timestamp: isoLocal(ctx.clock.now()) }));
}
