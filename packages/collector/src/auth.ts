import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const BEARER = /^Bearer\s+(.+)$/i;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Checks `Authorization: Bearer <token>`. Compares digests in constant time, so neither the
 * token's length nor its prefix leaks through response timing.
 */
export function bearerTokenCheck(token: string | undefined): (headers: IncomingHttpHeaders) => boolean {
  if (!token) return () => true;
  const expected = digest(token);
  return (headers) => {
    const match = BEARER.exec(headers.authorization ?? '');
    return match !== null && timingSafeEqual(digest(match[1]!.trim()), expected);
  };
}
