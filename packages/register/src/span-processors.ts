import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/** Several span processors as one, each called in turn (the SDK's own composite is not exported). */
export function allOf(processors: readonly SpanProcessor[]): SpanProcessor {
  return {
    onStart: (span: Span, context: Context) => {
      for (const processor of processors) processor.onStart(span, context);
    },
    onEnd: (span: ReadableSpan) => {
      for (const processor of processors) processor.onEnd(span);
    },
    forceFlush: async () => void (await Promise.all(processors.map((processor) => processor.forceFlush()))),
    shutdown: async () => void (await Promise.all(processors.map((processor) => processor.shutdown()))),
  };
}
