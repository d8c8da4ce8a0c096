import { describe, expect, it } from 'vitest';
import { credentialNames, findRepeatedSideEffects, hasRepeatedSideEffect, repeatKey, type TapeEntry } from '@tracetape/core';
import { makeEntry, makeTape } from './tape-fixtures.js';

const refund = (step: number, body: string, extra: Partial<Parameters<typeof makeEntry>[0]> = {}): TapeEntry =>
  makeEntry({ step, method: 'POST', url: 'http://shop.test:4020/refunds', body, ...extra });

const timedOut = { status: 0, statusText: '', headers: [], complete: true, error: 'This operation was aborted', body: undefined };

describe('repeatKey', () => {
  it('is the same for a retry that changed only its idempotency key, timestamps and request ID', () => {
    const first = refund(1, '{"order_id":"A-1","amount_cents":1999,"idempotency_key":"k1","sent_at":"2026-12-03T10:00:00Z","meta":{"request_id":"r1"}}');
    const retry = refund(2, '{"order_id":"A-1","amount_cents":1999,"idempotency_key":"k2","sent_at":"2026-12-03T10:00:05.120Z","meta":{"request_id":"r2"}}');
    expect(repeatKey(retry.request.normalized)).toBe(repeatKey(first.request.normalized));
  });

  it('differs when what is asked differs: another order, another amount, another method or target', () => {
    const base = refund(1, '{"order_id":"A-1","amount_cents":1999}').request.normalized;
    expect(repeatKey(refund(2, '{"order_id":"A-2","amount_cents":1999}').request.normalized)).not.toBe(repeatKey(base));
    expect(repeatKey(refund(2, '{"order_id":"A-1","amount_cents":1}').request.normalized)).not.toBe(repeatKey(base));
    expect(repeatKey({ ...base, method: 'PUT' })).not.toBe(repeatKey(base));
    expect(repeatKey({ ...base, url: 'http://shop.test:4020/charges' })).not.toBe(repeatKey(base));
  });

  it('sets aside volatile query parameters too, but keeps the others', () => {
    const at = (query: string) => repeatKey({ method: 'POST', url: `http://mail.test/send?${query}` });
    expect(at('to=ada&ts=1')).toBe(at('to=ada&ts=2'));
    expect(at('to=ada&ts=1')).not.toBe(at('to=bob&ts=1'));
  });
});

describe('findRepeatedSideEffects', () => {
  it('flags the double refund after a timeout as strong, with the two steps and the time between them', () => {
    const tape = makeTape([
      makeEntry({ step: 1, method: 'GET', url: 'http://shop.test:4020/orders/1' }),
      refund(2, '{"order_id":"1","amount_cents":1999}', { response: timedOut }),
      refund(4, '{"order_id":"1","amount_cents":1999}'),
    ]);
    const findings = findRepeatedSideEffects(tape);
    expect(findings).toEqual([
      expect.objectContaining({ first: 2, repeat: 4, method: 'POST', verdict: 'repeated', strength: 'strong', gapMs: 2000, differsOnlyInVolatileFields: false }),
    ]);
    expect(findings[0]!.firstFailure).toMatch(/timed out/);
    expect(hasRepeatedSideEffect(findings)).toBe(true);
  });

  it('reports a retry carrying the same Idempotency-Key as safely retried, and does not flag the run', () => {
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'refund-1-attempt' };
    const tape = makeTape([
      refund(1, '{"order_id":"1"}', { headers, response: timedOut }),
      refund(2, '{"order_id":"1"}', { headers }),
    ]);
    const findings = findRepeatedSideEffects(tape);
    expect(findings).toEqual([expect.objectContaining({ first: 1, repeat: 2, verdict: 'safely-retried', idempotencyKey: 'refund-1-attempt' })]);
    expect(hasRepeatedSideEffect(findings)).toBe(false);
  });

  it('still flags a retry whose Idempotency-Key changed: the server cannot tell the two are one', () => {
    const tape = makeTape([
      refund(1, '{"order_id":"1"}', { headers: { 'content-type': 'application/json', 'idempotency-key': 'a' }, response: { status: 503 } }),
      refund(2, '{"order_id":"1"}', { headers: { 'content-type': 'application/json', 'idempotency-key': 'b' } }),
    ]);
    expect(findRepeatedSideEffects(tape)).toEqual([expect.objectContaining({ verdict: 'repeated', strength: 'strong', firstFailure: 'status 503' })]);
  });

  it('calls two identical successful side effects a weak repeat, and ignores reads, model calls and different changes', () => {
    const llm = { ...refund(3, '{"model":"m","messages":[]}'), llm: { provider: 'openai', operation: 'chat' } };
    const tape = makeTape([
      makeEntry({ step: 1, method: 'GET', url: 'http://shop.test/orders/1' }),
      makeEntry({ step: 2, method: 'GET', url: 'http://shop.test/orders/1' }),
      llm,
      { ...llm, step: 4 },
      refund(5, '{"order_id":"1"}'),
      refund(6, '{"order_id":"2"}'),
      refund(7, '{"order_id":"1","sent_at":"2026-01-01T00:00:00Z"}'),
    ]);
    expect(findRepeatedSideEffects(tape)).toEqual([expect.objectContaining({ first: 5, repeat: 7, strength: 'weak', verdict: 'repeated' })]);
  });

  it('pairs each repeat with the latest call it repeats: three attempts are two findings', () => {
    const tape = makeTape([refund(1, '{"o":1}', { response: timedOut }), refund(2, '{"o":1}', { response: timedOut }), refund(3, '{"o":1}')]);
    expect(findRepeatedSideEffects(tape).map((f) => [f.first, f.repeat])).toEqual([[1, 2], [2, 3]]);
  });
});

describe('credentialNames', () => {
  it('names redacted headers and query parameters and the door’s own credentials, never values', () => {
    const names = credentialNames(
      { normalized: { method: 'GET', url: 'https://api.test/x?api_key=%5BREDACTED%5D&q=1', headers: {} }, headers: [['Authorization', 'Bearer [REDACTED]'], ['accept', '*/*']] },
      ['user:shop_app'],
    );
    expect(names).toEqual(['header:authorization', 'query:api_key', 'user:shop_app']);
  });
});
