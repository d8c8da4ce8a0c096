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
