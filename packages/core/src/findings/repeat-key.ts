import { decodeBody } from '../body.js';
import { canonicalJson, parseJsonExact } from '../canonical-json.js';
import { sha256Hex } from '../hash.js';
import type { NormalizedRequest } from '../tape.js';

/*
 * Two side effects are "the same thing done twice" when they asked for the same change: same
 * operation, same target, same arguments. A retry rarely sends the bytes of the first attempt
 * exactly: it carries a fresh idempotency key, a new timestamp, a new request ID. Those fields are
 * set aside before comparing, by name and by shape, so the retry of a refund still reads as the
 * refund it repeats.
 */

/** Field and query-parameter names whose values change from one attempt to the next and say nothing of what is asked. */
const VOLATILE_NAME = /^(?:idempotency[-_]?key|request[-_]?id|x[-_]request[-_]id|nonce|timestamp|ts|time|sent[-_]?at|created[-_]?at|updated[-_]?at|requested[-_]?at|attempt|retry|retry[-_]?count|trace[-_]?id|span[-_]?id|correlation[-_]?id)$/i;
/** ISO-8601 date-times (`2026-12-03T13:36:16.123Z`): a clock reading, whatever the field is called. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;
/** What a clock reading is replaced by. */
const SET_ASIDE = '<volatile>';

/** Hex SHA-256 of the request with its volatile fields set aside: equal for a retry of the same change. */
export function repeatKey(request: Pick<NormalizedRequest, 'method' | 'url' | 'body'>): string {
  return sha256Hex(canonicalJson({ method: request.method.toUpperCase(), url: stableUrl(request.url), body: stableBody(request) }));
}

function stableUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const params = new URLSearchParams(url.slice(query + 1));
  const kept = [...params].filter(([name]) => !VOLATILE_NAME.test(name)).map(([name, value]) => [name, ISO_INSTANT.test(value) ? SET_ASIDE : value]);
  return `${url.slice(0, query)}?${new URLSearchParams(kept).toString()}`;
}

function stableBody(request: Pick<NormalizedRequest, 'body'>): unknown {
  const body = request.body;
  if (!body) return null;
  if (body.encoding !== 'utf8') return body.data;
  let document: unknown;
  try {
    document = parseJsonExact(Buffer.from(decodeBody(body)).toString('utf8'));
  } catch {
    return body.data;
  }
  return setAsideVolatile(document);
}

function setAsideVolatile(value: unknown): unknown {
  if (typeof value === 'string') return ISO_INSTANT.test(value) ? SET_ASIDE : value;
  if (Array.isArray(value)) return value.map(setAsideVolatile);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    // Dropped, not blanked: a retry may add a field the first attempt lacked (`retry: 1`).
    if (!VOLATILE_NAME.test(key)) out[key] = setAsideVolatile(inner);
  }
  return out;
}
