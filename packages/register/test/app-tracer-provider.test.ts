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
  it("puts the bridge in place of the provider's processors: the spans of its own tracers, made before, reach the bridge alone", async () => {
    const { exporter, provider, ownTracer } = appProvider();
    const bridge = hookProcessing();
    const app = appTracerProvider(provider)!;
    expect(app.sendOwnTracersTo(bridge)).toBe(true);
    ownTracer.startSpan('POST').end();
    await provider.forceFlush();
    expect([bridge.started, bridge.ended]).toEqual([['POST'], ['POST']]);
    expect(exporter.getFinishedSpans()).toEqual([]);
    // Once only, however often it is adopted.
    expect(app.sendOwnTracersTo(hookProcessing())).toBe(true);
    ownTracer.startSpan('GET').end();
    expect(bridge.ended).toEqual(['POST', 'GET']);
  });

  it("still reaches the processors it took out, and never the bridge, through processor()", () => {
    const { exporter, provider } = appProvider();
    const bridge = hookProcessing();
    const app = appTracerProvider(provider)!;
    app.sendOwnTracersTo(bridge);
    const span = new TracerProvider().getTracer('app').startSpan('handle-order', {}, ROOT_CONTEXT);
    span.end();
    app.processor()!.onEnd(span as unknown as ReadableSpan);
    // As another reading of the same provider finds them.
    appTracerProvider(provider)!.processor()!.onEnd(span as unknown as ReadableSpan);
    expect(exporter.getFinishedSpans().map((each) => each.name)).toEqual(['handle-order', 'handle-order']);
    expect(bridge.ended).toEqual([]);
  });
});
