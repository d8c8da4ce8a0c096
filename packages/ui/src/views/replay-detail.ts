import type { StoredReplay, Tape } from '@tracetape/core';
import type { ReplayDetail, ReplayStepOutcome, ReplaySummary } from '../api.js';

/** A stored replay's headline: enough for the list under its recording. */
export function replaySummary(traceId: string, start: string, stored: StoredReplay): ReplaySummary {
  const { report } = stored;
  return {
    traceId,
    replayOf: report.traceId,
    start,
    outcome: stored.outcome,
    exitCode: stored.exitCode,
    exitEndedByTracetape: stored.exitEndedByTracetape === true,
    command: stored.command,
    counts: {
      served: report.served.length,
      blocked: report.blocked.length,
      unconsumed: report.unconsumed.length,
      sideEffectsSuppressed: report.sideEffectsSuppressed.length,
    },
    ...(report.endedAsRecorded ? { endedAsRecorded: report.endedAsRecorded } : {}),
  };
}

/**
 * A replay against its recording: what became of every recorded step, and each call the tape could
 * not answer with its closest step and field diff (what the CLI printed when it ran).
 */
export function replayDetail(traceId: string, start: string, stored: StoredReplay, recording: Tape | undefined): ReplayDetail {
  const { report } = stored;
  const outcomes = new Map<number, ReplayStepOutcome>();
  for (const step of report.unconsumed) outcomes.set(step.step, 'unconsumed');
  for (const step of report.served) outcomes.set(step.step, step.overridden ? 'overridden' : step.unanswered ? 'unanswered' : 'served');
  // The recording decides which steps there are; without it (deleted since), the report's own.
  const steps = recording ? recording.entries.map((entry) => entry.step) : [...outcomes.keys()].sort((x, y) => x - y);
  return {
    ...replaySummary(traceId, start, stored),
    steps: steps.map((step) => ({ step, outcome: outcomes.get(step) ?? 'unconsumed' })),
    blockedCalls: report.blocked.map((call) => ({
      callIndex: call.callIndex,
      method: call.method,
      url: call.url,
      reason: call.tapeEnded ? 'tape-ended' : call.reason === 'model-drift' ? 'model-drift' : call.reason === 'exhausted' ? 'made more often than recorded' : 'not on the tape',
      ...(call.closestStep !== undefined ? { closestStep: call.closestStep } : {}),
      diff: call.diff,
    })),
  };
}
