import { randomBytes } from 'node:crypto';
import { ATTR_TRACETAPE_RESPONSE, PAYLOAD_REF_PREFIX, sha256Hex } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbSpanStore, offloadPayloads, resolvePayloadRefs, type SpanRow } from '../src/index.js';
import { spanRow, tempDir } from './spans.js';

// A tape build reads a run's payloads by hash. Keyed by hash alone, each payload sat in a granule
// of its own among every other run's, so a tape of a few hundred calls read most of the table.
const data = tempDir('payload-locality');
let store: ChdbSpanStore;

beforeAll(async () => {
  store = new ChdbSpanStore({ dir: data.dir });
  await store.init();
}, 30_000);
afterAll(async () => {
  await store.close();
  data.remove();
});

const TIMESTAMP = '2026-11-20 10:00:00.000000000';

function callRows(traceId: string, calls: number, bytes: number): SpanRow[] {
  return Array.from({ length: calls }, (_, i) =>
    spanRow({
      Timestamp: TIMESTAMP,
      TraceId: traceId,
      SpanId: (i + 1).toString(16).padStart(16, '0'),
      ServiceName: 'locality-test',
      ScopeName: 'test',
      // Random text: neither compression nor deduplication makes the table small.
      SpanAttributes: { [ATTR_TRACETAPE_RESPONSE]: JSON.stringify({ status: 200, body: randomBytes(bytes / 2).toString('hex') }) },
    }),
  );
}

async function record(rows: SpanRow[]): Promise<SpanRow[]> {
  const originals = rows.map((row) => structuredClone(row));
  await store.insert(rows, rows.flatMap((row) => offloadPayloads(row)));
  return originals;
}

async function selectedMarks(run: () => Promise<unknown>): Promise<number> {
  const marks = async () => Number((await store.query("SELECT sum(value) FROM system.events WHERE event = 'SelectedMarks'", 'TabSeparated')).trim() || 0);
  const before = await marks();
  await run();
  return (await marks()) - before;
}

describe('payload rows stored beside their trace', () => {
  it("reads a run's payloads from its own granules, however many other runs the table holds", async () => {
    // 40 runs of 100 calls with 6 KB responses: 24 MB of payloads, granules of at most 1 MiB.
    const traces = Array.from({ length: 40 }, () => randomBytes(16).toString('hex'));
    let target: SpanRow[] = [];
    for (const [i, traceId] of traces.entries()) {
      const originals = await record(callRows(traceId, 100, 6000));
      if (i === 17) target = originals;
    }
    await store.query('OPTIMIZE TABLE tracetape_payloads FINAL', 'TabSeparated');
    const tableMarks = Number(await store.query("SELECT sum(marks) FROM system.parts WHERE table = 'tracetape_payloads' AND active", 'TabSeparated'));
    expect(tableMarks).toBeGreaterThan(20);

    const traceId = target[0]!.TraceId;
    const spans = await store.getTraceSpans(traceId);
    const hashes = spans.map((row) => row.SpanAttributes[ATTR_TRACETAPE_RESPONSE]!.slice(PAYLOAD_REF_PREFIX.length));
    expect(hashes.every((hash) => /^[0-9a-f]{64}$/.test(hash))).toBe(true);

    let resolved: SpanRow[] = [];
    const byTrace = await selectedMarks(async () => {
      resolved = await resolvePayloadRefs(spans, store);
    });
    // The run's 600 KB lie in one or two granules (three marks with a granule's end), not one each.
    expect(byTrace).toBeLessThanOrEqual(4);
    const bySpan = new Map(target.map((row) => [row.SpanId, row.SpanAttributes[ATTR_TRACETAPE_RESPONSE]]));
    for (const row of resolved) expect(row.SpanAttributes[ATTR_TRACETAPE_RESPONSE]).toBe(bySpan.get(row.SpanId));

    // Asked without the trace, the same lookup has no order to follow: the hash column of every row.
    const anyTrace = await selectedMarks(() => store.getPayloads(hashes));
    expect(anyTrace).toBeGreaterThan(tableMarks / 2);
  }, 120_000);

  it('stores a payload two runs share once for each, so each finds it beside its own rows', async () => {
    const shared = JSON.stringify({ status: 200, body: 'the same system prompt '.repeat(100) });
    const [a, b] = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
    const row = (traceId: string) => spanRow({ Timestamp: TIMESTAMP, TraceId: traceId, SpanId: '00000000000000aa', SpanAttributes: { [ATTR_TRACETAPE_RESPONSE]: shared } });
    await record([row(a)]);
    await record([row(b)]);
    // Written again by the same store: once per trace is remembered, as once per day was.
    await record([row(a)]);
    // Not FINAL: a second row for trace a would show here (merges would hide it).
    const stored = await store.query(`SELECT TraceId FROM tracetape_payloads WHERE Hash = '${sha256Hex(shared)}' ORDER BY TraceId FORMAT TabSeparated`, 'TabSeparated');
    expect(stored.trim().split('\n')).toEqual([a, b].sort());
    for (const traceId of [a, b]) {
      const [back] = await resolvePayloadRefs(await store.getTraceSpans(traceId), store);
      expect(back!.SpanAttributes[ATTR_TRACETAPE_RESPONSE]).toBe(shared);
    }
  }, 30_000);
});

describe('a payload table made before payload rows named their trace (sorted by hash)', () => {
  const OLD_TABLE = (database: string) =>
    `CREATE TABLE ${database}.tracetape_payloads (Hash String CODEC(ZSTD(1)), Data String CODEC(ZSTD(3)), Size UInt64 CODEC(T64, ZSTD(1)), Timestamp DateTime64(9) CODEC(ZSTD(1)))
     ENGINE = ReplacingMergeTree(Timestamp) PARTITION BY toDate(Timestamp) ORDER BY Hash`;

  /** A store an earlier tracetape made in `database`: today's span tables, the old payload table, a run's payloads in it. */
  async function olderStore(database: string, rows: SpanRow[]): Promise<void> {
    const maker = new ChdbSpanStore({ dir: data.dir, database });
    await maker.init();
    await maker.query(`DROP VIEW ${database}.tracetape_payloads_text`, 'TabSeparated');
    await maker.query(`DROP TABLE ${database}.tracetape_payloads`, 'TabSeparated');
    await maker.query(OLD_TABLE(database), 'TabSeparated');
    const payloads = rows.flatMap((row) => offloadPayloads(row));
    const quote = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    const values = payloads.map((p) => `(${quote(p.Hash)}, ${quote(p.Data)}, ${p.Size}, ${quote(p.Timestamp)})`).join(', ');
    await maker.query(`INSERT INTO ${database}.tracetape_payloads (Hash, Data, Size, Timestamp) VALUES ${values}`, 'TabSeparated');
    await maker.insert(rows, []);
  }

  const responseOf = (rows: SpanRow[]) => new Map(rows.map((row) => [row.SpanId, row.SpanAttributes[ATTR_TRACETAPE_RESPONSE]]));

  it('is read by hash alone by a reading command that never initialises the store', async () => {
    const database = 'before_trace_ids_read';
    const traceId = randomBytes(16).toString('hex');
    const rows = callRows(traceId, 3, 3000);
    const expected = responseOf(structuredClone(rows));
    await olderStore(database, rows);
    // `tracetape replay`, `tape`, `ui`: they open the store and read; no ALTER ever ran here.
    const reader = new ChdbSpanStore({ dir: data.dir, database });
    const back = await resolvePayloadRefs(await reader.getTraceSpans(traceId), reader);
    expect(back).toHaveLength(3);
    for (const row of back) expect(row.SpanAttributes[ATTR_TRACETAPE_RESPONSE]).toBe(expected.get(row.SpanId));
  }, 60_000);

  it('gains the column at init and keeps its order; rows of three runs sharing a payload are all found after merges', async () => {
    const database = 'before_trace_ids_upgraded';
    const shared = JSON.stringify({ status: 200, body: 'the same system prompt on every run '.repeat(60) });
    const run = (traceId: string, spanId: string) =>
      spanRow({ Timestamp: TIMESTAMP, TraceId: traceId, SpanId: spanId, ScopeName: 'test', SpanAttributes: { [ATTR_TRACETAPE_RESPONSE]: shared } });
    const [older, a, b] = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
    await olderStore(database, [run(older, '00000000000000a1')]);

    const upgraded = new ChdbSpanStore({ dir: data.dir, database });
    await upgraded.init();
    const columns = await upgraded.query(`SELECT name FROM system.columns WHERE database = '${database}' AND table = 'tracetape_payloads' ORDER BY position FORMAT TabSeparated`, 'TabSeparated');
    expect(columns.trim().split('\n')).toEqual(['TraceId', 'Hash', 'Data', 'Size', 'Timestamp']);
    // A sorting key cannot gain a column in front.
    const key = await upgraded.query(`SELECT sorting_key FROM system.tables WHERE database = '${database}' AND name = 'tracetape_payloads' FORMAT TabSeparated`, 'TabSeparated');
    expect(key.trim()).toBe('Hash');

    for (const traceId of [a, b]) {
      const rows = [run(traceId, '00000000000000b1')];
      await upgraded.insert(rows, rows.flatMap((row) => offloadPayloads(row)));
    }
    // Sorted by hash, a merge keeps one row of the hash whatever trace wrote it.
    await upgraded.query(`OPTIMIZE TABLE ${database}.tracetape_payloads FINAL`, 'TabSeparated');
    expect((await upgraded.query(`SELECT count() FROM ${database}.tracetape_payloads WHERE Hash = '${sha256Hex(shared)}' FORMAT TabSeparated`, 'TabSeparated')).trim()).toBe('1');
    for (const traceId of [older, a, b]) {
      const [back] = await resolvePayloadRefs(await upgraded.getTraceSpans(traceId), upgraded);
      expect(back!.SpanAttributes[ATTR_TRACETAPE_RESPONSE]).toBe(shared);
    }
  }, 60_000);
});
