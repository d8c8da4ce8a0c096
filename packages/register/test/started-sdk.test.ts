import { context, propagation, ProxyTracerProvider, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { apiGlobal, globalsVersion, hookApiVersion } from '../src/app-sdk/api-globals.js';
import { globalsAccept, takeOverStartedSdk } from '../src/app-sdk/started-sdk.js';

const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');
const holder = globalThis as { [API_GLOBALS]?: Record<string, unknown> };

/**
 * What an SDK started before the hook registers with the API, as NodeSDK.start() does; `before`
 * runs first, as the instrumentations it was given were made (their tracers taken from the API).
 */
function startAppSdk(before: () => void = () => undefined) {
  before();
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const propagator = new W3CTraceContextPropagator();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(propagator);
  trace.setGlobalTracerProvider(provider);
  return { exporter, provider, contextManager, propagator };
}

afterEach(() => {
  trace.disable();
  context.disable();
  propagation.disable();
  delete holder[API_GLOBALS];
});

describe('takeOverStartedSdk', () => {
  it('finds nothing to take when no SDK started before the hook', () => {
    expect(takeOverStartedSdk()).toBeUndefined();
  });

  it("takes the API's globals back, handing over the SDK's provider and propagator", () => {
    const app = startAppSdk();
    const takeOver = takeOverStartedSdk();
    expect(takeOver && 'taken' in takeOver).toBe(true);
    const taken = (takeOver as { taken: NonNullable<ReturnType<typeof takeOverStartedSdk> & { taken: unknown }>['taken'] }).taken;
    expect(taken.provider).toBe(app.provider);
    expect(taken.propagator).toBe(app.propagator);
    // An SDK with a provider came with its instrumentations: they patch before tracetape's.
    expect(taken.patchesFirst).toBe(true);
    expect([apiGlobal('trace'), apiGlobal('context'), apiGlobal('propagation')]).toEqual([undefined, undefined, undefined]);
    // The hook's own can be registered now.
    const hookContext = new AsyncLocalStorageContextManager().enable();
    expect(context.setGlobalContextManager(hookContext)).toBe(true);
    expect(apiGlobal('context')).toBe(hookContext);
  });

  it('takes a preload that set only the propagation, whose app SDK, started later, patches after tracetape', () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const takeOver = takeOverStartedSdk();
    expect(takeOver && 'taken' in takeOver && { provider: takeOver.taken.provider, patchesFirst: takeOver.taken.patchesFirst }).toEqual({ provider: undefined, patchesFirst: false });
    expect([apiGlobal('context'), apiGlobal('propagation')]).toEqual([undefined, undefined]);
  });

  it("sends the spans of tracers the SDK's instrumentations took before the hook to the provider it is given", () => {
    // As an instrumentation does in its constructor, before the SDK registers its provider.
    let instrumentationTracer = trace.getTracer('unset');
    const app = startAppSdk(() => void (instrumentationTracer = trace.getTracer('@opentelemetry/instrumentation-http')));
    const takeOver = takeOverStartedSdk() as { taken: { redirect(provider: TracerProvider): void } };
    // Asked while the hook starts: a span of no one's, and the tracer is not tied to the SDK's provider.
    const meanwhile = instrumentationTracer.startSpan('GET');
    expect(meanwhile.isRecording()).toBe(false);
    meanwhile.end();
    const hookExporter = new InMemorySpanExporter();
    const hookProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: hookExporter })] });
    trace.setGlobalTracerProvider(hookProvider);
    takeOver.taken.redirect(hookProvider);
    instrumentationTracer.startSpan('GET').end();
    trace.getTracer('app').startSpan('handle-order').end();
    expect(hookExporter.getFinishedSpans().map((span) => span.name)).toEqual(['GET', 'handle-order']);
    expect(app.exporter.getFinishedSpans()).toEqual([]);
  });

  it('takes an SDK whose provider already made tracers of its own, whose spans it then reaches from inside the provider', () => {
    const app = startAppSdk();
    // Made after the provider was registered, as a hand-made setup does: the provider's own tracer.
    trace.getTracer('@opentelemetry/instrumentation-undici');
    const takeOver = takeOverStartedSdk();
    expect(takeOver && 'taken' in takeOver && takeOver.taken.provider).toBe(app.provider);
  });

  it("refuses one of OpenTelemetry JS 1.x whose provider made tracers of its own, out of reach, and leaves it as it is", () => {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    // The fields of SDK 1.x's BasicTracerProvider: its processor is replaced as processors are added, not kept in place.
    const sdk1Provider = { activeSpanProcessor: { onStart() {}, onEnd() {}, forceFlush: async () => undefined }, resource: { attributes: {} }, _tracers: new Map([['undici', {}]]), getTracer: () => trace.getTracer('x') };
    trace.setGlobalTracerProvider(sdk1Provider);
    expect(takeOverStartedSdk()).toEqual({ refused: expect.stringContaining('(of OpenTelemetry JS 1.x) already handed its own tracers out') });
    expect(apiGlobal('context')).toBe(contextManager);
  });


  it('renews globals made by an older copy of the API under the hook\'s version, keeping what else they hold', () => {
    const metrics = { getMeter: () => undefined };
    holder[API_GLOBALS] = Object.assign(Object.defineProperty({}, 'version', { value: '1.3.0', enumerable: true }), {
      context: new AsyncLocalStorageContextManager().enable(),
      metrics,
    });
    const takeOver = takeOverStartedSdk();
    expect(takeOver && 'taken' in takeOver).toBe(true);
    expect(globalsVersion()).toBe(hookApiVersion());
    expect(holder[API_GLOBALS]!.metrics).toBe(metrics);
    expect(context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())).toBe(true);
  });

  it('refuses globals of a newer API, which would not read the hook\'s, and leaves them as they are', () => {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    holder[API_GLOBALS] = Object.assign(Object.defineProperty({}, 'version', { value: '1.999.0', enumerable: true }), { context: contextManager });
    expect(takeOverStartedSdk()).toEqual({ refused: expect.stringContaining(`its @opentelemetry/api (1.999.0) is newer than the hook's (${hookApiVersion()})`) });
    expect(holder[API_GLOBALS]!.context).toBe(contextManager);
  });

  it("refuses another vendor's tracer provider behind the API proxy, which it could not go on feeding, and leaves it as it is", () => {
    const vendor = { getTracer: () => new TracerProvider().getTracer('vendor') };
    trace.setGlobalTracerProvider(vendor);
    expect(takeOverStartedSdk()).toEqual({ refused: expect.stringContaining('not an OpenTelemetry SDK one') });
    expect((apiGlobal('trace') as ProxyTracerProvider).getDelegate()).toBe(vendor);
  });

  it('refuses a global tracer provider that is not the API proxy, whose tracers it cannot send on', () => {
    holder[API_GLOBALS] = Object.assign(Object.defineProperty({}, 'version', { value: hookApiVersion()!, enumerable: true }), { trace: new TracerProvider() });
    expect(takeOverStartedSdk()).toEqual({ refused: expect.stringContaining('not one the OpenTelemetry API made') });
    expect(apiGlobal('trace')).not.toBeInstanceOf(ProxyTracerProvider);
  });
});

describe('globalsAccept', () => {
  it("follows the API's rule: same major, the reader's minor no newer, pre-releases only when equal", () => {
    expect(globalsAccept('1.9.0', '1.10.0')).toBe(true);
    expect(globalsAccept('1.10.0', '1.10.0')).toBe(true);
    expect(globalsAccept('1.10.1', '1.10.0')).toBe(true);
    expect(globalsAccept('1.11.0', '1.10.0')).toBe(false);
    expect(globalsAccept('2.0.0', '1.10.0')).toBe(false);
    expect(globalsAccept('1.10.0-rc.1', '1.10.0')).toBe(false);
    expect(globalsAccept('0.5.1', '0.5.2')).toBe(true);
    expect(globalsAccept('0.5.2', '0.5.1')).toBe(false);
  });
});
