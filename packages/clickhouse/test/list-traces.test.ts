import { afterAll, expect, it } from 'vitest';
import { ChdbSpanStore, type SpanRow } from '@tracetape/clickhouse';
import { spanRow, tempDir } from './spans.js';

const dir = tempDir('list-traces');
const store = new ChdbSpanStore({ dir: dir.dir });
afterAll(async () => {
  await store.close();
  dir.remove();
});

function rootSpan(traceId: string, timestamp: string): SpanRow {
  return spanRow({ Timestamp: timestamp, TraceId: traceId, SpanId: traceId.slice(0, 16), SpanName: `run ${traceId.slice(0, 4)}`, SpanKind: 'Internal' });
}

it('lists the most recent traces even when many started within the same second', async () => {
  await store.init();
  // The lookup table keeps whole seconds; trace IDs sort the other way round from start times.
  const traces = ['b', 'c', 'd', 'e', 'f'].map((digit, i) => ({
    traceId: digit.repeat(32),
    timestamp: `2026-01-01 10:00:00.${String(100 + i * 100).padStart(3, '0')}000000`,
  }));
  await store.insert(traces.map((t) => rootSpan(t.traceId, t.timestamp)), []);
  const listed = await store.listTraces({ limit: 2 });
  expect(listed.map((t) => t.traceId)).toEqual(['f'.repeat(32), 'e'.repeat(32)]);
});
