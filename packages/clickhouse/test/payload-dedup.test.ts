import { randomBytes } from 'node:crypto';
import { ATTR_TRACETAPE_REQUEST, ATTR_TRACETAPE_RESPONSE, encodeBody, PAYLOAD_REF_PREFIX, sha256Hex } from '@tracetape/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChdbSpanStore,
  DEFAULT_CHUNK_SIZES,
  MANIFEST_HEADER,
  offloadPayloads,
  resolvePayloadRefs,
  splitIntoChunks,
  type PayloadRow,
  type SpanRow,
} from '../src/index.js';
import { spanRow, tempDir } from './spans.js';

const data = tempDir('dedup');
let store: ChdbSpanStore;

beforeAll(async () => {
  store = new ChdbSpanStore({ dir: data.dir });
  await store.init();
});
afterAll(async () => {
  await store.close();
  data.remove();
});

let spanCounter = 0;
function callRow(attributes: Record<string, string>, timestamp = '2026-11-20 10:00:00.000000000'): SpanRow {
  spanCounter++;
  return spanRow({
    Timestamp: timestamp,
    TraceId: 'd'.repeat(32),
    SpanId: spanCounter.toString(16).padStart(16, '0'),
    ServiceName: 'dedup-test',
    ScopeName: 'test',
    SpanAttributes: { ...attributes },
  });
}

// Text that does not compress to nothing: words drawn from a seeded generator.
function prose(seed: number, length: number): string {
  const words = ['ticket', 'refund', 'customer', 'order', 'the', 'a', 'invoice', 'shipped', 'agent', 'tool', 'é', '漢字', '🙂'];
  let state = seed;
  let text = '';
  while (text.length < length) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    text += words[state % words.length] + (state % 7 === 0 ? '. ' : ' ');
  }
  return text;
}

function envelope(body: Uint8Array): string {
  return JSON.stringify({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: encodeBody(body) });
}

/** Writes rows the way the exporter does (offload, then insert) and reads them back resolved. */
async function roundTrip(rows: SpanRow[]): Promise<SpanRow[]> {
  const originals = rows.map((row) => structuredClone(row.SpanAttributes));
  const payloads: PayloadRow[] = rows.flatMap((row) => offloadPayloads(row));
  await store.insert(rows, payloads);
  const stored = (await store.getTraceSpans(rows[0]!.TraceId)).filter((r) => rows.some((w) => w.SpanId === r.SpanId));
  for (const row of stored) {
    for (const value of Object.values(row.SpanAttributes)) expect(value.length).toBeLessThan(4096);
  }
  await resolvePayloadRefs(stored, store);
  const byId = new Map(stored.map((r) => [r.SpanId, r.SpanAttributes]));
  // Compared by digest: a failure should not print megabytes.
  const digest = (attributes: Record<string, string> | undefined) => sha256Hex(JSON.stringify(attributes ?? null));
  rows.forEach((row, i) => expect(digest(byId.get(row.SpanId))).toBe(digest(originals[i])));
  return stored;
}

describe('content-defined chunks', () => {
  it('split text that joins back to the original, never inside a surrogate pair', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 6000 }), fc.integer({ min: 16, max: 512 }), (text, min) => {
        const chunks = splitIntoChunks(text, { min, avg: min * 4, max: min * 16 });
        expect(chunks.join('')).toBe(text);
        for (const chunk of chunks) {
          expect(chunk.length).toBeLessThanOrEqual(min * 16 + 1);
          expect(Buffer.from(chunk, 'utf8').toString('utf8')).toBe(chunk);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('cut shared text into the same chunks wherever it sits', () => {
    const history = prose(1, 40_000);
    const turn1 = JSON.stringify({ messages: [{ role: 'system', content: prose(2, 3000) }, { role: 'user', content: history }] });
    const turn2 = JSON.stringify({
      model: 'gpt-4o',
      messages: [{ role: 'system', content: prose(2, 3000) }, { role: 'user', content: history }, { role: 'user', content: prose(3, 800) }],
    });
    const first = new Set(splitIntoChunks(turn1));
    const second = splitIntoChunks(turn2);
    const sharedChars = second.filter((c) => first.has(c)).reduce((n, c) => n + c.length, 0);
    // Everything but the edges of the change (a few chunks) is shared.
    expect(sharedChars).toBeGreaterThan(turn1.length - 4 * DEFAULT_CHUNK_SIZES.max);
  });
});

describe('deduplicated payloads in ClickHouse', () => {
  it('reassemble multi-megabyte binary and text bodies byte for byte', async () => {
    const binary = randomBytes(3 * 1024 * 1024);
    const text = Buffer.from(prose(4, 2 * 1024 * 1024), 'utf8');
    const rows = [
      callRow({ [ATTR_TRACETAPE_RESPONSE]: envelope(binary), [ATTR_TRACETAPE_REQUEST]: envelope(text) }),
      callRow({ [ATTR_TRACETAPE_RESPONSE]: envelope(Buffer.concat([text, binary.subarray(0, 1000)])) }),
    ];
    const stored = await roundTrip(rows);
    const back = JSON.parse(stored.find((r) => r.SpanId === rows[0]!.SpanId)!.SpanAttributes[ATTR_TRACETAPE_RESPONSE]!) as {
      body: { encoding: 'base64'; data: string };
    };
    expect(Buffer.from(back.body.data, 'base64').equals(binary)).toBe(true);
  });

  it('store a conversation that resends its history once, not once per turn', async () => {
    const before = await payloadBytes();
    const messages: { role: string; content: string }[] = [{ role: 'system', content: prose(5, 6000) }];
    let raw = 0;
    const rows: SpanRow[] = [];
    for (let turn = 0; turn < 40; turn++) {
      messages.push({ role: 'user', content: prose(100 + turn, 600 + (turn % 5) * 200) });
      const request = JSON.stringify({ method: 'POST', body: { encoding: 'utf8', data: JSON.stringify({ model: 'm', messages }) } });
      raw += request.length;
      rows.push(callRow({ [ATTR_TRACETAPE_REQUEST]: request }));
      messages.push({ role: 'assistant', content: prose(200 + turn, 500) });
    }
    // One call per insert, as an exporter flushing each turn does.
    for (const row of rows) await roundTrip([row]);
    const stored = (await payloadBytes()) - before;
    // Uncompressed bytes of payload rows written: the history is not resent into the table.
    // Uncompressed: chunks around each edit are stored again, and ClickHouse's compression removes
    // most of that (bench/storage-ratio.mjs measures on disk). Without chunking this is about 1.
    expect(raw / stored).toBeGreaterThan(2.5);
  });

  it('write a chunk again on a new day, so retention by day never leaves a span without it', async () => {
    const shared = prose(6, 20_000);
    const key = (ts: string) => `SELECT count() FROM tracetape_payloads WHERE toDate(Timestamp) = toDate('${ts.slice(0, 10)}')`;
    const dayOne = '2026-11-18 23:59:59.000000000';
    const dayTwo = '2026-11-19 00:00:01.000000000';
    await roundTrip([callRow({ [ATTR_TRACETAPE_REQUEST]: shared }, dayOne)]);
    const firstDay = Number(await store.query(key(dayOne), 'TabSeparated'));
    await roundTrip([callRow({ [ATTR_TRACETAPE_REQUEST]: shared }, dayOne)]);
    expect(Number(await store.query(key(dayOne), 'TabSeparated'))).toBe(firstDay);
    await roundTrip([callRow({ [ATTR_TRACETAPE_REQUEST]: shared }, dayTwo)]);
    expect(Number(await store.query(key(dayTwo), 'TabSeparated'))).toBe(firstDay);
  });

  it('read back as text through tracetape_payloads_text, NULL when a chunk is missing', async () => {
    const text = prose(8, 50_000);
    const row = callRow({ [ATTR_TRACETAPE_RESPONSE]: text, [ATTR_TRACETAPE_REQUEST]: 'whole '.repeat(300) });
    const payloads = offloadPayloads(row);
    await store.insert([row], payloads);
    const read = async (ref: string) => {
      const hash = ref.slice(PAYLOAD_REF_PREFIX.length);
      const out = await store.query(`SELECT Data FROM tracetape_payloads_text WHERE Hash = '${hash}'`, 'JSONEachRow');
      return (JSON.parse(out) as { Data: string | null }).Data;
    };
    expect(sha256Hex((await read(row.SpanAttributes[ATTR_TRACETAPE_RESPONSE]!))!)).toBe(sha256Hex(text));
    expect(await read(row.SpanAttributes[ATTR_TRACETAPE_REQUEST]!)).toBe('whole '.repeat(300));

    const lonely = prose(9, 50_000);
    const other = callRow({ [ATTR_TRACETAPE_RESPONSE]: lonely });
    const otherPayloads = offloadPayloads(other);
    const manifest = otherPayloads.find((p) => p.Hash === sha256Hex(lonely))!;
    await store.insert([other], otherPayloads.filter((p) => p.Hash !== manifest.Data.split('\n')[2]));
    expect(await read(other.SpanAttributes[ATTR_TRACETAPE_RESPONSE]!)).toBeNull();
  });

  it('refuse a missing or altered chunk, naming the span', async () => {
    const row = callRow({ [ATTR_TRACETAPE_RESPONSE]: prose(7, 60_000) });
    const payloads = offloadPayloads(row);
    const manifest = payloads.find((p) => p.Data.startsWith(MANIFEST_HEADER + '\n'))!;
    expect(manifest.Hash).toBe(sha256Hex(prose(7, 60_000)));
    const chunks = payloads.filter((p) => p !== manifest);
    const ref = row.SpanAttributes[ATTR_TRACETAPE_RESPONSE]!;
    expect(ref).toBe(PAYLOAD_REF_PREFIX + manifest.Hash);

    const missing = new Map(payloads.filter((p) => p !== chunks[1]).map((p) => [p.Hash, p.Data]));
    const fromMap = (map: Map<string, string>) => ({
      getPayloads: async (hashes: string[]) => new Map(hashes.filter((h) => map.has(h)).map((h) => [h, map.get(h)!])),
    });
    await expect(resolvePayloadRefs([structuredClone(row)], fromMap(missing))).rejects.toMatchObject({
      code: 'TRACETAPE_PAYLOAD_MISSING',
      message: expect.stringContaining(chunks[1]!.Hash),
    });
    const altered = new Map(payloads.map((p) => [p.Hash, p === chunks[0] ? p.Data.replace('refund', 'r3fund') : p.Data]));
    await expect(resolvePayloadRefs([structuredClone(row)], fromMap(altered))).rejects.toMatchObject({
      code: 'TRACETAPE_PAYLOAD_CORRUPT',
      message: expect.stringContaining(row.SpanId),
    });
  });
});

async function payloadBytes(): Promise<number> {
  return Number(await store.query('SELECT sum(length(Data)) FROM tracetape_payloads', 'TabSeparated'));
}
