import { context, trace, type Context, type SpanContext } from '@opentelemetry/api';
import type { ReadableSpan, Span as SdkSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_RUN } from '@tracetape/core';
import { AppSpanViews } from './app-span-view.js';
import { appTracerProvider, type AppTracerProvider } from './app-tracer-provider.js';
import { HookSpanViews } from './hook-span-view.js';
import type { OwnSpans } from './own-spans.js';

/** The scope names of spans tracetape itself makes (its process run, its own doors). */
const OWN_SCOPE_PREFIX = '@tracetape/';

/**
 * Feeds an app's own OpenTelemetry SDK, whose tracer provider the hook's kept from becoming the
 * global one, the spans the app would have given it without tracetape: the app's own spans and
 * its instrumentations', under its resource, without tracetape's attributes, and without
 * tracetape's spans (its run, its instrumentations'): a span under one of those is shown under
 * the nearest span the app made, or as a root. The spans of the tracers the app's provider made
 * itself, which never pass the hook's provider, come to a bridge that stands in for the app
 * provider's processors (see AppTracerProvider.sendOwnTracersTo): the hook's processing gets them
 * under the hook's resource, and the app's processors as the app's other spans, through here.
 */
export class AppSpanForwarder implements SpanProcessor {
  private readonly providers: AppTracerProvider[] = [];
  private readonly adoptedProviders = new WeakSet<object>();
  /** tracetape's spans still open, by span ID: the parent the app's spans under them are shown with. */
  private readonly hidden = new Map<string, SpanContext | undefined>();
  /** The app's view of each span, made as it starts: its parent is decided then (a hidden parent may end first). */
  private readonly views = new AppSpanViews();
  /**
   * The resource of the hook's spans, read off the first one (while recording: in a replay the
   * forwarder is not among the hook's processors): the bridged spans are recorded under it.
   */
  private hookResource: object | undefined;
  private readonly hookViews = new HookSpanViews(() => this.hookResource);

  /**
   * `own` starts tracetape's instrumentations' spans: those are never the app's. `hook` is the
   * hook's own span processing (the recording, a replay's), which the spans of the app provider's
   * own tracers are handed to. `forward`: whether the app's SDK is fed (recording); in a replay it
   * gets nothing, those spans included.
   */
  constructor(
    private readonly own: OwnSpans,
    private readonly hook: SpanProcessor,
    private readonly forward = true,
  ) {}

  /** Takes an app's tracer provider to feed; false when its span processors cannot be reached. */
  adopt(provider: unknown): boolean {
    if (provider === null || typeof provider !== 'object') return false;
    if (this.adoptedProviders.has(provider)) return true;
    const app = appTracerProvider(provider);
    if (!app) return false;
    this.adoptedProviders.add(provider);
    app.sendOwnTracersTo(this.bridgeFor(app));
    if (this.forward) this.providers.push(app);
    return true;
  }

  /** How many app providers are fed. */
  get adopted(): number {
    return this.providers.length;
  }

  /** A span of the hook's provider. */
  onStart(span: SdkSpan, parentContext: Context): void {
    this.hookResource ??= span.resource;
    if (this.providers.length === 0) {
      // Before any app SDK is adopted, only the process's run span can still be open once one is.
      if (span.attributes[ATTR_TRACETAPE_RUN] !== undefined) this.hidden.set(span.spanContext().spanId, undefined);
      return;
    }
    const parent = this.shownParentOf(span.parentSpanContext);
    if (this.isOwn(span)) {
      this.hidden.set(span.spanContext().spanId, this.enclosingAppSpan(span) ?? parent);
      return;
    }
    for (const provider of this.providers) provider.processor()?.onStart(this.views.of(span, provider.resource, parent), parentContext);
  }

  /** The span about to end, still writable: for processors that add to it last. */
  onEnding(span: SdkSpan): void {
    if (this.providers.length === 0 || this.hidden.has(span.spanContext().spanId)) return;
    for (const provider of this.providers) provider.processor()?.onEnding?.(this.viewOf(span, provider));
  }

  onEnd(span: ReadableSpan): void {
    if (this.hidden.delete(span.spanContext().spanId) || this.providers.length === 0) return;
    for (const provider of this.providers) provider.processor()?.onEnd(this.viewOf(span, provider));
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.providers.map((provider) => provider.processor()?.forceFlush()));
  }

  /** The app's SDK is the app's to shut down, as it would be without tracetape. */
  async shutdown(): Promise<void> {}

  /**
   * What stands in for an app provider's own processors, for the spans of its own tracers: the
   * hook's processing gets each (the recording, a replay's account); while recording, that
   * provider's processors, and no other app provider's, get it as they get the app's spans from
   * the hook's provider, with tracetape's spans left out of its parents. The app flushing or
   * shutting down its provider reaches them.
   */
  private bridgeFor(app: AppTracerProvider): SpanProcessor {
    const forward = this.forward;
    return {
      onStart: (span, parentContext) => {
        this.hook.onStart(this.hookViews.of(span), parentContext);
        if (forward) app.processor()?.onStart(this.viewOf(span, app), parentContext);
      },
      onEnding: (span) => {
        this.hook.onEnding?.(this.hookViews.of(span));
        if (forward) app.processor()?.onEnding?.(this.viewOf(span, app));
      },
      onEnd: (span) => {
        this.hook.onEnd(this.hookViews.of(span));
        if (forward) app.processor()?.onEnd(this.viewOf(span, app));
      },
      forceFlush: async () => {
        if (forward) await app.processor()?.forceFlush();
      },
      shutdown: async () => {
        if (forward) await app.processor()?.shutdown();
      },
    };
  }

  /** The app's view of a span: the one made as it started, or (started before the app's SDK was adopted) one made now. */
  private viewOf<S extends ReadableSpan>(span: S, provider: AppTracerProvider): S {
    return this.views.of(span, provider.resource, this.shownParentOf(span.parentSpanContext));
  }

  private isOwn(span: SdkSpan): boolean {
    return this.own.isStarting || span.instrumentationScope.name.startsWith(OWN_SCOPE_PREFIX);
  }

  private shownParentOf(parent: SpanContext | undefined): SpanContext | undefined {
    // A parent from another service (a traceparent header) is the app's as much as without tracetape.
    if (!parent || parent.isRemote) return parent;
    return this.hidden.has(parent.spanId) ? this.hidden.get(parent.spanId) : parent;
  }

  /**
   * The app span this one of tracetape's was started inside, in the same trace: tracetape's server
   * span for a request, started from the request's headers inside the app's own server span for it
   * (an app with its own HTTP instrumentation), has the app's span for parent in the app's view.
   */
  private enclosingAppSpan(span: SdkSpan): SpanContext | undefined {
    const active = trace.getSpan(context.active())?.spanContext();
    const own = span.spanContext();
    if (!active || active.isRemote || active.traceId !== own.traceId || this.hidden.has(active.spanId)) return undefined;
    return active;
  }
}
