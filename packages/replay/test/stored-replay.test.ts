import { expect, it } from 'vitest';
import { ATTR_TRACETAPE_REPLAY_REPORT, parseStoredReplay, type StoredReplay, type Tape } from '@tracetape/core';
import { storedReplaySpan } from '../src/stored-replay.js';

const tape = { traceId: 'a'.repeat(32), rootSpanId: 'b'.repeat(16), serviceName: 'shop-agent' } as Tape;
const replay: StoredReplay = {
  report: { traceId: tape.traceId, served: [], unconsumed: [], blocked: [], sideEffectsSuppressed: [] },
  command: ['node', 'agent.mjs'],
  exitCode: 0,
  outcome: 'diverged',
};

it('stores a replay as a span of its own trace, in the run\'s service, linked to the run it replayed', () => {
  const span = storedReplaySpan(tape, replay, Date.UTC(2026, 11, 3, 10, 0, 0, 250), Date.UTC(2026, 11, 3, 10, 0, 1, 500));
  expect(span.TraceId).toMatch(/^[0-9a-f]{32}$/);
  expect(span.TraceId).not.toBe(tape.traceId);
  expect(span).toMatchObject({
    ServiceName: 'shop-agent',
    Timestamp: '2026-12-03 10:00:00.250000000',
    Duration: '1250000000',
    StatusCode: 'Error',
    'Links.TraceId': [tape.traceId],
    'Links.SpanId': [tape.rootSpanId],
  });
  expect(span.SpanAttributes).toMatchObject({ 'tracetape.run.type': 'replay', 'tracetape.replay.of': tape.traceId, 'tracetape.replay.outcome': 'diverged' });
  expect(parseStoredReplay(span.SpanAttributes)).toEqual(replay);
});

it('reads back nothing from a span that is no stored replay, or whose report is damaged', () => {
  const span = storedReplaySpan(tape, replay, 0, 1);
  expect(parseStoredReplay({ ...span.SpanAttributes, [ATTR_TRACETAPE_REPLAY_REPORT]: '{"report":' })).toBeUndefined();
  expect(parseStoredReplay({ ...span.SpanAttributes, [ATTR_TRACETAPE_REPLAY_REPORT]: JSON.stringify({ ...replay, outcome: 'maybe' }) })).toBeUndefined();
  expect(parseStoredReplay({ 'tracetape.replay.of': tape.traceId })).toBeUndefined();
});
