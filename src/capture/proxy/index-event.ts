// The ledger record of an index document a mirror served (a PyPI project page, an npm
// packument): the same shape for both mirrors.
import type { CacheStatus, Kind } from '../../ledger/schema.js';
import { isoLocal } from '../../session/time.js';
import { downloadEvent, type DownloadEvent } from '../events.js';
import type { ProxyContext } from './types.js';

export interface ServedDocument {
  readonly url: string;
  readonly size: number;
  readonly sha256: string | null;
  readonly status: CacheStatus;
}

export function indexDocumentEvent(
  ctx: ProxyContext,
  served: { kind: Kind; tool: string; name: string; document: ServedDocument; startedAt: number },
): DownloadEvent {
  const { document } = served;
  return downloadEvent({
    kind: served.kind,
    tool: served.tool,
    name: served.name,
    source: document.url,
    size: document.size,
    sha256: document.sha256,
    cached: document.status !== 'miss',
    index: true,
    duration_ms: Math.round(performance.now() - served.startedAt),
    evidence: 'proxy',
    cache_status: document.status,
    timestamp: isoLocal(ctx.clock.now()),
  });
}
