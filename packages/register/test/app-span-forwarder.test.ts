import { ROOT_CONTEXT, trace, TraceFlags, type Span, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_RUN } from '@tracetape/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { AppSpanForwarder } from '../src/app-sdk/app-span-forwarder.js';
import { OwnSpans } from '../src/app-sdk/own-spans.js';

// The hook's provider (real SDK, the forwarder among its processors) and an app's own provider
// (real SDK, exporting to memory) that never became the global one.
let own: OwnSpans;
let forwarder: AppSpanForwarder;
let hook: TracerProvider;
let appExporter: InMemorySpanExporter;
let app: TracerProvider;
let recorded: InMemorySpanExporter;

beforeEach(() => {
  own = new OwnSpans();
  // The hook's own processing (the recording), which the spans of the app provider's own tracers are handed to.
  recorded = new InMemorySpanExporter();
  const recording = new SimpleSpanProcessor({ exporter: recorded });
  forwarder = new AppSpanForwarder(own, recording);
  // The hook's resource names the process of the run its spans are recorded in: here a child.
  hook = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'checkout', 'tracetape.process.path': '0.1' }), spanProcessors: [recording, forwarder] });
  appExporter = new InMemorySpanExporter();
  app = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'orders' }), spanProcessors: [new SimpleSpanProcessor({ exporter: appExporter })] });
});

/** What a processor's onStart is given: a span it may still write to. */
type SdkSpanLike = ReadableSpan & Pick<Span, 'setAttribute'>;

const under = (parent: Span) => trace.setSpan(ROOT_CONTEXT, parent);
const exported = (): ReadableSpan[] => appExporter.getFinishedSpans();
const named = (name: string): ReadableSpan => {
  const found = exported().filter((span) => span.name === name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
};

describe("an app's own SDK fed by the hook's provider", () => {
  it("gets the app's spans under its own resource, without tracetape's spans or attributes", async () => {
    // The process run span starts before the app has started its SDK.
    const run = hook.getTracer('@tracetape/instrumentation').startSpan('app.mjs', { attributes: { [ATTR_TRACETAPE_RUN]: 'process' } });
    expect(forwarder.adopt(app)).toBe(true);
    const appTracer = hook.getTracer('orders');
    // tracetape's undici instrumentation and the app's share a scope name; only the tracer tells them apart.
    const ownUndici: Tracer = own.tracerProvider(hook).getTracer('@opentelemetry/instrumentation-undici');
    const appUndici = hook.getTracer('@opentelemetry/instrumentation-undici');

    const handle = appTracer.startSpan('handle-order', {}, under(run));
    const ownCall = ownUndici.startSpan('POST', { attributes: { 'tracetape.request': 'payload', 'http.request.method': 'POST' } }, under(handle));
    const appCall = appUndici.startSpan('POST', { attributes: { 'http.request.method': 'POST' } }, under(ownCall));
    appCall.setAttribute('tracetape.input.hash', 'abc');
    const door = hook.getTracer('@tracetape/instrumentation/grpc').startSpan('orders.Lookup/Get', {}, under(handle));
    for (const span of [appCall, ownCall, door, handle, run]) span.end();
    await app.forceFlush();

    expect(exported().map((span) => span.name).sort()).toEqual(['POST', 'handle-order']);
    const shownHandle = named('handle-order');
    const shownCall = named('POST');
    // Under tracetape's run span without tracetape: a root, as without tracetape.
    expect(shownHandle.parentSpanContext).toBeUndefined();
    // Under tracetape's own client span: shown under the app span above it.
    expect(shownCall.parentSpanContext?.spanId).toBe(handle.spanContext().spanId);
    expect(shownCall.spanContext()).toEqual(appCall.spanContext());
    expect(shownCall.attributes).toEqual({ 'http.request.method': 'POST' });
    expect(shownCall.resource.attributes['service.name']).toBe('orders');
    expect(shownCall.instrumentationScope.name).toBe('@opentelemetry/instrumentation-undici');
  });

  it('keeps a parent from another service, and a parent the app made', async () => {
    forwarder.adopt(app);
    const remote = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true });
    const server = hook.getTracer('@opentelemetry/instrumentation-http').startSpan('GET /orders', {}, remote);
    const child = hook.getTracer('orders').startSpan('load', {}, under(server));
    child.end();
    server.end();
    await app.forceFlush();
    expect(named('GET /orders').parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(named('load').parentSpanContext?.spanId).toBe(server.spanContext().spanId);
  });

  it('feeds nothing before an app provider is adopted, and each provider once', async () => {
    hook.getTracer('orders').startSpan('before').end();
    expect(forwarder.adopt(app)).toBe(true);
    expect(forwarder.adopt(app)).toBe(true);
    expect(forwarder.adopted).toBe(1);
    hook.getTracer('orders').startSpan('after').end();
    await app.forceFlush();
    expect(exported().map((span) => span.name)).toEqual(['after']);
  });

  it('takes no provider whose span processors it cannot reach', () => {
    expect(forwarder.adopt({ getTracer: () => hook.getTracer('x') })).toBe(false);
    expect(forwarder.adopt(undefined)).toBe(false);
    expect(forwarder.adopted).toBe(0);
  });

  it("reads an SDK 1.x provider's processor as it is at each span, as addSpanProcessor() replaces it", async () => {
    const legacy = { activeSpanProcessor: new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() }), resource: resourceFromAttributes({ 'service.name': 'legacy' }) };
    expect(forwarder.adopt(legacy)).toBe(true);
    legacy.activeSpanProcessor = new SimpleSpanProcessor({ exporter: appExporter });
    hook.getTracer('orders').startSpan('late').end();
    await legacy.activeSpanProcessor.forceFlush();
    const shown = named('late') as ReadableSpan & { instrumentationLibrary?: unknown; parentSpanId?: unknown };
    expect(shown.resource.attributes['service.name']).toBe('legacy');
    // SDK 1.x exporters read these older names.
    expect(shown.instrumentationLibrary).toEqual(shown.instrumentationScope);
    expect('parentSpanId' in shown).toBe(true);
  });

  it("flushes the app's processors with the hook's, and leaves their shutdown to the app", async () => {
    let flushed = 0;
    let shut = 0;
    const processor = { onStart: () => undefined, onEnd: () => undefined, forceFlush: async () => void flushed++, shutdown: async () => void shut++ };
    forwarder.adopt(new TracerProvider({ spanProcessors: [processor] }));
    await hook.forceFlush();
    await hook.shutdown();
    expect({ flushed, shut }).toEqual({ flushed: 1, shut: 0 });
  });

  it("hands the recording the spans of the app provider's own tracers, and gives the app's exporter each span once", async () => {
    // An instrumentation given the app's provider directly holds a tracer the provider made.
    const givenTracer = app.getTracer('@opentelemetry/instrumentation-undici');
    expect(forwarder.adopt(app)).toBe(true);
    givenTracer.startSpan('POST').end();
    hook.getTracer('orders').startSpan('handle-order').end();
    await Promise.all([hook.forceFlush(), app.forceFlush()]);
    expect(recorded.getFinishedSpans().map((span) => span.name).sort()).toEqual(['POST', 'handle-order']);
    expect(exported().map((span) => span.name).sort()).toEqual(['POST', 'handle-order']);
  });

  it("adopted in a replay, gives the app's exporter nothing, those spans included, and the hook's processing all of them", async () => {
    const replaying = new AppSpanForwarder(own, new SimpleSpanProcessor({ exporter: recorded }), false);
    const givenTracer = app.getTracer('@opentelemetry/instrumentation-undici');
    expect(replaying.adopt(app)).toBe(true);
    givenTracer.startSpan('POST').end();
    await app.forceFlush();
    expect(recorded.getFinishedSpans().map((span) => span.name)).toEqual(['POST']);
    expect(exported()).toEqual([]);
  });

  it("records the spans of the app provider's own tracers under the hook's resource, and shows the app them as its own", async () => {
    const run = hook.getTracer('@tracetape/instrumentation').startSpan('worker.mjs', { attributes: { [ATTR_TRACETAPE_RUN]: 'process' } });
    const givenTracer = app.getTracer('@opentelemetry/instrumentation-undici');
    forwarder.adopt(app);
    const handle = hook.getTracer('orders').startSpan('handle-order', {}, under(run));
    // Straight under tracetape's run span, and under a span the app made through the hook's provider.
    const first = givenTracer.startSpan('POST', { attributes: { 'http.request.method': 'POST' } }, under(run));
    const second = givenTracer.startSpan('GET', {}, under(handle));
    for (const span of [first, second, handle, run]) span.end();
    await Promise.all([hook.forceFlush(), app.forceFlush()]);

    const inRecording = (name: string) => recorded.getFinishedSpans().find((span) => span.name === name)!;
    // The recording files a span under its resource's process path: the app's resource has none.
    expect(inRecording('POST').resource.attributes['tracetape.process.path']).toBe('0.1');
    expect(inRecording('POST').parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(inRecording('POST').spanContext()).toEqual(first.spanContext());
    // The app's exporter: its own resource, and no parent of tracetape's.
    expect(named('POST').resource.attributes['service.name']).toBe('orders');
    expect(named('POST').parentSpanContext).toBeUndefined();
    expect(named('GET').parentSpanContext?.spanId).toBe(handle.spanContext().spanId);
    expect(exported().map((span) => span.name).sort()).toEqual(['GET', 'POST', 'handle-order']);
  });

  it("lets the app flush and shut down its provider's processors through the bridge, and gives them onEnding", async () => {
    const calls: string[] = [];
    const processor = {
      onStart: () => undefined,
      onEnding: (span: { name: string }) => void calls.push(`ending ${span.name}`),
      onEnd: () => undefined,
      forceFlush: async () => void calls.push('flush'),
      shutdown: async () => void calls.push('shutdown'),
    };
    const provider = new TracerProvider({ spanProcessors: [processor] });
    const givenTracer = provider.getTracer('@opentelemetry/instrumentation-undici');
    forwarder.adopt(provider);
    givenTracer.startSpan('POST').end();
    hook.getTracer('orders').startSpan('handle-order').end();
    await provider.forceFlush();
    await provider.shutdown();
    expect(calls).toEqual(['ending POST', 'ending handle-order', 'flush', 'shutdown']);
  });

  it("gives the spans of one provider's own tracers to that provider alone, and the recording each once", async () => {
    hook.getTracer('@tracetape/instrumentation').startSpan('app.mjs', { attributes: { [ATTR_TRACETAPE_RUN]: 'process' } });
    const otherExporter = new InMemorySpanExporter();
    const other = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'billing' }), spanProcessors: [new SimpleSpanProcessor({ exporter: otherExporter })] });
    const givenTracer = app.getTracer('@opentelemetry/instrumentation-undici');
    forwarder.adopt(app);
    forwarder.adopt(other);
    givenTracer.startSpan('POST').end();
    await Promise.all([hook.forceFlush(), app.forceFlush(), other.forceFlush()]);
    expect(exported().map((span) => span.name)).toEqual(['POST']);
    expect(otherExporter.getFinishedSpans()).toEqual([]);
    expect(recorded.getFinishedSpans().filter((span) => span.name === 'POST')).toHaveLength(1);
  });

  it("shows an app processor each span as one object from start to end, as the app's from the start", async () => {
    // A vendor's processor keeps what it learns at onStart by span, and finds it again at onEnd.
    const started = new WeakMap<object, string | undefined>();
    const seen: { name: string; sameAtEnd: boolean; service: unknown; parentAtStart: string | undefined; attributes: object }[] = [];
    const processor = {
      onStart: (span: SdkSpanLike) => {
        started.set(span, span.parentSpanContext?.spanId);
        span.setAttribute('vendor.note', 'from onStart');
      },
      onEnd: (span: ReadableSpan) =>
        void seen.push({
          name: span.name,
          sameAtEnd: started.has(span),
          service: span.resource.attributes['service.name'],
          parentAtStart: started.get(span),
          attributes: { ...span.attributes },
        }),
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    };
    const vendor = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'orders' }), spanProcessors: [processor] });
    const givenTracer = vendor.getTracer('@opentelemetry/instrumentation-undici');
    const run = hook.getTracer('@tracetape/instrumentation').startSpan('app.mjs', { attributes: { [ATTR_TRACETAPE_RUN]: 'process' } });
    forwarder.adopt(vendor);
    // One span through the hook's provider, one through a tracer the app's provider made itself; both under tracetape's run.
    const handle = hook.getTracer('orders').startSpan('handle-order', {}, under(run));
    const call = givenTracer.startSpan('POST', {}, under(run));
    call.setAttribute('tracetape.input.hash', 'abc');
    for (const span of [call, handle, run]) span.end();

    expect(seen.map((span) => span.name).sort()).toEqual(['POST', 'handle-order']);
    for (const span of seen) {
      expect(span.sameAtEnd, span.name).toBe(true);
      expect(span.service, span.name).toBe('orders');
      // tracetape's run span is no parent of the app's, from the start.
      expect(span.parentAtStart, span.name).toBeUndefined();
      // What the processor wrote at the start is on the span; tracetape's attributes are not shown.
      expect(span.attributes, span.name).toEqual({ 'vendor.note': 'from onStart' });
    }
    // The recording still gets the attribute tracetape wrote.
    await hook.forceFlush();
    expect(recorded.getFinishedSpans().find((span) => span.name === 'POST')?.attributes['tracetape.input.hash']).toBe('abc');
  });

  it("gives exporters that copy a span or ask for SDK 1.x names the app's view", () => {
    forwarder.adopt(app);
    const ends: ReadableSpan[] = [];
    const processor = { onStart: () => undefined, onEnd: (span: ReadableSpan) => void ends.push(span), forceFlush: async () => undefined, shutdown: async () => undefined };
    const other = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'billing' }), spanProcessors: [processor] });
    forwarder.adopt(other);
    const parent = hook.getTracer('orders').startSpan('handle-order');
    const child = hook.getTracer('orders').startSpan('load', { attributes: { 'tracetape.request': 'x', 'db.system': 'postgresql' } }, under(parent));
    child.end();
    const copy = { ...ends[0]! } as ReadableSpan & { parentSpanId?: string };
    expect('parentSpanId' in ends[0]!).toBe(true);
    expect(copy.parentSpanId).toBe(parent.spanContext().spanId);
    expect(copy.attributes).toEqual({ 'db.system': 'postgresql' });
    expect(copy.resource.attributes['service.name']).toBe('billing');
  });

  it("lets an app processor scrub a span at onEnd for the exporter after it, on a span tracetape wrote to", async () => {
    const scrubber = {
      onStart: () => undefined,
      onEnd: (span: ReadableSpan) => {
        delete (span.attributes as Record<string, unknown>)['user.email'];
        (span as { attributes: object }).attributes = { ...span.attributes, scrubbed: true };
      },
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    };
    const exporter = new InMemorySpanExporter();
    const scrubbing = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'orders' }), spanProcessors: [scrubber, new SimpleSpanProcessor({ exporter })] });
    forwarder.adopt(scrubbing);
    const span = hook.getTracer('orders').startSpan('GET /account', { attributes: { 'user.email': 'ada@example.test', 'http.route': '/account' } });
    span.setAttribute('tracetape.inbound.request', '{"target":"/account"}');
    span.end();
    await scrubbing.forceFlush();
    expect(exporter.getFinishedSpans()[0]!.attributes).toEqual({ 'http.route': '/account', scrubbed: true });
  });
});
