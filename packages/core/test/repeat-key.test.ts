import { describe, expect, it } from 'vitest';
import { canonicalJson, normalizeRequest, parseJsonExact, repeatKey, sha256Hex } from '@tracetape/core';

/**
 * The repeat key as first defined, written the slow way: parse every body, drop the volatile
 * fields, serialise canonically. repeatKey takes a shortcut for bodies with nothing to drop; these
 * cases pin that the shortcut never changes a key (keys already stored must keep matching).
 */
const VOLATILE = /^(?:idempotency[-_]?key|request[-_]?id|x[-_]request[-_]id|nonce|timestamp|ts|time|sent[-_]?at|created[-_]?at|updated[-_]?at|requested[-_]?at|attempt|retry|retry[-_]?count|trace[-_]?id|span[-_]?id|correlation[-_]?id)$/i;
const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

function setAside(value: unknown): unknown {
  if (typeof value === 'string') return ISO.test(value) ? '<volatile>' : value;
  if (Array.isArray(value)) return value.map(setAside);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (!VOLATILE.test(key)) out[key] = setAside(inner);
  return out;
}

function slowKey(method: string, url: string, text: string | undefined, contentType = 'application/json'): string {
  const normalized = normalizeRequest({ method, url, headers: [['content-type', contentType]], body: text === undefined ? undefined : Buffer.from(text) });
  let body: unknown = null;
  if (normalized.body) {
    try {
      body = setAside(parseJsonExact(normalized.body.data));
    } catch {
      body = normalized.body.data;
    }
  }
  return sha256Hex(canonicalJson({ method, url: normalized.url, body }));
}

function fastKey(method: string, url: string, text: string | undefined, contentType = 'application/json'): string {
  return repeatKey(normalizeRequest({ method, url, headers: [['content-type', contentType]], body: text === undefined ? undefined : Buffer.from(text) }));
}

describe('repeatKey, shortcut and slow way', () => {
  const bodies: Array<[string, string | undefined, string?]> = [
    ['no body', undefined],
    ['an object with nothing volatile, keys out of order', '{"z":1,"a":{"y":[1,2,{"b":2,"a":1}],"x":"text"}}'],
    ['an array at the top', '[{"b":1,"a":2},3]'],
    ['a volatile key', '{"amount":5,"idempotency_key":"k-1"}'],
    ['a nested volatile key in another case', '{"order":{"Request-Id":"r1","sku":"x"}}'],
    ['an ISO date-time value', '{"when":"2026-12-03T10:00:00Z","what":"refund"}'],
    ['a date-time-looking key, kept', '{"2026-12-03T10:00":"a"}'],
    ['text that starts like JSON and is not', '{not json'],
    ['plain text', 'refund order 7', 'text/plain'],
    ['JSON under a text type', '{"b":1,"a":2}', 'text/plain'],
    ['whitespace around JSON', '  {"b": 1, "a": 2}  '],
    ['an integer beyond 2^53', '{"id":12345678901234567891,"n":1}'],
    ['a quoted volatile word inside a value', '{"note":"the \\"nonce\\" field","a":1}'],
    ['a __proto__ key', '{"__proto__":{"x":1},"a":1}'],
    ['unicode and escapes', '{"name":"Zoë \\u2028 \\"q\\"","tab":"\\t"}'],
  ];
  for (const [name, body, contentType] of bodies) {
    it(`gives the same key: ${name}`, () => {
      expect(fastKey('POST', 'http://shop.test/refunds?b=2&a=1', body, contentType)).toBe(slowKey('POST', 'http://shop.test/refunds?a=1&b=2', body, contentType));
    });
  }
  for (const [name, body, contentType] of bodies) {
    it(`gives the same key for a body read back from storage (not known to be JSON): ${name}`, () => {
      const normalized = normalizeRequest({ method: 'POST', url: 'http://shop.test/refunds', headers: [['content-type', contentType ?? 'application/json']], body: body === undefined ? undefined : Buffer.from(body) });
      const readBack = JSON.parse(JSON.stringify(normalized)) as typeof normalized;
      expect(repeatKey(readBack)).toBe(repeatKey(normalized));
    });
  }
});
