import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR_TRACETAPE_RUN } from '@tracetape/core';
import { TRACER_NAME } from './tracer-name.js';

/**
 * Delimits one run explicitly: `fn` executes under a new root span, so everything it calls is
 * recorded as one trace and can be replayed on its own. Resolves or rejects as `fn` does.
 */
export async function run<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  const span = trace.getTracer(TRACER_NAME).startSpan(name, { root: true, attributes: { [ATTR_TRACETAPE_RUN]: 'run' } });
  try {
    return await context.with(trace.setSpan(context.active(), span), fn);
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}
