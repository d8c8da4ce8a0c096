import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnSpans } from '../src/app-sdk/own-spans.js';

// Spans are started inside others through the active context, as instrumentations do.
beforeAll(() => void context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
afterAll(() => context.disable());

function setUp() {
  const own = new OwnSpans();
  const seenStarting: boolean[] = [];
  const provider = new TracerProvider({ spanProcessors: [{ onStart: () => void seenStarting.push(own.isStarting), onEnd: () => undefined, forceFlush: async () => undefined, shutdown: async () => undefined }] });
  return { own, seenStarting, app: provider.getTracer('@opentelemetry/instrumentation-http'), tracetape: own.tracerProvider(provider).getTracer('@opentelemetry/instrumentation-http') };
}

const parentOf = (span: unknown) => (span as ReadableSpan).parentSpanContext;

describe("the tracer provider of tracetape's own instrumentations", () => {
  it("says which spans are tracetape's as they start, by the tracer, whatever the scope name", () => {
    const { seenStarting, app, tracetape } = setUp();
    app.startSpan('GET').end();
    tracetape.startSpan('GET').end();
    tracetape.startActiveSpan('GET', (span) => span.end());
    expect(seenStarting).toEqual([false, true, true]);
  });

  it("starts tracetape's server span for a request with no caller in the trace of the app's server span around it", () => {
    const { app, tracetape } = setUp();
    const around = app.startSpan('POST', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    // As the HTTP instrumentation does: from the request's headers (none), inside the app's span.
    const inner = context.with(trace.setSpan(ROOT_CONTEXT, around), () => tracetape.startSpan('POST', { kind: SpanKind.SERVER }, ROOT_CONTEXT));
    expect(inner.spanContext().traceId).toBe(around.spanContext().traceId);
    expect(parentOf(inner)?.spanId).toBe(around.spanContext().spanId);
    // A root in this process, as a request from another service's span would be.
    expect(parentOf(inner)?.isRemote).toBe(true);
  });

  it('leaves a request that came with a caller, and a span of its own inside, as they are', () => {
    const { app, tracetape } = setUp();
    const around = app.startSpan('POST', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    const caller = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'c'.repeat(32), spanId: 'a'.repeat(16), traceFlags: 1, isRemote: true });
    const fromCaller = context.with(trace.setSpan(ROOT_CONTEXT, around), () => tracetape.startSpan('POST', { kind: SpanKind.SERVER }, caller));
    expect(fromCaller.spanContext().traceId).toBe('c'.repeat(32));
    const ownOuter = tracetape.startSpan('GET', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    const ownInner = context.with(trace.setSpan(ROOT_CONTEXT, ownOuter), () => tracetape.startSpan('GET', { kind: SpanKind.SERVER }, ROOT_CONTEXT));
    expect(ownInner.spanContext().traceId).not.toBe(ownOuter.spanContext().traceId);
    const client = context.with(trace.setSpan(ROOT_CONTEXT, around), () => tracetape.startSpan('GET', { kind: SpanKind.CLIENT }));
    expect(parentOf(client)?.spanId).toBe(around.spanContext().spanId);
    expect(parentOf(client)?.isRemote).toBeFalsy();
  });
});

describe('the tracer provider an SDK started before the hook is sent to', () => {
  function setUpFirst() {
    const own = new OwnSpans();
    const provider = new TracerProvider();
    return { app: own.appTracerProvider(provider).getTracer('@opentelemetry/instrumentation-http'), tracetape: own.tracerProvider(provider).getTracer('@opentelemetry/instrumentation-http') };
  }

  it("starts the app's server span for a request with no caller under tracetape's, which patched over the app's", () => {
    const { app, tracetape } = setUpFirst();
    const outer = tracetape.startSpan('POST', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    // As the app's HTTP instrumentation does, inside tracetape's span: from the request's headers (none).
    const inner = context.with(trace.setSpan(ROOT_CONTEXT, outer), () => app.startSpan('POST', { kind: SpanKind.SERVER }, ROOT_CONTEXT));
    expect(inner.spanContext().traceId).toBe(outer.spanContext().traceId);
    expect(parentOf(inner)?.spanId).toBe(outer.spanContext().spanId);
    expect(parentOf(inner)?.isRemote).not.toBe(true);
  });

  it("starts it under tracetape's for a request from a caller too, in the caller's trace", () => {
    const { app, tracetape } = setUpFirst();
    const caller = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true });
    const outer = tracetape.startSpan('POST', { kind: SpanKind.SERVER }, caller);
    const inner = context.with(trace.setSpan(ROOT_CONTEXT, outer), () => app.startSpan('POST', { kind: SpanKind.SERVER }, caller));
    expect(inner.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(parentOf(inner)?.spanId).toBe(outer.spanContext().spanId);
  });

  it("leaves the app's other spans, and its server spans outside tracetape's, as they are", () => {
    const { app, tracetape } = setUpFirst();
    const alone = app.startSpan('POST', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    expect(parentOf(alone)).toBeUndefined();
    const outer = tracetape.startSpan('POST', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    const client = context.with(trace.setSpan(ROOT_CONTEXT, outer), () => app.startSpan('GET', { kind: SpanKind.CLIENT }, ROOT_CONTEXT));
    expect(parentOf(client)).toBeUndefined();
    const active = context.with(trace.setSpan(ROOT_CONTEXT, outer), () => app.startActiveSpan('POST', { kind: SpanKind.SERVER }, (span) => span));
    expect(parentOf(active)?.spanId).toBe(outer.spanContext().spanId);
  });
});
