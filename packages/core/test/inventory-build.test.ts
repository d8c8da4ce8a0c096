import { describe, expect, it } from 'vitest';
import { buildInventory, compareInventory, type InventoryCall } from '@tracetape/core';
import { makeCall } from './inventory-fixtures.js';

const shop = 'http://127.0.0.1:4020';
const db = { kind: 'postgres', dbSystem: 'postgresql', target: 'postgres://127.0.0.1:5432/orders', credentials: ['user:shop_app'] };

describe('buildInventory', () => {
  it('folds groups that template alike into one entry, summing counts and keeping the first and last time', () => {
    const { entries, unplaced } = buildInventory([
      makeCall({ target: `${shop}/orders/42`, calls: 3, errors: 0, firstSeen: '2026-06-01 10:00:00.250000000', lastSeen: '2026-06-01 11:00:00.000000000', credentials: ['header:authorization'] }),
      makeCall({ target: `${shop}/orders/999`, calls: 1, errors: 1, firstSeen: '2026-06-01 09:00:00.000000000', lastSeen: '2026-06-01 09:00:00.000000000', credentials: ['query:api_key'] }),
    ]);
    expect(unplaced).toEqual([]);
    expect(entries).toEqual([
      {
        service: 'support-agent',
        door: 'http',
        system: '127.0.0.1',
        operation: 'GET /orders/{id}',
        mutates: false,
        calls: 4,
        errors: 1,
        errorRate: 0.25,
        firstSeen: '2026-06-01T09:00:00.000Z',
        lastSeen: '2026-06-01T11:00:00.000Z',
        credentials: ['header:authorization', 'query:api_key'],
      },
    ]);
  });

  it('keeps reads and writes of the same operation apart, so a new write stands out', () => {
    const redis = { kind: 'redis', target: 'redis://127.0.0.1:6379/0' };
    const { entries } = buildInventory([
      makeCall({ ...redis, method: 'SET', sideEffect: 'true' }),
      makeCall({ ...redis, method: 'GET', sideEffect: 'false', calls: 2 }),
      makeCall({ ...redis, method: 'MGET', sideEffect: 'false' }),
    ]);
    expect(entries.map((e) => [e.operation, e.mutates, e.calls])).toEqual([
      ['string', false, 3],
      ['string', true, 1],
    ]);
  });

  it('sorts by service, door, system, operation, whatever order the store returned', () => {
    const calls: InventoryCall[] = [
      makeCall({ service: 'billing', kind: 'process', executable: 'git', firstArgument: 'push', sideEffect: 'true' }),
      makeCall({ ...db, method: 'SELECT', statement: 'SELECT * FROM orders', sideEffect: 'false' }),
      makeCall({ method: 'POST', target: 'https://api.openai.com/v1/chat/completions', provider: 'openai', model: 'gpt-4o' }),
      makeCall({ method: 'POST', target: `${shop}/refunds/42` }),
      makeCall({ method: 'GET', target: 'https://a.example/x' }),
      makeCall({ ...db, method: 'INSERT', statement: 'INSERT INTO refunds VALUES ($1)', sideEffect: 'true' }),
    ];
    const order = (list: InventoryCall[]) => buildInventory(list).entries.map((e) => `${e.service} ${e.door} ${e.system} ${e.operation}`);
    expect(order(calls)).toEqual([
      'billing process git git push',
      'support-agent http 127.0.0.1 POST /refunds/{id}',
      'support-agent http a.example GET /x',
      'support-agent llm openai api.openai.com gpt-4o',
      'support-agent postgres postgresql 127.0.0.1/orders INSERT refunds',
      'support-agent postgres postgresql 127.0.0.1/orders SELECT orders',
    ]);
    expect(order([...calls].reverse())).toEqual(order(calls));
  });

  it('counts the calls of kinds it cannot place instead of dropping them silently', () => {
    expect(buildInventory([makeCall({ kind: 'carrier-pigeon', calls: 2 })]).unplaced).toEqual([{ kind: 'carrier-pigeon', calls: 2 }]);
  });
});

describe('compareInventory', () => {
  const before = buildInventory([
    makeCall({ target: `${shop}/orders/1` }),
    makeCall({ ...db, method: 'SELECT', statement: 'SELECT * FROM orders', sideEffect: 'false' }),
  ]).entries;

  it('reports a system no service reached before, and its mutating calls', () => {
    const now = buildInventory([
      makeCall({ target: `${shop}/orders/2` }),
      makeCall({ method: 'POST', target: 'https://payments.example/charges', calls: 2, firstSeen: '2026-06-02 08:00:00.000000000' }),
    ]).entries;
    const { newSystems, newMutatingOperations } = compareInventory(now, before);
    expect(newSystems).toEqual([{ service: 'support-agent', door: 'http', system: 'payments.example', calls: 2, firstSeen: '2026-06-02T08:00:00.000Z' }]);
    expect(newMutatingOperations.map((e) => e.operation)).toEqual(['POST /charges']);
  });

  it('reports a new write to a known system, but not a new read', () => {
    const now = buildInventory([
      makeCall({ ...db, method: 'INSERT', statement: 'INSERT INTO refunds VALUES ($1)', sideEffect: 'true' }),
      makeCall({ ...db, method: 'SELECT', statement: 'SELECT * FROM refunds', sideEffect: 'false' }),
    ]).entries;
    const { newSystems, newMutatingOperations } = compareInventory(now, before);
    expect(newSystems).toEqual([]);
    expect(newMutatingOperations.map((e) => `${e.system} ${e.operation}`)).toEqual(['postgresql 127.0.0.1/orders INSERT refunds']);
  });

  it('reports nothing when the period did what the previous one did', () => {
    expect(compareInventory(before, before)).toEqual({ newSystems: [], newMutatingOperations: [] });
  });

  it('counts a system another service already used as new for this one', () => {
    const now = buildInventory([makeCall({ service: 'billing', target: `${shop}/orders/3` })]).entries;
    expect(compareInventory(now, before).newSystems.map((s) => `${s.service} ${s.system}`)).toEqual(['billing 127.0.0.1']);
  });
});
