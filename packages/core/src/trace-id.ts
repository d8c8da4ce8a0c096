import { InvalidTraceIdError } from './errors.js';

/** Accepts a trace ID in any case and returns it lower-cased; anything that is not 32 hex digits is refused. */
export function parseTraceId(input: string): string {
  const id = input.trim().toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(id) || /^0+$/.test(id)) throw new InvalidTraceIdError(input);
  return id;
}
