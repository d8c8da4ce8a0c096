import type { RepeatedSideEffect } from '@tracetape/core';
import { PLAIN, type Palette } from './colour.js';
import { formatDuration } from './human-format.js';

/** What `tracetape tape` prints under a run's timeline: the first-hour questions, answered from the recording. */
export interface RunFindingsReport {
  repeated: readonly RepeatedSideEffect[];
}

export function renderFindings(report: RunFindingsReport, colour: Palette = PLAIN): string {
  const lines = [colour.bold('Findings')];
  if (report.repeated.length === 0) lines.push('  no side effect was done twice');
  for (const pair of report.repeated) lines.push(`  ${repeatedLine(pair, colour)}`);
  return lines.join('\n');
}

function repeatedLine(pair: RepeatedSideEffect, colour: Palette): string {
  const call = `${pair.method} ${pair.url}`;
  const when = `${formatDuration(pair.gapMs)} later`;
  if (pair.verdict === 'safely-retried') {
    return `${colour.green('safely retried')}: step ${pair.repeat} repeats step ${pair.first} (${call}) ${when}, with the same Idempotency-Key ${JSON.stringify(pair.idempotencyKey)}`;
  }
  const why = pair.firstFailure !== undefined ? `after step ${pair.first} failed in the app (${pair.firstFailure}): if it had succeeded server-side, this did it twice` : 'both succeeded: check that doing it twice was meant';
  const volatile = pair.differsOnlyInVolatileFields ? ' (the two differ only in keys, timestamps or request IDs)' : '';
  return `${colour.red('REPEATED SIDE EFFECT')}: step ${pair.repeat} repeats step ${pair.first} (${call}) ${when}${volatile}, ${why}`;
}
