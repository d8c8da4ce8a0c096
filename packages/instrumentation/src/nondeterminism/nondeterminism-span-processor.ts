import { context, trace, type Context } from '@opentelemetry/api';
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
  /** Root spans open in this process, by span ID. */
  private readonly openRoots = new Set<string>();
  /** Open roots that a root of the same trace started inside them takes the reads for. */
  private readonly enclosing = new Set<string>();

  constructor(
    private readonly recorder: NondeterminismRecorder,
    private readonly next: SpanProcessor,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    if (isLocalRoot(span)) {
      const { traceId, spanId } = span.spanContext();
      // An app with an HTTP instrumentation of its own makes a server span of its own for a
      // request, around tracetape's: both take the caller's span for parent. The reads belong on
      // tracetape's, the inner one, beside the inbound exchange, whichever of the two ends first.
      const outer = trace.getSpan(context.active())?.spanContext();
      if (outer && outer.traceId === traceId && this.openRoots.has(outer.spanId)) this.enclosing.add(outer.spanId);
      this.openRoots.add(spanId);
      this.recorder.open(traceId);
    }
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    let record: ReturnType<NondeterminismRecorder['take']>;
    if (isLocalRoot(span)) {
      const { traceId, spanId } = span.spanContext();
      this.openRoots.delete(spanId);
      if (this.enclosing.delete(spanId)) this.recorder.release(traceId);
      else record = this.recorder.take(traceId);
    }
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
