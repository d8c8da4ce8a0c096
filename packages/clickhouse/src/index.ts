export {
  DEFAULT_DATABASE,
  DEFAULT_PAYLOADS_TABLE,
  DEFAULT_TRACES_TABLE,
  PAYLOADS_COLUMNS,
  RUNS_COLUMNS,
  DEFAULT_RUNS_TABLE,
  TRACE_ID_TS_COLUMNS,
  TRACES_COLUMNS,
  TRACES_SKIP_INDEXES,
  quoteIdentifier,
  retentionStatements,
  upgradeStatements,
  schemaNames,
  schemaStatements,
  type ExpectedColumn,
  type SchemaNames,
  type SchemaOptions,
} from './schema.js';
export { MAX_RETENTION_SECONDS, RETENTION_ENV, parseRetention } from './retention.js';
export { CLUSTER_ENV, DEFAULT_REPLICATION_PATH_PREFIX } from './cluster-schema.js';
export type { EncodedRows, InventoryCallsOptions, ListTracesOptions, UserQueryOptions, PayloadRow, RunRow, RunState, SpanRow, SpanStore, TraceFlag, TraceRunState, TraceSpansOptions, TraceSummary } from './store.js';
export { TRACE_FLAGS } from './store.js';
export { foldRunStates } from './sql-store.js';
export { StoreQueryError, UserQueryError } from './errors.js';
export { ChdbSpanStore, DEFAULT_STORE_DIR, type ChdbStoreOptions } from './chdb-store.js';
export { ServerSpanStore, type ServerStoreOptions } from './server-store.js';
export { openStore, storeOptionsFromEnv, type StoreOptions } from './open-store.js';
export { attributeValueToString, formatNanos, formatTimestamp, hrTimeToNanos, toSpanRow, type SpanRowSource } from './span-rows.js';
export { DEFAULT_PAYLOAD_THRESHOLD_BYTES, offloadPayloads, resolvePayloadRefs, type OffloadOptions } from './payload-offload.js';
export { chunkEnds, DEFAULT_CHUNK_SIZES, splitIntoChunks, type ChunkSizes } from './content-chunks.js';
export { MANIFEST_HEADER } from './payload-manifest.js';
export { RowBatchEncoder, type RowBatch } from './row-batch-encoder.js';
export {
  decodeSpanRows,
  encodePayloadRow,
  encodeSpanRow,
  PAYLOAD_ROW_BINARY_COLUMNS,
  PAYLOAD_ROW_BINARY_STRUCTURE,
  RowBinaryWriter,
  SPAN_ROW_BINARY_COLUMNS,
  SPAN_ROW_BINARY_STRUCTURE,
  withEmptyTraceIds,
  writePayloadRow,
  writeSpanRow,
} from './row-binary.js';
export {
  ClickHouseSpanExporter,
  type ClickHouseSpanExporterOptions,
  type ExporterStats,
} from './exporter.js';
export { runSyncWorker, runSyncWorkerWithOutput, type SyncWorkerOutcome } from './sync-worker.js';
