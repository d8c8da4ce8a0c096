import { ATTR_TRACETAPE_RESPONSE, PAYLOAD_REF_PREFIX, sha256Hex } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClickHouseHttpHarness, type ClickHouseHttpHarness } from '../../../test/support/clickhouse-http-server.js';
import { offloadPayloads, openStore, resolvePayloadRefs, ServerSpanStore, toSpanRow, type PayloadRow, type SpanRow } from '../src/index.js';
import { BIG_RESPONSE, recordInMemory, tempDir } from './spans.js';

const tmp = tempDir('server');
let harness: ClickHouseHttpHarness;
let store: ServerSpanStore;

async function rowsOf(name: string): Promise<{ spans: SpanRow[]; payloads: PayloadRow[]; traceId: string }> {
  const spans = (await recordInMemory(name)).map(toSpanRow);
  const payloads = spans.flatMap((row) => offloadPayloads(row, { thresholdBytes: 2048 }));
  return { spans, payloads, traceId: spans[0]!.TraceId };
}

beforeAll(async () => {
  harness = await startClickHouseHttpHarness(tmp.dir);
  store = openStore({ url: harness.url, username: 'default', password: '' }) as ServerSpanStore;
  await store.init();
  await store.init();
}, 30_000);

afterAll(async () => {
  await store?.close();
  await harness?.close();
  tmp.remove();
});

describe('ServerSpanStore over the ClickHouse HTTP interface', () => {
  it('describes where it is', () => {
    expect(store).toBeInstanceOf(ServerSpanStore);
    expect(store.location).toBe(`ClickHouse at ${harness.url}`);
  });

  it('inserts spans and payloads, and reads a trace back with its payloads', async () => {
    const { spans, payloads, traceId } = await rowsOf('server run');
    // The 100 KB answer is stored as content-defined chunks (all alike here) under one manifest.
    expect(payloads.filter((p) => p.Hash === sha256Hex(BIG_RESPONSE))).toHaveLength(1);
    await store.insert(spans, payloads);
    const stored = await store.getTraceSpans(traceId);
    expect(stored.map((s) => s.SpanName)).toEqual(['server run', 'POST']);
    const call = stored[1]!;
    expect(call.SpanAttributes[ATTR_TRACETAPE_RESPONSE]).toBe(PAYLOAD_REF_PREFIX + sha256Hex(BIG_RESPONSE));
    const sent = spans.find((s) => s.SpanName === 'POST')!;
    expect(call.Duration).toBe(sent.Duration);
    expect(call.Timestamp).toBe(sent.Timestamp);
    await resolvePayloadRefs(stored, store);
    expect(call.SpanAttributes[ATTR_TRACETAPE_RESPONSE]).toBe(BIG_RESPONSE);
    const found = await store.getPayloads([sha256Hex(BIG_RESPONSE), 'f'.repeat(64)]);
    expect([...found.keys()]).toEqual([sha256Hex(BIG_RESPONSE)]);
  });

  it('inserts synchronously through a child process', async () => {
    const { spans, payloads, traceId } = await rowsOf('sync run');
    store.insertSync(spans, payloads);
    const stored = await resolvePayloadRefs(await store.getTraceSpans(traceId), store);
    expect(stored.map((s) => s.SpanName)).toEqual(['sync run', 'POST']);
    expect(stored[1]!.SpanAttributes[ATTR_TRACETAPE_RESPONSE]).toBe(BIG_RESPONSE);
  }, 20_000);

  it('lists traces, most recent first', async () => {
    const traces = await store.listTraces({ limit: 5 });
    expect(traces.map((t) => t.name)).toEqual(expect.arrayContaining(['server run', 'sync run']));
    expect(traces[0]).toMatchObject({ serviceName: 'checkout', status: 'Error', spanCount: 2, recordedCalls: 1 });
  });

  it('binds values as parameters, never as SQL', async () => {
    expect(await store.getTraceSpans("x' OR 1=1 --")).toEqual([]);
    expect(await store.getTraceSpans('x\\\' OR 1=1 --')).toEqual([]);
    expect(await store.getPayloads(["' OR 1=1 --", 'a\\b'])).toEqual(new Map());
  });

  it('runs raw SQL in the format asked for, and reports rejected SQL', async () => {
    expect((await store.query('SELECT count() FROM otel_traces', 'TabSeparated')).trim()).toBe('4');
    expect(await store.query("SELECT SpanName FROM otel_traces WHERE SpanName = 'sync run'", 'JSONEachRow')).toBe('{"SpanName":"sync run"}\n');
    // A user's SQL: refused with ClickHouse's reason and no hint about tracetape's schema.
    await expect(store.query('SELEC 1', 'TabSeparated')).rejects.toMatchObject({ code: 'TRACETAPE_USER_QUERY', readOnlyRefusal: false });
  });

  it('uses a configured database', async () => {
    const other = new ServerSpanStore({ url: harness.url, database: 'tracetape_server' });
    await other.init();
    const { spans, payloads, traceId } = await rowsOf('other db run');
    await other.insert(spans, payloads);
    expect((await other.getTraceSpans(traceId)).map((s) => s.SpanName)).toEqual(['other db run', 'POST']);
    expect(await store.getTraceSpans(traceId)).toEqual([]);
    expect((await other.query('SELECT count() FROM otel_traces', 'TabSeparated')).trim()).toBe('2');
    await other.close();
  });

  it('reports an unreachable server as StoreUnavailableError', async () => {
    const down = new ServerSpanStore({ url: 'http://127.0.0.1:9', syncInsertTimeoutMs: 3000 });
    await expect(down.init()).rejects.toMatchObject({ code: 'TRACETAPE_STORE_UNAVAILABLE' });
    const { spans, payloads } = await rowsOf('lost run');
    expect(() => down.insertSync(spans, payloads)).toThrow(/Cannot reach the trace store at ClickHouse at http:\/\/127\.0\.0\.1:9/);
    await down.close();
  }, 20_000);
});
