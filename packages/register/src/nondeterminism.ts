import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { NondeterminismUsage, Tape } from '@tracetape/core';
import {
  installSources,
  NondeterminismPlayer,
  NondeterminismRecorder,
  NondeterminismSpanProcessor,
  ReplayTarget,
} from '@tracetape/instrumentation';

/** Capture: records the app's clock and random reads; the returned processor puts them on root spans. */
export function recordNondeterminism(next: SpanProcessor): SpanProcessor {
  const recorder = new NondeterminismRecorder();
  installSources(recorder);
  return new NondeterminismSpanProcessor(recorder, next);
}

export interface ReplayedReads {
  /** Watches root spans to find the replayed run; goes in the SDK's span processors. */
  processor: SpanProcessor;
  setProcessRun(traceId: string): void;
  usage(): NondeterminismUsage[];
}

/**
 * Playback: answers the replayed run's clock and random reads from the tape. A process standing
 * by (one that took no part in the replayed trace) reads the real sources throughout.
 */
export function replayNondeterminism(tape: Tape, takesPart = true): ReplayedReads {
  const target = new ReplayTarget(tape);
  const player = new NondeterminismPlayer(tape.nondeterminism ?? {}, takesPart ? () => target.isActive() : () => false);
  installSources(player);
  return { processor: target, setProcessRun: (traceId) => target.setProcessRun(traceId), usage: () => player.usage() };
}
