import { decodeValue, encodeValue, type EncodedValue } from '../database/value-codec.js';

/**
 * Redis values (command arguments, replies of any RESP type) as JSON, on top of the database value
 * codec (value-codec.ts), with what a Redis client adds:
 *
 *   { "$utf8": "text" }                         a Buffer that holds UTF-8 text (bulk strings mostly
 *                                               arrive as Buffers); kept readable so that the tape
 *                                               reads, and so that the secret patterns see the text
 *                                               (base64 would hide a secret from the redaction)
 *   { "$error": { "name": …, "message": … } }   an error reply inside a reply (an EXEC element)
 *   { "$map": [[key, value], …] }               a RESP3 map the client kept as a Map
 *   { "$set": [value, …] }                      a RESP3 set the client kept as a Set
 *
 * Buffers that are not UTF-8 stay `$bytes` (base64), and everything else is the codec's. A String
 * object (RESP3 verbatim string) is kept as its text.
 */
const OWN_TAGS = new Set(['$utf8', '$error', '$map', '$set']);
const CODEC_TAGS = new Set(['$date', '$bytes', '$bigint', '$number', '$undefined', '$object']);

/** An error reply as the tape keeps it: its class (SimpleError, ReplyError, WatchError…) and message. */
export interface StoredRedisError {
  name: string;
  message: string;
}

export function encodeRedisValue(value: unknown): EncodedValue {
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const text = bytes.toString('utf8');
    return Buffer.byteLength(text, 'utf8') === bytes.length && Buffer.from(text, 'utf8').equals(bytes) ? { $utf8: text } : encodeValue(value);
  }
  if (value instanceof Error) return { $error: { name: errorName(value), message: value.message } };
  if (value instanceof String) return value.valueOf();
  if (Array.isArray(value)) return value.map(encodeRedisValue);
  if (value instanceof Map) return { $map: [...value].map(([key, item]) => [encodeRedisValue(key), encodeRedisValue(item)]) };
  if (value instanceof Set) return { $set: [...value].map(encodeRedisValue) };
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: { [key: string]: EncodedValue } = {};
    let tagLike = false;
    for (const [key, item] of Object.entries(value)) {
      if (key.startsWith('$')) tagLike = true;
      out[key] = encodeRedisValue(item);
    }
    return tagLike ? { $object: out } : out;
  }
  return encodeValue(value);
}

/** The value the client had; `makeError` rebuilds an error reply as the client's own error class. */
export function decodeRedisValue(value: EncodedValue, makeError: (stored: StoredRedisError) => Error): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => decodeRedisValue(item, makeError));
  const keys = Object.keys(value);
  const tag = keys.length === 1 ? keys[0]! : undefined;
  if (tag !== undefined && OWN_TAGS.has(tag)) {
    const inner = value[tag]!;
    switch (tag) {
      case '$utf8':
        return Buffer.from(String(inner), 'utf8');
      case '$error':
        return makeError(inner as unknown as StoredRedisError);
      case '$map':
        return new Map((inner as EncodedValue[][]).map(([key, item]) => [decodeRedisValue(key!, makeError), decodeRedisValue(item!, makeError)]));
      case '$set':
        return new Set((inner as EncodedValue[]).map((item) => decodeRedisValue(item, makeError)));
    }
  }
  if (tag === '$object') return decodeObject(value[tag] as { [key: string]: EncodedValue }, makeError);
  if (tag !== undefined && CODEC_TAGS.has(tag)) return decodeValue(value);
  return decodeObject(value, makeError);
}

/** The name an error goes by on the tape: its class when it has one of its own (SimpleError), else its `name`. */
export function errorName(error: Error): string {
  const constructorName = error.constructor?.name;
  return constructorName && constructorName !== 'Error' ? constructorName : error.name;
}

function decodeObject(value: { [key: string]: EncodedValue }, makeError: (stored: StoredRedisError) => Error): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = decodeRedisValue(item, makeError);
  return out;
}
