// Which build a proxy request came from. The proxy sees a URL, not the container that asked;
// while a service builds, a download or failed try that names no service is that service's,
// and — when exactly one step that can reach the network (RUN, ADD) is running — that step's.
// With several running (parallel stages) the step stays unknown rather than guessed.
import type { CaptureEvent } from '../capture/events.js';

export function attributeToBuild(event: CaptureEvent, service: string, openSteps: readonly string[]): CaptureEvent {
  if (event.type !== 'download' && event.type !== 'network_attempt') return event;
  if (event.service !== null || event.step !== null) return event;
  return { ...event, service, step: openSteps.length === 1 ? openSteps[0]! : null };
}
