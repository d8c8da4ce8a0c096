import { InvalidTraceIdError } from './errors.js';

/** Accepts a trace ID in any case and returns it lower-cased; anything that is not 32 hex digits is refused. */
export function parseTraceId(input: string): string {
  const id = input.trim().toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(id) || /^0+$/.test(id)) throw new InvalidTraceIdError(input);
  return id;
}

/**
 * The fewest hex digits taken as the start of a trace ID. Eight is what fixture file names and
 * the README show; fewer would match too many runs to be worth typing.
 */
export const MIN_TRACE_ID_PREFIX = 8;

/** A trace ID as typed: a whole one, or a prefix that the store must resolve. */
export type TraceRef = { id: string; prefix?: undefined } | { prefix: string; id?: undefined };

/**
 * Accepts a whole trace ID (checked exactly as {@link parseTraceId} does) or the first 8 to 31 of
 * its hex digits, lower-cased. Anything else is refused.
 */
export function parseTraceRef(input: string): TraceRef {
  const text = input.trim().toLowerCase();
  if (text.length === 32) {
    if (!/^[0-9a-f]{32}$/.test(text) || /^0+$/.test(text)) throw new InvalidTraceIdError(input, true);
    return { id: text };
  }
  if (text.length >= MIN_TRACE_ID_PREFIX && text.length < 32 && /^[0-9a-f]+$/.test(text)) return { prefix: text };
  throw new InvalidTraceIdError(input, true);
}
