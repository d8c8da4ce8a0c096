import {
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_TRACETAPE_INPUT_HASH,
  ATTR_TRACETAPE_REPLAY_OF,
  ATTR_TRACETAPE_REPLAY_OUTCOME,
  ATTR_TRACETAPE_RUN_TYPE,
  sha256Hex,
  type InventoryCall,
} from '@tracetape/core';
import { schemaNames, schemaStatements, type SchemaNames, type SchemaOptions } from './schema.js';
import type { InventoryCallsOptions, ListTracesOptions, PayloadRow, RunRow, SpanRow, SpanStore, TraceRunState, TraceSpansOptions, TraceSummary, UserQueryOptions } from './store.js';
import { currentStatusSpelling, withCurrentSpellings } from './legacy-spellings.js';
import { payloadRowKey, WrittenPayloads } from './written-payloads.js';
import { REPEAT_PARAMS, repeatPairsSql } from './repeated-side-effects-sql.js';
import { INVENTORY_PARAMS, inventoryCallOf, inventoryCallsSql, type InventoryCallRow } from './inventory-sql.js';
import { LAYOUT_QUERY, layoutFromColumns, layoutTables, lookupBoundsSql, spanRowSelectList, withUnreadColumns, type ColumnInfo, type TraceTableLayout } from './trace-layout.js';

/** Values bound server-side to `{name:Type}` placeholders; never spliced into SQL text. */
export type QueryParams = Record<string, string | number | readonly string[]>;

/** Rows for one table. Each store encodes them as it inserts best (see chdb-store.ts). */
export type InsertBatch = SpanBatch | PayloadBatch | RunBatch;

interface BatchOf<Kind extends string, Row> {
  kind: Kind;
  /** Quoted, database-qualified table name. */
  table: string;
  rows: readonly Row[];
  /** Settings of this INSERT; values are digits or hex only, safe in SQL text. */
  settings: InsertSettings;
}
export type SpanBatch = BatchOf<'spans', SpanRow>;
export type PayloadBatch = BatchOf<'payloads', PayloadRow>;
export type RunBatch = BatchOf<'runs', RunRow>;

export interface InsertSettings {
  /**
   * Derived from what the rows are (span IDs, payload keys and days), so a retry of an insert that
   * landed but whose answer was lost (a timeout, a spooled batch sent again) carries the same
   * token, and ClickHouse drops it instead of storing the spans twice.
   */
  insert_deduplication_token: string;
  /** On a cluster: answer only once the rows are on their shards, so payloads land before spans are read. */
  distributed_foreground_insert?: 1;
  /**
   * Payload rows name their trace; a server's payload table an older tracetape made has no TraceId
   * column (its rows are read by hash alone): the field is dropped there rather than failing the
   * insert, whatever the server's profile says.
   */
  input_format_skip_unknown_fields?: 1;
}

function dedupToken(kind: string, keys: Iterable<string>): string {
  return sha256Hex(kind + '\n' + [...keys].join('\n'));
}

const PAYLOAD_LOOKUP_CHUNK = 1000;

/** Root span first (no parent), then the earliest: the key argMin picks a trace's headline span by. */
const ROOT_FIRST = "(ParentSpanId != '', Timestamp)";

/** The SETTINGS clause's body for an INSERT with these settings. */
export function insertSettingsSql(settings: InsertSettings): string {
  return Object.entries(settings)
    .map(([name, value]) => `${name} = ${typeof value === 'number' ? value : `'${value}'`}`)
    .join(', ');
}

export function parseJsonEachRow<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}

const SINCE_MIN_MS = Date.UTC(1900, 0, 1);
const SINCE_MAX_MS = Date.UTC(2262, 0, 1);

/** The bound values of listTraces' filters; only those given, so no placeholder is left unbound. */
function listFilters(options: ListTracesOptions): QueryParams {
  const params: QueryParams = {};
  if (options.traceIdPrefix !== undefined) params.prefix = options.traceIdPrefix;
  if (options.service !== undefined) params.service = options.service;
  if (options.name !== undefined) params.name = options.name;
  if (options.since !== undefined) {
    // Within what a nanosecond DateTime64 holds (1900 to 2262): ClickHouse refuses to compare past it.
    const since = new Date(Math.min(Math.max(options.since.getTime(), SINCE_MIN_MS), SINCE_MAX_MS));
    // 'YYYY-MM-DD hh:mm:ss.sss': both stores run their sessions in UTC.
    params.since = since.toISOString().replace('T', ' ').replace('Z', '');
  }
  if (options.until !== undefined) {
    const until = new Date(Math.min(Math.max(options.until.getTime(), SINCE_MIN_MS), SINCE_MAX_MS));
    params.until = until.toISOString().replace('T', ' ').replace('Z', '');
  }
  (options.attributes ?? []).forEach(({ key, value }, i) => {
    params[`attrKey${i}`] = key;
    params[`attrValue${i}`] = value;
  });
  return params;
}

const STATE_RANK: Record<RunRow['State'], number> = { complete: 0, recording: 1, incomplete: 2 };

/** Per trace, the worst state any of its processes is in, with what they lost and why. */
export function foldRunStates(rows: readonly RunRow[]): Map<string, TraceRunState> {
  const folded = new Map<string, TraceRunState>();
  for (const row of rows) {
    const current = folded.get(row.TraceId) ?? { state: 'complete', lostSpans: 0, reasons: [] };
    if (STATE_RANK[row.State] > STATE_RANK[current.state]) current.state = row.State;
    current.lostSpans += row.LostSpans;
    if (row.Reason && !current.reasons.includes(row.Reason)) current.reasons.push(row.Reason);
    folded.set(row.TraceId, current);
  }
  return folded;
}

/**
 * The SpanStore behaviour, written once over four primitives that chDB and @clickhouse/client
 * each implement, so the embedded store and a server run the same SQL.
 */
export abstract class SqlSpanStore implements SpanStore {
  abstract readonly location: string;
  protected readonly names: SchemaNames;
  private readonly schemaOptions: SchemaOptions;
  private schemaReady = false;
  /** Detected once the span table exists: a Collector of any vintage may have created it. */
  private layout: TraceTableLayout | undefined;
  private detectingLayout: Promise<TraceTableLayout> | undefined;
  private readonly writtenPayloads = new WrittenPayloads();
  /**
   * A SETTINGS clause (or nothing) for the reads of a few granules a tape build makes: the span
   * rows within the lookup table's bounds, their payloads, the run's state.
   */
  protected readonly smallReadSettings: string = '';
  /** A store created by an older tracetape, or by a Collector, has no runs table until init(). */
  private runsTableKnown = false;

  protected constructor(schema: SchemaOptions) {
    this.schemaOptions = schema;
    this.names = schemaNames(schema);
  }

  /** Runs a statement that returns nothing worth reading (DDL). */
  protected abstract execute(sql: string): Promise<void>;
  /** Runs a SELECT with bound parameters and returns its rows. */
  protected abstract select<T>(sql: string, params: QueryParams): Promise<T[]>;
  /** Runs a SELECT of two String columns; a store may read them in a cheaper format than JSON. */
  protected async selectStringPairs(sql: string, params: QueryParams): Promise<[string, string][]> {
    const rows = await this.select<Record<string, string>>(sql, params);
    return rows.map((row) => Object.values(row) as [string, string]);
  }
  protected abstract insertBatches(batches: InsertBatch[]): Promise<void>;
  /** Runs `schema` (DDL, possibly none) then the inserts, blocking until done. */
  protected abstract insertBatchesSync(batches: InsertBatch[], schema: string[]): void;
  abstract query(sql: string, format: string, options?: UserQueryOptions): Promise<string>;
  abstract close(): Promise<void>;
  abstract closeSync(): void;

  async init(): Promise<void> {
    for (const statement of schemaStatements(this.schemaOptions)) await this.execute(statement);
    // A layout read before the tables existed (or changed) is read again.
    this.layout = undefined;
    this.schemaReady = true;
    this.runsTableKnown = true;
  }

  async insert(spans: SpanRow[], payloads: PayloadRow[], runs: RunRow[] = []): Promise<void> {
    const unwritten = this.writtenPayloads.unwritten(payloads);
    await this.insertBatches(this.batches(spans, unwritten, runs));
    this.writtenPayloads.markWritten(unwritten);
  }

  /**
   * Creates the schema first unless init() already ran: a short script's only export may be the
   * one its exit handler makes, before any asynchronous init() could run.
   */
  insertSync(spans: SpanRow[], payloads: PayloadRow[]): void {
    const unwritten = this.writtenPayloads.unwritten(payloads);
    const batches = this.batches(spans, unwritten);
    if (batches.length === 0) return;
    this.insertBatchesSync(batches, this.schemaReady ? [] : schemaStatements(this.schemaOptions));
    this.schemaReady = true;
    this.writtenPayloads.markWritten(unwritten);
  }

  // Payloads go first, so no reader ever meets a reference whose payload is not there yet.
  private batches(spans: SpanRow[], payloads: PayloadRow[], runs: RunRow[] = []): InsertBatch[] {
    const batches: InsertBatch[] = [];
    const settings = (token: string): InsertSettings =>
      this.schemaOptions.cluster === undefined ? { insert_deduplication_token: token } : { insert_deduplication_token: token, distributed_foreground_insert: 1 };
    if (payloads.length > 0) {
      const token = dedupToken('payloads', payloads.map(payloadRowKey));
      batches.push({ kind: 'payloads', table: this.names.payloads, rows: payloads, settings: { ...settings(token), input_format_skip_unknown_fields: 1 } });
    }
    if (spans.length > 0) {
      const token = dedupToken('spans', spans.map((s) => s.TraceId + s.SpanId));
      batches.push({ kind: 'spans', table: this.names.traces, rows: spans, settings: settings(token) });
    }
    if (runs.length > 0) {
      // The newest row of a run wins on merge: a repeat changes nothing, so no token is needed.
      const token = dedupToken('runs', runs.map((r) => `${r.TraceId}/${r.Writer}/${r.State}/${r.LostSpans}/${r.Updated}`));
      batches.push({ kind: 'runs', table: this.names.runs, rows: runs, settings: settings(token) });
    }
    return batches;
  }

  async runRows(filter: { writers?: string[]; traceIds?: string[] }): Promise<RunRow[]> {
    const writers = filter.writers ?? [];
    const traceIds = filter.traceIds ?? [];
    if (writers.length === 0 && traceIds.length === 0) return [];
    if (!(await this.hasRunsTable())) return [];
    // Only the filters given: an OR with an empty IN costs the lookup of one trace's runs a fifth more.
    const where = [writers.length > 0 ? 'Writer IN {writers:Array(String)}' : '', traceIds.length > 0 ? 'TraceId IN {traceIds:Array(String)}' : '']
      .filter(Boolean)
      .join(' OR ');
    const params: QueryParams = { ...(writers.length > 0 ? { writers } : {}), ...(traceIds.length > 0 ? { traceIds } : {}) };
    const rows = await this.select<Omit<RunRow, 'Started' | 'Updated'> & { FirstStarted: string; LastUpdated: string }>(
      `SELECT TraceId, Writer,
         argMax(Name, Updated) AS Name, argMax(ServiceName, Updated) AS ServiceName, argMax(Pid, Updated) AS Pid,
         argMax(ProcessPath, Updated) AS ProcessPath, argMax(State, Updated) AS State, argMax(LostSpans, Updated) AS LostSpans,
         argMax(Reason, Updated) AS Reason, min(Started) AS FirstStarted, max(Updated) AS LastUpdated
       FROM ${this.names.runs}
       WHERE ${where}
       GROUP BY TraceId, Writer
       ORDER BY FirstStarted, Writer${this.smallReadSettings}`,
      params,
    );
    return rows.map(({ FirstStarted, LastUpdated, ...r }) => ({ ...r, Pid: Number(r.Pid), LostSpans: Number(r.LostSpans), Started: FirstStarted, Updated: LastUpdated }));
  }

  /** Per trace (of those given), how many of its side effects repeat an earlier one unsafely; traces with none are absent. */
  private async repeatedSideEffectCounts(traceIds: string[]): Promise<Map<string, number>> {
    if (traceIds.length === 0) return new Map();
    const rows = await this.select<{ TraceId: string; n: number | string }>(
      `SELECT TraceId, count() AS n FROM (${repeatPairsSql(this.names.traces, 'TraceId IN {traceIds:Array(String)}')})
       WHERE verdict = 'repeated' GROUP BY TraceId`,
      { traceIds, ...REPEAT_PARAMS },
    );
    return new Map(rows.map((row) => [row.TraceId, Number(row.n)]));
  }

  /**
   * Answered by the span tables' layout once it is known (one look at system.columns), as the
   * span layout itself is: a tape build reads the run state after the spans, and a store without
   * a runs table (a Collector's, an older tracetape's) would otherwise cost a second look. init()
   * marks it known when it creates it.
   */
  private async hasRunsTable(): Promise<boolean> {
    if (!this.runsTableKnown && !this.layout) await this.detectLayout();
    return this.runsTableKnown;
  }

  async getTraceSpans(traceId: string, options: TraceSpansOptions = {}): Promise<SpanRow[]> {
    const layout = await this.traceTableLayout();
    if (!layout.tracesExists) return [];
    const select = `SELECT ${spanRowSelectList(layout, options.columns)} FROM ${this.names.traces}`;
    const complete = options.columns ? (row: SpanRow) => withCurrentSpellings(withUnreadColumns(row)) : withCurrentSpellings;
    // Ties in Timestamp (clocks are coarse) put the root first, then go by SpanId, so reads repeat.
    const order = "ORDER BY Timestamp, ParentSpanId != '', SpanId";
    if (layout.hasLookup) {
      // The lookup table narrows the scan to the trace's time range (the span table is ordered by
      // service and name, not trace ID). Its bounds come in as a scalar subquery, which the engine
      // runs before it consults the span table's indexes: the same narrow read, one round trip.
      const rows = await this.select<SpanRow>(
        `WITH (${lookupBoundsSql(this.names.traceIdTs)}) AS bounds
         ${select} WHERE TraceId = {traceId:String} AND Timestamp BETWEEN bounds.1 AND bounds.2 ${order}${this.smallReadSettings}`,
        { traceId },
      );
      if (rows.length > 0) return rows.map(complete);
    }
    // No lookup table, or it lacks the trace (rows inserted before its view existed, or no such
    // trace): the TraceId skip index keeps a scan by ID affordable.
    const rows = await this.select<SpanRow>(`${select} WHERE TraceId = {traceId:String} ${order}`, { traceId });
    return rows.map(complete);
  }

  /** The layout of the span tables; not cached while the span table is missing (init() may follow). */
  protected async traceTableLayout(): Promise<TraceTableLayout> {
    return this.layout ?? this.detectLayout();
  }

  /**
   * One look at system.columns for the span table, its lookup table and the runs table, shared by
   * the reads that need it (the span rows, the run state) whether they come together or in turn.
   */
  private detectLayout(): Promise<TraceTableLayout> {
    this.detectingLayout ??= (async () => {
      const tables = layoutTables(this.schemaOptions);
      const columns = await this.select<ColumnInfo>(LAYOUT_QUERY, { database: tables.database, tables: [tables.traces, tables.lookup, tables.runs, tables.payloads] });
      const layout = layoutFromColumns(tables, columns);
      if (layout.tracesExists) this.layout = layout;
      if (layout.hasRuns) this.runsTableKnown = true;
      return layout;
    })().finally(() => {
      this.detectingLayout = undefined;
    });
    return this.detectingLayout;
  }

  async getPayloads(hashes: string[], traceIds?: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    // Keys are hex, so none holds a comma: the keys go in as one comma-joined String, which the
    // engine takes sooner than an Array(String) of hundreds (a tape build ~2 ms sooner of ~34, BENCHMARKS.md).
    const unique = [...new Set(hashes)].filter((hash) => !hash.includes(','));
    // Only a table sorted by trace is asked by trace: one an older tracetape made sorts by hash, and
    // its merges keep one row of a hash whatever trace wrote it. The empty trace is always asked
    // too: rows written before payload rows named their trace have it.
    const traces = traceIds && (await this.traceTableLayout()).payloadsByTrace ? ['', ...new Set(traceIds)].filter((id) => !id.includes(',')).join(',') : undefined;
    const byTrace = traces === undefined ? '' : `TraceId IN splitByChar(',', {traces:String}) AND `;
    for (let i = 0; i < unique.length; i += PAYLOAD_LOOKUP_CHUNK) {
      // Merges dedup eventually; until then the same hash may have several (identical) rows.
      const rows = await this.selectStringPairs(
        `SELECT Hash, Data FROM ${this.names.payloads}
         WHERE ${byTrace}Hash IN splitByChar(',', {hashes:String}) LIMIT 1 BY Hash${this.smallReadSettings}`,
        { hashes: unique.slice(i, i + PAYLOAD_LOOKUP_CHUNK).join(','), ...(traces === undefined ? {} : { traces }) },
      );
      for (const [hash, data] of rows) found.set(hash, data);
    }
    return found;
  }

  async listTraces(options: ListTracesOptions): Promise<TraceSummary[]> {
    const limit = Math.max(0, Math.floor(options.limit));
    if (limit === 0) return [];
    const layout = await this.traceTableLayout();
    if (!layout.tracesExists) return [];
    const filters = listFilters(options);
    // The filters narrow the candidate traces before the limit, so `--service x --limit 5` finds
    // five of x however many newer runs other services made.
    const byRootSpan = [
      options.service !== undefined ? `argMin(ServiceName, ${ROOT_FIRST}) = {service:String}` : '',
      options.name !== undefined ? `positionCaseInsensitiveUTF8(argMin(SpanName, ${ROOT_FIRST}), {name:String}) > 0` : '',
      options.status === 'error' ? `countIf(StatusCode IN ('Error', 'STATUS_CODE_ERROR')) > 0` : '',
      options.status === 'ok' ? `countIf(StatusCode IN ('Error', 'STATUS_CODE_ERROR')) = 0` : '',
      options.since !== undefined ? 'min(Timestamp) >= {since:DateTime64(3)}' : '',
      options.until !== undefined ? 'min(Timestamp) <= {until:DateTime64(3)}' : '',
      // Any span of the trace may carry it: the model is on the LLM call's span, the host on the HTTP one.
      ...(options.attributes ?? []).map(
        (_, i) => `countIf(SpanAttributes[{attrKey${i}:String}] = {attrValue${i}:String} OR ResourceAttributes[{attrKey${i}:String}] = {attrValue${i}:String}) > 0`,
      ),
      options.flags?.includes('repeated-side-effect')
        ? `TraceId IN (SELECT TraceId FROM (${repeatPairsSql(this.names.traces, options.since !== undefined ? 'Timestamp >= {since:DateTime64(3)}' : '1')}) WHERE verdict = 'repeated')`
        : '',
    ].filter(Boolean);
    const needsSpans =
      options.service !== undefined ||
      options.name !== undefined ||
      options.status !== undefined ||
      options.until !== undefined ||
      (options.attributes?.length ?? 0) > 0 ||
      (options.flags?.length ?? 0) > 0;
    const prefix = options.traceIdPrefix !== undefined ? 'startsWith(TraceId, {prefix:String})' : '';
    // Without a lookup table (Collector deployments that manage their own DDL), the span table
    // itself gives each trace's time range; so it does when a filter needs the root span or the status.
    const ranges =
      layout.hasLookup && !needsSpans
        ? `SELECT TraceId, toDateTime(min(Start)) AS s, toDateTime(max(End)) AS e FROM ${this.names.traceIdTs}
           ${prefix ? `WHERE ${prefix}` : ''}
           GROUP BY TraceId ${options.since !== undefined ? 'HAVING min(Start) >= {since:DateTime64(3)}' : ''}`
        : `SELECT TraceId, toDateTime(min(Timestamp)) AS s, toDateTime(max(Timestamp)) AS e FROM ${this.names.traces}
           WHERE TraceId != '' ${prefix ? `AND ${prefix}` : ''}
           GROUP BY TraceId ${byRootSpan.length > 0 ? `HAVING ${byRootSpan.join(' AND ')}` : ''}`;
    const rows = await this.select<Record<keyof TraceSummary, string | number | string[]>>(
      `WITH recent AS (
         ${ranges}
         -- Second precision: every trace in the boundary second is a candidate; the exact start decides below.
         ORDER BY s DESC LIMIT {limit:UInt32} WITH TIES
       )
       SELECT
         TraceId AS traceId,
         argMin(ServiceName, ${ROOT_FIRST}) AS serviceName,
         argMin(SpanName, ${ROOT_FIRST}) AS name,
         toString(min(Timestamp)) AS start,
         (max(toUnixTimestamp64Nano(Timestamp) + toInt64(Duration)) - min(toUnixTimestamp64Nano(Timestamp))) / 1000000 AS durationMs,
         if(countIf(StatusCode IN ('Error', 'STATUS_CODE_ERROR')) > 0, 'Error', argMin(StatusCode, ${ROOT_FIRST})) AS status,
         count() AS spanCount,
         countIf(mapContains(SpanAttributes, {inputHashAttribute:String})) AS recordedCalls,
         arraySort(groupUniqArrayIf(SpanAttributes[{modelAttribute:String}], mapContains(SpanAttributes, {modelAttribute:String}))) AS models,
         argMin(SpanAttributes[{runTypeAttribute:String}], ${ROOT_FIRST}) AS runType,
         argMin(SpanAttributes[{replayOfAttribute:String}], ${ROOT_FIRST}) AS replayOf,
         argMin(SpanAttributes[{replayOutcomeAttribute:String}], ${ROOT_FIRST}) AS replayOutcome
       FROM ${this.names.traces}
       WHERE TraceId ${this.schemaOptions.cluster === undefined ? 'IN' : 'GLOBAL IN'} (SELECT TraceId FROM recent)
         AND Timestamp >= (SELECT min(s) FROM recent)
         AND Timestamp <= (SELECT max(e) FROM recent) + 1
       GROUP BY TraceId
       ORDER BY start DESC, traceId
       LIMIT {limit:UInt32}`,
      {
        limit,
        inputHashAttribute: ATTR_TRACETAPE_INPUT_HASH,
        modelAttribute: ATTR_GEN_AI_REQUEST_MODEL,
        runTypeAttribute: ATTR_TRACETAPE_RUN_TYPE,
        replayOfAttribute: ATTR_TRACETAPE_REPLAY_OF,
        replayOutcomeAttribute: ATTR_TRACETAPE_REPLAY_OUTCOME,
        ...filters,
        ...(options.flags?.length ? REPEAT_PARAMS : {}),
      },
    );
    const repeats = await this.repeatedSideEffectCounts(rows.map((r) => String(r.traceId)));
    const states = foldRunStates(await this.runRows({ traceIds: rows.map((r) => String(r.traceId)) }));
    const listed = rows.map((r) => {
      const summary: TraceSummary = {
        traceId: String(r.traceId),
        serviceName: String(r.serviceName),
        name: String(r.name),
        start: String(r.start),
        durationMs: Number(r.durationMs),
        status: currentStatusSpelling(String(r.status)),
        spanCount: Number(r.spanCount),
        recordedCalls: Number(r.recordedCalls),
        models: Array.isArray(r.models) ? r.models.map(String) : [],
      };
      if (r.runType) summary.runType = String(r.runType);
      if (r.replayOf) summary.replayOf = String(r.replayOf);
      if (r.replayOutcome) summary.replayOutcome = String(r.replayOutcome);
      const repeated = repeats.get(summary.traceId);
      if (repeated) summary.repeatedSideEffects = repeated;
      const run = states.get(summary.traceId);
      if (run && run.state !== 'complete') {
        summary.state = run.state;
        if (run.lostSpans > 0) summary.lostSpans = run.lostSpans;
        if (run.reasons.length > 0) summary.reason = run.reasons.join('; ');
      }
      return summary;
    });
    // A run with no span stored has no status and no attributes: it is neither ok nor an error yet, nor matches any.
    const spanless = options.status || options.attributes?.length || options.until ? [] : await this.runsWithoutSpans(limit, listed.map((t) => t.traceId), options);
    if (spanless.length === 0) return listed;
    return [...listed, ...spanless].sort((x, y) => (x.start < y.start ? 1 : x.start > y.start ? -1 : x.traceId < y.traceId ? -1 : 1)).slice(0, limit);
  }

  async traceIdsStartingWith(prefix: string, limit: number): Promise<string[]> {
    const count = Math.max(0, Math.floor(limit));
    if (count === 0) return [];
    const layout = await this.traceTableLayout();
    // Both tables are ordered by TraceId first, so a prefix reads a few granules of each; without
    // the lookup table (a Collector's own DDL) the span table's TraceId column is scanned, as
    // listTraces does then: no small read.
    const scansSpanTable = layout.tracesExists && !layout.hasLookup;
    const sources = [
      layout.tracesExists ? `SELECT TraceId FROM ${scansSpanTable ? this.names.traces : this.names.traceIdTs} WHERE startsWith(TraceId, {prefix:String})` : '',
      (await this.hasRunsTable()) ? `SELECT TraceId FROM ${this.names.runs} WHERE startsWith(TraceId, {prefix:String})` : '',
    ].filter(Boolean);
    if (sources.length === 0) return [];
    const rows = await this.select<{ TraceId: string }>(
      `SELECT DISTINCT TraceId FROM (${sources.join(' UNION ALL ')}) LIMIT {limit:UInt32}${scansSpanTable ? '' : this.smallReadSettings}`,
      { prefix, limit: count },
    );
    return rows.map((row) => row.TraceId);
  }

  async inventoryCalls(options: InventoryCallsOptions): Promise<InventoryCall[]> {
    const layout = await this.traceTableLayout();
    if (!layout.tracesExists) return [];
    const filters = { since: options.since !== undefined, until: options.until !== undefined, service: options.service !== undefined };
    // listTraces' filters bind the period and the service the same way (clamped to what DateTime64 holds).
    const rows = await this.select<InventoryCallRow>(inventoryCallsSql(this.names.traces, filters), { ...INVENTORY_PARAMS, ...listFilters({ limit: 0, ...options }) });
    return rows.map(inventoryCallOf);
  }

  /**
   * Runs the recording log announced that have no span stored (yet): one still recording whose
   * first batch is not flushed, or one that lost every span. Listed from their run rows, so a run
   * `tracetape record` called incomplete is never missing from `tracetape traces`.
   */
  private async runsWithoutSpans(limit: number, listed: string[], options: ListTracesOptions): Promise<TraceSummary[]> {
    if (!(await this.hasRunsTable())) return [];
    const having = [
      options.service !== undefined ? 'ServiceName = {service:String}' : '',
      options.name !== undefined ? 'positionCaseInsensitiveUTF8(Name, {name:String}) > 0' : '',
    ].filter(Boolean);
    // Each process's start: a run's first process starts first, so this keeps runs that started since.
    const since = options.since !== undefined ? 'AND Started >= {since:DateTime64(3)}' : '';
    // FirstStarted, not Started: an alias named like the column would stand for the aggregate in WHERE.
    const candidates = await this.select<{ TraceId: string; Name: string; ServiceName: string; FirstStarted: string }>(
      `SELECT TraceId, anyIf(Name, Name != '') AS Name, anyIf(ServiceName, ServiceName != '') AS ServiceName, toString(min(Started)) AS FirstStarted
       FROM ${this.names.runs}
       WHERE TraceId NOT IN {listed:Array(String)} ${options.traceIdPrefix !== undefined ? 'AND startsWith(TraceId, {prefix:String})' : ''} ${since}
       GROUP BY TraceId ${having.length > 0 ? `HAVING ${having.join(' AND ')}` : ''}
       ORDER BY FirstStarted DESC LIMIT {limit:UInt32}`,
      { limit, listed, ...listFilters(options) },
    );
    if (candidates.length === 0) return [];
    // Older traces with spans, past the limit, are not spanless: they stay out.
    const withSpans = new Set(
      (
        await this.select<{ TraceId: string }>(`SELECT DISTINCT TraceId FROM ${this.names.traces} WHERE TraceId IN {ids:Array(String)}`, {
          ids: candidates.map((c) => c.TraceId),
        })
      ).map((r) => r.TraceId),
    );
    const runs = candidates.filter((c) => !withSpans.has(c.TraceId));
    const states = foldRunStates(await this.runRows({ traceIds: runs.map((r) => r.TraceId) }));
    return runs.map((r) => {
      const run = states.get(r.TraceId);
      const summary: TraceSummary = {
        traceId: r.TraceId,
        serviceName: r.ServiceName,
        name: r.Name,
        start: r.FirstStarted,
        durationMs: 0,
        status: 'Unset',
        spanCount: 0,
        recordedCalls: 0,
        models: [],
      };
      if (run && run.state !== 'complete') {
        summary.state = run.state;
        if (run.lostSpans > 0) summary.lostSpans = run.lostSpans;
        if (run.reasons.length > 0) summary.reason = run.reasons.join('; ');
      }
      return summary;
    });
  }
}
