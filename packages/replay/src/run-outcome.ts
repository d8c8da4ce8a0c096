import type { RecordedRun } from './run-file.js';

/**
 * What a recording command says of one trace it made: recorded only when every span of it reached
 * the log and no process of it was left out (by a sampler, or with the SDK off); otherwise what is
 * missing, and why.
 */
export function runOutcomeLine(run: RecordedRun, label: string): string {
  // With the SDK off, the run has no trace of its own to name (its ID is all zeros).
  const what = /^0+$/.test(run.traceId) ? 'the run' : `trace ${run.traceId}`;
  if (run.notRecorded.length > 0) return `tracetape: ${what} (${label}) was NOT RECORDED: ${run.notRecorded.join('; ')}.`;
  if (run.lostSpans > 0) return `tracetape: trace ${run.traceId} (${label}) is INCOMPLETE: ${run.lostSpans} span(s) were lost: ${run.lossReasons.join('; ')}`;
  return `tracetape: recorded trace ${run.traceId} (${label})`;
}

/** Whether the run is recorded whole: nothing lost, no process left out. */
export function isWhole(run: RecordedRun): boolean {
  return run.lostSpans === 0 && run.notRecorded.length === 0;
}
