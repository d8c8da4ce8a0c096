import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * The global propagator while the hook runs: W3C trace context and baggage, tracetape's own (the
 * SDK's default), and the app's, once its SDK registers one. The hook registers first, so the API
 * would refuse the app's propagator, and an app whose callers and services speak B3 or Jaeger
 * would start a new trace at every request and send its calls without the headers its
 * services read. Taken here instead, it goes on doing both: its headers are injected beside
 * traceparent, and a context it extracts wins over the W3C one, as it would without tracetape.
 *
 * An app with a propagator of its own has an SDK, and most likely instrumentations of its own for
 * the clients tracetape instruments: a call then gets two client spans, the app's outside
 * tracetape's, and both inject. The app's headers must reach the next service, so that its spans
 * hang under the span the app's collector has: once the app's propagator is here, an injection
 * leaves alone the headers a carrier already holds (node:http's, whose options the app's wrapper
 * filled first). fetch's are kept apart in undici-trace-headers.ts.
 */
export class HookPropagator implements TextMapPropagator {
  private readonly own: TextMapPropagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
  private app: TextMapPropagator | undefined;

  /** Takes the app's propagator; false for what is not one (the API then refuses it as before). */
  adopt(propagator: unknown): boolean {
    if (!isPropagator(propagator) || propagator === this) return false;
    this.app = propagator;
    return true;
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    if (!this.app) return this.own.inject(context, carrier, setter);
    const held = heldHeaders(carrier);
    const guarded: TextMapSetter = held.size === 0 ? setter : { set: (into, key, value) => void (held.has(key.toLowerCase()) || setter.set(into, key, value)) };
    this.own.inject(context, carrier, guarded);
    this.app.inject(context, carrier, guarded);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const withOwn = this.own.extract(context, carrier, getter);
    return this.app ? this.app.extract(withOwn, carrier, getter) : withOwn;
  }

  fields(): string[] {
    return [...new Set([...this.own.fields(), ...(this.app?.fields() ?? [])])];
  }
}

/** The names a plain header object already holds, lower-cased; none for any other carrier. */
function heldHeaders(carrier: unknown): Set<string> {
  if (carrier === null || typeof carrier !== 'object' || Array.isArray(carrier)) return new Set();
  const names = Object.keys(carrier);
  return names.length === 0 ? EMPTY : new Set(names.map((name) => name.toLowerCase()));
}
const EMPTY: Set<string> = new Set();

function isPropagator(value: unknown): value is TextMapPropagator {
  const candidate = value as Partial<TextMapPropagator> | null;
  return typeof candidate?.inject === 'function' && typeof candidate.extract === 'function' && typeof candidate.fields === 'function';
}
