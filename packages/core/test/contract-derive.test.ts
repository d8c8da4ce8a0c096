import { describe, expect, it } from 'vitest';
import { checkContract, contractVerdict, deriveContract, observedSideEffects, parseContract, pathGlob, serializeContract } from '@tracetape/core';
import { makeEntry, makeTape } from './tape-fixtures.js';
import { llmEntry, replay, sqlEntry } from './contract-fixtures.js';

const BASE = 'http://127.0.0.1:4020';

// The double refund as recorded: a lookup, a model call, a refund that timed out (it went through
// server-side), the retry that refunded again, the order marked refunded, an email per refund.
const tape = makeTape([
  makeEntry({ step: 1, method: 'GET', url: `${BASE}/orders/o-1` }),
  llmEntry(2),
  makeEntry({ step: 3, method: 'POST', url: `${BASE}/refunds`, body: '{"order":"o-1","amount_cents":500}', response: { status: 0, error: 'timeout', body: undefined } }),
  makeEntry({ step: 4, method: 'POST', url: `${BASE}/refunds`, body: '{"order":"o-1","amount_cents":500}' }),
  sqlEntry(5, "UPDATE orders SET status = 'refunded' WHERE id = $1"),
  sqlEntry(6, 'SELECT * FROM orders', { sideEffect: false }),
  makeEntry({ step: 7, method: 'POST', url: `${BASE}/orders/8231/emails?lang=en`, body: '{}' }),
  makeEntry({ step: 8, method: 'POST', url: `${BASE}/orders/9120/emails`, body: '{}' }),
]);

describe('deriveContract', () => {
  it('allows what the recording did, as often as it did it, and forbids anything else', () => {
    const contract = deriveContract(tape, { fixture: 'refund-3f0c9a1e', tapeFile: 'refund-3f0c9a1e.tape.json', command: ['node', 'agent.mjs'] });
    expect(contract).toEqual({
      format: 'tracetape.contract',
      version: 1,
      fixture: 'refund-3f0c9a1e',
      tape: 'refund-3f0c9a1e.tape.json',
      command: ['node', 'agent.mjs'],
      interval: '1d',
      expect: {
        exitCode: 0,
        outputs: [],
        sideEffects: {
          allowed: [
            { door: 'http', method: 'POST', url: '*/refunds', max: 2 },
            { door: 'postgres', method: 'UPDATE', table: 'orders', max: 1 },
            { door: 'http', method: 'POST', url: '*/orders/*/emails', max: 2 },
          ],
          forbidden: [],
          others: 'forbid',
        },
      },
    });
  });

  it('writes a file that parses back, with a placeholder command when none is known', () => {
    const contract = deriveContract(tape, { fixture: 'f', tapeFile: 'f.tape.json' });
    expect(contract.command).toEqual(['node', 'app.js']);
    expect(parseContract(serializeContract(contract), 'f.contract.json')).toEqual(contract);
    expect(deriveContract(tape, { fixture: 'f', tapeFile: 'f.tape.json', exitCode: 3 }).expect.exitCode).toBe(3);
  });

  it('counts retries carrying one recorded idempotency key as one effect', () => {
    const keyed = makeTape([
      makeEntry({ step: 1, method: 'POST', url: `${BASE}/refunds`, headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' }, body: '{}' }),
      makeEntry({ step: 2, method: 'POST', url: `${BASE}/refunds`, headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' }, body: '{}' }),
    ]);
    expect(deriveContract(keyed, { fixture: 'f', tapeFile: 't' }).expect.sideEffects?.allowed).toEqual([{ door: 'http', method: 'POST', url: '*/refunds', max: 1 }]);
  });

  it('passes its own recording replayed as it was recorded', () => {
    const contract = deriveContract(tape, { fixture: 'f', tapeFile: 't' });
    const report = replay(tape, [
      { method: 'GET', url: `${BASE}/orders/o-1` },
      { method: 'POST', url: 'https://api.openai.com/v1/chat/completions', body: '{"model":"gpt-4o","messages":[]}' },
      { method: 'POST', url: `${BASE}/refunds`, body: '{"order":"o-1","amount_cents":500}' },
      { method: 'POST', url: `${BASE}/refunds`, body: '{"order":"o-1","amount_cents":500}' },
      { method: 'UPDATE', url: '', sql: "UPDATE orders SET status = 'refunded' WHERE id = $1" },
      { method: 'SELECT', url: '', sql: 'SELECT * FROM orders' },
      { method: 'POST', url: `${BASE}/orders/8231/emails?lang=en`, body: '{}' },
      { method: 'POST', url: `${BASE}/orders/9120/emails`, body: '{}' },
    ]);
    const results = checkContract(contract, { exitCode: 0, stdout: '', readFile: () => undefined, sideEffects: observedSideEffects(report, tape) });
    expect(contractVerdict(results, report, 'strict')).toEqual({ verdict: 'pass', reasons: [] });
  });
});

describe('pathGlob', () => {
  it.each([
    [`${BASE}/refunds`, '*/refunds'],
    ['https://api.stripe.com/v1/refunds/re_3MtwBwLkdIwHu7ix28a3tqPa', '*/v1/refunds/*'],
    ['https://h.test/users/3f2c1a9e-8d7b-4c6a-9e1f-2b3c4d5e6f70/avatar', '*/users/*/avatar'],
    ['https://h.test/v2.1/items/deadbeef42/tags', '*/v2.1/items/*/tags'],
    ['https://h.test/', '*/'],
    ['redis://cache:6379/0', undefined],
  ])('%s → %s', (url, glob) => {
    expect(pathGlob(url)).toBe(glob);
  });
});
