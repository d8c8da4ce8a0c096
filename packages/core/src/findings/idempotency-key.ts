import { REDACTED } from '../redact.js';

/**
 * The `Idempotency-Key` header of a request, in any case; undefined when it carried none, or when
 * redaction replaced it (a redacted key says nothing about whether two calls carried the same one).
 */
export function idempotencyKeyOf(headers: ReadonlyArray<readonly [string, string]>): string | undefined {
  const value = headers.find(([name]) => name.toLowerCase() === 'idempotency-key')?.[1];
  return value === undefined || value === REDACTED ? undefined : value;
}
