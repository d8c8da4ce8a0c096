import { diffArrays } from 'diff';
import { diffRequests, isoToMs, targetTemplate, type Tape, type TapeEntry } from '@tracetape/core';
import type { Comparison, ComparisonRow, RunListItem } from '../api.js';
import { stepKind, stepSummary } from './step-summary.js';

/**
 * Two runs with their steps aligned. Steps pair up when they are the same kind of call to the
 * same target (method, and URL without its query and with IDs collapsed), so an extra retry or a
 * skipped tool call shows as a step only one run made instead of shifting every later pair; a
 * pair whose requests hash differently is `changed`, with the field diff the replay would print.
 */
export function compareRuns(a: { run: RunListItem; tape: Tape }, b: { run: RunListItem; tape: Tape }): Comparison {
  const keysA = a.tape.entries.map(alignmentKey);
  const keysB = b.tape.entries.map(alignmentKey);
  const startA = isoToMs(a.tape.recordedAt);
  const startB = isoToMs(b.tape.recordedAt);
  const rows: ComparisonRow[] = [];
  let ia = 0;
  let ib = 0;
  for (const change of diffArrays(keysA, keysB)) {
    const count = change.count ?? change.value.length;
    for (let k = 0; k < count; k++) {
      if (change.removed) rows.push({ a: stepSummary(a.tape.entries[ia++]!, startA), relation: 'only-a' });
      else if (change.added) rows.push({ b: stepSummary(b.tape.entries[ib++]!, startB), relation: 'only-b' });
      else rows.push(pairRow(a.tape.entries[ia++]!, b.tape.entries[ib++]!, startA, startB));
    }
  }
  const comparison: Comparison = { a: a.run, b: b.run, rows };
  const first = rows.findIndex((row) => row.relation !== 'same');
  if (first !== -1) comparison.firstDifference = first;
  return comparison;
}

function pairRow(a: TapeEntry, b: TapeEntry, startA: number, startB: number): ComparisonRow {
  const row: ComparisonRow = { a: stepSummary(a, startA), b: stepSummary(b, startB), relation: a.inputHash === b.inputHash ? 'same' : 'changed' };
  if (row.relation === 'changed') row.diff = diffRequests(a.request.normalized, b.request.normalized);
  return row;
}

/** What makes two steps "the same step" of two runs, whatever they sent. */
export function alignmentKey(entry: TapeEntry): string {
  return `${stepKind(entry)} ${entry.request.normalized.method} ${targetTemplate(entry.request.normalized.url)}`;
}

