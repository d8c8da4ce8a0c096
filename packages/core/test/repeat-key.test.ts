import { describe, expect, it } from 'vitest';
import { canonicalJson, inputHash, normalizeRequest, parseJsonExact, repeatKey, sha256Hex } from '@tracetape/core';

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

describe('repeatKey and the input hash, pinned', () => {
  // Computed by d86e63d's build, before the key was hashed in parts and short key lists sorted in
  // place: recordings made then must still find their retries and their calls.
  it('gives the keys stored recordings hold', () => {
    const body = Buffer.from(JSON.stringify({ amount: 1250, currency: 'eur', order: 'A-17', note: 'refund ü 😀', idempotency_key: 'k-1', requested_at: '2026-12-07T18:00:00Z' }));
    const refund = normalizeRequest({ method: 'post', url: 'https://pay.example.com/v1/refunds?b=2&a=1&request_id=9', headers: [['Content-Type', 'application/json']], body });
    const nested = normalizeRequest({ method: 'POST', url: 'https://pay.example.com/v1/refunds', headers: [['content-type', 'application/json']], body: Buffer.from('{"b":{"y":1,"x":[{"d":1,"c":2}]},"a":"z"}') });
    expect(repeatKey(refund)).toBe('db2fedd6f83901fdcde53ed702f3eb4ce979bd286a6ef1d52e946f6de4ec34cb');
    expect(repeatKey(nested)).toBe('7c7bcc8d6aa3c1421aca97862362a860a482077e7b1f2b9507086aa5bb02e328');
    expect(inputHash(refund)).toBe('a86f5b3a95dbad00cfc8b7409136af6358f7ee41a00de2324e3e4e9190f3b442');
  });
});
