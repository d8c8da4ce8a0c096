import { trace } from '@opentelemetry/api';
import { AlwaysOnSampler, TracerProvider, type Sampler } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installSources, startSpansAsLibrary } from '../src/index.js';
import { CountingHandler } from './counting-handler.js';

/** A sampler written outside any library: its clock read looks like the app's by its stack. */
class ClockReadingSampler implements Sampler {
  shouldSample() {
    Date.now();
    return new AlwaysOnSampler().shouldSample();
  }
  toString(): string {
    return 'ClockReadingSampler';
  }
}

describe('startSpansAsLibrary', () => {
  const handler = new CountingHandler();
  let restore: () => void;
  const provider = new TracerProvider({ sampler: new ClockReadingSampler() });
  const tracer = provider.getTracer('test');

  beforeAll(() => {
    restore = installSources(handler);
  });
  afterAll(() => restore());

  it('leaves every read made while a span starts to the real clock, and the app’s reads to the handler', () => {
    handler.clocks = 0;
    tracer.startSpan('before').end();
    // Without the mark, the sampler's read (this file is no library) reaches the handler.
    expect(handler.clocks).toBe(1);

    startSpansAsLibrary(provider);
    handler.clocks = 0;
    tracer.startSpan('after').end();
    expect(handler.clocks).toBe(0);

    // The callback of startActiveSpan is the app's code, run after the span started.
    const read = tracer.startActiveSpan('active', (span) => {
      const now = Date.now();
      span.end();
      return now;
    });
    expect(typeof read).toBe('number');
    expect(handler.clocks).toBe(1);

    // A direct read outside any span start is the app's, as ever.
    Date.now();
    expect(handler.clocks).toBe(2);
  });

  it('marks a tracer class once, however many times it is asked', () => {
    startSpansAsLibrary(provider);
    startSpansAsLibrary(trace.getTracerProvider());
    const startSpan = Object.getPrototypeOf(tracer).startSpan;
    startSpansAsLibrary(provider);
    expect(Object.getPrototypeOf(tracer).startSpan).toBe(startSpan);
  });
});
