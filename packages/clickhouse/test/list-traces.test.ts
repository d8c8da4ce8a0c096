import { afterAll, expect, it } from 'vitest';
import { ChdbSpanStore, type SpanRow } from '@tracetape/clickhouse';
import { tempDir } from './spans.js';

const dir = tempDir('list-traces');
const store = new ChdbSpanStore({ dir: dir.dir });
afterAll(async () => {
  await store.close();
  dir.remove();
});

function rootSpan(traceId: string, timestamp: string): SpanRow {
  return {
    Timestamp: timestamp,
    TraceId: traceId,
    SpanId: traceId.slice(0, 16),
    ParentSpanId: '',
    TraceState: '',
    SpanName: `run ${traceId.slice(0, 4)}`,
    SpanKind: 'Internal',
    ServiceName: 'svc',
    ResourceAttributes: {},
    ScopeName: '',
    ScopeVersion: '',
    SpanAttributes: {},
    Duration: '1000',
    StatusCode: 'Unset',
    StatusMessage: '',
    'Events.Timestamp': [],
    'Events.Name': [],
    'Events.Attributes': [],
    'Links.TraceId': [],
    'Links.SpanId': [],
    'Links.TraceState': [],
    'Links.Attributes': [],
  };
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
