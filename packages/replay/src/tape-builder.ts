import { foldRunStates, resolvePayloadRefs, type SpanRow, type SpanStore } from '@tracetape/clickhouse';
import {
  ATTR_TRACETAPE_INBOUND_REQUEST,
  ATTR_TRACETAPE_INPUT_HASH,
  ATTR_TRACETAPE_KIND,
  ATTR_TRACETAPE_PROCESS_PATH,
  ATTR_TRACETAPE_SIDE_EFFECT,
  BOUNDARY_KINDS,
  isProcessPath,
  ROOT_PROCESS_PATH,
  ATTR_TRACETAPE_NONDETERMINISM,
  ATTR_TRACETAPE_RUN,
  ATTR_TRACETAPE_REQUEST,
  ATTR_TRACETAPE_RESPONSE,
  NothingToReplayError,
  recognizeLlmCall,
  TAPE_FORMAT,
  TAPE_VERSION,
  TapeFormatError,
  UnknownTraceError,
  type BoundaryKind,
  type CapturedRequest,
  type NondeterminismRecord,
  type RecordedResponse,
  type Tape,
  type TapeEntry,
  type TapeProcess,
} from '@tracetape/core';
import { inboundExchangeOf } from './inbound-exchange.js';
import { checkSpanFormat } from './span-format.js';
import { resolveTraceId } from './trace-ref.js';
import { isCutOffHash, isCutOffJson, TruncatedAttributeError } from './truncated-attribute.js';

/** The span columns tapeFromRows reads; the store leaves the others out of the query. */
export const TAPE_COLUMNS: readonly (keyof SpanRow)[] = [
  'Timestamp',
  'SpanId',
  'ParentSpanId',
  'SpanName',
  'SpanKind',
  'ServiceName',
  'ResourceAttributes',
  'SpanAttributes',
  'Duration',
];

/**
 * Rebuilds the playback tape of a trace from the store: every recorded call, in the order it
 * started. The trace is named by its ID or a prefix of 8 or more hex digits (see trace-ref.ts).
 */
export async function buildTape(store: SpanStore, traceIdInput: string): Promise<Tape> {
  const traceId = await resolveTraceId(store, traceIdInput);
  const rows = await store.getTraceSpans(traceId, { columns: TAPE_COLUMNS });
  if (rows.length === 0) throw new UnknownTraceError(traceId, store.location);
  // The run's state is asked for once the payload read is on its way, not first: chdb-node runs a
  // session's queries one at a time, so asked first it delayed the span read by its own 3 to 6 ms,
  // while here it runs as this thread checks the payloads and builds the tape (a build ~2 ms
  // sooner, BENCHMARKS.md, session 26). Chunked payloads' second read, or a second batch of
  // keys, waits behind it. A ClickHouse server runs it beside the payload read, or beside the
  // tape's building alone for a trace whose payloads are all inline (one round trip more than
  // beside the span read). Settled into a value so that no failure leaves a rejection unhandled,
  // a store whose runRows throws at once included.
  const resolving = resolvePayloadRefs(rows, store);
  const runRows = (async () => store.runRows({ traceIds: [traceId] }))().then(
    (found) => ({ rows: found }),
    (error: unknown) => ({ error }),
  );
  const tape = tapeFromRows(traceId, await resolving);
  const runs = await runRows;
  if ('error' in runs) throw runs.error;
  const run = foldRunStates(runs.rows).get(traceId);
  if (run && run.state !== 'complete') {
    tape.incomplete = {
      reason: run.state === 'recording' ? 'a process of this run is still recording it' : run.reasons.join('; ') || 'spans are missing',
      ...(run.lostSpans > 0 ? { lostSpans: run.lostSpans } : {}),
    };
  }
  return tape;
}

/**
 * The trace's root: its span without a parent. In a trace a caller started, every span has one:
 * the first whose parent is not in the trace, or of those the one that recorded the inbound
 * request. An app with an HTTP instrumentation of its own makes a server span of its own for each
 * request, around tracetape's: beside it (both under the caller's span) or, for a request that
 * came with no caller, as its parent; either way the request is tracetape's span.
 */
function rootOf(ordered: SpanRow[]): SpanRow | undefined {
  const ids = new Set(ordered.map((row) => row.SpanId));
  const roots = ordered.filter((row) => row.ParentSpanId === '' || !ids.has(row.ParentSpanId));
  const root = roots.find((row) => row.ParentSpanId === '') ?? roots.find(recordedRequest) ?? roots[0] ?? ordered[0];
  if (!root || recordedRequest(root) || !isServerSpan(root)) return root;
  return ordered.find((row) => row.ParentSpanId === root.SpanId && recordedRequest(row)) ?? root;
}

function recordedRequest(row: SpanRow): boolean {
  return row.SpanAttributes[ATTR_TRACETAPE_INBOUND_REQUEST] !== undefined;
}

function isServerSpan(row: SpanRow): boolean {
  // Both spellings: the current Collector writes `Server`, older ones `SPAN_KIND_SERVER`.
  return row.SpanKind === 'Server' || row.SpanKind === 'SPAN_KIND_SERVER';
}

/** The tape of one trace from its `otel_traces` rows, payload references already resolved. */
export function tapeFromRows(traceId: string, rows: SpanRow[]): Tape {
  const ordered = [...rows].sort((a, b) => compare(a.Timestamp, b.Timestamp) || compare(a.SpanId, b.SpanId));
  const root = rootOf(ordered);
  const recorded = ordered.filter((row) => row.SpanAttributes[ATTR_TRACETAPE_INPUT_HASH] !== undefined);
  const nondeterminism = root?.SpanAttributes[ATTR_TRACETAPE_NONDETERMINISM];
  // A server trace replays on its inbound request alone, even when the handler made no calls.
  const inbound = root ? inboundExchangeOf(root) : undefined;
  if (recorded.length === 0 && nondeterminism === undefined && !inbound) throw new NothingToReplayError(traceId);
  const tape: Tape = {
    format: TAPE_FORMAT,
    version: TAPE_VERSION,
    traceId,
    serviceName: root?.ServiceName ?? '',
    rootName: root?.SpanName ?? '',
    recordedAt: toIso(root?.Timestamp ?? ''),
    entries: recorded.map((row, index) => entryFromRow(row, index + 1)),
  };
  if (root?.SpanId) tape.rootSpanId = root.SpanId;
  const rootKind = root ? rootKindOf(root) : undefined;
  if (rootKind) tape.rootKind = rootKind;
  if (inbound) tape.inbound = inbound;
  if (root && nondeterminism !== undefined) tape.nondeterminism = parseAttribute<NondeterminismRecord>(root, ATTR_TRACETAPE_NONDETERMINISM);
  const processes = otherProcessesOf(ordered);
  if (processes) tape.processes = processes;
  // A request a cluster worker (or a server under npm) served: that process replays it.
  const rootProcess = root ? processPathOf(root) : ROOT_PROCESS_PATH;
  if (rootProcess !== ROOT_PROCESS_PATH) tape.rootProcess = rootProcess;
  return tape;
}

/**
 * The run's child processes and workers, each with the reads its own process run span carries.
 * Undefined for a run of one process, so its tape stays as it always was.
 */
function otherProcessesOf(ordered: SpanRow[]): Record<string, TapeProcess> | undefined {
  const processes: Record<string, TapeProcess> = {};
  for (const row of ordered) {
    const processPath = processPathOf(row);
    if (processPath === ROOT_PROCESS_PATH) continue;
    const isProcessRun = row.SpanAttributes[ATTR_TRACETAPE_RUN] === 'process';
    const known = processes[processPath];
    if (known && !isProcessRun) continue;
    // Named after its process run span; another span of it stands in if that one was lost.
    const process: TapeProcess = { runName: isProcessRun || !known ? row.SpanName : known.runName };
    if (isProcessRun && row.SpanAttributes[ATTR_TRACETAPE_NONDETERMINISM] !== undefined) {
      process.nondeterminism = parseAttribute<NondeterminismRecord>(row, ATTR_TRACETAPE_NONDETERMINISM);
    }
    processes[processPath] = process;
  }
  return Object.keys(processes).length > 0 ? processes : undefined;
}

/** A value that is no process path (set by hand in OTEL_RESOURCE_ATTRIBUTES) counts as the first process. */
function processPathOf(row: SpanRow): string {
  const value = row.ResourceAttributes[ATTR_TRACETAPE_PROCESS_PATH];
  return value !== undefined && isProcessPath(value) ? value : ROOT_PROCESS_PATH;
}

function rootKindOf(root: SpanRow): Tape['rootKind'] {
  const run = root.SpanAttributes[ATTR_TRACETAPE_RUN];
  if (run === 'process' || run === 'run') return run;
  if (isServerSpan(root)) return 'server';
  return undefined;
}

function entryFromRow(row: SpanRow, step: number): TapeEntry {
  checkSpanFormat(row);
  const entry: TapeEntry = {
    step,
    kind: kindOf(row),
    spanId: row.SpanId,
    spanName: row.SpanName,
    startTime: toIso(row.Timestamp),
    durationMs: Number(BigInt(row.Duration || '0')) / 1e6,
    inputHash: inputHashOf(row),
    request: parseAttribute<CapturedRequest>(row, ATTR_TRACETAPE_REQUEST),
    response: parseAttribute<RecordedResponse>(row, ATTR_TRACETAPE_RESPONSE),
  };
  // Read from the payloads rather than the gen_ai.* attributes, so rows written by another
  // pipeline (or before tracetape knew the API) are recognised too.
  const llm = recognizeLlmCall(entry.request.normalized, entry.response);
  if (llm) entry.llm = llm;
  const processPath = processPathOf(row);
  if (processPath !== ROOT_PROCESS_PATH) entry.process = processPath;
  const sideEffect = row.SpanAttributes[ATTR_TRACETAPE_SIDE_EFFECT];
  if (sideEffect === 'true' || sideEffect === 'false') entry.sideEffect = sideEffect === 'true';
  return entry;
}

/** The door that recorded the call; spans from before there were several doors are HTTP. */
function kindOf(row: SpanRow): BoundaryKind {
  const kind = row.SpanAttributes[ATTR_TRACETAPE_KIND] ?? 'http';
  if (!(BOUNDARY_KINDS as readonly string[]).includes(kind)) {
    throw new TapeFormatError(`span ${row.SpanId}`, `attribute ${ATTR_TRACETAPE_KIND} is "${kind}", a kind of call this tracetape does not know (${BOUNDARY_KINDS.join(', ')}); upgrade tracetape to replay it`);
  }
  return kind as BoundaryKind;
}

function inputHashOf(row: SpanRow): string {
  const hash = row.SpanAttributes[ATTR_TRACETAPE_INPUT_HASH]!;
  if (isCutOffHash(hash)) throw new TruncatedAttributeError(row, ATTR_TRACETAPE_INPUT_HASH, hash.length);
  return hash;
}

function parseAttribute<T>(row: SpanRow, name: string): T {
  const text = row.SpanAttributes[name];
  if (text === undefined) throw new TapeFormatError(`span ${row.SpanId}`, `attribute ${name} is missing`);
  try {
    return JSON.parse(text) as T;
  } catch {
    if (isCutOffJson(text)) throw new TruncatedAttributeError(row, name, text.length);
    throw new TapeFormatError(`span ${row.SpanId}`, `attribute ${name} is not valid JSON (was it cut off by an attribute length limit?)`);
  }
}

/** ClickHouse's 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn' (UTC) as ISO-8601, keeping the nanoseconds. */
function toIso(timestamp: string): string {
  return timestamp.includes('T') ? timestamp : `${timestamp.replace(' ', 'T')}Z`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
