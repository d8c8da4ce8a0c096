import type { PayloadRow } from './store.js';

/** Enough keys to cover a long conversation's chunks (~1 KB each) at a few MB of memory. */
export const DEFAULT_WRITTEN_PAYLOADS_LIMIT = 20_000;

/**
 * The payload rows this store has written, by day partition and hash, so a chunk resent on every
 * call of a conversation is inserted once a day rather than once a call. Keyed by day because
 * retention drops payloads by day partition: a span written on a new day gets its chunks written
 * again into that day, and so never refers to a chunk that expires before it does.
 *
 * Only rows known to be stored are remembered (after the insert succeeded); forgetting is always
 * safe, it only costs a rewrite that merges away.
 */
export class WrittenPayloads {
  private readonly keys = new Map<string, true>();

  constructor(private readonly limit: number = DEFAULT_WRITTEN_PAYLOADS_LIMIT) {}

  /** The rows still to write: not written before, each (day, hash) once. */
  unwritten(rows: readonly PayloadRow[]): PayloadRow[] {
    const seen = new Set<string>();
    return rows.filter((row) => {
      const key = payloadRowKey(row);
      if (seen.has(key) || this.keys.has(key)) {
        // Refresh: a chunk in use stays remembered.
        if (this.keys.delete(key)) this.keys.set(key, true);
        return false;
      }
      seen.add(key);
      return true;
    });
  }

  markWritten(rows: readonly PayloadRow[]): void {
    for (const row of rows) {
      const key = payloadRowKey(row);
      this.keys.delete(key);
      this.keys.set(key, true);
    }
    // Maps iterate in insertion order: the first keys are the least recently used.
    for (const key of this.keys.keys()) {
      if (this.keys.size <= this.limit) break;
      this.keys.delete(key);
    }
  }
}

/**
 * What identifies a stored payload row: its day partition and its hash. Timestamps are
 * 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn', so the first ten characters are the partition's day.
 */
export function payloadRowKey(row: PayloadRow): string {
  return row.Timestamp.slice(0, 10) + row.Hash;
}
