-- tracetape schema: otel_traces in the OpenTelemetry Collector ClickHouse exporter's current layout,
-- its trace ID lookup table and view, tracetape_payloads and its text view, tracetape_runs. Generated from schemaStatements()
-- in packages/clickhouse (test/compose-config.test.ts checks that it still matches).

CREATE TABLE IF NOT EXISTS `default`.`otel_traces` (
  Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
  TraceId String CODEC(ZSTD(1)),
  SpanId String CODEC(ZSTD(1)),
  ParentSpanId String CODEC(ZSTD(1)),
  TraceState String CODEC(ZSTD(1)),
  SpanName LowCardinality(String) CODEC(ZSTD(1)),
  SpanKind LowCardinality(String) CODEC(ZSTD(1)),
  ServiceName LowCardinality(String) CODEC(ZSTD(1)),
  ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
  ScopeName String CODEC(ZSTD(1)),
  ScopeVersion String CODEC(ZSTD(1)),
  SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
  Duration UInt64 CODEC(T64, ZSTD(1)),
  StatusCode LowCardinality(String) CODEC(ZSTD(1)),
  StatusMessage String CODEC(ZSTD(1)),
  Events Nested (
    Timestamp DateTime64(9),
    Name LowCardinality(String),
    Attributes Map(LowCardinality(String), String)
  ) CODEC(ZSTD(1)),
  Links Nested (
    TraceId String,
    SpanId String,
    TraceState String,
    Attributes Map(LowCardinality(String), String)
  ) CODEC(ZSTD(1)),
  ResourceAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(ResourceAttributes, 'Array(Tuple(String, String))')),
  SpanAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(SpanAttributes, 'Array(Tuple(String, String))')),
  INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
  INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
  INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
  INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
  INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
  INDEX idx_duration Duration TYPE minmax GRANULARITY 1,
  INDEX idx_lower_span_name lower(SpanName) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
) ENGINE = MergeTree()
PARTITION BY toDate(Timestamp)
PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS `default`.`otel_traces_trace_id_ts` (
  TraceId String CODEC(ZSTD(1)),
  Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),
  End SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))
) ENGINE = AggregatingMergeTree()
PARTITION BY toStartOfWeek(Start)
ORDER BY (TraceId)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS `default`.`otel_traces_trace_id_ts_mv` TO `default`.`otel_traces_trace_id_ts`
AS SELECT
  TraceId,
  min(Timestamp) as Start,
  max(Timestamp) as End
FROM `default`.`otel_traces`
WHERE TraceId != ''
GROUP BY TraceId;

CREATE TABLE IF NOT EXISTS `default`.`tracetape_payloads` (
  TraceId String CODEC(ZSTD(1)),
  Hash String CODEC(ZSTD(1)),
  Data String CODEC(ZSTD(3)),
  Size UInt64 CODEC(T64, ZSTD(1)),
  Timestamp DateTime64(9) CODEC(ZSTD(1))
) ENGINE = ReplacingMergeTree(Timestamp)
PARTITION BY toDate(Timestamp)
ORDER BY (TraceId, Hash)
SETTINGS index_granularity = 8192, index_granularity_bytes = 1048576, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;

CREATE VIEW IF NOT EXISTS `default`.`tracetape_payloads_text` AS
WITH
  stored AS (SELECT Hash, any(Data) AS Data FROM `default`.`tracetape_payloads` GROUP BY Hash),
  parts AS (
    SELECT Hash, key, n, length(keys) AS total
    FROM (
      SELECT Hash,
        if(startsWith(Data, 'tracetape-chunks:v1\n') AND lower(hex(SHA256(Data))) != Hash, arrayPopFront(splitByChar('\n', Data)), [Hash]) AS keys
      FROM stored
    )
    ARRAY JOIN keys AS key, arrayEnumerate(keys) AS n
  )
SELECT
  parts.Hash AS Hash,
  if(count() = any(parts.total), arrayStringConcat(arrayMap(x -> x.2, arraySort(x -> x.1, groupArray((parts.n, stored.Data))))), NULL) AS Data
FROM parts INNER JOIN stored ON stored.Hash = parts.key
GROUP BY parts.Hash;

CREATE TABLE IF NOT EXISTS `default`.`tracetape_runs` (
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
) ENGINE = ReplacingMergeTree(Updated)
PARTITION BY toDate(Started)
ORDER BY (TraceId, Writer)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
