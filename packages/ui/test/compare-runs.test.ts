import { expect, it } from 'vitest';
import type { RunListItem } from '../src/api.js';
import { compareRuns } from '../src/views/compare-runs.js';
import { makeEntry, makeTape } from '../../core/test/tape-fixtures.js';

const run = (traceId: string): RunListItem => ({
  traceId,
  serviceName: 'shop',
  name: 'agent.mjs',
  start: '2030-01-01T00:00:00.000Z',
  durationMs: 10,
  status: 'Ok',
  callCount: 0,
  models: [],
  type: 'recording',
});

it('aligns two runs by kind and target, marks where they first part and diffs the changed step', () => {
  const a = makeTape([
    makeEntry({ step: 1, method: 'GET', url: 'http://shop/orders/41' }),
    makeEntry({ step: 2, method: 'POST', url: 'http://llm/v1/chat', body: '{"messages":[{"role":"user","content":"refund order 41"}]}' }),
    makeEntry({ step: 3, method: 'POST', url: 'http://shop/refunds', body: '{"order":41}' }),
  ]);
  const b = makeTape([
    makeEntry({ step: 1, method: 'GET', url: 'http://shop/orders/41' }),
    makeEntry({ step: 2, method: 'POST', url: 'http://llm/v1/chat', body: '{"messages":[{"role":"user","content":"refund order 42"}]}' }),
    makeEntry({ step: 3, method: 'POST', url: 'http://shop/refunds', body: '{"order":41}' }),
    makeEntry({ step: 4, method: 'POST', url: 'http://shop/refunds', body: '{"order":41}' }),
  ]);
  const comparison = compareRuns({ run: run('a'.repeat(32)), tape: a }, { run: run('b'.repeat(32)), tape: b });
  expect(comparison.rows.map((row) => row.relation)).toEqual(['same', 'changed', 'same', 'only-b']);
  expect(comparison.firstDifference).toBe(1);
  expect(comparison.rows[1]!.diff).toEqual([{ path: 'body.messages[0].content', recorded: '"refund order 41"', current: '"refund order 42"' }]);
  expect(comparison.rows[3]!.b?.step).toBe(4);
  expect(comparison.rows[3]!.a).toBeUndefined();
});

it('pairs a step whose ID in the path changed, and leaves a step only one run made unpaired', () => {
  const a = makeTape([makeEntry({ step: 1, method: 'GET', url: 'http://shop/orders/41' }), makeEntry({ step: 2, method: 'DELETE', url: 'http://shop/carts/9' })]);
  const b = makeTape([makeEntry({ step: 1, method: 'GET', url: 'http://shop/orders/42' })]);
  const comparison = compareRuns({ run: run('a'.repeat(32)), tape: a }, { run: run('b'.repeat(32)), tape: b });
  expect(comparison.rows.map((row) => row.relation)).toEqual(['changed', 'only-a']);
  expect(comparison.rows[0]!.diff?.map((d) => d.path)).toEqual(['url.path']);
});

it('pairs the same service on another port, as in two runs on fresh ports', () => {
  const a = makeTape([makeEntry({ step: 1, method: 'GET', url: 'http://127.0.0.1:4001/orders/41' })]);
  const b = makeTape([makeEntry({ step: 1, method: 'GET', url: 'http://127.0.0.1:5002/orders/41' })]);
  const comparison = compareRuns({ run: run('a'.repeat(32)), tape: a }, { run: run('b'.repeat(32)), tape: b });
  expect(comparison.rows.map((row) => row.relation)).toEqual(['changed']);
});

it('finds no difference between a run and itself', () => {
  const tape = makeTape([makeEntry({ step: 1, method: 'GET', url: 'http://shop/orders/41' })]);
  const comparison = compareRuns({ run: run('a'.repeat(32)), tape }, { run: run('a'.repeat(32)), tape });
  expect(comparison.rows.map((row) => row.relation)).toEqual(['same']);
  expect(comparison.firstDifference).toBeUndefined();
});
