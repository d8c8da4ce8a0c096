import { ROOT_CONTEXT } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { appTracerProvider } from '../src/app-sdk/app-tracer-provider.js';

/** What the hook's processing saw of the spans handed to it. */
function hookProcessing(): SpanProcessor & { started: string[]; ended: string[] } {
  const started: string[] = [];
  const ended: string[] = [];
  return {
    started,
    ended,
    onStart: (span) => void started.push((span as unknown as ReadableSpan).name),
    onEnd: (span) => void ended.push(span.name),
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
}

/** An app's provider with its exporter, and a tracer it made before anything was handed over, as an instrumentation given it holds. */
function appProvider() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  return { exporter, provider, ownTracer: provider.getTracer('@opentelemetry/instrumentation-undici') };
}

describe('AppTracerProvider.sendOwnTracersTo', () => {
  it("hands the hook the spans of the provider's own tracers, made before, and its exporter still gets them", async () => {
    const { exporter, provider, ownTracer } = appProvider();
    const hook = hookProcessing();
    const app = appTracerProvider(provider)!;
    expect(app.sendOwnTracersTo(hook, false)).toBe(true);
    ownTracer.startSpan('POST').end();
    await provider.forceFlush();
    expect([hook.started, hook.ended]).toEqual([['POST'], ['POST']]);
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['POST']);
    // Once only, however often it is adopted.
    app.sendOwnTracersTo(hook, false);
    ownTracer.startSpan('GET').end();
    expect(hook.ended).toEqual(['POST', 'GET']);
  });

  it("leaves the hook's bridge out of the processors the app's spans are forwarded to", () => {
    const { exporter, provider } = appProvider();
    const hook = hookProcessing();
    const app = appTracerProvider(provider)!;
    app.sendOwnTracersTo(hook, false);
    const span = new TracerProvider().getTracer('app').startSpan('handle-order', {}, ROOT_CONTEXT);
    span.end();
    app.processor()!.onEnd(span as unknown as ReadableSpan);
    expect(exporter.getFinishedSpans().map((each) => each.name)).toEqual(['handle-order']);
    expect(hook.ended).toEqual([]);
  });

  it("sets the app's processors aside in a replay: the hook gets the spans, the app's exporter none", async () => {
    const { exporter, provider, ownTracer } = appProvider();
    const hook = hookProcessing();
    appTracerProvider(provider)!.sendOwnTracersTo(hook, true);
    ownTracer.startSpan('POST').end();
    await provider.forceFlush();
    expect(hook.ended).toEqual(['POST']);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
