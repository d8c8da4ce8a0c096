import { trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { CaptureRegistry } from '../src/capture/capture-registry.js';

// What the registry holds is what a long-running app keeps for calls in flight: anything it holds
// for a span that never ends, or ends out of every processor's sight, stays for the process's life.

describe('CaptureRegistry', () => {
  it("holds a recording span's capture until the span processor takes it", () => {
    const registry = new CaptureRegistry();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })] });
    const span = provider.getTracer('test').startSpan('SELECT');

    const capture = registry.track(span, 'postgres');
    expect(registry.size).toEqual({ requests: 0, spans: 1 });
    expect(registry.takeForSpan(span.spanContext().spanId)).toBe(capture);
    expect(registry.size).toEqual({ requests: 0, spans: 0 });
  });

  it('holds nothing for a span that is not recording (a sampled-out trace), and still hands back a capture to fill', () => {
    const registry = new CaptureRegistry();
    // What a tracer gives a call whose parent came in with the sampled flag off.
    const unsampled = trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: TraceFlags.NONE });
    // And what the SDK gives a root span its ratio sampler leaves out.
    const provider = new TracerProvider({ sampler: new TraceIdRatioBasedSampler(0) });
    const dropped = provider.getTracer('test').startSpan('SET');
    expect(dropped.isRecording()).toBe(false);

    for (const span of [unsampled, dropped]) {
      const capture = registry.track(span, 'redis');
      capture.setRequestNow({ inputHash: 'h', request: { normalized: { command: 'SET' }, headers: [] }, sideEffect: true });
    }
    expect(registry.size).toEqual({ requests: 0, spans: 0 });
    expect(registry.takeForSpan(unsampled.spanContext().spanId)).toBeUndefined();
  });

  it('has every door record its open calls when the process ends, and none once the door is undone', () => {
    const registry = new CaptureRegistry();
    const ended: string[] = [];
    registry.atProcessEnd(() => ended.push('websocket'));
    const undoChild = registry.atProcessEnd(() => ended.push('child'));
    registry.endOpenCalls();
    expect(ended).toEqual(['websocket', 'child']);

    undoChild();
    registry.endOpenCalls();
    expect(ended).toEqual(['websocket', 'child', 'websocket']);
  });
});
