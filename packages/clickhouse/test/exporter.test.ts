import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { PAYLOAD_REF_PREFIX, StoreUnavailableError, sha256Hex, ATTR_TRACETAPE_RESPONSE } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ChdbSpanStore,
  ClickHouseSpanExporter,
  resolvePayloadRefs,
  toSpanRow,
  type PayloadRow,
  type SpanRow,
  type SpanStore,
} from '../src/index.js';
import { BIG_RESPONSE, providerFor, recordInMemory, recordRun, tempDir } from './spans.js';

const tmp = tempDir('exporter');
const store = new ChdbSpanStore({ dir: tmp.dir });
let traceId = '';

beforeAll(async () => {
  const exporter = new ClickHouseSpanExporter({ store });
  const provider = providerFor(exporter);
  recordRun(provider.getTracer('tracetape-test', '1.2.3'));
  await provider.forceFlush();
  expect(exporter.stats()).toEqual({ exported: 2, dropped: 0 });
  const [{ TraceId }] = JSON.parse(
    `[${(await store.query("SELECT TraceId FROM otel_traces WHERE SpanName = 'agent run' LIMIT 1", 'JSONEachRow')).trim()}]`,
  ) as { TraceId: string }[];
  traceId = TraceId!;
});

afterAll(async () => {
  await store.close();
  tmp.remove();
});

async function spansOf(id: string): Promise<SpanRow[]> {
  return store.getTraceSpans(id);
}

describe('ClickHouseSpanExporter with the embedded store', () => {
  it('stores the spans of a run in the Collector row shape', async () => {
    const [root, call] = await spansOf(traceId);
    expect(root).toMatchObject({ SpanName: 'agent run', SpanKind: 'Server', ParentSpanId: '', StatusCode: 'Unset', ServiceName: 'checkout' });
    expect(call).toMatchObject({
      TraceId: traceId,
      ParentSpanId: root!.SpanId,
      SpanName: 'POST',
      SpanKind: 'Client',
      StatusCode: 'Error',
      StatusMessage: 'upstream 503',
      ScopeName: 'tracetape-test',
      ScopeVersion: '1.2.3',
      'Events.Name': ['retry'],
      'Events.Attributes': [{ attempt: '2' }],
      'Links.SpanId': [root!.SpanId],
      'Links.Attributes': [{ reason: 'follows' }],
    });
    expect(call!.ResourceAttributes).toMatchObject({ 'service.name': 'checkout', 'deployment.environment': 'test' });
    expect(call!.Timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}$/);
    expect(call!['Events.Timestamp'][0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}$/);
    expect(call!.Duration).toMatch(/^\d+$/);
  });

  it('renders non-string attributes as strings', async () => {
    const [, call] = await spansOf(traceId);
    expect(call!.SpanAttributes).toMatchObject({
      'http.response.status_code': '200',
      'tracetape.test.ratio': '1.5',
      'tracetape.test.tiny': '0.00000015',
      'tracetape.test.flag': 'true',
      'tracetape.test.tags': '["a","b"]',
      'tracetape.test.numbers': '[1,2]',
    });
  });

  it('moves a 100 KB payload to the payload table and resolves it back exactly', async () => {
    const rows = await spansOf(traceId);
    const call = rows[1]!;
    const hash = sha256Hex(BIG_RESPONSE);
    expect(call.SpanAttributes[ATTR_TRACETAPE_RESPONSE]).toBe(PAYLOAD_REF_PREFIX + hash);
    const stored = await store.query(`SELECT Size FROM tracetape_payloads WHERE Hash = '${hash}' FORMAT TabSeparated`, 'TabSeparated');
    expect(stored.trim()).toBe(String(Buffer.byteLength(BIG_RESPONSE)));
    await resolvePayloadRefs(rows, store);
    expect(call.SpanAttributes[ATTR_TRACETAPE_RESPONSE]).toBe(BIG_RESPONSE);
  });

  it('reports a missing payload by its reference', async () => {
    const rows = await spansOf(traceId);
    const broken = { getPayloads: async () => new Map<string, string>() };
    await expect(resolvePayloadRefs(rows, broken)).rejects.toMatchObject({ code: 'TRACETAPE_PAYLOAD_MISSING' });
  });

  it('keeps one copy of a payload inserted twice', async () => {
    const payload: PayloadRow = { Hash: sha256Hex('twice'), Data: 'twice', Size: 5, Timestamp: '2025-01-02 03:04:05.000000006' };
    await store.insert([], [payload]);
    await store.insert([], [payload]);
    expect(await store.getPayloads([payload.Hash, payload.Hash])).toEqual(new Map([[payload.Hash, 'twice']]));
    const copies = await store.query(`SELECT count() FROM tracetape_payloads FINAL WHERE Hash = '${payload.Hash}'`, 'TabSeparated');
    expect(copies.trim()).toBe('1');
  });

  it('returns [] for an unknown trace, and binds IDs as values, never as SQL', async () => {
    expect(await store.getTraceSpans('0af7651916cd43dd8448eb211c80319c')).toEqual([]);
    expect(await store.getTraceSpans("x' OR 1=1 --")).toEqual([]);
    expect(await store.getTraceSpans("x\\' OR 1=1 --")).toEqual([]);
    expect(await store.getPayloads(["x' OR 1=1 --"])).toEqual(new Map());
  });

  it('finds payloads by exact key only: a key with a comma is no list of the keys inside it', async () => {
    const a: PayloadRow = { Hash: sha256Hex('a'), Data: 'a', Size: 1, Timestamp: '2025-01-02 03:04:05.000000006' };
    const b: PayloadRow = { Hash: sha256Hex('b'), Data: 'b', Size: 1, Timestamp: '2025-01-03 03:04:05.000000006' };
    await store.insert([], [a, b]);
    expect(await store.getPayloads([`${a.Hash},${b.Hash}`])).toEqual(new Map());
    expect(await store.getPayloads([`${a.Hash},${b.Hash}`, b.Hash, 'f'.repeat(64)])).toEqual(new Map([[b.Hash, 'b']]));
  });

  it('lists the run', async () => {
    const traces = await store.listTraces({ limit: 10 });
    expect(traces.find((t) => t.traceId === traceId)).toMatchObject({
      serviceName: 'checkout',
      name: 'agent run',
      status: 'Error',
      spanCount: 2,
      recordedCalls: 1,
    });
    expect(traces[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(await store.listTraces({ limit: 0 })).toEqual([]);
  });

  it('exports synchronously for exit handlers, creating the schema if init() never ran', async () => {
    const spans = await recordInMemory('exit run');
    const freshStore = new ChdbSpanStore({ dir: tmp.dir, database: 'tracetape_sync' });
    const exporter = new ClickHouseSpanExporter({ store: freshStore });
    expect(exporter.exportSync(spans).code).toBe(ExportResultCode.SUCCESS);
    expect(exporter.stats()).toEqual({ exported: 2, dropped: 0 });
    const id = spans[0]!.spanContext().traceId;
    const stored = await freshStore.getTraceSpans(id);
    expect(stored.map((s) => s.SpanName).sort()).toEqual(['POST', 'exit run']);
    await resolvePayloadRefs(stored, freshStore);
    expect(stored.find((s) => s.SpanName === 'POST')!.SpanAttributes[ATTR_TRACETAPE_RESPONSE]).toBe(BIG_RESPONSE);
    await exporter.shutdown();
  });

  it('writes at exit the batches export() still had queued', async () => {
    const runs = await Promise.all(Array.from({ length: 40 }, (_, i) => recordInMemory(`late run ${i}`)));
    const exporter = new ClickHouseSpanExporter({ store });
    await exporter.forceFlush();
    // Batches handed over without waiting, then the process exits before any of them is stored.
    for (let i = 0; i < runs.length - 1; i += 13) exporter.export(runs.slice(i, i + 13).flat(), () => {});
    expect(exporter.exportSync(runs.at(-1)!).code).toBe(ExportResultCode.SUCCESS);
    expect(exporter.stats()).toEqual({ exported: 80, dropped: 0 });
    const stored = await store.query("SELECT count() FROM otel_traces WHERE startsWith(SpanName, 'late run') OR SpanName = 'POST' AND TraceId IN (SELECT TraceId FROM otel_traces WHERE startsWith(SpanName, 'late run'))", 'TabSeparated');
    expect(Number(stored)).toBe(80);
  });

  it('converts a span the same way whether or not it is exported', async () => {
    const [span] = await recordInMemory();
    const row = toSpanRow(span!);
    expect(row.SpanAttributes[ATTR_TRACETAPE_RESPONSE]).toBe(BIG_RESPONSE);
    expect(row.ServiceName).toBe('checkout');
  });
});

describe('ClickHouseSpanExporter when the store fails', () => {
  const failing: SpanStore = {
    location: 'ClickHouse at http://127.0.0.1:1',
    init: async () => {
      throw new StoreUnavailableError('ClickHouse at http://127.0.0.1:1', new Error('connect ECONNREFUSED 127.0.0.1:1'));
    },
    insert: async () => {},
    insertSync: () => {
      throw new StoreUnavailableError('ClickHouse at http://127.0.0.1:1', new Error('connect ECONNREFUSED 127.0.0.1:1'));
    },
    getTraceSpans: async () => [],
    getPayloads: async () => new Map(),
    listTraces: async () => [],
    traceIdsStartingWith: async () => [],
    query: async () => '',
    close: async () => {},
  };

  it('reports FAILED, counts the drop, and writes one stderr line per kind of failure', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const drops: [number, string][] = [];
    const exporter = new ClickHouseSpanExporter({ store: failing, onDrop: (count, reason) => drops.push([count, reason]) });
    const spans = await recordInMemory();
    try {
      const results: ExportResult[] = [];
      expect(() => exporter.export(spans, (r) => results.push(r))).not.toThrow();
      exporter.export(spans, (r) => results.push(r));
      await exporter.forceFlush();
      expect(exporter.exportSync(spans).code).toBe(ExportResultCode.FAILED);
      expect(results.map((r) => r.code)).toEqual([ExportResultCode.FAILED, ExportResultCode.FAILED]);
      expect(exporter.stats()).toEqual({ exported: 0, dropped: 6 });
      expect(drops).toHaveLength(3);
      expect(drops[0]![1]).toContain('ECONNREFUSED');
      const lines = stderr.mock.calls.map(([text]) => String(text)).filter((t) => t.startsWith('tracetape:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^tracetape: dropped 2 spans bound for ClickHouse at http:\/\/127\.0\.0\.1:1: Cannot reach the trace store/);
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('ChdbSpanStore and the directory lock', () => {
  const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

  it.skipIf(!existsSync(dist))('tells a second process that another one holds the store', () => {
    // This process holds tmp.dir; a second one must get a clear StoreUnavailableError, not a crash.
    const script = `
      const { ChdbSpanStore } = await import(${JSON.stringify(dist)});
      try { await new ChdbSpanStore({ dir: ${JSON.stringify(tmp.dir)} }).init(); console.log('opened'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as { code: string; message: string };
    expect(result.code).toBe('TRACETAPE_STORE_UNAVAILABLE');
    expect(result.message).toContain('Another process most likely holds the embedded store');
    expect(result.message).toContain('Stop the other process');
  });
});
