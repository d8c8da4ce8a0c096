import { TraceFlags, type Attributes, type Context, type Link } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_REPLAY_OF, ATTR_TRACETAPE_REPLAY_STEP, type Tape, type TapeEntry } from '@tracetape/core';
import { spanWithAttributes } from '@tracetape/instrumentation';

/**
 * `tracetape replay --then-live` records a new trace. The root span of the replayed run points
 * back at the run it continues: a span link (which trace viewers follow) plus an attribute (which
 * SQL can filter on without unnesting Links).
 */
export function continuationOf(tape: Tape): { links: Link[]; attributes: Attributes } {
  // Tapes written before the root span ID was kept link to the first recorded call instead.
  const spanId = tape.rootSpanId ?? tape.entries[0]?.spanId;
  const links: Link[] = spanId
    ? [{ context: { traceId: tape.traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true }, attributes: { [ATTR_TRACETAPE_REPLAY_OF]: tape.traceId } }]
    : [];
  return { links, attributes: { [ATTR_TRACETAPE_REPLAY_OF]: tape.traceId } };
}

/**
 * In a replay continued live, the calls answered from the tape are recorded too, so the new trace
 * replays on its own; this processor marks their spans with the step that answered them, so they
 * are never mistaken for calls that went to the network.
 */
export class ServedFromTapeMarker implements SpanProcessor {
  private readonly servedSteps = new Map<string, number>();

  constructor(private readonly next: SpanProcessor) {}

  /** Hook for the playback session's `onServed`. */
  readonly noteServed = (entry: TapeEntry, spanId: string | undefined): void => {
    if (spanId) this.servedSteps.set(spanId, entry.step);
  };

  onStart(span: Span, parentContext: Context): void {
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const spanId = span.spanContext().spanId;
    const step = this.servedSteps.get(spanId);
    if (step === undefined) {
      this.next.onEnd(span);
      return;
    }
    this.servedSteps.delete(spanId);
    this.next.onEnd(spanWithAttributes(span, { [ATTR_TRACETAPE_REPLAY_STEP]: step }));
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}
