import { afterAll, expect, it } from 'vitest';
import { ChdbSpanStore, type RunRow } from '@tracetape/clickhouse';
import { spanRow, tempDir } from './spans.js';

// How a typed prefix finds its trace: by the IDs alone, from the lookup table (or the span table
// without one) and from the runs table, which also knows runs with no span stored yet.

const dir = tempDir('trace-ids-starting-with');
let store = new ChdbSpanStore({ dir: dir.dir });
afterAll(async () => {
  await store.close();
  dir.remove();
});

const withSpans = ['aaaa1111', 'aaaa2222', 'bbbb1111'].map((head) => head + '0'.repeat(24));
const spanless = `aaaa3333${'0'.repeat(24)}`;

function runRow(traceId: string): RunRow {
  const at = '2026-03-01 10:00:00.000000000';
  return { TraceId: traceId, Writer: 'w1', Name: 'agent.mjs', ServiceName: 'svc', Pid: 1, ProcessPath: '0', State: 'recording', LostSpans: 0, Reason: '', Started: at, Updated: at };
}

it('finds the stored traces a prefix starts, with spans or only a run row, up to the limit', async () => {
  await store.init();
  await store.insert(
    withSpans.map((traceId, i) => spanRow({ Timestamp: `2026-03-01 10:00:0${i}.000000000`, TraceId: traceId, SpanId: traceId.slice(0, 16) })),
    [],
    [runRow(withSpans[0]!), runRow(spanless)],
  );
  expect(await store.traceIdsStartingWith('aaaa1111', 2)).toEqual([withSpans[0]]);
  expect(await store.traceIdsStartingWith('aaaa3333', 2)).toEqual([spanless]);
  expect((await store.traceIdsStartingWith('aaaa', 10)).sort()).toEqual([withSpans[0], withSpans[1], spanless].sort());
  expect(await store.traceIdsStartingWith('aaaa', 2)).toHaveLength(2);
  expect(await store.traceIdsStartingWith('cccc', 2)).toEqual([]);
  expect(await store.traceIdsStartingWith('aaaa', 0)).toEqual([]);
});

it('reads the span table itself where there is no lookup table (a Collector that manages its own DDL)', async () => {
  await store.query('DROP VIEW otel_traces_trace_id_ts_mv', 'TabSeparated');
  await store.query('DROP TABLE otel_traces_trace_id_ts', 'TabSeparated');
  // A store object detects the layout once: a new one sees the table gone.
  await store.close();
  store = new ChdbSpanStore({ dir: dir.dir });
  expect((await store.traceIdsStartingWith('aaaa', 10)).sort()).toEqual([withSpans[0], withSpans[1], spanless].sort());
  expect(await store.traceIdsStartingWith('bbbb', 10)).toEqual([withSpans[2]]);
});
