import { ConfigError } from '@tracetape/core';

/**
 * The table layout of the OpenTelemetry Collector (contrib) ClickHouse exporter, so that Grafana's
 * ClickHouse datasource reads our spans as traces and rows a Collector wrote read like ours.
 * Any drift from the Collector's DDL breaks that promise, which is why the expected DESCRIBE
 * output is exported and tested.
 */

export interface SchemaOptions {
  /** Database holding the tables (default `default`). */
  database?: string;
  /** Name of the span table (default `otel_traces`); the lookup table and view derive from it. */
  tracesTable?: string;
  /** Name of tracetape's payload table (default `tracetape_payloads`). */
  payloadsTable?: string;
  /** Retention in seconds; rows older than this are dropped by whole parts. Unset: keep forever. */
  ttlSeconds?: number;
}

/** Fully resolved, quoted table names the stores run their SQL against. */
export interface SchemaNames {
  database: string;
  traces: string;
  traceIdTs: string;
  traceIdTsMv: string;
  payloads: string;
}

export const DEFAULT_DATABASE = 'default';
export const DEFAULT_TRACES_TABLE = 'otel_traces';
export const DEFAULT_PAYLOADS_TABLE = 'tracetape_payloads';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Names are quoted anyway; the whitelist keeps them portable across ClickHouse, Grafana and shells.
function checkIdentifier(kind: string, name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new ConfigError(
      `Invalid ClickHouse ${kind} name "${name}": use letters, digits and underscores, starting with a letter or underscore.`,
    );
  }
  return name;
}

export function quoteIdentifier(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

export function schemaNames(options: SchemaOptions = {}): SchemaNames {
  const db = checkIdentifier('database', options.database ?? DEFAULT_DATABASE);
  const traces = checkIdentifier('table', options.tracesTable ?? DEFAULT_TRACES_TABLE);
  const payloads = checkIdentifier('table', options.payloadsTable ?? DEFAULT_PAYLOADS_TABLE);
  const q = (table: string): string => `${quoteIdentifier(db)}.${quoteIdentifier(table)}`;
  return {
    database: quoteIdentifier(db),
    traces: q(traces),
    traceIdTs: q(`${traces}_trace_id_ts`),
    traceIdTsMv: q(`${traces}_trace_id_ts_mv`),
    payloads: q(payloads),
  };
}

function ttlClause(column: string, ttlSeconds: number | undefined): string {
  if (ttlSeconds === undefined) return '';
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new ConfigError(`Invalid retention ${ttlSeconds}: the TTL must be a positive whole number of seconds.`);
  }
  return `TTL toDateTime(${column}) + toIntervalSecond(${ttlSeconds})\n`;
}

const MAP = 'Map(LowCardinality(String), String)';

/** Columns of the span table as `DESCRIBE TABLE` prints them: name, type, codec expression. */
export const TRACES_COLUMNS: readonly ExpectedColumn[] = [
  { name: 'Timestamp', type: 'DateTime64(9)', codec: 'Delta(8), ZSTD(1)' },
  { name: 'TraceId', type: 'String', codec: 'ZSTD(1)' },
  { name: 'SpanId', type: 'String', codec: 'ZSTD(1)' },
  { name: 'ParentSpanId', type: 'String', codec: 'ZSTD(1)' },
  { name: 'TraceState', type: 'String', codec: 'ZSTD(1)' },
  { name: 'SpanName', type: 'LowCardinality(String)', codec: 'ZSTD(1)' },
  { name: 'SpanKind', type: 'LowCardinality(String)', codec: 'ZSTD(1)' },
  { name: 'ServiceName', type: 'LowCardinality(String)', codec: 'ZSTD(1)' },
  { name: 'ResourceAttributes', type: MAP, codec: 'ZSTD(1)' },
  { name: 'ScopeName', type: 'String', codec: 'ZSTD(1)' },
  { name: 'ScopeVersion', type: 'String', codec: 'ZSTD(1)' },
  { name: 'SpanAttributes', type: MAP, codec: 'ZSTD(1)' },
  { name: 'Duration', type: 'UInt64', codec: 'T64, ZSTD(1)' },
  { name: 'StatusCode', type: 'LowCardinality(String)', codec: 'ZSTD(1)' },
  { name: 'StatusMessage', type: 'String', codec: 'ZSTD(1)' },
  { name: 'Events.Timestamp', type: 'Array(DateTime64(9))', codec: 'ZSTD(1)' },
  { name: 'Events.Name', type: 'Array(LowCardinality(String))', codec: 'ZSTD(1)' },
  { name: 'Events.Attributes', type: `Array(${MAP})`, codec: 'ZSTD(1)' },
  { name: 'Links.TraceId', type: 'Array(String)', codec: 'ZSTD(1)' },
  { name: 'Links.SpanId', type: 'Array(String)', codec: 'ZSTD(1)' },
  { name: 'Links.TraceState', type: 'Array(String)', codec: 'ZSTD(1)' },
  { name: 'Links.Attributes', type: `Array(${MAP})`, codec: 'ZSTD(1)' },
  { name: 'ResourceAttributeItems', type: 'Array(String)', codec: '', defaultKind: 'ALIAS' },
  { name: 'SpanAttributeItems', type: 'Array(String)', codec: '', defaultKind: 'ALIAS' },
];

export const TRACE_ID_TS_COLUMNS: readonly ExpectedColumn[] = [
  { name: 'TraceId', type: 'String', codec: 'ZSTD(1)' },
  { name: 'Start', type: 'SimpleAggregateFunction(min, DateTime)', codec: 'ZSTD(1)' },
  { name: 'End', type: 'SimpleAggregateFunction(max, DateTime)', codec: 'ZSTD(1)' },
];

export const PAYLOADS_COLUMNS: readonly ExpectedColumn[] = [
  { name: 'Hash', type: 'String', codec: 'ZSTD(1)' },
  { name: 'Data', type: 'String', codec: 'ZSTD(3)' },
  { name: 'Size', type: 'UInt64', codec: 'T64, ZSTD(1)' },
  { name: 'Timestamp', type: 'DateTime64(9)', codec: 'Delta(8), ZSTD(1)' },
];

export interface ExpectedColumn {
  name: string;
  type: string;
  /** As DESCRIBE's `codec_expression` prints it, without the CODEC(...) wrapper. */
  codec: string;
  /** DESCRIBE's `default_type` (`ALIAS` for computed columns), empty for stored columns. */
  defaultKind?: 'ALIAS';
}

/** The skip indexes the Collector creates on the span table, as system.data_skipping_indices lists them. */
export const TRACES_SKIP_INDEXES: readonly { name: string; expr: string; type: string; granularity: number }[] = [
  { name: 'idx_trace_id', expr: 'TraceId', type: 'bloom_filter(0.001)', granularity: 1 },
  { name: 'idx_res_attr_key', expr: 'mapKeys(ResourceAttributes)', type: 'bloom_filter(0.01)', granularity: 1 },
  { name: 'idx_res_attr_value', expr: 'mapValues(ResourceAttributes)', type: 'bloom_filter(0.01)', granularity: 1 },
  { name: 'idx_span_attr_key', expr: 'mapKeys(SpanAttributes)', type: 'bloom_filter(0.01)', granularity: 1 },
  { name: 'idx_span_attr_value', expr: 'mapValues(SpanAttributes)', type: 'bloom_filter(0.01)', granularity: 1 },
  { name: 'idx_duration', expr: 'Duration', type: 'minmax', granularity: 1 },
  { name: 'idx_lower_span_name', expr: 'lower(SpanName)', type: 'tokenbf_v1(32768, 3, 0)', granularity: 8 },
];

function tracesTableDdl(n: SchemaNames, ttlSeconds: number | undefined): string {
  const attrItems = (column: string): string =>
    `arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(${column}, 'Array(Tuple(String, String))'))`;
  return `CREATE TABLE IF NOT EXISTS ${n.traces} (
  Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
  TraceId String CODEC(ZSTD(1)),
  SpanId String CODEC(ZSTD(1)),
  ParentSpanId String CODEC(ZSTD(1)),
  TraceState String CODEC(ZSTD(1)),
  SpanName LowCardinality(String) CODEC(ZSTD(1)),
  SpanKind LowCardinality(String) CODEC(ZSTD(1)),
  ServiceName LowCardinality(String) CODEC(ZSTD(1)),
  ResourceAttributes ${MAP} CODEC(ZSTD(1)),
  ScopeName String CODEC(ZSTD(1)),
  ScopeVersion String CODEC(ZSTD(1)),
  SpanAttributes ${MAP} CODEC(ZSTD(1)),
  Duration UInt64 CODEC(T64, ZSTD(1)),
  StatusCode LowCardinality(String) CODEC(ZSTD(1)),
  StatusMessage String CODEC(ZSTD(1)),
  Events Nested (
    Timestamp DateTime64(9),
    Name LowCardinality(String),
    Attributes ${MAP}
  ) CODEC(ZSTD(1)),
  Links Nested (
    TraceId String,
    SpanId String,
    TraceState String,
    Attributes ${MAP}
  ) CODEC(ZSTD(1)),
  ResourceAttributeItems Array(String) ALIAS ${attrItems('ResourceAttributes')},
  SpanAttributeItems Array(String) ALIAS ${attrItems('SpanAttributes')},
${TRACES_SKIP_INDEXES.map((i) => `  INDEX ${i.name} ${i.expr} TYPE ${i.type} GRANULARITY ${i.granularity}`).join(',\n')}
) ENGINE = MergeTree()
PARTITION BY toDate(Timestamp)
PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)
${ttlClause('Timestamp', ttlSeconds)}SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`;
}

function traceIdTsTableDdl(n: SchemaNames, ttlSeconds: number | undefined): string {
  return `CREATE TABLE IF NOT EXISTS ${n.traceIdTs} (
  TraceId String CODEC(ZSTD(1)),
  Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),
  End SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))
) ENGINE = AggregatingMergeTree()
PARTITION BY toStartOfWeek(Start)
ORDER BY (TraceId)
${ttlClause('Start', ttlSeconds)}SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`;
}

function traceIdTsViewDdl(n: SchemaNames): string {
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${n.traceIdTsMv} TO ${n.traceIdTs}
AS SELECT
  TraceId,
  min(Timestamp) as Start,
  max(Timestamp) as End
FROM ${n.traces}
WHERE TraceId != ''
GROUP BY TraceId`;
}

/**
 * Payloads are keyed by their own hash, so a repeated payload (the same prompt sent on every run)
 * collapses to one row per day-partition on merge; readers still GROUP BY Hash because merges are
 * eventual. Partitioning by day and the same TTL as spans means a payload lives as long as the
 * most recent span referring to it (each insert refreshes it in today's partition).
 */
function payloadsTableDdl(n: SchemaNames, ttlSeconds: number | undefined): string {
  return `CREATE TABLE IF NOT EXISTS ${n.payloads} (
  Hash String CODEC(ZSTD(1)),
  Data String CODEC(ZSTD(3)),
  Size UInt64 CODEC(T64, ZSTD(1)),
  Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1))
) ENGINE = ReplacingMergeTree(Timestamp)
PARTITION BY toDate(Timestamp)
ORDER BY Hash
${ttlClause('Timestamp', ttlSeconds)}SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`;
}

/** The statements that create the schema, in dependency order; every one is idempotent. */
export function schemaStatements(options: SchemaOptions = {}): string[] {
  const n = schemaNames(options);
  const statements = [
    tracesTableDdl(n, options.ttlSeconds),
    traceIdTsTableDdl(n, options.ttlSeconds),
    traceIdTsViewDdl(n),
    payloadsTableDdl(n, options.ttlSeconds),
  ];
  // `default` always exists, and a server user may lack the right to CREATE DATABASE at all.
  if (n.database !== quoteIdentifier(DEFAULT_DATABASE)) {
    statements.unshift(`CREATE DATABASE IF NOT EXISTS ${n.database}`);
  }
  return statements;
}
