// Times as the guide's files show them: names in local time (YYYYMMDD_HHMMSS), contents
// in ISO 8601 with the local offset (2026-01-09T14:22:33.120+01:00).

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `20260109_142233`, local time. */
export function sessionStamp(date: Date): string {
  return (
    `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}_` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`
  );
}

/** The last time formatted: a busy proxy stamps many records within one millisecond. */
let lastFormatted = { ms: Number.NaN, text: '' };

/** ISO 8601 in local time with its offset, to the millisecond. */
export function isoLocal(date: Date): string {
  const ms = date.getTime();
  if (ms !== lastFormatted.ms) lastFormatted = { ms, text: formatIsoLocal(date) };
  return lastFormatted.text;
}

function formatIsoLocal(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}
