// What every capture path (log parsers, the caching proxy) emits. The session stamps
// missing timestamps and turns these into ledger records; see src/session/.
import type { BuildStep, CacheStatus, Evidence, Kind } from '../ledger/schema.js';

/** Where in a build a line or a request happened. */
export interface Attribution {
  readonly service: string | null;
  readonly step: string | null;
}

export interface DownloadEvent {
  readonly type: 'download';
  readonly kind: Kind;
  readonly tool: string;
  readonly name: string | null;
  readonly version: string | null;
  readonly filename: string | null;
  /** URL as seen; the session redacts credentials before anything is written. */
  readonly source: string | null;
  readonly destination: string | null;
  readonly size: number | null;
  readonly sha256: string | null;
  readonly cached: boolean;
  readonly index: boolean;
  readonly duration_ms: number | null;
  readonly evidence: Evidence;
  readonly cache_status: CacheStatus | null;
  readonly service: string | null;
  readonly step: string | null;
  /** ISO 8601; null when the source gave no time (the session stamps it). */
  readonly timestamp: string | null;
}

export interface NetworkAttemptEvent {
  readonly type: 'network_attempt';
  readonly tool: string;
  readonly url_or_host: string;
  readonly error: string;
  readonly evidence: Evidence;
  readonly service: string | null;
  readonly step: string | null;
  readonly timestamp: string | null;
}

export interface ErrorEvent {
  readonly type: 'error';
  readonly message: string;
  readonly tool: string | null;
  readonly service: string | null;
  readonly step: string | null;
  readonly timestamp: string | null;
}

export interface StepEvent extends BuildStep {
  readonly type: 'step';
}

export type CaptureEvent = DownloadEvent | NetworkAttemptEvent | ErrorEvent | StepEvent;
/**
 * When a recorded event must be on disk. `now` (the default): before the call returns, for an
 * event that has to be kept before something else happens (a download's last byte released
 * to its client). `this-turn`: before the event loop next waits for I/O, for an event about a
 * response already complete (a cache hit), where a write per event would be pure cost.
 */
export type Durability = 'now' | 'this-turn';
export type EventSink = (event: CaptureEvent, durability?: Durability) => void;

type DownloadFields = Pick<DownloadEvent, 'kind' | 'tool' | 'cached'> & Partial<Omit<DownloadEvent, 'type'>>;

/** A download event with every field not given set to null (or false for `index`). */
export function downloadEvent(fields: DownloadFields): DownloadEvent {
  return {
    type: 'download',
    name: null,
    version: null,
    filename: null,
    source: null,
    destination: null,
    size: null,
    sha256: null,
    index: false,
    duration_ms: null,
    evidence: 'log',
    cache_status: null,
    service: null,
    step: null,
    timestamp: null,
    ...fields,
  };
}

export function networkAttemptEvent(
  fields: Pick<NetworkAttemptEvent, 'tool' | 'url_or_host' | 'error'> & Partial<Omit<NetworkAttemptEvent, 'type'>>,
): NetworkAttemptEvent {
  return { type: 'network_attempt', evidence: 'log', service: null, step: null, timestamp: null, ...fields };
}

export function errorEvent(fields: Pick<ErrorEvent, 'message'> & Partial<Omit<ErrorEvent, 'type'>>): ErrorEvent {
  return { type: 'error', tool: null, service: null, step: null, timestamp: null, ...fields };
}
