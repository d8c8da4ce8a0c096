import type { SpanRow } from './store.js';
import { LOCAL_TABLE_SUFFIX } from './cluster-schema.js';
import { DEFAULT_DATABASE, DEFAULT_PAYLOADS_TABLE, DEFAULT_RUNS_TABLE, DEFAULT_TRACES_TABLE, quoteIdentifier, type SchemaOptions } from './schema.js';

/*
 * The span table is not always ours. A Collector's ClickHouse exporter may have created it, and
 * its DDL changed over the years: `Duration Int64` before `UInt64`; no ScopeName/ScopeVersion
 * columns at first (the scope went into SpanAttributes as otel.scope.name/version); a lookup table
 * `<traces>_trace_id_ts` with DateTime64(9) Start/End on a plain MergeTree, later DateTime, now
 * SimpleAggregateFunction(min/max, DateTime) on an AggregatingMergeTree; and deployments that
 * manage their own DDL (create_schema: false) often have no lookup table at all. Reading detects
 * what is there instead of assuming today's layout.
 */

/** What the store's span tables look like, as system.columns reports them. */
export interface TraceTableLayout {
  /** False when the span table does not exist (a store nothing was ever written to). */
  tracesExists: boolean;
  /** Column name to type, `Events.Timestamp` style for nested columns. */
  tracesColumns: ReadonlyMap<string, string>;
  /** The lookup table exists with the TraceId/Start/End columns the bounds query needs. */
  hasLookup: boolean;
  /** tracetape's runs table exists (a store an older tracetape or a Collector made has none). */
  hasRuns: boolean;
  /**
   * The payload table sorts by TraceId first, so a payload is looked up beside its trace. One an
   * older tracetape made sorts by Hash alone (with or without a TraceId column added later): its
   * merges fold one hash's rows of different traces into one, so it is looked up by hash alone.
   */
  payloadsByTrace: boolean;
}

export interface LayoutTables {
  database: string;
  traces: string;
  lookup: string;
  runs: string;
  /** The table that stores payload rows: on a cluster the local one (a Distributed table has no sorting key). */
  payloads: string;
}

/** Unquoted names of the tables whose layout matters, for system.columns. */
export function layoutTables(options: SchemaOptions): LayoutTables {
  const traces = options.tracesTable ?? DEFAULT_TRACES_TABLE;
  const payloads = options.payloadsTable ?? DEFAULT_PAYLOADS_TABLE;
  return {
    database: options.database ?? DEFAULT_DATABASE,
    traces,
    lookup: `${traces}_trace_id_ts`,
    runs: options.runsTable ?? DEFAULT_RUNS_TABLE,
    payloads: options.cluster === undefined ? payloads : payloads + LOCAL_TABLE_SUFFIX,
  };
}

/** The query that lists the columns of the tables; bind `database` and `tables`. */
export const LAYOUT_QUERY = `SELECT table, name, type, is_in_sorting_key FROM system.columns
  WHERE database = {database:String} AND table IN {tables:Array(String)}`;

export interface ColumnInfo {
  table: string;
  name: string;
  type: string;
  /** 1 when the column is part of the table's sorting key. */
  is_in_sorting_key?: number | string;
}

export function layoutFromColumns(tables: LayoutTables, columns: readonly ColumnInfo[]): TraceTableLayout {
  const tracesColumns = new Map<string, string>();
  const lookupColumns = new Set<string>();
  let hasRuns = false;
  let payloadsByTrace = false;
  for (const column of columns) {
    if (column.table === tables.traces) tracesColumns.set(column.name, column.type);
    else if (column.table === tables.lookup) lookupColumns.add(column.name);
    else if (column.table === tables.runs) hasRuns = true;
    else if (column.table === tables.payloads && column.name === 'TraceId') payloadsByTrace = Number(column.is_in_sorting_key) === 1;
  }
  return {
    tracesExists: tracesColumns.size > 0,
    tracesColumns,
    hasLookup: ['TraceId', 'Start', 'End'].every((name) => lookupColumns.has(name)),
    hasRuns,
    payloadsByTrace,
  };
}

const EMPTY_MAP = "CAST(map(), 'Map(LowCardinality(String), String)')";
const MAP_FROM_ATTRIBUTE = (key: string): string => `SpanAttributes['${key}']`;

/**
 * The columns a SpanRow is read from, each with what stands in for it when an older layout lacks
 * it. Duration goes through toString: UInt64 (current) and Int64 (older) both exceed what a JS
 * number holds exactly.
 */
const SPAN_ROW_COLUMNS: readonly { name: keyof SpanRow; read?: string; missing: string }[] = [
  { name: 'Timestamp', missing: "toDateTime64(0, 9, 'UTC')" },
  { name: 'TraceId', missing: "''" },
  { name: 'SpanId', missing: "''" },
  { name: 'ParentSpanId', missing: "''" },
  { name: 'TraceState', missing: "''" },
  { name: 'SpanName', missing: "''" },
  { name: 'SpanKind', missing: "''" },
  { name: 'ServiceName', missing: "ResourceAttributes['service.name']" },
  { name: 'ResourceAttributes', missing: EMPTY_MAP },
  // Exporters before the Scope columns existed put the scope into the span attributes.
  { name: 'ScopeName', missing: MAP_FROM_ATTRIBUTE('otel.scope.name') },
  { name: 'ScopeVersion', missing: MAP_FROM_ATTRIBUTE('otel.scope.version') },
  { name: 'SpanAttributes', missing: EMPTY_MAP },
  { name: 'Duration', read: 'toString(Duration)', missing: "'0'" },
  { name: 'StatusCode', missing: "''" },
  { name: 'StatusMessage', missing: "''" },
  { name: 'Events.Timestamp', missing: "CAST([], 'Array(DateTime64(9))')" },
  { name: 'Events.Name', missing: "CAST([], 'Array(String)')" },
  { name: 'Events.Attributes', missing: `CAST([], 'Array(Map(LowCardinality(String), String))')` },
  { name: 'Links.TraceId', missing: "CAST([], 'Array(String)')" },
  { name: 'Links.SpanId', missing: "CAST([], 'Array(String)')" },
  { name: 'Links.TraceState', missing: "CAST([], 'Array(String)')" },
  { name: 'Links.Attributes', missing: `CAST([], 'Array(Map(LowCardinality(String), String))')` },
];

/** Read whatever columns are asked for: the query filters and orders by them. */
type AlwaysRead = 'Timestamp' | 'TraceId' | 'SpanId' | 'ParentSpanId';
const ALWAYS_READ: readonly AlwaysRead[] = ['Timestamp', 'TraceId', 'SpanId', 'ParentSpanId'];

/**
 * The SELECT list that reads SpanRows from a span table of this layout; with `columns`, only those
 * (and the ones always read): each constant standing in for a column left out cost the engine's
 * analysis time, ~1 ms of a tape build (BENCHMARKS.md, session 26). withUnreadColumns fills them.
 */
export function spanRowSelectList(layout: TraceTableLayout, columns?: readonly (keyof SpanRow)[]): string {
  const wanted = columns ? new Set([...ALWAYS_READ, ...columns]) : undefined;
  return SPAN_ROW_COLUMNS.filter(({ name }) => !wanted || wanted.has(name))
    .map(({ name, read, missing }) => {
      const quoted = quoteIdentifier(name);
      const expression = layout.tracesColumns.has(name) ? (read ?? quoted) : missing;
      return expression === quoted ? quoted : `${expression} AS ${quoted}`;
    })
    .join(', ');
}

/** Empty values of their type for the columns a narrow read may leave out; the type makes it whole. */
function unreadColumns(): Omit<SpanRow, AlwaysRead> {
  return {
    TraceState: '',
    SpanName: '',
    SpanKind: '',
    ServiceName: '',
    ResourceAttributes: {},
    ScopeName: '',
    ScopeVersion: '',
    SpanAttributes: {},
    Duration: '0',
    StatusCode: '',
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

/**
 * A row read with only some columns, completed with empty values of their type for the others
 * ('', {}, [], Duration '0'): fresh objects per row, since readers fill attributes in place.
 */
export function withUnreadColumns(row: Pick<SpanRow, AlwaysRead> & Partial<SpanRow>): SpanRow {
  return { ...unreadColumns(), ...row };
}

/**
 * Time bounds of a trace from the lookup table, as one (start, end) tuple for a scalar subquery.
 * toDateTime() makes every vintage of Start/End (DateTime64(9), DateTime, SimpleAggregateFunction
 * over DateTime) whole seconds, rounded down; the extra second on End covers the rounding. A trace
 * the table lacks gets the epoch's first second, which no recorded span falls in.
 */
export function lookupBoundsSql(lookupTable: string): string {
  return `SELECT (toDateTime(min(Start)), toDateTime(max(End)) + 1) FROM ${lookupTable} WHERE TraceId = {traceId:String}`;
}
