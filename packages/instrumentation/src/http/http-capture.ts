import { SpanKind, trace, type Span } from '@opentelemetry/api';
import { httpKeyRules, Redactor, requestKey, type RawRequest, type RequestKeyRules } from '@tracetape/core';
import type { NormalizedRequest } from '@tracetape/core';
import type { CaptureRegistry } from '../capture/capture-registry.js';
import type { CapturedRequestPart } from '../capture/pending-capture.js';
import { isInternalRequest } from './internal-traffic.js';
import type { OutboundRequestEvent, OutboundResponseEvent, OutboundTraffic } from './outbound-traffic.js';
import { readRequest } from './request-reader.js';
import { ResponseRecording } from './response-recorder.js';
import { spanForRequest } from './span-correlation.js';
import type { CaptureOptions } from '../types.js';
import { TRACER_NAME } from '../tracer-name.js';

const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Capture mode: every outbound HTTP call's request and response are read (from copies) onto its span. */
export function attachHttpCapture(
  traffic: OutboundTraffic,
  registry: CaptureRegistry,
  options: CaptureOptions = {},
): () => void {
  const redactor = new Redactor(options.redaction);
  const keyRules = httpKeyRules(options.hashHeaders ? { hashHeaders: options.hashHeaders } : {});
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // Calls made outside any instrumented span (no traceparent, no active span) get a span of ours.
  const ownSpans = new Map<string, Span>();

  const onRequest = ({ request, requestId }: OutboundRequestEvent): void => {
    // A WebSocket handshake is the websocket door's: it records the connection, frames and all.
    if (isInternalRequest(request) || request.headers.get('upgrade')?.toLowerCase() === 'websocket') return;
    const match = spanForRequest(request);
    if (match.kind === 'unsampled') return;
    let spanId: string;
    if (match.kind === 'span') {
      spanId = match.spanId;
    } else {
      const span = trace.getTracer(TRACER_NAME).startSpan(request.method, { kind: SpanKind.CLIENT });
      spanId = span.spanContext().spanId;
      ownSpans.set(requestId, span);
    }
    const capture = registry.begin(requestId, spanId);
    capture.setRequest(captureRequest(request, redactor, keyRules));
  };

  const onResponse = ({ response, requestId }: OutboundResponseEvent): void => {
    const capture = registry.forRequest(requestId);
    if (!capture) return;
    // Both traffic sources already hand listeners their own copy. Cloning it again would tee it and
    // leave the other branch unread, so that branch would buffer the whole body in memory.
    const recording = new ResponseRecording(response, { redactor, maxBodyBytes });
    capture.setResponse(recording);
    const ownSpan = ownSpans.get(requestId);
    if (ownSpan) {
      ownSpans.delete(requestId);
      ownSpan.setAttribute('http.response.status_code', response.status);
      void recording.done.finally(() => ownSpan.end());
    }
  };

  traffic.on('request', onRequest);
  traffic.on('response', onResponse);
  return () => {
    traffic.removeListener('request', onRequest);
    traffic.removeListener('response', onResponse);
  };
}

async function captureRequest(
  request: Request,
  redactor: Redactor,
  keyRules: RequestKeyRules<RawRequest, RawRequest, NormalizedRequest>,
): Promise<CapturedRequestPart> {
  const { redacted, normalized, hash } = requestKey(await readRequest(request), redactor, keyRules);
  return { inputHash: hash, request: { normalized, headers: [...redacted.headers] } };
}
