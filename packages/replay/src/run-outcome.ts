import type { RecordedRun } from './run-file.js';

/**
 * What a recording command says of one trace it made: recorded only when every span of it reached
 * the log and no process of it was left out by the sampler; otherwise what is missing, and why.
 */
export function runOutcomeLine(run: RecordedRun, label: string): string {
  if (run.sampledOut.length > 0) {
    return `tracetape: trace ${run.traceId} (${label}) was NOT RECORDED: ${run.sampledOut.join('; ')}. Run it with OTEL_TRACES_SAMPLER=always_on to record every run.`;
  }
  if (run.lostSpans > 0) return `tracetape: trace ${run.traceId} (${label}) is INCOMPLETE: ${run.lostSpans} span(s) were lost: ${run.lossReasons.join('; ')}`;
  return `tracetape: recorded trace ${run.traceId} (${label})`;
}

/** Whether the run is recorded whole: nothing lost, nothing sampled out. */
export function isWhole(run: RecordedRun): boolean {
  return run.lostSpans === 0 && run.sampledOut.length === 0;
}
