import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { HrTime } from '@opentelemetry/api';
import { Redactor, type TapeEntry } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { CaptureRegistry } from '../src/capture/capture-registry.js';
import { CaptureSpanProcessor } from '../src/capture/capture-span-processor.js';
import { CompletionOrder } from '../src/playback/completion-order.js';

// Calls a fast server answers (Redis, a local database) start several to the millisecond, and
// the SDK starts spans at Date.now(): a whole millisecond. The order of such calls on the tape,
// and which of two finished first, come from the high-resolution start capture gives them.

describe('call timing below the millisecond', () => {
  it('gives a captured call span its start on the high-resolution clock, its duration kept', async () => {
    const registry = new CaptureRegistry();
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new CaptureSpanProcessor(registry, new SimpleSpanProcessor({ exporter }), { redactor: new Redactor() })] });
    const tracer = provider.getTracer('test');
    const spans = Array.from({ length: 20 }, (_, index) => {
      const span = tracer.startSpan(`call ${index}`);
      registry.track(span, 'redis');
      return span;
    });
    for (const span of spans) span.end();
    const plain = tracer.startSpan('not a call');
    plain.end();
    await provider.forceFlush();

    const finished = exporter.getFinishedSpans();
    const calls = finished.filter((span) => span.name.startsWith('call '));
    const starts = calls.map((span) => nanos(span.startTime));
    // Twenty spans started within a millisecond or two: in order, and not all on whole milliseconds.
    expect(starts).toEqual([...starts].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(starts).size).toBe(20);
    expect(starts.some((nanos) => nanos % 1_000_000n !== 0n)).toBe(true);
    for (const span of calls) expect(nanos(span.endTime) - nanos(span.startTime)).toBe(nanos(span.duration));
    // A span that records no call is passed on as the SDK made it.
    expect(nanos(finished.find((span) => span.name === 'not a call')!.startTime) % 1_000_000n).toBe(0n);
    await provider.shutdown();
  });

  it('does not make a call wait for the next one when both started within the same millisecond', async () => {
    // Recorded one after the other: step 1 took 0.3 ms, step 2 started after it and took 0.1 ms.
    // Read at whole milliseconds, step 2 would seem to have finished first, and step 1 would wait
    // for a call the app only makes once step 1 is answered.
    const entries = [entry(1, '2030-01-01T00:00:00.000100000Z', 0.3), entry(2, '2030-01-01T00:00:00.000500000Z', 0.1)];
    const order = new CompletionOrder(entries, 5_000);
    const started = Date.now();
    await order.turn(1);
    order.markAnswered(1);
    await order.turn(2);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('still makes a call wait for one in flight with it that finished first', async () => {
    const entries = [entry(1, '2030-01-01T00:00:00.000100000Z', 0.8), entry(2, '2030-01-01T00:00:00.000300000Z', 0.2)];
    const order = new CompletionOrder(entries, 5_000);
    const answered: number[] = [];
    const first = order.turn(1).then(() => (answered.push(1), order.markAnswered(1)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toEqual([]);
    await order.turn(2);
    answered.push(2);
    order.markAnswered(2);
    await first;
    expect(answered).toEqual([2, 1]);
  });
});

function entry(step: number, startTime: string, durationMs: number): TapeEntry {
  return {
    step,
    kind: 'redis',
    spanId: step.toString(16).padStart(16, '0'),
    spanName: 'GET',
    startTime,
    durationMs,
    inputHash: String(step),
    request: { normalized: { method: 'GET', url: 'redis://localhost:6379/0', headers: {} }, headers: [] },
    response: { status: 200, statusText: '', headers: [], complete: true },
  };
}

function nanos(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}
