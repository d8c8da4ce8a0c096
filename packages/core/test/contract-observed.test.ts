import { describe, expect, it } from 'vitest';
import { observedSideEffects, tableOfStatement } from '@tracetape/core';
import { makeEntry, makeTape } from './tape-fixtures.js';
import { llmEntry, replay, sqlEntry } from './contract-fixtures.js';

const BASE = 'http://127.0.0.1:4020';

describe('observedSideEffects', () => {
  it('lists the served side effects with door, method, URL, step and key; not reads, not LLM calls', () => {
    const tape = makeTape([
      makeEntry({ step: 1, method: 'GET', url: `${BASE}/orders/o-1` }),
      llmEntry(2),
      makeEntry({ step: 3, method: 'POST', url: `${BASE}/refunds`, body: '{"amount_cents":500}' }),
      sqlEntry(4, 'SELECT * FROM orders WHERE id = $1', { sideEffect: false }),
      sqlEntry(5, 'UPDATE "public"."orders" SET status = \'refunded\''),
    ]);
    const report = replay(tape, [
      { method: 'GET', url: `${BASE}/orders/o-1` },
      { method: 'POST', url: 'https://api.openai.com/v1/chat/completions', body: '{"model":"gpt-4o","messages":[]}' },
      { method: 'POST', url: `${BASE}/refunds`, body: '{"amount_cents":500}', key: 'k-1' },
      { method: 'SELECT', url: '', sql: 'SELECT * FROM orders WHERE id = $1' },
      { method: 'UPDATE', url: '', sql: 'UPDATE "public"."orders" SET status = \'refunded\'' },
    ]);
    expect(report.blocked).toEqual([]);
    expect(observedSideEffects(report, tape)).toEqual([
      { door: 'http', method: 'POST', url: `${BASE}/refunds`, step: 3, how: 'served', idempotencyKey: 'k-1' },
      { door: 'postgres', method: 'UPDATE', url: 'postgres://db.test:5432/shop', step: 5, how: 'served', table: 'orders' },
    ]);
  });

  it('lists blocked writes, not blocked reads, with the door of the closest step or of the URL', () => {
    const tape = makeTape([
      makeEntry({ step: 1, method: 'POST', url: `${BASE}/refunds`, body: '{"amount_cents":500}' }),
      sqlEntry(2, 'INSERT INTO audit (what) VALUES ($1)'),
      llmEntry(3),
    ]);
    const report = replay(tape, [
      { method: 'GET', url: `${BASE}/nowhere` },
      { method: 'DELETE', url: `${BASE}/orders/o-1`, key: 'k-9' },
      { method: 'INSERT', url: '', sql: 'INSERT INTO `ledger` (what) VALUES ($1)' },
      // Another prompt to the model: off the tape, but a question, not an effect.
      { method: 'POST', url: 'https://api.openai.com/v1/chat/completions', body: '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}' },
    ]);
    expect(report.blocked).toHaveLength(4);
    expect(observedSideEffects(report, tape)).toEqual([
      { door: 'http', method: 'DELETE', url: `${BASE}/orders/o-1`, how: 'blocked', idempotencyKey: 'k-9' },
      { door: 'postgres', method: 'INSERT', url: 'postgres://db.test:5432/shop', how: 'blocked', table: 'ledger' },
    ]);
  });

  it('lists live calls that write', () => {
    const tape = makeTape([]);
    const report = { ...replay(tape, []), live: [
      { callIndex: 1, method: 'GET', url: `${BASE}/a`, reason: 'not-recorded' as const },
      { callIndex: 2, method: 'PUT', url: `${BASE}/b`, reason: 'not-recorded' as const, idempotencyKey: 'k' },
    ] };
    expect(observedSideEffects(report, tape)).toEqual([{ door: 'http', method: 'PUT', url: `${BASE}/b`, how: 'live', idempotencyKey: 'k' }]);
  });
});

describe('tableOfStatement', () => {
  it.each([
    ['INSERT INTO orders (id) VALUES ($1)', 'orders'],
    ['insert into "Orders" values (1)', 'Orders'],
    ['UPDATE `orders` SET a = 1', 'orders'],
    ['DELETE FROM shop.orders WHERE id = 1', 'orders'],
    ['DELETE FROM "public"."order items" WHERE id = 1', 'order items'],
    ['REPLACE INTO sessions VALUES (1)', 'sessions'],
    ['MERGE INTO stock s USING incoming i ON s.id = i.id WHEN MATCHED THEN UPDATE SET qty = i.qty', 'stock'],
    ['INSERT IGNORE INTO t2 VALUES (1)', 't2'],
    ['UPDATE ONLY parent SET x = 1', 'parent'],
    ['WITH moved AS (DELETE FROM inbox RETURNING *) INSERT INTO archive SELECT * FROM moved', 'inbox'],
    ['INSERT INTO refunds (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET id = 1', 'refunds'],
    ["-- UPDATE decoy\nINSERT INTO real_one VALUES ('UPDATE fake SET')", 'real_one'],
  ])('%s → %s', (statement, table) => {
    expect(tableOfStatement(statement)).toBe(table);
  });

  it('finds none in a statement that writes no table', () => {
    expect(tableOfStatement('SELECT * FROM orders FOR UPDATE')).toBeUndefined();
    expect(tableOfStatement("SELECT 'INSERT INTO x'")).toBeUndefined();
    expect(tableOfStatement('CREATE TABLE x (id int)')).toBeUndefined();
  });
});
