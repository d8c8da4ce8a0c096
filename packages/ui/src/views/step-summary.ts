import { isoToMs, isSideEffect, type Tape, type TapeEntry } from '@tracetape/core';
import type { StepKind, StepSummary } from '../api.js';

/** What the waterfall needs of a step: no payloads, so a run of 10,000 steps stays a small answer. */
export function stepSummary(entry: TapeEntry, runStartMs: number): StepSummary {
  const { method, url } = entry.request.normalized;
  const summary: StepSummary = {
    step: entry.step,
    kind: stepKind(entry),
    method,
    url,
    label: stepLabel(entry),
    startOffsetMs: isoToMs(entry.startTime) - runStartMs,
    durationMs: entry.durationMs,
    status: entry.response.status,
    // A model call is a POST but changes nothing outside: "rewind to before the side effect" should
    // stop at the refund, not at every turn of the conversation.
    sideEffect: entry.llm ? false : isSideEffect(entry),
  };
  if (entry.response.error) summary.error = entry.response.error;
  if (entry.llm?.requestModel) summary.model = entry.llm.requestModel;
  if (entry.process) summary.process = entry.process;
  return summary;
}

export function stepSummaries(tape: Tape): StepSummary[] {
  const runStartMs = isoToMs(tape.recordedAt);
  return tape.entries.map((entry) => stepSummary(entry, runStartMs));
}

export function stepKind(entry: TapeEntry): StepKind {
  return entry.llm ? 'llm' : entry.kind;
}

/** One line a person scans: an LLM call by its model, anything else by method and target. */
function stepLabel(entry: TapeEntry): string {
  const { method, url } = entry.request.normalized;
  if (entry.llm) {
    const model = entry.llm.requestModel ?? entry.llm.responseModel ?? 'model';
    return `${entry.llm.provider} ${entry.llm.operation} ${model}`;
  }
  return `${method} ${url}`;
}
