import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import {
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_TRACETAPE_WEBSOCKET_CLOSE_CODE,
  ATTR_TRACETAPE_WEBSOCKET_MESSAGES,
  ATTR_URL_FULL,
  type Redactor,
} from '@tracetape/core';
import { TRACER_NAME } from '../tracer-name.js';
import type { StepExchange, WebSocketCall } from './websocket-call.js';

/**
 * The client span of one step (`websocket open`, `websocket send`, `websocket close`), made by the
 * door itself: no official instrumentation makes spans for WebSocket. It carries the URL, redacted.
 */
export function startStepSpan(action: WebSocketCall['action'], url: string, redactor: Redactor): Span {
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol === 'wss:' || parsed.protocol === 'https:' ? 443 : 80));
  return trace.getTracer(TRACER_NAME).startSpan(
    `websocket ${action}`,
    { kind: SpanKind.CLIENT, attributes: { [ATTR_URL_FULL]: redactor.url(url), [ATTR_SERVER_ADDRESS]: parsed.hostname, [ATTR_SERVER_PORT]: port } },
    context.active(),
  );
}

/** Ends a step's span with what the step got: a failed open or an abnormal close is an error. */
export function endStepSpan(span: Span, exchange: Pick<StepExchange, 'close' | 'error'>, messages: number): void {
  span.setAttribute(ATTR_TRACETAPE_WEBSOCKET_MESSAGES, messages);
  if (exchange.close) span.setAttribute(ATTR_TRACETAPE_WEBSOCKET_CLOSE_CODE, exchange.close.code);
  if (exchange.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: exchange.error });
  span.end();
}
