import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_INPUT_HASH } from '@tracetape/core';

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
