import { context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { BAGGAGE_VARIABLE, TRACEPARENT_VARIABLE, TRACESTATE_VARIABLE, type RunVariables } from './run-variables.js';

// W3C, whatever propagator the app configured: the child's hook reads exactly this.
const propagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });

const HEADER_OF = { [TRACEPARENT_VARIABLE]: 'traceparent', [TRACESTATE_VARIABLE]: 'tracestate', [BAGGAGE_VARIABLE]: 'baggage' } as const;

type TraceVariables = Omit<RunVariables, 'TRACETAPE_PROCESS_PATH'>;

/** The active span's context (the run's, outside any other span) as environment variables. */
export function injectTraceVariables(from: Context = context.active()): TraceVariables {
  const headers: Record<string, string> = {};
  propagator.inject(from, headers, defaultTextMapSetter);
  const variables: TraceVariables = {};
  for (const [variable, header] of Object.entries(HEADER_OF) as Array<[keyof TraceVariables, string]>) {
    if (headers[header]) variables[variable] = headers[header];
  }
  return variables;
}

/** The parent's span as a remote parent context; undefined without a valid TRACEPARENT. */
export function extractTraceVariables(variables: Partial<Record<string, string>>): Context | undefined {
  const headers: Record<string, string> = {};
  for (const [variable, header] of Object.entries(HEADER_OF)) {
    const value = variables[variable];
    if (value) headers[header] = value;
  }
  if (!headers.traceparent) return undefined;
  const extracted = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  return trace.getSpanContext(extracted) ? extracted : undefined;
}
