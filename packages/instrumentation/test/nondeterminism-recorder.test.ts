import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_NONDETERMINISM } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NondeterminismRecorder } from '../src/nondeterminism/recorder.js';
import { NondeterminismSpanProcessor } from '../src/nondeterminism/nondeterminism-span-processor.js';

// A recorded service: each request continues its caller's trace (a remote parent), so each server
// span is a root in this process, and its clock reads go on it when it ends.
const manager = new AsyncLocalStorageContextManager();
beforeAll(() => void context.setGlobalContextManager(manager.enable()));
afterAll(() => {
  manager.disable();
  context.disable();
});

function setUp(maxReadsPerSource?: number) {
  const recorder = new NondeterminismRecorder(maxReadsPerSource);
  const ended: ReadableSpan[] = [];
  const next: SpanProcessor = { onStart: () => {}, onEnd: (span) => void ended.push(span), forceFlush: async () => {}, shutdown: async () => {} };
  const tracer = new TracerProvider({ spanProcessors: [new NondeterminismSpanProcessor(recorder, next)] }).getTracer('test');
  let clock = 1000;
  const readClock = () => recorder.clock(() => clock++);
  /** A request from another service: a server span under the caller's (remote) span. */
  const request = (traceId: string) => {
    const caller = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: 'a'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: true });
    const span = tracer.startSpan('GET /refund', {}, caller);
    return { span, inside: <T>(fn: () => T): T => context.with(trace.setSpan(caller, span), fn) };
  };
  const readsOn = (span: ReadableSpan) => JSON.parse(String(span.attributes[ATTR_TRACETAPE_NONDETERMINISM] ?? 'null'));
  return { recorder, ended, request, readClock, readsOn };
}

describe('NondeterminismRecorder with its span processor', () => {
  it("puts a request's clock reads on its server span when it ends", () => {
    const { ended, request, readClock, readsOn } = setUp();
    const { span, inside } = request('1'.repeat(32));
    inside(readClock);
    inside(readClock);
    span.end();
    expect(readsOn(ended[0]!)).toEqual({ clock: { start: 1000, deltas: [0, 1] } });
  });

  it('keeps no reads for a trace whose server span already ended, however many requests left timers behind', () => {
    const { recorder, ended, request, readClock, readsOn } = setUp();
    for (let i = 0; i < 500; i++) {
      const { span, inside } = request(i.toString(16).padStart(32, '0'));
      inside(readClock);
      span.end();
      // A timer the request left: it reads the clock in the request's context, after its span ended.
      inside(readClock);
    }
    expect(recorder.openTraces).toBe(0);
    expect(ended).toHaveLength(500);
    expect(ended.every((span) => readsOn(span).clock.deltas.length === 1)).toBe(true);
  });

  it('gives a later request of the same trace its own reads only, not those left after the first one ended', () => {
    const { ended, request, readClock, readsOn } = setUp();
    const traceId = 'f'.repeat(32);
    const first = request(traceId);
    first.inside(readClock);
    first.span.end();
    first.inside(readClock);
    first.inside(readClock);
    const second = request(traceId);
    second.inside(readClock);
    second.span.end();
    expect(readsOn(ended[0]!)).toEqual({ clock: { start: 1000, deltas: [0] } });
    expect(readsOn(ended[1]!)).toEqual({ clock: { start: 1003, deltas: [0] } });
  });

  it.each(['outer', 'inner'])(
    "puts the reads on tracetape's server span inside the app's own for the same request, the %s one ending first",
    (first) => {
      // An app with an HTTP instrumentation of its own: its server span for the request, and
      // tracetape's inside it, both under the caller's span.
      const { ended, request, readClock, readsOn } = setUp();
      const app = request('d'.repeat(32));
      const own = app.inside(() => request('d'.repeat(32)));
      own.inside(readClock);
      own.inside(readClock);
      const order = first === 'outer' ? [app.span, own.span] : [own.span, app.span];
      for (const span of order) span.end();
      const ownEnded = ended.find((span) => span.spanContext().spanId === own.span.spanContext().spanId)!;
      const appEnded = ended.find((span) => span.spanContext().spanId === app.span.spanContext().spanId)!;
      expect(readsOn(ownEnded)).toEqual({ clock: { start: 1000, deltas: [0, 1] } });
      expect(readsOn(appEnded)).toBeNull();
    },
  );

  it('gives two requests of one trace served at once the reads made until each ended', () => {
    const { recorder, ended, request, readClock, readsOn } = setUp();
    const traceId = 'e'.repeat(32);
    const first = request(traceId);
    const second = request(traceId);
    first.inside(readClock);
    second.inside(readClock);
    first.span.end();
    second.inside(readClock);
    second.span.end();
    expect(readsOn(ended[0]!)).toEqual({ clock: { start: 1000, deltas: [0, 1] } });
    expect(readsOn(ended[1]!)).toEqual({ clock: { start: 1002, deltas: [0] } });
    expect(recorder.openTraces).toBe(0);
  });

  it("keeps a long-open run's reads up to the bound per source, says so once, and passes the rest through", () => {
    const { ended, request, readClock, readsOn, recorder } = setUp(3);
    const told = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const { span, inside } = request('d'.repeat(32));
      const values = Array.from({ length: 6 }, () => inside(readClock));
      expect(values).toEqual([1000, 1001, 1002, 1003, 1004, 1005]);
      inside(() => recorder.uuid(() => 'id-1'));
      span.end();
      expect(readsOn(ended[0]!)).toEqual({ clock: { start: 1000, deltas: [0, 1, 1] }, uuid: ['id-1'] });
      const lines = told.mock.calls.map(([text]) => String(text));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`trace ${'d'.repeat(32)} made more than 3 clock reads`);
    } finally {
      told.mockRestore();
    }
  });
});
