import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_NONDETERMINISM } from '@tracetape/core';
import { spanWithAttributes } from '../span-with-attributes.js';
import type { NondeterminismRecorder } from './recorder.js';

/**
 * When a trace's root span in this process ends, puts the trace's clock and random reads on it as
 * one attribute. The root in this process: a child process or worker starts its run under its
 * parent's span, a remote parent, and its reads belong on its own run span.
 */
export class NondeterminismSpanProcessor implements SpanProcessor {
  constructor(
    private readonly recorder: NondeterminismRecorder,
    private readonly next: SpanProcessor,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    if (isLocalRoot(span)) this.recorder.open(span.spanContext().traceId);
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const record = isLocalRoot(span) ? this.recorder.take(span.spanContext().traceId) : undefined;
    this.next.onEnd(record ? spanWithAttributes(span, { [ATTR_TRACETAPE_NONDETERMINISM]: JSON.stringify(record) }) : span);
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}

function isLocalRoot(span: ReadableSpan): boolean {
  return !span.parentSpanContext || span.parentSpanContext.isRemote === true;
}
