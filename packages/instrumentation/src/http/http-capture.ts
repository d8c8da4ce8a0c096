import { context, SpanKind, trace, type Span } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { httpKeyRules, Redactor, requestKey, type RawRequest, type RequestKeyRules } from '@tracetape/core';
import type { NormalizedRequest } from '@tracetape/core';
import type { CaptureRegistry } from '../capture/capture-registry.js';
import type { CapturedRequestPart, SpanIds } from '../capture/pending-capture.js';
import { hasInternalHeader } from './internal-traffic.js';
import type { OutboundRequest, OutboundResponseHead, OutboundTraffic, ResponseBodySink } from './outbound-traffic.js';
import { ResponseRecording } from './response-recorder.js';
import { spanForRequest } from './span-correlation.js';
import type { CaptureOptions } from '../types.js';
import { TRACER_NAME } from '../tracer-name.js';

const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

type KeyRules = RequestKeyRules<RawRequest, RawRequest, NormalizedRequest>;

/** Capture mode: every outbound HTTP call's request and response are read (from copies) onto its span. */
export function attachHttpCapture(traffic: OutboundTraffic, registry: CaptureRegistry, options: CaptureOptions = {}): () => void {
  const redactor = new Redactor(options.redaction);
  const keyRules = httpKeyRules(options.hashHeaders ? { hashHeaders: options.hashHeaders } : {});
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // Calls made outside any instrumented span (no traceparent, no active span) get a span of ours.
  const ownSpans = new Map<string, Span>();

  const request = (seen: OutboundRequest): void => {
    // A WebSocket handshake is the websocket door's: it records the connection, frames and all.
    if (hasInternalHeader(seen.headers) || headerOf(seen.headers, 'upgrade')?.toLowerCase() === 'websocket') return;
    // An OpenTelemetry exporter's own calls (the app's SDK sending its spans) run with tracing suppressed: not the app's.
    if (isTracingSuppressed(context.active())) return;
    const match = spanForRequest(headerOf(seen.headers, 'traceparent'));
    if (match.kind === 'unsampled') return;
    let ids: SpanIds;
    if (match.kind === 'span') {
      ids = match;
    } else {
      const span = trace.getTracer(TRACER_NAME).startSpan(seen.method, { kind: SpanKind.CLIENT });
      ids = span.spanContext();
      ownSpans.set(seen.requestId, span);
    }
    const capture = registry.begin(seen.requestId, ids);
    const body = seen.body;
    if (body instanceof Promise) capture.setRequest(body.then((bytes) => captureRequest(seen, bytes, redactor, keyRules)));
    // Bytes already in hand: the key is worked out when the span is saved, after the response,
    // not between sending the request and its answer (where it held back a stream's first byte).
    else capture.setRequestLazily(() => captureRequest(seen, body, redactor, keyRules));
  };

  const response = (head: OutboundResponseHead): ResponseBodySink | undefined => {
    const capture = registry.forRequest(head.requestId);
    if (!capture) return undefined;
    const recording = new ResponseRecording(head, { redactor, maxBodyBytes });
    capture.setResponse(recording);
    const ownSpan = ownSpans.get(head.requestId);
    if (ownSpan) {
      ownSpans.delete(head.requestId);
      ownSpan.setAttribute('http.response.status_code', head.status);
      void recording.done.finally(() => ownSpan.end());
    }
    return recording;
  };

  return traffic.listen({ request, response });
}

function headerOf(headers: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
  for (const [key, value] of headers) if (key.length === name.length && key.toLowerCase() === name) return value;
  return undefined;
}

function captureRequest(seen: OutboundRequest, body: Uint8Array | undefined, redactor: Redactor, keyRules: KeyRules): CapturedRequestPart {
  const raw: RawRequest = { method: seen.method, url: seen.url, headers: seen.headers as Iterable<[string, string]>, body };
  const { redacted, normalized, canonical, hash } = requestKey(raw, redactor, keyRules);
  return { inputHash: hash, request: { normalized, headers: [...redacted.headers] }, normalizedJson: canonical };
}
