import type { SpanProcessor } from '@opentelemetry/sdk-trace';

/**
 * An app's own SDK tracer provider that lost the global registration to the hook's: where its
 * span processors and resource are. The OpenTelemetry API gives neither (a provider is only
 * `getTracer()`), so they are read from the fields the SDK keeps them in.
 */
export interface AppTracerProvider {
  /** The provider's span processors as one, as they are now: SDK 1.x replaces it at each `addSpanProcessor()`. */
  processor(): SpanProcessor | undefined;
  /** The provider's resource (its service name and the rest), of the app's SDK version. */
  readonly resource: object;
}

/** The fields of the SDK's tracer provider that hold them, by SDK version. */
interface SdkTracerProviderFields {
  /** SDK 2.x and 3.x. */
  _activeSpanProcessor?: unknown;
  _resource?: unknown;
  /** SDK 1.x. */
  activeSpanProcessor?: unknown;
  resource?: unknown;
}

/** The app provider's processors and resource, or undefined when it is not an SDK tracer provider tracetape knows. */
export function appTracerProvider(provider: unknown): AppTracerProvider | undefined {
  if (provider === null || typeof provider !== 'object') return undefined;
  const fields = provider as SdkTracerProviderFields;
  const modern = '_activeSpanProcessor' in fields;
  const resource = modern ? fields._resource : fields.resource;
  const processor = (): SpanProcessor | undefined => {
    const current = modern ? fields._activeSpanProcessor : fields.activeSpanProcessor;
    return isSpanProcessor(current) ? current : undefined;
  };
  if (!processor() || !isResource(resource)) return undefined;
  return { processor, resource };
}

function isSpanProcessor(value: unknown): value is SpanProcessor {
  const candidate = value as Partial<SpanProcessor> | null | undefined;
  return typeof candidate?.onStart === 'function' && typeof candidate.onEnd === 'function' && typeof candidate.forceFlush === 'function';
}

function isResource(value: unknown): value is object {
  return value !== null && typeof value === 'object' && 'attributes' in value;
}
