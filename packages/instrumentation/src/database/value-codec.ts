/**
 * Values a database client hands the app (Dates, Buffers, bigints, JSON documents) as JSON that
 * says what they were, so a replay gives the app the same kinds of values it saw, without running
 * the client's own type parsers again. A value is either plain JSON or one tagged object:
 *
 *   { "$date": "2026-01-02T03:04:05.678Z" }   { "$bytes": "<base64>" }   { "$bigint": "123" }
 *   { "$number": "NaN" }   { "$undefined": true }   { "$object": { …keys that start with $… } }
 */
export type EncodedValue = null | boolean | number | string | EncodedValue[] | { [key: string]: EncodedValue };

const TAGS = new Set(['$date', '$bytes', '$bigint', '$number', '$undefined', '$object']);

export function encodeValue(value: unknown): EncodedValue {
  if (value === null) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : { $number: String(value) };
    case 'bigint':
      return { $bigint: value.toString() };
    case 'undefined':
      return { $undefined: true };
    case 'object':
      break;
    default:
      // Functions and symbols are not data a database returns; keep a trace of what was there.
      return String(value);
  }
  if (value instanceof Date) return { $date: Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString() };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return value.map(encodeValue);
  const out: { [key: string]: EncodedValue } = {};
  let tagLike = false;
  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('$')) tagLike = true;
    out[key] = encodeValue(item);
  }
  return tagLike ? { $object: out } : out;
}

export function decodeValue(value: EncodedValue): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  const keys = Object.keys(value);
  if (keys.length === 1 && TAGS.has(keys[0]!)) {
    const tag = keys[0]!;
    const inner = value[tag]!;
    switch (tag) {
      case '$date':
        return new Date(inner === 'Invalid Date' ? Number.NaN : String(inner));
      case '$bytes':
        return Buffer.from(String(inner), 'base64');
      case '$bigint':
        return BigInt(String(inner));
      case '$number':
        return Number(inner);
      case '$undefined':
        return undefined;
      case '$object':
        return decodeObject(inner as { [key: string]: EncodedValue });
    }
  }
  return decodeObject(value);
}

function decodeObject(value: { [key: string]: EncodedValue }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = decodeValue(item);
  return out;
}
