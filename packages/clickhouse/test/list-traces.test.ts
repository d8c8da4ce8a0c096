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

it('filters by any span attribute and by an end of the time range, and lists the models and replay fields', async () => {
  await store.init();
  const llmTrace = '1'.repeat(32);
  const otherTrace = '2'.repeat(32);
  const replayTrace = '3'.repeat(32);
  await store.insert(
    [
      rootSpan(llmTrace, '2026-02-01 10:00:00.000000000'),
      spanRow({
        Timestamp: '2026-02-01 10:00:00.100000000',
        TraceId: llmTrace,
        SpanId: '1'.repeat(15) + 'a',
        ParentSpanId: llmTrace.slice(0, 16),
        SpanAttributes: { 'gen_ai.request.model': 'gpt-4o-mini', 'server.address': 'api.openai.com' },
      }),
      spanRow({
        Timestamp: '2026-02-01 10:00:00.200000000',
        TraceId: llmTrace,
        SpanId: '1'.repeat(15) + 'b',
        ParentSpanId: llmTrace.slice(0, 16),
        SpanAttributes: { 'gen_ai.request.model': 'claude-haiku' },
      }),
      rootSpan(otherTrace, '2026-02-02 10:00:00.000000000'),
      spanRow({
        Timestamp: '2026-02-03 10:00:00.000000000',
        TraceId: replayTrace,
        SpanId: replayTrace.slice(0, 16),
        SpanName: 'tracetape replay',
        SpanAttributes: { 'tracetape.run.type': 'replay', 'tracetape.replay.of': llmTrace, 'tracetape.replay.outcome': 'diverged' },
      }),
    ],
    [],
  );
  const byModel = await store.listTraces({ limit: 10, attributes: [{ key: 'gen_ai.request.model', value: 'claude-haiku' }] });
  expect(byModel.map((t) => t.traceId)).toEqual([llmTrace]);
  expect(byModel[0]!.models).toEqual(['claude-haiku', 'gpt-4o-mini']);
  const byHostAndModel = await store.listTraces({
    limit: 10,
    attributes: [
      { key: 'server.address', value: 'api.openai.com' },
      { key: 'gen_ai.request.model', value: 'gpt-4o-mini' },
    ],
  });
  expect(byHostAndModel.map((t) => t.traceId)).toEqual([llmTrace]);
  expect(await store.listTraces({ limit: 10, attributes: [{ key: 'server.address', value: 'elsewhere' }] })).toEqual([]);

  const window = await store.listTraces({ limit: 10, since: new Date('2026-02-01T12:00:00Z'), until: new Date('2026-02-02T12:00:00Z') });
  expect(window.map((t) => t.traceId)).toEqual([otherTrace]);

  const [replay] = await store.listTraces({ limit: 1, attributes: [{ key: 'tracetape.replay.of', value: llmTrace }] });
  expect(replay).toMatchObject({ traceId: replayTrace, runType: 'replay', replayOf: llmTrace, replayOutcome: 'diverged', models: [] });
  expect(window[0]!.runType).toBeUndefined();
});
