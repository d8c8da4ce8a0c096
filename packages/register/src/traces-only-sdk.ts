import { context, propagation, trace, type ContextManager, type TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { TracerProvider, type IdGenerator, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TracesOnlyOptions {
  contextManager: ContextManager;
  idGenerator: IdGenerator;
  spanProcessors: SpanProcessor[];
  instrumentations: Instrumentation[];
  resource: Resource;
  serviceName?: string;
  /** The SDK's default when left out. */
  textMapPropagator?: TextMapPropagator;
}

/**
 * What NodeSDK.start() does for traces, and nothing else: a replay makes spans (the code runs as
 * recorded) but exports none and has no metrics or logs pipeline, so it does not load the SDK's
 * exporters, metrics, logs and configuration packages (about 900 modules) to start.
 * The propagator is W3C trace context and baggage, the SDK's default, unless one is given: in a
 * replay no header it injects reaches the network or enters a request's hash.
 */
export function startTracesOnly(options: TracesOnlyOptions): void {
  registerInstrumentations({ instrumentations: options.instrumentations });
  options.contextManager.enable();
  context.setGlobalContextManager(options.contextManager);
  propagation.setGlobalPropagator(options.textMapPropagator ?? new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  const resource = options.serviceName === undefined ? options.resource : options.resource.merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }));
  trace.setGlobalTracerProvider(new TracerProvider({ resource, idGenerator: options.idGenerator, spanProcessors: options.spanProcessors }));
}
