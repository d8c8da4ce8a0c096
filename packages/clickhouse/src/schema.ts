import { ConfigError } from '@tracetape/core';
import { MANIFEST_HEADER } from './payload-manifest.js';
import { clusterLayout, distributedTableDdl, engineClause, LOCAL_TABLE_SUFFIX, onCluster, type ClusterLayout } from './cluster-schema.js';
import { checkRetentionSeconds } from './retention.js';

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
  /** Name of tracetape's table of recording runs and what they lost (default `tracetape_runs`). */
  runsTable?: string;
  /** Retention in seconds; rows older than this are dropped by whole parts. Unset: keep forever. */
  ttlSeconds?: number;
  /**
   * A ClickHouse cluster (a name from the servers' remote_servers, or a macro like `{cluster}`):
   * the tables are created ON CLUSTER as replicated `<table>_local` tables behind Distributed
   * tables that carry the usual names. Servers only; the embedded store is a single process.
   */
  cluster?: string;
  /** With a cluster: the (Zoo)Keeper path before `/{database}/{table}` (default `/clickhouse/tables/{shard}`). */
  replicationPathPrefix?: string;
  /**
   * Tables for the embedded store (set by ChdbSpanStore): its engine version is the one tracetape
   * ships, and its stores are often tiny, so parts leave out what costs more than it brings there
   * (see EMBEDDED_PART_SETTINGS). Ignored with a cluster.
   */
  embedded?: boolean;
}

/** Fully resolved, quoted table names the stores run their SQL against. */
export interface SchemaNames {
  database: string;
  traces: string;
  traceIdTs: string;
  traceIdTsMv: string;
  payloads: string;
  runs: string;
}

export const DEFAULT_DATABASE = 'default';
export const DEFAULT_TRACES_TABLE = 'otel_traces';
export const DEFAULT_PAYLOADS_TABLE = 'tracetape_payloads';
export const DEFAULT_RUNS_TABLE = 'tracetape_runs';
/** The view of payload text is named after the payload table: `tracetape_payloads_text`. */
export const PAYLOAD_TEXT_SUFFIX = '_text';

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

/** Unquoted, checked names: the tables the stores read and write, before quoting. */
interface TableNames {
  database: string;
  traces: string;
  traceIdTs: string;
  traceIdTsMv: string;
  payloads: string;
  runs: string;
}

function tableNames(options: SchemaOptions): TableNames {
  const traces = checkIdentifier('table', options.tracesTable ?? DEFAULT_TRACES_TABLE);
  return {
    database: checkIdentifier('database', options.database ?? DEFAULT_DATABASE),
    traces,
    traceIdTs: `${traces}_trace_id_ts`,
    traceIdTsMv: `${traces}_trace_id_ts_mv`,
    payloads: checkIdentifier('table', options.payloadsTable ?? DEFAULT_PAYLOADS_TABLE),
    runs: checkIdentifier('table', options.runsTable ?? DEFAULT_RUNS_TABLE),
  };
}

function qualify(database: string, table: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}

export function schemaNames(options: SchemaOptions = {}): SchemaNames {
  const t = tableNames(options);
  return {
    database: quoteIdentifier(t.database),
    traces: qualify(t.database, t.traces),
    traceIdTs: qualify(t.database, t.traceIdTs),
    traceIdTsMv: qualify(t.database, t.traceIdTsMv),
    payloads: qualify(t.database, t.payloads),
    runs: qualify(t.database, t.runs),
  };
}

function rowTtl(column: string, ttlSeconds: number): string {
  return `toDateTime(${column}) + toIntervalSecond(${checkRetentionSeconds(ttlSeconds)})`;
}

function ttlClause(column: string, ttlSeconds: number | undefined): string {
  return ttlSeconds === undefined ? '' : `TTL ${rowTtl(column, ttlSeconds)}\n`;
}

/**
 * A payload row must outlive every span that references it. Rows of one payload (or chunk) carry
 * the Timestamp of whichever span wrote them, not of the latest span that points at them, so a
 * per-row TTL could drop a payload while a later span of the same day still needs it. The writer
 * puts every span's payload rows into the span's own day partition, so the whole partition expires
 * at once: at the start of its day plus the retention (when the day's first spans may go), plus one
 * day (when its last spans may go), plus one day of grace because the two tables' TTL merges run
 * independently. Partitions are then dropped whole.
 */
function payloadTtl(ttlSeconds: number): string {
  return `toDateTime(toDate(Timestamp)) + toIntervalSecond(${checkRetentionSeconds(ttlSeconds) + 2 * 86400})`;
}

function payloadTtlClause(ttlSeconds: number | undefined): string {
  return ttlSeconds === undefined ? '' : `TTL ${payloadTtl(ttlSeconds)}\n`;
}

/** Where one table's CREATE statement goes: its name, and the cluster when there is one. */
interface Target {
  table: string;
  cluster: ClusterLayout | undefined;
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
  // The trace whose spans refer to the row: rows sort by it first, so a tape's payloads are read
  // from a few granules together rather than one granule each among every trace's (see payloadsTableDdl).
  { name: 'TraceId', type: 'String', codec: 'ZSTD(1)' },
  { name: 'Hash', type: 'String', codec: 'ZSTD(1)' },
  { name: 'Data', type: 'String', codec: 'ZSTD(3)' },
  { name: 'Size', type: 'UInt64', codec: 'T64, ZSTD(1)' },
  // Rows sort by hash within a trace, so consecutive timestamps are unrelated and Delta only added
  // noise; plain ZSTD finds the timestamps the chunks of one span share (half the bytes, BENCHMARKS.md
  // "Issue 19"). Tables created before keep Delta: both read the same.
  { name: 'Timestamp', type: 'DateTime64(9)', codec: 'ZSTD(1)' },
];

export const RUNS_COLUMNS: readonly ExpectedColumn[] = [
  { name: 'TraceId', type: 'String', codec: 'ZSTD(1)' },
  { name: 'Writer', type: 'String', codec: 'ZSTD(1)' },
  { name: 'Name', type: 'String', codec: 'ZSTD(1)' },
  { name: 'ServiceName', type: 'LowCardinality(String)', codec: 'ZSTD(1)' },
  { name: 'Pid', type: 'UInt32', codec: 'ZSTD(1)' },
  { name: 'ProcessPath', type: 'String', codec: 'ZSTD(1)' },
  { name: 'State', type: 'LowCardinality(String)', codec: 'ZSTD(1)' },
  { name: 'LostSpans', type: 'UInt64', codec: 'ZSTD(1)' },
  { name: 'Reason', type: 'String', codec: 'ZSTD(1)' },
  { name: 'Started', type: 'DateTime64(9)', codec: 'Delta(8), ZSTD(1)' },
  { name: 'Updated', type: 'DateTime64(9)', codec: 'Delta(8), ZSTD(1)' },
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

/**
 * Lets a plain MergeTree drop an insert whose deduplication token it has seen among its last
 * thousand (replicated engines do this by default): tracetape's inserts carry a token derived from
 * their rows, so a retried insert that had already landed is not stored twice.
 */
const DEDUPLICATION_WINDOW = 'non_replicated_deduplication_window = 1000';

/**
 * Part settings of the embedded store's tables. Each part of a recent engine carries per-column
 * statistics (`statistics.packed`, ~3 KiB for the span or payload table), and writes a String
 * column's lengths as a separate stream: fixed costs that made up an eighth of a 50-turn agent run
 * on disk (bench/storage-ratio.mjs, BENCHMARKS.md "Issue 19"). The embedded store's queries look
 * up traces by key and read whole small parts, so neither earns its bytes there. Only the engine
 * tracetape ships knows these settings (a 25.8 server rejects unknown ones), hence embedded only.
 */
export const EMBEDDED_PART_SETTINGS = "auto_statistics_types = '', string_serialization_version = 'single_stream'";

function tracesTableDdl(t: Target, ttlSeconds: number | undefined, partSettings = ''): string {
  const attrItems = (column: string): string =>
    `arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(${column}, 'Array(Tuple(String, String))'))`;
  return `CREATE TABLE IF NOT EXISTS ${t.table}${onCluster(t.cluster)} (
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
) ENGINE = ${engineClause('MergeTree', [], t.cluster)}
PARTITION BY toDate(Timestamp)
PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)
${ttlClause('Timestamp', ttlSeconds)}SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, ${DEDUPLICATION_WINDOW}${partSettings}`;
}

function traceIdTsTableDdl(t: Target, ttlSeconds: number | undefined, partSettings = ''): string {
  return `CREATE TABLE IF NOT EXISTS ${t.table}${onCluster(t.cluster)} (
  TraceId String CODEC(ZSTD(1)),
  Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),
  End SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))
) ENGINE = ${engineClause('AggregatingMergeTree', [], t.cluster)}
PARTITION BY toStartOfWeek(Start)
ORDER BY (TraceId)
${ttlClause('Start', ttlSeconds)}SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1${partSettings}`;
}

/** On a cluster, every node's view feeds its local lookup table from its local span table. */
function traceIdTsViewDdl(view: Target, from: string, to: string): string {
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${view.table}${onCluster(view.cluster)} TO ${to}
AS SELECT
  TraceId,
  min(Timestamp) as Start,
  max(Timestamp) as End
FROM ${from}
WHERE TraceId != ''
GROUP BY TraceId`;
}

/**
 * Rows are keyed by the trace that wrote them, then by their own hash: whole payloads, the chunks
 * of large ones and their manifests (payload-offload.ts), so a payload or chunk repeated within a
 * run (the history an agent resends on every call) collapses to one row per day-partition on merge;
 * readers still take one row per hash because merges are eventual. A run's payloads lie together,
 * so a tape build reads the granules of its own trace: keyed by hash alone, each of a tape's
 * hundreds of payloads sat in a granule of its own (up to 10 MB of other runs' text), and a store of
 * 200,000 payloads took a 200-call tape 0.62 to 0.64 s to build (BENCHMARKS.md, "Session 28").
 * Granules are capped at 1 MiB for the same reason: a run's rows share one or two. Deduplication is
 * within a trace: a prompt every run sends is stored once per run. Partitioned by day, so that
 * retention can drop a day's payloads together (see payloadTtlClause). A table an older tracetape
 * made keeps its order by hash (see payloadTraceIdColumn).
 */
function payloadsTableDdl(t: Target, ttlSeconds: number | undefined, partSettings = ''): string {
  return `CREATE TABLE IF NOT EXISTS ${t.table}${onCluster(t.cluster)} (
  TraceId String CODEC(ZSTD(1)),
  Hash String CODEC(ZSTD(1)),
  Data String CODEC(ZSTD(3)),
  Size UInt64 CODEC(T64, ZSTD(1)),
  Timestamp DateTime64(9) CODEC(ZSTD(1))
) ENGINE = ${engineClause('ReplacingMergeTree', ['Timestamp'], t.cluster)}
PARTITION BY toDate(Timestamp)
ORDER BY (TraceId, Hash)
${payloadTtlClause(ttlSeconds)}SETTINGS index_granularity = 8192, index_granularity_bytes = 1048576, ttl_only_drop_parts = 1, ${DEDUPLICATION_WINDOW}${partSettings}`;
}

/**
 * An embedded store's payload table made before payload rows named their trace gets the column,
 * which the recording log's rows (RowBinary, TraceId first) need, and keeps its order by hash:
 * ClickHouse cannot put a new column in front of an existing sorting key, so its rows are still
 * looked up by hash alone (TraceTableLayout.payloadsByTrace). Idempotent and instant (metadata
 * only). A server's table is left as it is: inserts there are JSON, whose unknown field it drops.
 */
function payloadTraceIdColumn(table: string): string {
  return `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS TraceId String DEFAULT '' CODEC(ZSTD(1)) FIRST`;
}

/**
 * Payload text for SQL readers: chunked payloads reassembled from their manifests (see
 * payload-manifest.ts), whole ones as stored, so a query joins on the hash a span refers to and
 * reads the text without knowing how it was stored. Data is NULL when a chunk is missing, never a
 * silently shortened text. A view stores nothing, so the cluster's one reads the Distributed table.
 */
function payloadTextViewDdl(view: Target, payloads: string): string {
  return `CREATE VIEW IF NOT EXISTS ${view.table}${onCluster(view.cluster)} AS
WITH
  stored AS (SELECT Hash, any(Data) AS Data FROM ${payloads} GROUP BY Hash),
  parts AS (
    SELECT Hash, key, n, length(keys) AS total
    FROM (
      SELECT Hash,
        if(startsWith(Data, '${MANIFEST_HEADER}\\n') AND lower(hex(SHA256(Data))) != Hash, arrayPopFront(splitByChar('\\n', Data)), [Hash]) AS keys
      FROM stored
    )
    ARRAY JOIN keys AS key, arrayEnumerate(keys) AS n
  )
SELECT
  parts.Hash AS Hash,
  if(count() = any(parts.total), arrayStringConcat(arrayMap(x -> x.2, arraySort(x -> x.1, groupArray((parts.n, stored.Data))))), NULL) AS Data
FROM parts INNER JOIN stored ON stored.Hash = parts.key
GROUP BY parts.Hash`;
}

/**
 * One row per recording process (writer) and trace, written by ingest from the recording log:
 * whether the process is still recording, ended cleanly, or lost spans (and why). The newest row
 * of a (TraceId, Writer) wins; readers take argMax by Updated because merges are eventual. Traces
 * that never went through the log (a Collector's) have no row and count as complete.
 */
function runsTableDdl(t: Target, ttlSeconds: number | undefined, partSettings = ''): string {
  return `CREATE TABLE IF NOT EXISTS ${t.table}${onCluster(t.cluster)} (
  TraceId String CODEC(ZSTD(1)),
  Writer String CODEC(ZSTD(1)),
  Name String CODEC(ZSTD(1)),
  ServiceName LowCardinality(String) CODEC(ZSTD(1)),
  Pid UInt32 CODEC(ZSTD(1)),
  ProcessPath String CODEC(ZSTD(1)),
  State LowCardinality(String) CODEC(ZSTD(1)),
  LostSpans UInt64 CODEC(ZSTD(1)),
  Reason String CODEC(ZSTD(1)),
  Started DateTime64(9) CODEC(Delta(8), ZSTD(1)),
  Updated DateTime64(9) CODEC(Delta(8), ZSTD(1))
) ENGINE = ${engineClause('ReplacingMergeTree', ['Updated'], t.cluster)}
PARTITION BY toDate(Started)
ORDER BY (TraceId, Writer)
${ttlClause('Started', ttlSeconds)}SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1${partSettings}`;
}

/** The statements that create the schema, in dependency order; every one is idempotent. */
export function schemaStatements(options: SchemaOptions = {}): string[] {
  const t = tableNames(options);
  const ttl = options.ttlSeconds;
  const cluster = options.cluster === undefined ? undefined : clusterLayout(options.cluster, options.replicationPathPrefix);
  const statements: string[] = [];
  // `default` always exists, and a server user may lack the right to CREATE DATABASE at all.
  if (t.database !== DEFAULT_DATABASE) {
    statements.push(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(t.database)}${onCluster(cluster)}`);
  }
  if (!cluster) {
    const at = (table: string): Target => ({ table: qualify(t.database, table), cluster: undefined });
    const parts = options.embedded ? `, ${EMBEDDED_PART_SETTINGS}` : '';
    statements.push(
      tracesTableDdl(at(t.traces), ttl, parts),
      traceIdTsTableDdl(at(t.traceIdTs), ttl, parts),
      traceIdTsViewDdl(at(t.traceIdTsMv), qualify(t.database, t.traces), qualify(t.database, t.traceIdTs)),
      payloadsTableDdl(at(t.payloads), ttl, parts),
      ...(options.embedded ? [payloadTraceIdColumn(qualify(t.database, t.payloads))] : []),
      payloadTextViewDdl(at(t.payloads + PAYLOAD_TEXT_SUFFIX), qualify(t.database, t.payloads)),
      runsTableDdl(at(t.runs), ttl, parts),
    );
    return statements;
  }
  const local = (table: string): Target => ({ table: qualify(t.database, table + LOCAL_TABLE_SUFFIX), cluster });
  const distributed = (table: string, shardingKey: string): string =>
    distributedTableDdl(
      cluster,
      {
        qualified: qualify(t.database, table),
        database: t.database,
        local: table + LOCAL_TABLE_SUFFIX,
        qualifiedLocal: qualify(t.database, table + LOCAL_TABLE_SUFFIX),
      },
      shardingKey,
    );
  statements.push(
    tracesTableDdl(local(t.traces), ttl),
    distributed(t.traces, 'cityHash64(TraceId)'),
    traceIdTsTableDdl(local(t.traceIdTs), ttl),
    distributed(t.traceIdTs, 'cityHash64(TraceId)'),
    traceIdTsViewDdl({ table: qualify(t.database, t.traceIdTsMv), cluster }, local(t.traces).table, local(t.traceIdTs).table),
    payloadsTableDdl(local(t.payloads), ttl),
    distributed(t.payloads, 'cityHash64(Hash)'),
    payloadTextViewDdl({ table: qualify(t.database, t.payloads + PAYLOAD_TEXT_SUFFIX), cluster }, qualify(t.database, t.payloads)),
    runsTableDdl(local(t.runs), ttl),
    distributed(t.runs, 'cityHash64(TraceId)'),
  );
  return statements;
}

/**
 * Statements that give tables created by an older tracetape, or by the OpenTelemetry Collector,
 * the settings this version relies on: the deduplication window that makes a resent insert a
 * no-op. (New views and tables appear by themselves: their CREATE ... IF NOT EXISTS runs at init.)
 */
export function upgradeStatements(options: SchemaOptions = {}): string[] {
  const t = tableNames(options);
  const cluster = options.cluster === undefined ? undefined : clusterLayout(options.cluster, options.replicationPathPrefix);
  const table = (name: string): string => qualify(t.database, cluster ? name + LOCAL_TABLE_SUFFIX : name);
  return [t.traces, t.payloads].map((name) => `ALTER TABLE ${table(name)}${onCluster(cluster)} MODIFY SETTING ${DEDUPLICATION_WINDOW}`);
}

/**
 * Statements that set the retention on tables created earlier: CREATE ... IF NOT EXISTS leaves an
 * existing table as it is, TTL included. Each ALTER also computes the TTL of the parts already
 * stored, once, so run them when the retention changes, not on every start.
 */
export function retentionStatements(options: SchemaOptions & { ttlSeconds: number }): string[] {
  const t = tableNames(options);
  const cluster = options.cluster === undefined ? undefined : clusterLayout(options.cluster, options.replicationPathPrefix);
  // On a cluster the data, and so the TTL, lives in the local tables.
  const table = (name: string): string => qualify(t.database, cluster ? name + LOCAL_TABLE_SUFFIX : name);
  const alter = (name: string, ttl: string): string => `ALTER TABLE ${table(name)}${onCluster(cluster)} MODIFY TTL ${ttl}`;
  return [
    alter(t.traces, rowTtl('Timestamp', options.ttlSeconds)),
    alter(t.traceIdTs, rowTtl('Start', options.ttlSeconds)),
    alter(t.payloads, payloadTtl(options.ttlSeconds)),
    alter(t.runs, rowTtl('Started', options.ttlSeconds)),
  ];
}
