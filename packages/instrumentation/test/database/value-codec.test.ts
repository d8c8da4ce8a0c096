import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from '../../src/database/value-codec.js';

describe('database values through JSON', () => {
  it('come back as the kinds of values the client gave the app', () => {
    const row = {
      id: 42,
      total: '19.99',
      paid_at: new Date('2026-11-30T10:00:00.123Z'),
      receipt: Buffer.from([0, 1, 2, 255]),
      big: 9007199254740993n,
      meta: { tags: ['a', 'b'], nested: { ok: true } },
      missing: null,
      odd: Number.NaN,
      dollar: { $date: 'not a tag, a column value' },
    };
    const json = JSON.parse(JSON.stringify(encodeValue(row)));
    const back = decodeValue(json) as typeof row;
    expect(back).toEqual({ ...row, odd: Number.NaN });
    expect(back.paid_at).toBeInstanceOf(Date);
    expect(Buffer.isBuffer(back.receipt)).toBe(true);
    expect(typeof back.big).toBe('bigint');
    expect(back.dollar).toEqual({ $date: 'not a tag, a column value' });
  });

  it('keeps row arrays (rowMode array) as arrays', () => {
    const rows = [[1, 'a', new Date(0)], [2, 'b', null]];
    expect(decodeValue(JSON.parse(JSON.stringify(encodeValue(rows))))).toEqual(rows);
  });
});
