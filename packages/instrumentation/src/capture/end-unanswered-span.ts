import { SpanStatusCode, type Span } from '@opentelemetry/api';

/** Ends, at process exit, the span of a call nothing had answered: in error, saying why. */
export function endUnansweredSpan(span: Span): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'no answer before the process ended' });
  span.end();
}
