import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Hex, sha256HexOfParts } from '../src/hash.js';

describe('sha256HexOfParts', () => {
  it('is the hash of the parts joined, whatever whole strings they hold', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 200 }), { maxLength: 6 }), (parts) => {
        expect(sha256HexOfParts(parts)).toBe(sha256Hex(parts.join('')));
      }),
      { numRuns: 500 },
    );
  });

  it('hashes a body-sized part as the one-shot hash does', () => {
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'ü'.repeat(20_000) }] });
    expect(sha256HexOfParts(['{"body":', body, ',"method":"POST"}'])).toBe(sha256Hex(`{"body":${body},"method":"POST"}`));
    expect(sha256HexOfParts([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('encodes a lone surrogate as the one-shot hash does, and a pair only whole within a part', () => {
    // Both write U+FFFD for a lone surrogate, so a body holding one (not from a strict decoder) keeps its key.
    expect(sha256HexOfParts(['{"body":', 'x\uD83D', ',"m":1}'])).toBe(sha256Hex('{"body":x\uD83D,"m":1}'));
    // Split across parts, a pair is two lone halves: callers keep each part whole.
    expect(sha256HexOfParts(['\uD83D', '\uDE00'])).not.toBe(sha256Hex('\uD83D\uDE00'));
  });
});
