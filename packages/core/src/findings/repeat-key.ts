import { isCanonicalJsonBody } from '../body.js';
import { canonicalJson, parseJsonExact } from '../canonical-json.js';
import { sha256HexOfParts } from '../hash.js';
import type { NormalizedRequest } from '../tape.js';

/*
 * Two side effects are "the same thing done twice" when they asked for the same change: same
 * operation, same target, same arguments. A retry rarely sends the bytes of the first attempt
 * exactly: it carries a fresh idempotency key, a new timestamp, a new request ID. Those fields are
 * set aside before comparing, by name and by shape, so the retry of a refund still reads as the
 * refund it repeats.
 */

/** Field and query-parameter names whose values change from one attempt to the next and say nothing of what is asked. */
const VOLATILE_NAMES = 'idempotency[-_]?key|request[-_]?id|x[-_]request[-_]id|nonce|timestamp|ts|time|sent[-_]?at|created[-_]?at|updated[-_]?at|requested[-_]?at|attempt|retry|retry[-_]?count|trace[-_]?id|span[-_]?id|correlation[-_]?id';
const VOLATILE_NAME = new RegExp(`^(?:${VOLATILE_NAMES})$`, 'i');
/** ISO-8601 date-times (`2026-12-03T13:36:16.123Z`): a clock reading, whatever the field is called. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;
/** What a clock reading is replaced by. */
const SET_ASIDE = '<volatile>';

/**
 * Text that may hold something to set aside: a volatile name or an ISO date-time inside a string;
 * or something the walk below writes differently from canonical JSON: `__proto__` (which an object
 * literal cannot copy as a key) and integers beyond 2^53 (kept exact, which the walk turns into
 * objects). A body without any is its own stable form: one scan, no re-serialisation.
 */
const MAYBE_VOLATILE = new RegExp(`"(?:${VOLATILE_NAMES}|__proto__)"|"\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}|\\d{16}`, 'i');

/** Hex SHA-256 of the request with its volatile fields set aside: equal for a retry of the same change. */
export function repeatKey(request: Pick<NormalizedRequest, 'method' | 'url' | 'body'>): string {
  // canonicalJson({ method, url, body }), written out: the keys in sorted order, the body already
  // canonical, hashed in parts so the body is not copied into one more string.
  return sha256HexOfParts(['{"body":', stableBodyJson(request), `,"method":${JSON.stringify(request.method.toUpperCase())},"url":${JSON.stringify(stableUrl(request.url))}}`]);
}

function stableUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const params = new URLSearchParams(url.slice(query + 1));
  const kept = [...params].filter(([name]) => !VOLATILE_NAME.test(name)).map(([name, value]) => [name, ISO_INSTANT.test(value) ? SET_ASIDE : value]);
  return `${url.slice(0, query)}?${new URLSearchParams(kept).toString()}`;
}

/** The canonical JSON of the body with its volatile fields set aside (the body's text, as a JSON string, when it is no JSON). */
function stableBodyJson(request: Pick<NormalizedRequest, 'body'>): string {
  const body = request.body;
  if (!body) return 'null';
  if (body.encoding !== 'utf8') return JSON.stringify(body.data);
  const text = body.data;
  // A normalised JSON body is canonical JSON already (normalizeRequest made it so): with nothing to
  // set aside it is the answer as it stands, once it is known to be JSON at all.
  if ((text.startsWith('{') || text.startsWith('[')) && !MAYBE_VOLATILE.test(text) && (isCanonicalJsonBody(body) || isJson(text))) return text;
  let document: unknown;
  try {
    document = parseJsonExact(text);
  } catch {
    return JSON.stringify(text);
  }
  return canonicalJson(setAsideVolatile(document));
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
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
