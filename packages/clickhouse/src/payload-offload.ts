import { PAYLOAD_ATTRIBUTES, PAYLOAD_REF_PREFIX, PayloadMissingError, sha256Hex } from '@tracetape/core';
import type { PayloadRow, SpanRow, SpanStore } from './store.js';

/** Above this size a payload attribute moves to the payload table. */
export const DEFAULT_PAYLOAD_THRESHOLD_BYTES = 2048;

/**
 * Moves large payload attributes of `row` (in place) into payload rows and leaves a reference in
 * their place: reading any one key of SpanAttributes decompresses the whole map, so megabytes of
 * response bodies there would slow every query on the span table.
 */
export function offloadPayloads(row: SpanRow, thresholdBytes: number = DEFAULT_PAYLOAD_THRESHOLD_BYTES): PayloadRow[] {
  const payloads: PayloadRow[] = [];
  for (const key of PAYLOAD_ATTRIBUTES) {
    const value = row.SpanAttributes[key];
    if (value === undefined || value.startsWith(PAYLOAD_REF_PREFIX)) continue;
    const size = Buffer.byteLength(value, 'utf8');
    if (size <= thresholdBytes) continue;
    const hash = sha256Hex(value);
    payloads.push({ Hash: hash, Data: value, Size: size, Timestamp: row.Timestamp });
    row.SpanAttributes[key] = PAYLOAD_REF_PREFIX + hash;
  }
  return payloads;
}

function payloadRef(value: string | undefined): string | undefined {
  return value?.startsWith(PAYLOAD_REF_PREFIX) ? value.slice(PAYLOAD_REF_PREFIX.length) : undefined;
}

/**
 * Puts payload text back in place of references (in place, and returns the rows). Rows whose
 * payloads are inline, as a Collector pipeline writes them, pass through untouched.
 * @throws PayloadMissingError when a referenced payload is not in the store.
 */
export async function resolvePayloadRefs(rows: SpanRow[], store: Pick<SpanStore, 'getPayloads'>): Promise<SpanRow[]> {
  const wanted = new Set<string>();
  for (const row of rows) {
    for (const key of PAYLOAD_ATTRIBUTES) {
      const hash = payloadRef(row.SpanAttributes[key]);
      if (hash) wanted.add(hash);
    }
  }
  if (wanted.size === 0) return rows;
  const payloads = await store.getPayloads([...wanted]);
  for (const row of rows) {
    for (const key of PAYLOAD_ATTRIBUTES) {
      const ref = row.SpanAttributes[key];
      const hash = payloadRef(ref);
      if (!hash) continue;
      const data = payloads.get(hash);
      if (data === undefined) throw new PayloadMissingError(ref!, row.SpanId);
      row.SpanAttributes[key] = data;
    }
  }
  return rows;
}
