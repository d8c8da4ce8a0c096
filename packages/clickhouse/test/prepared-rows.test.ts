import { describe, expect, it } from 'vitest';
import { PreparedRows } from '../src/prepared-rows.js';

describe('PreparedRows', () => {
  it('encodes a prepared row once and hands back that encoding at insert time', () => {
    const encoded: object[] = [];
    const rows = new PreparedRows((row: { id: string }) => {
      encoded.push(row);
      return JSON.stringify(row);
    });
    const row = { id: 'a' };
    rows.prepare([row, row]);
    expect(rows.get(row)).toBe('{"id":"a"}');
    expect(encoded).toEqual([row]);
  });

  it('encodes a row nobody prepared when it is asked for', () => {
    const rows = new PreparedRows((row: { id: string }) => row.id.toUpperCase());
    expect(rows.get({ id: 'b' })).toBe('B');
  });
});
