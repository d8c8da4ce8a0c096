import { trace, TraceFlags } from '@opentelemetry/api';

export type SpanMatch = { kind: 'span'; traceId: string; spanId: string } | { kind: 'unsampled' } | { kind: 'none' };

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Finds the client span an outbound request belongs to, from its `traceparent` header. The HTTP
 * and undici instrumentations inject it with the client span's ID before the bytes reach the
 * socket, which is where the traffic sources see them; the active span is the fallback
 * (http.request runs inside its span).
 */
export function spanForRequest(traceparent: string | null | undefined): SpanMatch {
  const match = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  if (match) {
    const sampled = (parseInt(match[3]!, 16) & TraceFlags.SAMPLED) !== 0;
    return sampled ? { kind: 'span', traceId: match[1]!, spanId: match[2]! } : { kind: 'unsampled' };
  }
  const active = trace.getActiveSpan();
  if (!active?.isRecording()) return { kind: 'none' };
  const { traceId, spanId } = active.spanContext();
  return { kind: 'span', traceId, spanId };
}
