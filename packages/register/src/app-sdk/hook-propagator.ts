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
 * hang under the span the app's collector has. On node:http the app's wrapper is outside and
 * injects first, then calls tracetape's with a copy of the headers: once the app's propagator is
 * here, an injection leaves alone the headers that still hold what the one before it wrote (a
 * header the code set itself is overwritten, as OpenTelemetry's instrumentation does). fetch's
 * are kept apart in undici-trace-headers.ts.
 */
export class HookPropagator implements TextMapPropagator {
  private readonly own: TextMapPropagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
  private app: TextMapPropagator | undefined;
  /** What the last injection wrote, by lower-cased name: the app's wrapper calls tracetape's right after. */
  private lastWritten = new Map<string, string>();

  /**
   * `appWrapsOutside`: whether the app's client instrumentations wrap over tracetape's (an SDK
   * started after the hook), so the app's injection comes first and tracetape's must not undo it.
   * An SDK preloaded before the hook patched first: tracetape's wrapper is outside, injects first,
   * and the app's, injecting last, must be let write.
   */
  constructor(private readonly appWrapsOutside = true) {}

  /** Takes the app's propagator; false for what is not one (the API then refuses it as before). */
  adopt(propagator: unknown): boolean {
    if (!isPropagator(propagator) || propagator === this) return false;
    this.app = propagator;
    return true;
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    if (!this.app || !this.appWrapsOutside) {
      this.own.inject(context, carrier, setter);
      this.app?.inject(context, carrier, setter);
      return;
    }
    const kept = stillWritten(carrier, this.lastWritten);
    const written = new Map<string, string>();
    const guarded: TextMapSetter = {
      set: (into, key, value) => {
        const name = key.toLowerCase();
        if (kept.has(name)) return;
        written.set(name, value);
        setter.set(into, key, value);
      },
    };
    this.own.inject(context, carrier, guarded);
    this.app.inject(context, carrier, guarded);
    this.lastWritten = written;
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const withOwn = this.own.extract(context, carrier, getter);
    return this.app ? this.app.extract(withOwn, carrier, getter) : withOwn;
  }

  fields(): string[] {
    return [...new Set([...this.own.fields(), ...(this.app?.fields() ?? [])])];
  }
}

/** The headers of a plain header object that hold what the last injection wrote, lower-cased. */
function stillWritten(carrier: unknown, lastWritten: ReadonlyMap<string, string>): Set<string> {
  const kept = new Set<string>();
  if (lastWritten.size === 0 || carrier === null || typeof carrier !== 'object' || Array.isArray(carrier)) return kept;
  for (const [name, value] of Object.entries(carrier)) {
    const lower = name.toLowerCase();
    if (lastWritten.get(lower) === value) kept.add(lower);
  }
  return kept;
}

function isPropagator(value: unknown): value is TextMapPropagator {
  const candidate = value as Partial<TextMapPropagator> | null;
  return typeof candidate?.inject === 'function' && typeof candidate.extract === 'function' && typeof candidate.fields === 'function';
}
