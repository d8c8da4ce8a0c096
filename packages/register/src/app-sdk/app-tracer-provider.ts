import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/**
 * An app's own SDK tracer provider that lost the global registration to the hook's: where its
 * span processors and resource are. The OpenTelemetry API gives neither (a provider is only
 * `getTracer()`), so they are read from the fields the SDK keeps them in.
 */
export interface AppTracerProvider {
  /**
   * The provider's own span processors as one, as they are now (SDK 1.x replaces it at each
   * `addSpanProcessor()`), also once {@link sendOwnTracersTo} took them out of the provider.
   */
  processor(): SpanProcessor | undefined;
  /** The provider's resource (its service name and the rest), of the app's SDK version. */
  readonly resource: object;
  /**
   * Puts `bridge` in place of the provider's own processors, so that it gets the spans of the
   * provider's own tracers: tracers it made for instrumentations given it directly
   * (`registerInstrumentations({ tracerProvider })`, or made after it was registered) start their
   * spans on it, never on the hook's provider. The provider's processors get nothing directly any
   * more: only what the bridge gives {@link processor}. Done in place, since every tracer holds the
   * provider's composite processor; false where that cannot be reached (SDK 1.x).
   */
  sendOwnTracersTo(bridge: SpanProcessor): boolean;
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

/** Processors tracetape put in place of an app provider's own: never the app's to be given spans by tracetape. */
const bridges = new WeakSet<object>();
/** The processors a bridge took the place of, by the provider's list. */
const takenOut = new WeakMap<unknown[], unknown[]>();

/** The app provider's processors and resource, or undefined when it is not an SDK tracer provider tracetape knows. */
export function appTracerProvider(provider: unknown): AppTracerProvider | undefined {
  if (provider === null || typeof provider !== 'object') return undefined;
  const fields = provider as SdkTracerProviderFields;
  const modern = '_activeSpanProcessor' in fields;
  const resource = modern ? fields._resource : fields.resource;
  const current = (): unknown => (modern ? fields._activeSpanProcessor : fields.activeSpanProcessor);
  const inPlace = processorList(provider);
  const own = inPlace ? appsOwn(inPlace) : undefined;
  const processor = (): SpanProcessor | undefined => {
    if (own) return own;
    const active = current();
    return isSpanProcessor(active) ? active : undefined;
  };
  if (!isSpanProcessor(current()) || !isResource(resource)) return undefined;
  return {
    processor,
    resource,
    sendOwnTracersTo(bridge) {
      if (!inPlace) return false;
      if (takenOut.has(inPlace)) return true;
      bridges.add(bridge);
      takenOut.set(inPlace, inPlace.splice(0, inPlace.length, bridge));
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

/** The provider's processors, where they are at each call: in its list, or taken out of it by a bridge. */
function appsOwn(list: unknown[]): SpanProcessor {
  const each = (call: (processor: SpanProcessor) => void): void => {
    for (const processor of takenOut.get(list) ?? list) if (!bridges.has(processor as object) && isSpanProcessor(processor)) call(processor);
  };
  const all = async (call: (processor: SpanProcessor) => Promise<void>): Promise<void> => {
    const pending: Promise<void>[] = [];
    each((processor) => void pending.push(call(processor)));
    await Promise.all(pending);
  };
  return {
    onStart: (span: Span, context: Context) => each((processor) => processor.onStart(span, context)),
    onEnding: (span: Span) => each((processor) => processor.onEnding?.(span)),
    onEnd: (span: ReadableSpan) => each((processor) => processor.onEnd(span)),
    forceFlush: () => all((processor) => processor.forceFlush()),
    shutdown: () => all((processor) => processor.shutdown()),
  };
}

function isSpanProcessor(value: unknown): value is SpanProcessor {
  const candidate = value as Partial<SpanProcessor> | null | undefined;
  return typeof candidate?.onStart === 'function' && typeof candidate.onEnd === 'function' && typeof candidate.forceFlush === 'function';
}

function isResource(value: unknown): value is object {
  return value !== null && typeof value === 'object' && 'attributes' in value;
}
