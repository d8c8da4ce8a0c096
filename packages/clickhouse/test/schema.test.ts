import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChdbSpanStore,
  PAYLOADS_COLUMNS,
  RUNS_COLUMNS,
  TRACE_ID_TS_COLUMNS,
  TRACES_COLUMNS,
  TRACES_SKIP_INDEXES,
  schemaStatements,
  type ExpectedColumn,
} from '../src/index.js';
import { tempDir } from './spans.js';

const tmp = tempDir('schema');
const store = new ChdbSpanStore({ dir: tmp.dir });

async function rows<T>(sql: string): Promise<T[]> {
  return (await store.query(sql, 'JSONEachRow'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

interface DescribeRow {
  name: string;
  type: string;
  default_type: string;
  default_expression: string;
  codec_expression: string;
}

async function describeTable(table: string): Promise<ExpectedColumn[]> {
  return (await rows<DescribeRow>(`DESCRIBE TABLE \`default\`.\`${table}\``)).map((c) => ({
    name: c.name,
    type: c.type,
    codec: c.codec_expression,
    ...(c.default_type ? { defaultKind: c.default_type as 'ALIAS' } : {}),
  }));
}

beforeAll(async () => {
  await store.init();
});

afterAll(async () => {
  await store.close();
  tmp.remove();
});

describe('schema', () => {
  it('creates otel_traces with exactly the Collector exporter columns, types and codecs', async () => {
    expect(await describeTable('otel_traces')).toEqual(TRACES_COLUMNS);
    const aliases = await rows<DescribeRow>('DESCRIBE TABLE `default`.`otel_traces`');
    const items = aliases.find((c) => c.name === 'SpanAttributeItems');
    expect(items?.default_expression).toBe("arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(SpanAttributes, 'Array(Tuple(String, String))'))");
  });

  it('creates the trace-id lookup table and the payload table', async () => {
    expect(await describeTable('otel_traces_trace_id_ts')).toEqual(TRACE_ID_TS_COLUMNS);
    expect(await describeTable('tracetape_payloads')).toEqual(PAYLOADS_COLUMNS);
  });

  it('creates the table of recording runs, one row per trace and recording process', async () => {
    expect(await describeTable('tracetape_runs')).toEqual(RUNS_COLUMNS);
  });

  it('creates the seven skip indexes', async () => {
    const indexes = await rows<{ name: string; expr: string; type_full: string; granularity: number | string }>(
      "SELECT name, expr, type_full, granularity FROM system.data_skipping_indices WHERE database = 'default' AND table = 'otel_traces' ORDER BY name",
    );
    const expected = [...TRACES_SKIP_INDEXES]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((i) => ({ name: i.name, expr: i.expr, type_full: i.type, granularity: i.granularity }));
    expect(indexes.map((i) => ({ ...i, granularity: Number(i.granularity) }))).toEqual(expected);
  });

  it('uses the Collector engines, partitioning and sorting keys', async () => {
    const tables = await rows<{ name: string; engine: string; partition_key: string; sorting_key: string; primary_key: string; engine_full: string }>(
      "SELECT name, engine, partition_key, sorting_key, primary_key, engine_full FROM system.tables WHERE database = 'default' ORDER BY name",
    );
    const byName = new Map(tables.map((t) => [t.name, t]));
    expect(byName.get('otel_traces')).toMatchObject({
      engine: 'MergeTree',
      partition_key: 'toDate(Timestamp)',
      primary_key: 'ServiceName, SpanName, toDateTime(Timestamp)',
      sorting_key: 'ServiceName, SpanName, toDateTime(Timestamp), Timestamp',
    });
    expect(byName.get('otel_traces')?.engine_full).toContain('index_granularity = 8192, ttl_only_drop_parts = 1');
    expect(byName.get('otel_traces_trace_id_ts')).toMatchObject({
      engine: 'AggregatingMergeTree',
      partition_key: 'toStartOfWeek(Start)',
      sorting_key: '(TraceId)', // stored as written in the Collector's DDL
    });
    expect(byName.get('otel_traces_trace_id_ts')?.engine_full).toContain('ttl_only_drop_parts = 1');
    expect(byName.get('tracetape_payloads')).toMatchObject({
      engine: 'ReplacingMergeTree',
      partition_key: 'toDate(Timestamp)',
      sorting_key: 'TraceId, Hash',
    });
    expect(byName.get('tracetape_payloads')?.engine_full).toContain('index_granularity_bytes = 1048576');
    expect(byName.get('otel_traces_trace_id_ts_mv')?.engine).toBe('MaterializedView');
  });

  it('feeds the lookup table through the materialized view', async () => {
    const [view] = await rows<{ create_table_query: string }>(
      "SELECT create_table_query FROM system.tables WHERE database = 'default' AND name = 'otel_traces_trace_id_ts_mv'",
    );
    expect(view?.create_table_query).toContain('TO default.otel_traces_trace_id_ts');
    expect(view?.create_table_query).toMatch(/min\(Timestamp\) AS Start, max\(Timestamp\) AS End FROM default\.otel_traces WHERE TraceId != '' GROUP BY TraceId/);
  });

  it('is idempotent, and creates a configured database with the same tables', async () => {
    await store.init();
    const custom = new ChdbSpanStore({ dir: tmp.dir, database: 'tracetape_custom' });
    await custom.init();
    await custom.init();
    const names = await rows<{ name: string }>("SELECT name FROM system.tables WHERE database = 'tracetape_custom' ORDER BY name");
    expect(names.map((n) => n.name)).toEqual(['otel_traces', 'otel_traces_trace_id_ts', 'otel_traces_trace_id_ts_mv', 'tracetape_payloads', 'tracetape_payloads_text', 'tracetape_runs']);
    await custom.close();
  });

  it('adds a TTL only when retention is configured, and refuses odd names', () => {
    expect(schemaStatements().join('\n')).not.toContain('TTL');
    const withTtl = schemaStatements({ ttlSeconds: 86400 });
    expect(withTtl[0]).toContain('TTL toDateTime(Timestamp) + toIntervalSecond(86400)');
    // Payload day partitions expire whole, two days after the span TTL (see retention.test.ts).
    expect(withTtl[3]).toContain('TTL toDateTime(toDate(Timestamp)) + toIntervalSecond(259200)');
    // Past ClickHouse's DateTime range the TTL would wrap around and expire everything at once.
    expect(() => schemaStatements({ ttlSeconds: 100 * 365 * 86400 })).toThrow(/at most 3650d/);
    expect(() => schemaStatements({ tracesTable: 'x; DROP TABLE y' })).toThrow(/Invalid ClickHouse table name/);
    expect(() => schemaStatements({ ttlSeconds: -1 })).toThrow(/positive whole number/);
  });

  it('leaves per-part statistics and String size streams out of the embedded store only', async () => {
    const settings = await rows<{ name: string; create_table_query: string }>(
      "SELECT name, create_table_query FROM system.tables WHERE database = 'default' AND engine LIKE '%MergeTree' ORDER BY name",
    );
    expect(settings.map((t) => t.name)).toEqual(['otel_traces', 'otel_traces_trace_id_ts', 'tracetape_payloads', 'tracetape_runs']);
    for (const table of settings) {
      expect(table.create_table_query).toContain("auto_statistics_types = ''");
      expect(table.create_table_query).toContain("string_serialization_version = 'single_stream'");
    }
    // A server (25.8 in docker-compose.yml) may not know these settings, and a cluster's tables are a server's.
    for (const statement of [...schemaStatements(), ...schemaStatements({ embedded: true, cluster: 'c' })]) {
      expect(statement).not.toContain('auto_statistics_types');
      expect(statement).not.toContain('string_serialization_version');
    }
  });
});
