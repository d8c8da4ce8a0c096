import type { Attributes, SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** What tracetape adds to spans (payloads, hashes, run marks): never the app exporter's to send. */
const TRACETAPE_ATTRIBUTE_PREFIX = 'tracetape.';

/**
 * A span as the app's own SDK would have made it: its resource (service name), none of
 * tracetape's attributes, and the parent it has without tracetape's own spans. SDK 1.x exporters
 * read the parent and scope under their older names, so those are given too.
 */
export type AppSpanView<S extends ReadableSpan = ReadableSpan> = S & {
  readonly parentSpanId: string | undefined;
  readonly instrumentationLibrary: ReadableSpan['instrumentationScope'];
};

/**
 * The app's view of each span it is shown, one object per span and app provider from its start to
 * its end: span processors keep spans by identity (a vendor's processor notes a span at onStart
 * and finds it again at onEnd), so a view made anew at the end would be a span they never saw
 * start. The view is live: what the app or its processors write to it reaches the span, and what
 * is written to the span until it ends shows through it.
 */
export class AppSpanViews {
  private readonly views = new WeakMap<object, Map<object, ReadableSpan>>();

  /** The view of `span` for the provider of `resource`; `parent` is used by the first call for this pair. */
  of<S extends ReadableSpan>(span: S, resource: object, parent: SpanContext | undefined): AppSpanView<S> {
    let byResource = this.views.get(span);
    if (!byResource) this.views.set(span, (byResource = new Map()));
    const known = byResource.get(resource);
    if (known) return known as AppSpanView<S>;
    const view = appSpanView(span, resource, parent);
    byResource.set(resource, view);
    return view;
  }
}

/** Read from the view instead of the span; the SDK 1.x names are not on a 2.x span at all. */
const SHOWN_KEYS: ReadonlySet<string | symbol> = new Set(['resource', 'parentSpanContext', 'parentSpanId', 'instrumentationLibrary', 'attributes']);

function appSpanView<S extends ReadableSpan>(span: S, resource: object, parent: SpanContext | undefined): AppSpanView<S> {
  // What an app processor sets on the view (a scrubber replacing `attributes`) is what the next one reads.
  const written = new Map<string | symbol, unknown>();
  // Once the span has ended its attributes stay as they are: one copy without tracetape's, so a
  // processor that deletes a key from it (a scrubber, at onEnd) changes what the exporter reads.
  let endedAttributes: ReturnType<typeof withoutTracetapeAttributes> | undefined;
  const shown = (key: string | symbol): unknown => {
    if (written.has(key)) return written.get(key);
    switch (key) {
      case 'resource':
        return resource;
      case 'parentSpanContext':
        return parent;
      case 'parentSpanId':
        return parent?.spanId;
      case 'instrumentationLibrary':
        return span.instrumentationScope;
      case 'attributes':
        if (!span.ended) return withoutTracetapeAttributes(span.attributes);
        return (endedAttributes ??= withoutTracetapeAttributes(span.attributes));
      default:
        return undefined;
    }
  };
  // Methods run on the span itself: an SDK's span may keep its state in private fields, which a
  // method called on a proxy cannot reach.
  const bound = new WeakMap<object, unknown>();
  return new Proxy(span, {
    get(target, key) {
      if (SHOWN_KEYS.has(key)) return shown(key);
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      let method = bound.get(value);
      if (method === undefined) bound.set(value, (method = (value as (...args: unknown[]) => unknown).bind(target)));
      return method;
    },
    // An exporter that copies the span (`{ ...span }`) or asks `'parentSpanId' in span` sees the view too.
    set(target, key, value) {
      if (!SHOWN_KEYS.has(key)) return Reflect.set(target, key, value, target);
      written.set(key, value);
      return true;
    },
    has: (target, key) => SHOWN_KEYS.has(key) || Reflect.has(target, key),
    ownKeys: (target) => [...new Set([...Reflect.ownKeys(target), ...SHOWN_KEYS])],
    getOwnPropertyDescriptor(target, key) {
      if (!SHOWN_KEYS.has(key)) return Reflect.getOwnPropertyDescriptor(target, key);
      return { value: shown(key), writable: true, enumerable: true, configurable: true };
    },
  }) as AppSpanView<S>;
}

/** The attributes without tracetape's: the same object when it has none of them, as the app's own spans do. */
export function withoutTracetapeAttributes(attributes: Attributes): Attributes {
  const keys = Object.keys(attributes);
  if (!keys.some(isTracetapeAttribute)) return attributes;
  const kept: Attributes = {};
  for (const key of keys) if (!isTracetapeAttribute(key)) kept[key] = attributes[key];
  return kept;
}

function isTracetapeAttribute(key: string): boolean {
  return key.startsWith(TRACETAPE_ATTRIBUTE_PREFIX);
}
