import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { ATTR_DNS_QUESTION_NAME, requestKey, type Redactor } from '@tracetape/core';
import type { CaptureRegistry } from '../capture/capture-registry.js';
import { TRACER_NAME } from '../tracer-name.js';
import { answerResponse, dnsKeyRules, errorResponse } from './dns-call.js';
import { patchDns } from './dns-surfaces.js';

/**
 * The DNS door's capture: each question the app asks (lookup, lookupService, resolve*, reverse,
 * callback or promise) is a client span of its own, with the question and the answer or error on
 * it. A question only reads, so it is never a side effect. Returns the undo.
 */
export function attachDnsCapture(registry: CaptureRegistry, redactor: Redactor): () => void {
  const tracer = trace.getTracer(TRACER_NAME);
  return patchDns((call, ask) => {
    const span = tracer.startSpan(`dns ${call.operation}`, { kind: SpanKind.CLIENT, attributes: { [ATTR_DNS_QUESTION_NAME]: call.name } });
    // A sampled-out question's span reaches no processor: it is asked in its context, unrecorded.
    if (!span.isRecording()) return context.with(trace.setSpan(context.active(), span), ask);
    const key = requestKey(call, redactor, dnsKeyRules());
    const capture = registry.track(span, 'dns');
    capture.setRequest(Promise.resolve({ inputHash: key.hash, request: { normalized: key.normalized, headers: [] }, sideEffect: false }));
    return context.with(trace.setSpan(context.active(), span), ask).then(
      (answer) => {
        capture.setResponse(answerResponse(answer));
        span.end();
        return answer;
      },
      (error: unknown) => {
        capture.setResponse(errorResponse(error, redactor));
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as { code?: string }).code ?? 'DNS query failed' });
        span.end();
        throw error;
      },
    );
  });
}
