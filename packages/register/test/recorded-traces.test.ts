import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { TracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_INBOUND_REQUEST, ATTR_TRACETAPE_INPUT_HASH } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { RecordedTraces } from '../src/recorded-traces.js';

// What `tracetape record` lists comes from here, and a service recorded with the hook alone runs
// through it for every request it serves: what it keeps must not grow with the traces it sees.
function setUp(maxListed: number) {
  const passed: ReadableSpan[] = [];
  const next: SpanProcessor = {
    onStart: () => {},
    onEnd: (span) => void passed.push(span),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const traces = new RecordedTraces(next, maxListed);
  const tracer = new TracerProvider({ spanProcessors: [traces] }).getTracer('test');
  /** A trace of its own (as a request from another service starts one) with `calls` recorded calls and an inbound span. */
  const serve = (calls: number): string => {
    const inbound = tracer.startSpan('GET /x', { root: true, attributes: { [ATTR_TRACETAPE_INBOUND_REQUEST]: '{}' } }, ROOT_CONTEXT);
    const traceId = inbound.spanContext().traceId;
    for (let i = 0; i < calls; i++) {
      tracer.startSpan('POST', { attributes: { [ATTR_TRACETAPE_INPUT_HASH]: `h${i}` } }, trace.setSpan(ROOT_CONTEXT, inbound)).end();
    }
    inbound.end();
    return traceId;
  };
  return { traces, passed, serve };
}

describe('RecordedTraces', () => {
  it('lists each trace with its recorded calls, and passes every span on', () => {
    const { traces, passed, serve } = setUp(10);
    const first = serve(2);
    const second = serve(0);
    expect(traces.list()).toEqual([
      { traceId: first, calls: 2 },
      { traceId: second, calls: 0 },
    ]);
    expect(traces.unlistedCalls).toBe(0);
    expect(passed).toHaveLength(4);
  });

  it('lists the first traces only, counting the calls of the rest', () => {
    const { traces, passed, serve } = setUp(2);
    const listed = [serve(1), serve(3)];
    const unlisted = serve(2);
    serve(4);
    expect(traces.list().map((entry) => entry.traceId)).toEqual(listed);
    expect([traces.isListed(listed[0]!), traces.isListed(unlisted)]).toEqual([true, false]);
    expect(traces.unlistedCalls).toBe(6);
    expect(passed).toHaveLength(2 + 4 + 3 + 5);
  });

  it('keeps nothing when no list is wanted (no run file), however many traces pass', () => {
    const { traces, passed, serve } = setUp(0);
    for (let i = 0; i < 1000; i++) serve(1);
    expect(traces.list()).toEqual([]);
    expect(traces.unlistedCalls).toBe(1000);
    expect(passed).toHaveLength(2000);
  });
});
