import { PAYLOAD_ATTRIBUTES, PAYLOAD_REF_PREFIX, PayloadCorruptError, PayloadMissingError, sha256Hex } from '@tracetape/core';
import { DEFAULT_CHUNK_SIZES, splitIntoChunks, type ChunkSizes } from './content-chunks.js';
import { chunkKey, decodeManifest, encodeManifest } from './payload-manifest.js';
import type { PayloadRow, SpanRow, SpanStore } from './store.js';

/** Above this size a payload attribute moves to the payload table. */
export const DEFAULT_PAYLOAD_THRESHOLD_BYTES = 1024;

export interface OffloadOptions {
  /** Payload attributes larger than this (UTF-8 bytes) move to the payload table. */
  thresholdBytes?: number;
  /** Chunk sizes for content-defined chunking; a payload up to `2 * max` characters is stored whole. */
  chunkSizes?: ChunkSizes;
}

/**
 * Moves large payload attributes of `row` (in place) into payload rows and leaves a reference in
 * their place: reading any one key of SpanAttributes decompresses the whole map, so megabytes of
 * response bodies there would slow every query on the span table.
 *
 * Each payload is cut into content-defined chunks stored under their own keys, plus a manifest
 * under the payload's hash, so the history an agent resends on every call is stored once. Every
 * row carries the span's Timestamp: it lands in the span's day partition, which retention drops
 * no earlier than the span's own; and the span's TraceId, beside which the table keeps it.
 */
export function offloadPayloads(row: SpanRow, options: OffloadOptions = {}): PayloadRow[] {
  const { thresholdBytes = DEFAULT_PAYLOAD_THRESHOLD_BYTES, chunkSizes = DEFAULT_CHUNK_SIZES } = options;
  const payloads: PayloadRow[] = [];
  for (const key of PAYLOAD_ATTRIBUTES) {
    const value = row.SpanAttributes[key];
    if (value === undefined || value.startsWith(PAYLOAD_REF_PREFIX)) continue;
    const size = Buffer.byteLength(value, 'utf8');
    if (size <= thresholdBytes) continue;
    const hash = sha256Hex(value);
    // A payload no longer than two of the longest chunks is stored whole: chunking it would add a manifest
    // and rows for little to share, and cost the exporter time on every small call.
    const chunks = value.length > 2 * chunkSizes.max ? splitIntoChunks(value, chunkSizes) : [value];
    if (chunks.length === 1) {
      payloads.push({ TraceId: row.TraceId, Hash: hash, Data: value, Size: size, Timestamp: row.Timestamp });
    } else {
      const keys = chunks.map(chunkKey);
      chunks.forEach((chunk, i) =>
        payloads.push({ TraceId: row.TraceId, Hash: keys[i]!, Data: chunk, Size: Buffer.byteLength(chunk, 'utf8'), Timestamp: row.Timestamp }),
      );
      // Size is the whole payload's, so `ORDER BY Size` over the table still finds the large ones.
      payloads.push({ TraceId: row.TraceId, Hash: hash, Data: encodeManifest(keys), Size: size, Timestamp: row.Timestamp });
    }
    row.SpanAttributes[key] = PAYLOAD_REF_PREFIX + hash;
  }
  return payloads;
}

function payloadRef(value: string | undefined): string | undefined {
  return value?.startsWith(PAYLOAD_REF_PREFIX) ? value.slice(PAYLOAD_REF_PREFIX.length) : undefined;
}

interface Problem {
  kind: 'missing' | 'corrupt';
  detail: string;
}

/** Payload text by hash, reassembled from chunks where stored chunked, each checked against its hash. */
async function loadPayloads(
  hashes: Set<string>,
  traceIds: readonly string[],
  store: Pick<SpanStore, 'getPayloads'>,
): Promise<{ texts: Map<string, string>; problems: Map<string, Problem> }> {
  const texts = new Map<string, string>();
  const problems = new Map<string, Problem>();
  const stored = await store.getPayloads([...hashes], traceIds);
  const manifests = new Map<string, string[]>();
  for (const hash of hashes) {
    const data = stored.get(hash);
    if (data === undefined) continue;
    const keys = decodeManifest(hash, data);
    if (keys) manifests.set(hash, keys);
    else if (sha256Hex(data) === hash) texts.set(hash, data);
    else problems.set(hash, { kind: 'corrupt', detail: 'its content does not match its SHA-256' });
  }
  if (manifests.size === 0) return { texts, problems };
  const chunks = await store.getPayloads([...new Set([...manifests.values()].flat())], traceIds);
  for (const [hash, keys] of manifests) {
    const missing = keys.find((key) => !chunks.has(key));
    if (missing !== undefined) {
      problems.set(hash, { kind: 'missing', detail: `chunk ${missing} of ${keys.length}` });
      continue;
    }
    const text = keys.map((key) => chunks.get(key)!).join('');
    if (sha256Hex(text) === hash) texts.set(hash, text);
    else problems.set(hash, { kind: 'corrupt', detail: `its ${keys.length} chunks do not reassemble to content matching its SHA-256` });
  }
  return { texts, problems };
}

/**
 * Puts payload text back in place of references (in place, and returns the rows). Rows whose
 * payloads are inline, as a Collector pipeline writes them, pass through untouched.
 * @throws PayloadMissingError when a referenced payload (or one of its chunks) is not in the store.
 * @throws PayloadCorruptError when what is stored does not hash to the reference.
 */
export async function resolvePayloadRefs(rows: SpanRow[], store: Pick<SpanStore, 'getPayloads'>): Promise<SpanRow[]> {
  const wanted = new Set<string>();
  // A span's payload rows are stored under its own trace (offloadPayloads), where the lookup is cheap.
  const traceIds = new Set<string>();
  for (const row of rows) {
    for (const key of PAYLOAD_ATTRIBUTES) {
      const hash = payloadRef(row.SpanAttributes[key]);
      if (!hash) continue;
      wanted.add(hash);
      traceIds.add(row.TraceId);
    }
  }
  if (wanted.size === 0) return rows;
  const { texts, problems } = await loadPayloads(wanted, [...traceIds], store);
  for (const row of rows) {
    for (const key of PAYLOAD_ATTRIBUTES) {
      const ref = row.SpanAttributes[key];
      const hash = payloadRef(ref);
      if (!hash) continue;
      const text = texts.get(hash);
      if (text !== undefined) {
        row.SpanAttributes[key] = text;
        continue;
      }
      const problem = problems.get(hash);
      if (problem?.kind === 'corrupt') throw new PayloadCorruptError(ref!, row.SpanId, problem.detail);
      throw new PayloadMissingError(problem ? `${ref} (${problem.detail})` : ref!, row.SpanId);
    }
  }
  return rows;
}
