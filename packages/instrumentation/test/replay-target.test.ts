import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayTarget } from '../src/nondeterminism/replay-target.js';

const manager = new AsyncLocalStorageContextManager();
beforeAll(() => void context.setGlobalContextManager(manager.enable()));
afterAll(() => {
  manager.disable();
  context.disable();
});

function setUp() {
  const target = new ReplayTarget({ rootKind: 'server', rootName: 'POST' });
  const tracer = new TracerProvider({ spanProcessors: [target] }).getTracer('test');
  const isActiveIn = (span: ReturnType<typeof tracer.startSpan>) => context.with(trace.setSpan(ROOT_CONTEXT, span), () => target.isActive());
  return { target, tracer, isActiveIn };
}

describe('ReplayTarget, which request of a replayed server gets the recorded reads', () => {
  it('takes the server span of a request that came with a traceparent, as most do behind a gateway', () => {
    const { tracer, isActiveIn } = setUp();
    const caller = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'c'.repeat(32), spanId: 'a'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: true });
    const server = tracer.startSpan('POST', { kind: SpanKind.SERVER }, caller);
    expect(isActiveIn(server)).toBe(true);
  });

  it('takes a server span with no parent, and not a span of the same name inside another', () => {
    const { tracer, isActiveIn } = setUp();
    const outer = tracer.startSpan('GET', { kind: SpanKind.SERVER });
    const inner = tracer.startSpan('POST', { kind: SpanKind.SERVER }, trace.setSpan(ROOT_CONTEXT, outer));
    expect(isActiveIn(inner)).toBe(false);
    const server = tracer.startSpan('POST', { kind: SpanKind.SERVER });
    expect(isActiveIn(server)).toBe(true);
  });
});
