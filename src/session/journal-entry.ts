// What the journal keeps of a captured event, for every process that writes to it (the
// session's own, and serve's hit workers).
import type { CaptureEvent } from '../capture/events.js';
import type { JournalEntry } from '../ledger/compile.js';
import { BoundedMap } from '../bounded-map.js';
import { redact, redactNullable } from '../redact.js';
import { isoLocal, type Clock } from './time.js';

/** Sources recur (each cache hit names its URL again), so their redaction is remembered. */
const redactedSources = new BoundedMap<string, string>(10_000);

function redactSource(source: string | null): string | null {
  if (source === null) return null;
  let redacted = redactedSources.get(source);
  if (redacted === undefined) {
    redacted = redact(source);
    redactedSources.set(source, redacted);
  }
  return redacted;
}

/** An event as the journal keeps it: redacted, and stamped with the time it happened (now, unless it says). */
export function journalEntry(event: CaptureEvent, clock: Clock): JournalEntry {
  const timestamp = (event.type !== 'step' ? event.timestamp : null) ?? isoLocal(clock.now());
  return toJournalEntry(event, timestamp);
}

function toJournalEntry(event: CaptureEvent, timestamp: string): JournalEntry {
  switch (event.type) {
    case 'download': {
      const { type: _type, ...record } = event;
      return {
        t: 'download',
        record: { ...record, source: redactSource(record.source), step: redactNullable(record.step), timestamp },
      };
    }
    case 'network_attempt': {
      const { type: _type, ...record } = event;
      return {
        t: 'network_attempt',
        record: {
          ...record,
          url_or_host: redact(record.url_or_host),
          error: redact(record.error),
          step: redactNullable(record.step),
          timestamp,
        },
      };
    }
    case 'error': {
      const { type: _type, ...record } = event;
      return { t: 'error', record: { ...record, message: redact(record.message), step: redactNullable(record.step), timestamp } };
    }
    case 'step': {
      const { type: _type, ...record } = event;
      return { t: 'step', record: { ...record, name: redact(record.name), error: redactNullable(record.error) } };
    }
  }
}
