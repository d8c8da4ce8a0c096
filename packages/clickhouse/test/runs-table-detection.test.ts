import { afterAll, expect, it } from 'vitest';
import { ChdbSpanStore, type RunRow } from '@tracetape/clickhouse';
import type { QueryParams } from '../src/sql-store.js';
import { spanRow, tempDir } from './spans.js';

// A store a Collector (or a tracetape before runs were kept) made has span tables and no runs
// table. Whether there is one is read with the span tables' layout, in the same look at
// system.columns, and trusted as the layout is; init() creates the table and marks it known.

/** Counts its reads of the system tables. */
class CountingStore extends ChdbSpanStore {
  systemReads = 0;
  protected override select<T>(sql: string, params: QueryParams): Promise<T[]> {
    if (/\bsystem\./.test(sql)) this.systemReads++;
    return super.select<T>(sql, params);
  }
}

const dir = tempDir('runs-table-detection');
let store = new CountingStore({ dir: dir.dir });
afterAll(async () => {
  await store.close();
  dir.remove();
});

const traceId = 'c'.repeat(32);
const at = '2026-04-01 10:00:00.000000000';
const run: RunRow = { TraceId: traceId, Writer: 'w1', Name: 'agent.mjs', ServiceName: 'svc', Pid: 1, ProcessPath: '0', State: 'incomplete', LostSpans: 3, Reason: 'the store was full', Started: at, Updated: at };

it('reads a store without a runs table, then the runs once init() has made it', async () => {
  await store.init();
  await store.insert([spanRow({ Timestamp: at, TraceId: traceId, SpanId: traceId.slice(0, 16) })], []);
  await store.query('DROP TABLE tracetape_runs', 'TabSeparated');
  await store.close();

  store = new CountingStore({ dir: dir.dir });
  // As a tape build asks: the spans, then the run state, from one look at the system tables.
  const spans = await store.getTraceSpans(traceId);
  const runs = await store.runRows({ traceIds: [traceId] });
  expect(runs).toEqual([]);
  expect(spans.map((row) => row.SpanId)).toEqual([traceId.slice(0, 16)]);
  expect(store.systemReads).toBe(1);
  expect(await store.traceIdsStartingWith('cccc', 2)).toEqual([traceId]);
  await store.close();

  // Asked together, they share the look too.
  store = new CountingStore({ dir: dir.dir });
  await Promise.all([store.runRows({ traceIds: [traceId] }), store.getTraceSpans(traceId)]);
  expect(store.systemReads).toBe(1);

  await store.init();
  await store.insert([], [], [run]);
  expect(await store.runRows({ traceIds: [traceId] })).toMatchObject([{ TraceId: traceId, State: 'incomplete', LostSpans: 3 }]);
  expect((await store.listTraces({ limit: 5 }))[0]).toMatchObject({ traceId, state: 'incomplete', lostSpans: 3 });
});
