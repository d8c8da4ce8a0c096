import type { RequestOptions } from 'node:http';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation, type UndiciRequest } from '@opentelemetry/instrumentation-undici';
import { INTERNAL_REQUEST_HEADER } from '@tracetape/core';
import type { HttpServerHooks } from '@tracetape/instrumentation';
import { keepOneTraceHeader } from './app-sdk/undici-trace-headers.js';

/**
 * HTTP (http/https) and undici (fetch) client and server spans; tracetape's own calls make none.
 * `serverHooks` (capture) record each server span's inbound request and response. `doors` are the
 * capture or playback session's own (databases), enabled after these.
 */
export function createInstrumentations(serverHooks: HttpServerHooks | undefined, doors: readonly Instrumentation[]): Instrumentation[] {
  return [
    new HttpInstrumentation({ ignoreOutgoingRequestHook: isInternalHttpRequest, ...serverHooks }),
    new UndiciInstrumentation({ ignoreRequestHook: isInternalUndiciRequest, requestHook: (_span, request) => keepOneTraceHeader(request) }),
    ...doors,
  ];
}

function isInternalHttpRequest(options: RequestOptions): boolean {
  const headers = options.headers;
  if (!headers || Array.isArray(headers)) return false;
  return Object.keys(headers).some((name) => name.toLowerCase() === INTERNAL_REQUEST_HEADER);
}

function isInternalUndiciRequest(request: UndiciRequest): boolean {
  const { headers } = request;
  if (typeof headers === 'string') return headers.toLowerCase().includes(`${INTERNAL_REQUEST_HEADER}:`);
  for (let i = 0; i < headers.length; i += 2) {
    if (String(headers[i]).toLowerCase() === INTERNAL_REQUEST_HEADER) return true;
  }
  return false;
}
