import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_INBOUND_REQUEST, ATTR_TRACETAPE_INPUT_HASH } from '@tracetape/core';

export interface RecordedTrace {
  traceId: string;
  /** Outbound calls recorded in this trace. */
  calls: number;
}

/** Notes which traces received recorded calls, so `tracetape record` can print their IDs. Passes spans on. */
export class RecordedTraces implements SpanProcessor {
  private readonly traces = new Map<string, number>();

  constructor(private readonly next: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if (span.attributes[ATTR_TRACETAPE_INPUT_HASH] !== undefined) {
      const traceId = span.spanContext().traceId;
      this.traces.set(traceId, (this.traces.get(traceId) ?? 0) + 1);
    } else if (span.attributes[ATTR_TRACETAPE_INBOUND_REQUEST] !== undefined) {
      // A server trace replays on its inbound request, even when the handler made no calls.
      const traceId = span.spanContext().traceId;
      if (!this.traces.has(traceId)) this.traces.set(traceId, 0);
    }
    this.next.onEnd(span);
  }

  list(): RecordedTrace[] {
    return [...this.traces].map(([traceId, calls]) => ({ traceId, calls }));
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}
