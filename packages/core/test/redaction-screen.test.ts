import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SECRET_PATTERNS, SecretPatterns, withoutLeadingLookbehind } from '../src/redact-patterns.js';

describe('the secret pattern screen', () => {
  it('turns a leading lookbehind into a prefix and leaves other patterns alone', () => {
    expect(withoutLeadingLookbehind(String.raw`(?<=\b[Bb]earer\s+)[A-Za-z0-9._~+/-]{8,}=*`)).toBe(
      String.raw`(?:\b[Bb]earer\s+)[A-Za-z0-9._~+/-]{8,}=*`,
    );
    expect(withoutLeadingLookbehind(String.raw`(?<=key=\(x\)[)(])\w+`)).toBe(String.raw`(?:key=\(x\)[)(])\w+`);
    expect(withoutLeadingLookbehind(String.raw`\bsk-[A-Za-z0-9_-]{20,}`)).toBe(String.raw`\bsk-[A-Za-z0-9_-]{20,}`);
    expect(withoutLeadingLookbehind(String.raw`a(?<=a)b`)).toBe(String.raw`a(?<=a)b`);
  });

  it('redacts exactly what the patterns alone would', () => {
    const unscreened = new RegExp(DEFAULT_SECRET_PATTERNS.map((p) => `(?:${p})`).join('|'), 'gu');
    const patterns = new SecretPatterns([...DEFAULT_SECRET_PATTERNS, String.raw`(?<=token:)\d{6}`]);
    const alsoToken = new RegExp(`${unscreened.source}|(?:(?<=token:)\\d{6})`, 'gu');
    const pieces = fc.constantFrom(
      'Bearer abcdefgh12345678',
      'bearer  x.y~z+/abc==',
      'Authorization: Bearer short',
      'sk-' + 'a'.repeat(24),
      'AKIAABCDEFGHIJKLMNOP',
      'token:123456',
      'token: 123456',
      'eyJhbGciOi.eyJzdWIiOi.sig',
      ' plain words ',
      '{"role":"user"}',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string({ maxLength: 12 })), { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        expect(patterns.redact(text, '[REDACTED]')).toBe(text.replace(alsoToken, '[REDACTED]'));
        expect(patterns.test(text)).toBe(new RegExp(alsoToken.source, 'u').test(text));
      }),
      { numRuns: 500 },
    );
  });
});
