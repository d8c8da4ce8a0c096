import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/**
 * An app's own SDK tracer provider that lost the global registration to the hook's: where its
 * span processors and resource are. The OpenTelemetry API gives neither (a provider is only
 * `getTracer()`), so they are read from the fields the SDK keeps them in.
 */
export interface AppTracerProvider {
  /** The provider's own span processors as one, as they are now: SDK 1.x replaces it at each `addSpanProcessor()`. */
  processor(): SpanProcessor | undefined;
  /** The provider's resource (its service name and the rest), of the app's SDK version. */
  readonly resource: object;
  /**
   * Hands `hook` the spans the provider's own tracers start: tracers it made for instrumentations
   * given it directly (`registerInstrumentations({ tracerProvider })`, or made after it was
   * registered) start their spans on it, never on the hook's provider. `setAppsAside`: its own
   * processors get none of them any more (a replay sends nothing out). False where its processors
   * cannot be reached in place (SDK 1.x).
   */
  sendOwnTracersTo(hook: SpanProcessor, setAppsAside: boolean): boolean;
}

/** The fields of the SDK's tracer provider that hold them, by SDK version. */
interface SdkTracerProviderFields {
  /** SDK 2.x and 3.x: a MultiSpanProcessor, which every tracer the provider made holds. */
  _activeSpanProcessor?: { _spanProcessors?: unknown };
  _resource?: unknown;
  /** Tracers the provider made, by name and version (SDK 1.x to 3.x). */
  _tracers?: unknown;
  /** SDK 1.x. */
  activeSpanProcessor?: unknown;
  resource?: unknown;
}

/** Processors tracetape put among an app provider's own: never the app's to be given spans by tracetape. */
const bridges = new WeakSet<object>();

/** The app provider's processors and resource, or undefined when it is not an SDK tracer provider tracetape knows. */
export function appTracerProvider(provider: unknown): AppTracerProvider | undefined {
  if (provider === null || typeof provider !== 'object') return undefined;
  const fields = provider as SdkTracerProviderFields;
  const modern = '_activeSpanProcessor' in fields;
  const resource = modern ? fields._resource : fields.resource;
  const current = (): unknown => (modern ? fields._activeSpanProcessor : fields.activeSpanProcessor);
  const inPlace = processorList(provider);
  const own = inPlace ? withoutBridges(inPlace) : undefined;
  const processor = (): SpanProcessor | undefined => {
    if (own) return own;
    const active = current();
    return isSpanProcessor(active) ? active : undefined;
  };
  if (!isSpanProcessor(current()) || !isResource(resource)) return undefined;
  return {
    processor,
    resource,
    sendOwnTracersTo(hook, setAppsAside) {
      if (!inPlace) return false;
      if (inPlace.some((each) => bridges.has(each as object))) return true;
      const bridge = ownTracerSpans(hook);
      bridges.add(bridge);
      if (setAppsAside) inPlace.splice(0, inPlace.length, bridge);
      else inPlace.unshift(bridge);
      return true;
    },
  };
}

/** Whether the provider made tracers of its own, and tracetape could not reach the spans they start. */
export function ownTracersOutOfReach(provider: unknown): boolean {
  const tracers = (provider as SdkTracerProviderFields | undefined)?._tracers;
  return tracers instanceof Map && tracers.size > 0 && processorList(provider) === undefined;
}

/** The array of a modern provider's processors, which its tracers read at each span. */
function processorList(provider: unknown): unknown[] | undefined {
  const list = (provider as SdkTracerProviderFields | undefined)?._activeSpanProcessor?._spanProcessors;
  return Array.isArray(list) ? list : undefined;
}

/** The provider's processors but tracetape's bridge, read at each call (the app may add some). */
function withoutBridges(list: unknown[]): SpanProcessor {
  const each = (call: (processor: SpanProcessor) => void): void => {
    for (const processor of list) if (!bridges.has(processor as object) && isSpanProcessor(processor)) call(processor);
  };
  const all = async (call: (processor: SpanProcessor) => Promise<void>): Promise<void> => {
    const pending: Promise<void>[] = [];
    each((processor) => void pending.push(call(processor)));
    await Promise.all(pending);
  };
  return {
    onStart: (span: Span, context: Context) => each((processor) => processor.onStart(span, context)),
    onEnd: (span: ReadableSpan) => each((processor) => processor.onEnd(span)),
    forceFlush: () => all((processor) => processor.forceFlush()),
    shutdown: () => all((processor) => processor.shutdown()),
  };
}

/** The processor put among the app's: its spans go to the hook's; flushing and shutting down stay the hook's own business. */
function ownTracerSpans(hook: SpanProcessor): SpanProcessor {
  return {
    onStart: (span, context) => hook.onStart(span, context),
    onEnd: (span) => hook.onEnd(span),
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
}

function isSpanProcessor(value: unknown): value is SpanProcessor {
  const candidate = value as Partial<SpanProcessor> | null | undefined;
  return typeof candidate?.onStart === 'function' && typeof candidate.onEnd === 'function' && typeof candidate.forceFlush === 'function';
}

function isResource(value: unknown): value is object {
  return value !== null && typeof value === 'object' && 'attributes' in value;
}
