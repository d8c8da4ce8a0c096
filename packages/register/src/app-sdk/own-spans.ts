import { context, SpanKind, trace, type Context, type Span, type SpanOptions, type Tracer, type TracerProvider } from '@opentelemetry/api';

/**
 * The tracer provider tracetape's own instrumentations start their spans with: it knows those
 * spans from the app's (an app's undici or HTTP instrumentation shares their scope names), and it
 * starts tracetape's server span for a request inside the app's own server span for it.
 */
export class OwnSpans {
  /** Above zero while one of tracetape's own tracers is starting a span. */
  private starting = 0;
  /** tracetape's server spans: an app's server span is told from them. */
  private readonly ownServerSpans = new WeakSet<object>();

  /** Whether the span being started now is one of tracetape's. */
  get isStarting(): boolean {
    return this.starting > 0;
  }

  tracerProvider(inner: TracerProvider): TracerProvider {
    return { getTracer: (name, version, options) => this.tracer(inner.getTracer(name, version, options)) };
  }

  /**
   * The provider the instrumentations of an SDK that started before the hook are sent to: theirs
   * patched first, so tracetape's server span for a request is started outside the app's, which
   * would begin a trace of its own from the request's headers (a request with no caller) or stand
   * beside tracetape's under the caller. The app's server span is started under tracetape's
   * instead: the request stays one trace with tracetape's span for root in this process, and the
   * app's collector, which never sees tracetape's span, sees the app's under the caller as before.
   */
  appTracerProvider(inner: TracerProvider): TracerProvider {
    return { getTracer: (name, version, options) => this.appTracer(inner.getTracer(name, version, options)) };
  }

  private tracer(tracer: Tracer): Tracer {
    return withActiveSpans((name, options, parent = context.active()) => {
      this.starting++;
      try {
        if (options?.kind !== SpanKind.SERVER) return tracer.startSpan(name, options, parent);
        const span = tracer.startSpan(name, options, this.inAppServerTrace(parent));
        this.ownServerSpans.add(span);
        return span;
      } finally {
        this.starting--;
      }
    });
  }

  private appTracer(tracer: Tracer): Tracer {
    return withActiveSpans((name, options, parent = context.active()) =>
      tracer.startSpan(name, options, options?.kind === SpanKind.SERVER ? this.underOwnServerSpan(parent) : parent),
    );
  }

  /** The app's server span's parent: tracetape's server span for the same request, when it is the one around. */
  private underOwnServerSpan(parent: Context): Context {
    const given = trace.getSpan(parent)?.spanContext();
    if (given && !given.isRemote) return parent;
    const around = trace.getSpan(context.active());
    if (!around || !this.ownServerSpans.has(around)) return parent;
    // From the request's own headers, the caller's span is the parent of tracetape's span too.
    if (given && given.traceId !== around.spanContext().traceId) return parent;
    return trace.setSpan(parent, around);
  }

  /**
   * A request with no `traceparent`, inside the app's own server span for it (an app with an HTTP
   * instrumentation of its own, which wraps over tracetape's): each instrumentation would start a
   * trace of its own from the request's headers, and the app's collector would get its server
   * span alone in one and the handler's spans in the other. tracetape's span joins the app's
   * trace instead, under the app's span as if it came from the caller: it stays the request's root
   * in this process (its reads, its inbound exchange), and everything under it, the calls the
   * handler propagates included, is in the app's trace.
   */
  private inAppServerTrace(parent: Context): Context {
    if (trace.getSpan(parent)) return parent;
    const around = trace.getSpan(context.active()) as (Span & { kind?: SpanKind }) | undefined;
    if (!around || around.kind !== SpanKind.SERVER || this.ownServerSpans.has(around)) return parent;
    const app = around.spanContext();
    if (!trace.isSpanContextValid(app)) return parent;
    return trace.setSpanContext(parent, { ...app, isRemote: true });
  }
}

type StartSpan = (name: string, options?: SpanOptions, parent?: Context) => Span;

/** A tracer from its startSpan: startActiveSpan starts the span the same way, then runs the callback inside it. */
function withActiveSpans(startSpan: StartSpan): Tracer {
  const startActiveSpan = (name: string, ...rest: unknown[]): unknown => {
    const run = rest[rest.length - 1] as (span: Span) => unknown;
    const options = rest.length > 1 ? (rest[0] as SpanOptions | undefined) : undefined;
    const parent = rest.length > 2 ? (rest[1] as Context) : context.active();
    const span = startSpan(name, options, parent);
    return context.with(trace.setSpan(parent, span), run, undefined, span);
  };
  return { startSpan, startActiveSpan: startActiveSpan as Tracer['startActiveSpan'] };
}
