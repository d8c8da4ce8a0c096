import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionNumbers } from '../../src/websocket/connection-numbers.js';

// A replay runs one trace: a connection's number must come from its own trace alone.
const manager = new AsyncLocalStorageContextManager();
beforeAll(() => void context.setGlobalContextManager(manager.enable()));
afterAll(() => {
  context.disable();
  manager.disable();
});

const inTrace = <T>(n: number, fn: () => T): T =>
  context.with(trace.setSpanContext(ROOT_CONTEXT, { traceId: n.toString(16).padStart(32, '0'), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED }), fn);

describe('ConnectionNumbers', () => {
  it("numbers each trace's connections to each URL from 1, whatever other traces opened", () => {
    const numbers = new ConnectionNumbers();
    expect(inTrace(1, () => [numbers.next('ws://a/chat'), numbers.next('ws://a/chat'), numbers.next('ws://b/feed')])).toEqual([1, 2, 1]);
    // A server's next request: its first connection is its own connection 1.
    expect(inTrace(2, () => numbers.next('ws://a/chat'))).toBe(1);
    expect(inTrace(1, () => numbers.next('ws://a/chat'))).toBe(3);
  });

  it('uses a number handed over as it is, and goes on after it', () => {
    const numbers = new ConnectionNumbers();
    expect(inTrace(1, () => [numbers.next('ws://a/chat', 3), numbers.next('ws://a/chat')])).toEqual([3, 4]);
  });

  it('keeps the traces that opened a connection most recently, up to its bound', () => {
    const numbers = new ConnectionNumbers(2);
    inTrace(1, () => numbers.next('ws://a/chat'));
    inTrace(2, () => numbers.next('ws://a/chat'));
    inTrace(1, () => numbers.next('ws://a/chat'));
    inTrace(3, () => numbers.next('ws://a/chat'));
    expect(numbers.traces).toBe(2);
    // Trace 1 opened a connection after trace 2 did: trace 2's numbering went, not trace 1's.
    expect(inTrace(1, () => numbers.next('ws://a/chat'))).toBe(3);
    expect(inTrace(2, () => numbers.next('ws://a/chat'))).toBe(1);
  });
});
