/**
 * Milliseconds since the epoch of an ISO time, keeping the digits past the millisecond that Date
 * drops (stored times carry nanoseconds, and calls a few microseconds apart are common).
 */
export function isoToMs(iso: string): number {
  const match = /^(.*?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(iso);
  if (!match) return Number.NaN;
  const whole = Date.parse(`${match[1]}${match[3] ?? 'Z'}`);
  const fraction = match[2] ? Number(`0.${match[2]}`) * 1000 : 0;
  return whole + fraction;
}
