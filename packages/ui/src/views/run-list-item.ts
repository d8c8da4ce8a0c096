import type { TraceSummary } from '@tracetape/clickhouse';
import { findRepeatedSideEffects, isoToMs, type Tape } from '@tracetape/core';
import type { RunListItem } from '../api.js';

/** A stored trace as the runs list shows it. */
export function runListItem(summary: TraceSummary): RunListItem {
  const item: RunListItem = {
    traceId: summary.traceId,
    serviceName: summary.serviceName,
    name: summary.name,
    start: storeTimeToIso(summary.start),
    durationMs: summary.durationMs,
    status: summary.status === 'Error' ? 'Error' : summary.status === 'Ok' ? 'Ok' : 'Unset',
    callCount: summary.recordedCalls,
    models: summary.models,
    type: summary.runType === 'replay' ? 'replay' : 'recording',
  };
  if (summary.replayOf && item.type === 'replay') item.replayOf = summary.replayOf;
  if (summary.replayOutcome === 'passed' || summary.replayOutcome === 'diverged') item.outcome = summary.replayOutcome;
  if (summary.state) item.state = summary.state;
  if (summary.repeatedSideEffects) item.repeatedSideEffects = summary.repeatedSideEffects;
  return item;
}

/** A run read from a tape file alone: what the tape itself says of it. */
export function runListItemOfTape(tape: Tape): RunListItem {
  const start = isoToMs(tape.recordedAt);
  const end = Math.max(start, ...tape.entries.map((entry) => isoToMs(entry.startTime) + entry.durationMs));
  const models = [...new Set(tape.entries.flatMap((entry) => (entry.llm?.requestModel ? [entry.llm.requestModel] : [])))].sort();
  const errored = tape.entries.some((entry) => entry.response.status === 0 || entry.response.status >= 500);
  const item: RunListItem = {
    traceId: tape.traceId,
    serviceName: tape.serviceName,
    name: tape.rootName,
    start: new Date(start).toISOString(),
    durationMs: end - start,
    status: errored ? 'Error' : 'Unset',
    callCount: tape.entries.length,
    models,
    type: 'recording',
  };
  if (tape.incomplete) item.state = 'incomplete';
  const repeated = findRepeatedSideEffects(tape).filter((pair) => pair.verdict === 'repeated').length;
  if (repeated > 0) item.repeatedSideEffects = repeated;
  return item;
}

/** 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn' (UTC, as the store prints it) to ISO-8601 with milliseconds. */
export function storeTimeToIso(time: string): string {
  const ms = isoToMs(time.includes('T') ? time : `${time.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString();
}
