import { describe, expect, it } from 'vitest';
import { ReplayDivergenceError, TapeMatcher } from '@tracetape/core';
import { call, makeEntry, makeTape } from './tape-fixtures.js';

const REFUND = { method: 'POST', url: 'http://127.0.0.1:4020/refunds', body: '{"order":"o-1","amount_cents":500}' };

describe('TapeMatcher: idempotency keys in the report', () => {
  it('notes the key a served call carried, without it changing which step answers', () => {
    const matcher = new TapeMatcher(makeTape([makeEntry({ ...REFUND, step: 1 }), makeEntry({ ...REFUND, step: 2 })]));
    const [request, hash] = call(REFUND);
    expect(matcher.take(request, hash, { idempotencyKey: 'k-1' }).step).toBe(1);
    expect(matcher.take(request, hash, { idempotencyKey: 'k-1' }).step).toBe(2);
    const { served, sideEffectsSuppressed } = matcher.report();
    expect(served.map((s) => [s.step, s.idempotencyKey])).toEqual([
      [1, 'k-1'],
      [2, 'k-1'],
    ]);
    expect(sideEffectsSuppressed.map((s) => s.idempotencyKey)).toEqual(['k-1', 'k-1']);
  });

  it('leaves the field out when the call carried no key', () => {
    const matcher = new TapeMatcher(makeTape([makeEntry({ ...REFUND, step: 1 })]));
    const [request, hash] = call(REFUND);
    matcher.take(request, hash);
    expect(matcher.report().served[0]).not.toHaveProperty('idempotencyKey');
  });

  it('notes the key of a blocked call and of a call that went live', () => {
    const matcher = new TapeMatcher(makeTape([makeEntry({ ...REFUND, step: 1 })]));
    const [request, hash] = call({ ...REFUND, body: '{"order":"o-2"}' });
    expect(() => matcher.take(request, hash, { idempotencyKey: 'k-2' })).toThrow(ReplayDivergenceError);
    expect(matcher.takeOrGoLive(request, hash, { idempotencyKey: 'k-3' })).toBeUndefined();
    const report = matcher.report();
    expect(report.blocked.map((b) => b.idempotencyKey)).toEqual(['k-2']);
    expect(report.live?.map((l) => l.idempotencyKey)).toEqual(['k-3']);
  });

  it('passes the key on when takeOrGoLive serves from the tape', () => {
    const matcher = new TapeMatcher(makeTape([makeEntry({ ...REFUND, step: 1 })]));
    const [request, hash] = call(REFUND);
    expect(matcher.takeOrGoLive(request, hash, { idempotencyKey: 'k-4' })?.step).toBe(1);
    expect(matcher.report().served[0]?.idempotencyKey).toBe('k-4');
  });
});
