import { describe, expect, it } from 'vitest';
import type { PayloadRow } from '../src/index.js';
import { WrittenPayloads } from '../src/written-payloads.js';

function row(hash: string, day = '2026-12-03'): PayloadRow {
  return { Hash: hash, Data: `data of ${hash}`, Size: 8, Timestamp: `${day} 10:00:00.000000000` };
}

const hashes = (rows: readonly PayloadRow[]) => rows.map((r) => r.Hash);

describe('WrittenPayloads', () => {
  it('hands out a row once, and each hash once per batch', () => {
    const written = new WrittenPayloads();
    const first = written.unwritten([row('a'), row('b'), row('a')]);
    expect(hashes(first)).toEqual(['a', 'b']);
    written.markWritten(first);
    expect(hashes(written.unwritten([row('a'), row('c'), row('b')]))).toEqual(['c']);
  });

  it('hands a row out again on a new day, so no span refers to a chunk that expires before it', () => {
    const written = new WrittenPayloads();
    written.markWritten([row('a')]);
    expect(hashes(written.unwritten([row('a', '2026-12-04')]))).toEqual(['a']);
  });

  it('hands out again what was offered but never marked written (a batch that was lost)', () => {
    const written = new WrittenPayloads();
    expect(hashes(written.unwritten([row('a')]))).toEqual(['a']);
    expect(hashes(written.unwritten([row('a')]))).toEqual(['a']);
  });

  it('stays within its limit, forgetting keys no longer used and keeping the ones still resent', () => {
    const limit = 100;
    const written = new WrittenPayloads(limit);
    written.markWritten([row('hot'), row('cold')]);
    for (let i = 0; i < limit * 5; i++) {
      // The hot chunk is resent on every call, as a conversation's system prompt is.
      const rows = written.unwritten([row('hot'), row(`fresh-${i}`)]);
      expect(hashes(rows)).toEqual([`fresh-${i}`]);
      written.markWritten(rows);
    }
    expect(hashes(written.unwritten([row('hot')]))).toEqual([]);
    expect(hashes(written.unwritten([row('cold')]))).toEqual(['cold']);
    // Forgotten beyond the limit: the oldest fresh chunks are handed out again, the newest are not.
    expect(hashes(written.unwritten([row('fresh-0')]))).toEqual(['fresh-0']);
    expect(hashes(written.unwritten([row(`fresh-${limit * 5 - 1}`)]))).toEqual([]);
    const remembered = Array.from({ length: limit * 5 }, (_, i) => row(`fresh-${i}`)).filter((r) => written.unwritten([r]).length === 0);
    expect(remembered.length).toBeGreaterThan(0);
    expect(remembered.length).toBeLessThanOrEqual(limit);
  });
});
