import { REDACTED } from './redact.js';
import type { CapturedRequest } from './tape.js';

/**
 * The names, never the values, of the credentials a request carried, as redaction left them:
 * `header:authorization` for a header whose value it replaced, `query:api_key` for a query parameter,
 * plus what the door knows on its own (`user:shop_app`, the database user). Sorted, each once, so
 * an inventory can list which secrets a system is reached with without ever storing one.
 */
export function credentialNames(request: CapturedRequest, doorCredentials: readonly string[] = []): string[] {
  const names = new Set(doorCredentials);
  for (const [name, value] of request.headers) if (value.includes(REDACTED)) names.add(`header:${name.toLowerCase()}`);
  const url = request.normalized.url;
  const queryAt = url.indexOf('?');
  if (queryAt >= 0) {
    for (const [name, value] of new URLSearchParams(url.slice(queryAt + 1))) if (value.includes(REDACTED)) names.add(`query:${name.toLowerCase()}`);
  }
  return [...names].sort();
}
