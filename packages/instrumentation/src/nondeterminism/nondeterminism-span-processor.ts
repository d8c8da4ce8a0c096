import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_NONDETERMINISM } from '@tracetape/core';
import { spanWithAttributes } from '../span-with-attributes.js';
import type { NondeterminismRecorder } from './recorder.js';

/** When a trace's root span ends, puts the trace's clock and random reads on it as one attribute. */
export class NondeterminismSpanProcessor implements SpanProcessor {
  constructor(
    private readonly recorder: NondeterminismRecorder,
    private readonly next: SpanProcessor,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const record = span.parentSpanContext ? undefined : this.recorder.take(span.spanContext().traceId);
    this.next.onEnd(record ? spanWithAttributes(span, { [ATTR_TRACETAPE_NONDETERMINISM]: JSON.stringify(record) }) : span);
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}
