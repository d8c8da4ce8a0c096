import type { InventoryCall } from '@tracetape/core';

/** One row of `otel_traces`, in the JSON shape ClickHouse reads and writes (JSONEachRow). */
export interface SpanRow {
  /** 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn', UTC. */
  Timestamp: string;
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  TraceState: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: Record<string, string>;
  ScopeName: string;
  ScopeVersion: string;
  SpanAttributes: Record<string, string>;
  /** Nanoseconds as a decimal string: a UInt64 does not fit a JS number. */
  Duration: string;
  StatusCode: string;
  StatusMessage: string;
  'Events.Timestamp': string[];
  'Events.Name': string[];
  'Events.Attributes': Record<string, string>[];
  'Links.TraceId': string[];
  'Links.SpanId': string[];
  'Links.TraceState': string[];
  'Links.Attributes': Record<string, string>[];
}

/** One row of the content-addressed payload table. */
export interface PayloadRow {
  /**
   * The trace whose span the payload belongs to: a run's payloads are stored together, so a tape
   * build reads them in one place. Rows without one (written before payload rows named their
   * trace) are stored with an empty TraceId and found from any trace.
   */
  TraceId?: string;
  /** Hex SHA-256 of Data. */
  Hash: string;
  Data: string;
  /** Byte length of Data (UTF-8). */
  Size: number;
  /** 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn', UTC: when the payload was (last) written. */
  Timestamp: string;
}

/**
 * Rows already in the store's insert encoding: ClickHouse RowBinary, columns in the order of
 * SPAN_ROW_BINARY_COLUMNS and PAYLOAD_ROW_BINARY_COLUMNS (row-binary.ts). Any number of blocks
 * per table, each holding whole rows; the insert concatenates them.
 */
export interface EncodedRows {
  spanRows: number;
  spans: readonly Uint8Array[];
  payloadRows: number;
  payloads: readonly Uint8Array[];
}

/** A recording process's word on one trace, as ingest stores it from the log (`tracetape_runs`). */
export type RunState = 'recording' | 'complete' | 'incomplete';

/** One row of `tracetape_runs`: a process (its log writer) that recorded into a trace. */
export interface RunRow {
  TraceId: string;
  /** The log writer's key: start time, pid and thread of the recording process. */
  Writer: string;
  Name: string;
  ServiceName: string;
  Pid: number;
  /** `0` for the run's first process, `0.1` for its first child… */
  ProcessPath: string;
  State: RunState;
  /** Spans of this trace the process could not write, as far as it could say. */
  LostSpans: number;
  /** Why the run is incomplete; empty otherwise. */
  Reason: string;
  /** 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn', UTC. */
  Started: string;
  /** 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn', UTC: the newest row of a (TraceId, Writer) is its state. */
  Updated: string;
}

/** One recorded run, as `tracetape traces` lists it. */
export interface TraceSummary {
  traceId: string;
  serviceName: string;
  /** Name of the root span (of the earliest span when the root is missing). */
  name: string;
  /** Start of the earliest span, 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn' UTC. */
  start: string;
  /** From the earliest span start to the latest span end. */
  durationMs: number;
  /** 'Error' if any span errored, else the root span's status ('Ok' | 'Unset'). */
  status: string;
  spanCount: number;
  /** Spans carrying a tracetape recording (a `tracetape.input.hash` attribute). */
  recordedCalls: number;
  /** From the recording log: a process still writing it, or one that lost spans. Absent: complete. */
  state?: Exclude<RunState, 'complete'>;
  /** Spans the recording processes said they lost. */
  lostSpans?: number;
  /** Why it is incomplete, when it is. */
  reason?: string;
  /** Models the run's LLM calls asked for (`gen_ai.request.model`), each once. */
  models: string[];
  /** The root span's `tracetape.run.type`: `replay` for a replay that `tracetape replay` stored. Absent: a recording. */
  runType?: string;
  /** The root span's `tracetape.replay.of`: the trace a replay replayed. */
  replayOf?: string;
  /** The root span's `tracetape.replay.outcome`, for a stored replay: `passed` or `diverged`. */
  replayOutcome?: string;
  /**
   * Side effects the run did again with nothing making it safe (see repeated-side-effects-sql.ts):
   * the refund paid twice. Retries carrying the same Idempotency-Key do not count. Absent: none.
   */
  repeatedSideEffects?: number;
}

/** Findings a run can be filtered by (`tracetape traces --flag`). */
export const TRACE_FLAGS = ['repeated-side-effect'] as const;
export type TraceFlag = (typeof TRACE_FLAGS)[number];

/** What the recording processes of one trace said of it, folded: the worst state wins. */
export interface TraceRunState {
  state: RunState;
  lostSpans: number;
  reasons: string[];
}

export interface ListTracesOptions {
  limit: number;
  /** Only traces whose ID starts with these (lower-case) hex digits: how a typed prefix is resolved. */
  traceIdPrefix?: string;
  /** Only this service (exact ServiceName of the root span). */
  service?: string;
  /** Only runs whose name (the root span's) contains this, in any case. */
  name?: string;
  /** Only traces that started at or after this instant. */
  since?: Date;
  /** Only traces that started at or before this instant. */
  until?: Date;
  /** `error`: any span errored; `ok`: none did. */
  status?: 'ok' | 'error';
  /**
   * Only traces with, for each of these, a span whose attribute (span or resource) `key` equals
   * `value`: a model, a tool name, an input hash, a host.
   */
  attributes?: ReadonlyArray<{ key: string; value: string }>;
  /** Only traces with each of these findings. */
  flags?: readonly TraceFlag[];
}

/** Which recorded calls `tracetape inventory` reads. */
export interface InventoryCallsOptions {
  /** Calls made at or after this instant. */
  since?: Date;
  /** Calls made before this instant. */
  until?: Date;
  /** Only this service (exact ServiceName). */
  service?: string;
}

/** How `tracetape query` runs a user's SQL. */
export interface UserQueryOptions {
  /** Refuse anything that would change the store (ClickHouse's readonly setting). */
  readOnly?: boolean;
}

export interface TraceSpansOptions {
  /**
   * Only these columns are read; the others come back empty ('', {}, [], Duration '0'). A tape is
   * built from a few of them, and every column left out is one the engine neither reads nor sends.
   * Timestamp, TraceId, SpanId and ParentSpanId are always read (the query filters and orders by them).
   */
  columns?: readonly (keyof SpanRow)[];
}

/** Where spans live: the embedded chDB store or a ClickHouse server. Both run the same SQL. */
export interface SpanStore {
  /** Human-readable, for messages: "embedded ClickHouse at /path" or "ClickHouse at http://host:8123". */
  readonly location: string;
  /** Creates the schema if absent; idempotent. */
  init(): Promise<void>;
  /** Payloads first, then spans, then run rows: no reader meets a reference before its target. */
  insert(spans: SpanRow[], payloads: PayloadRow[], runs?: RunRow[]): Promise<void>;
  /** The newest row of each (TraceId, Writer) among those asked for, by writer or by trace. */
  runRows(filter: { writers?: string[]; traceIds?: string[] }): Promise<RunRow[]>;
  /**
   * Optional: does now, for rows that will be inserted later, the part of the work that can be done
   * ahead (the embedded store serialises them), so it overlaps an insert that is still running.
   */
  prepareRows?(spans: readonly SpanRow[], payloads: readonly PayloadRow[]): void;
  /**
   * Optional: inserts rows already encoded (the recording log's rows records), payloads first,
   * then spans, then run rows. `token` names the insert: the same insert run again (an ingester
   * killed mid-insert) carries the same token, and the store drops it as a copy.
   */
  insertEncoded?(rows: EncodedRows, runs: RunRow[], token: string): Promise<void>;
  /** For process 'exit' handlers, where nothing asynchronous runs any more. */
  insertSync(spans: SpanRow[], payloads: PayloadRow[]): void;
  /**
   * Optional, for 'exit' handlers: completes synchronously the inserts still running, which would
   * otherwise end with the process (the embedded engine's threads do). Afterwards nothing runs in
   * the store, so closeSync() is safe. Throws what the store refused.
   */
  finishInsertsSync?(): void;
  /** All spans of a trace ordered by Timestamp; [] when the trace is unknown. */
  getTraceSpans(traceId: string, options?: TraceSpansOptions): Promise<SpanRow[]>;
  /**
   * Payload text by hash; hashes not found are absent from the map. With `traceIds`, on a payload
   * table sorted by trace, the payloads of those traces (and rows that name no trace): a lookup
   * served from a few granules. Without them, or on a table an older tracetape made (sorted by
   * hash), any trace's: on a table sorted by trace that reads the hash column of every row.
   */
  getPayloads(hashes: string[], traceIds?: readonly string[]): Promise<Map<string, string>>;
  /** Most recent first. */
  listTraces(options: ListTracesOptions): Promise<TraceSummary[]>;
  /**
   * Up to `limit` stored trace IDs that start with `prefix` (lower-case hex), in no set order:
   * traces with spans and runs with none yet alike, as listTraces finds them, without summing
   * them up (how a typed prefix resolves to its one trace).
   */
  traceIdsStartingWith(prefix: string, limit: number): Promise<string[]>;
  /** The boundary calls of a period, grouped (inventory-sql.ts) for core's buildInventory(). */
  inventoryCalls(options: InventoryCallsOptions): Promise<InventoryCall[]>;
  /**
   * Raw SQL, as typed by a user of `tracetape query`; returns the output in `format`. Refusals
   * are UserQueryErrors (errors.ts) carrying ClickHouse's own words, with no hint about tracetape's schema.
   */
  query(sql: string, format: string, options?: UserQueryOptions): Promise<string>;
  close(): Promise<void>;
  /**
   * Releases what can be released synchronously, for 'exit' handlers. The embedded engine must
   * be closed before the process tears down: its static destructors race its own threads otherwise.
   */
  closeSync(): void;
}
