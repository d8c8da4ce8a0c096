import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, hasLongDigitRun, parseJsonExact } from '../src/canonical-json.js';

describe('hasLongDigitRun', () => {
  it('agrees with /\\d{16}/ on any text, wherever the digits fall', () => {
    const pieces = fc.oneof(fc.stringMatching(/^[0-9]{1,40}$/), fc.string({ maxLength: 20 }), fc.constantFrom('"', ',', ' ', 'é', '٣'));
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        expect(hasLongDigitRun(text)).toBe(/\d{16}/.test(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('finds a run of exactly 16 at every offset, and none of 15', () => {
    for (let offset = 0; offset < 40; offset++) {
      const pad = 'x'.repeat(offset);
      expect(hasLongDigitRun(`${pad}${'7'.repeat(16)}y`)).toBe(true);
      expect(hasLongDigitRun(`${pad}${'7'.repeat(15)}y${'7'.repeat(15)}`)).toBe(false);
    }
  });
});

describe('parseJsonExact', () => {
  it('keeps integers beyond 2^53 as written, so two of them stay two requests', () => {
    const a = canonicalJson(parseJsonExact('{"id":12345678901234567890}'));
    const b = canonicalJson(parseJsonExact('{"id":12345678901234567891}'));
    expect(a).toBe('{"id":12345678901234567890}');
    expect(b).toBe('{"id":12345678901234567891}');
  });

  it('parses a body without a long number as JSON.parse does', () => {
    const text = '{"b":[1,2.5,"x"],"a":{"n":null,"t":true}}';
    expect(parseJsonExact(text)).toEqual(JSON.parse(text));
  });
});

describe('canonicalJson', () => {
  // The order every stored input hash was computed with: Array.prototype.sort's, by UTF-16 code units.
  const reference = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(reference);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = reference((value as Record<string, unknown>)[key]);
    return out;
  };
  const key = fc.oneof(fc.string({ maxLength: 6 }), fc.stringMatching(/^[0-9]{1,3}$/), fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom('a', 'B', '_', 'é', '😀', '10', '9', ''));

  it('sorts keys as Array.prototype.sort does, in short objects and in long ones', () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(key, tie('node'), { maxKeys: 40 })),
    })).node;
    fc.assert(
      fc.property(value, (input) => {
        expect(canonicalJson(input)).toBe(JSON.stringify(reference(input)));
      }),
      { numRuns: 1000 },
    );
  });

  // Integer-like keys come first, in numeric order, whatever the sort says: an object keeps them so.
  it('writes a request as every recording before it did', () => {
    const request = { url: 'https://api.example.com/v1?b=2', method: 'POST', headers: { 'content-type': 'application/json' }, body: { size: 3, encoding: 'utf8', data: '{}' } };
    // By UTF-16 code units, not code points: an astral character (a surrogate pair) before U+FFFF.
    expect(canonicalJson({ z: 1, '\uFFFF': 6, '10': 2, '😀': 7, '9': 3, A: 4, a: [{ y: 1, x: 2 }], é: 5, request })).toBe(
      '{"9":3,"10":2,"A":4,"a":[{"x":2,"y":1}],"request":{"body":{"data":"{}","encoding":"utf8","size":3},"headers":{"content-type":"application/json"},"method":"POST","url":"https://api.example.com/v1?b=2"},"z":1,"é":5,"😀":7,"\uFFFF":6}',
    );
  });
});
