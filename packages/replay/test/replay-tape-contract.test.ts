import { expect, it } from 'vitest';
import { CONTRACT_FORMAT, CONTRACT_VERSION, type Contract } from '@tracetape/core';
import { ReplayFailedError, replayTape } from '../src/testing/index.js';
import { makeEntry, makeTape } from '../../core/test/tape-fixtures.js';

// The double refund on a tape: the first POST timed out on the way back, the retry went through.
const refund = (step: number) => makeEntry({ step, method: 'POST', url: 'http://shop.test/refunds', body: '{"order_id":"1042"}', status: 201 });
const tape = makeTape([refund(1), refund(2)]);
const contract: Contract = {
  format: CONTRACT_FORMAT,
  version: CONTRACT_VERSION,
  fixture: 'double-refund',
  tape: 'double-refund.tape.json',
  command: ['node', 'agent.mjs'],
  expect: { sideEffects: { allowed: [{ method: 'POST', url: '*/refunds', max: 1 }], others: 'forbid' }, outputs: [{ from: 'stdout', contains: ['refunded'] }] },
};

async function refundTwice(idempotencyKey?: string): Promise<string> {
  for (let attempt = 0; attempt < 2; attempt++) {
    await fetch('http://shop.test/refunds', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
      body: '{"order_id":"1042"}',
    });
  }
  return 'refunded';
}

it('judges an in-process replay by the contract: two refunds fail it, a retry with the same idempotency key passes', async () => {
  const failed = await replayTape(tape, () => refundTwice(), { contract }).catch((error: unknown) => error);
  expect(failed).toBeInstanceOf(ReplayFailedError);
  expect((failed as Error).message).toMatch(/contract double-refund: FAIL.*POST \*\/refunds at most once: 2 distinct effects/s);

  const passed = await replayTape(tape, () => refundTwice('refund-1042'), { contract });
  expect(passed.result).toBe('refunded');
  expect(passed.judgement?.verdict).toBe('pass');
});

it('checks the value fn resolved to where the contract checks stdout', async () => {
  const failed = await replayTape(tape, async () => (await refundTwice('refund-1042')).toUpperCase(), { contract }).catch((error: unknown) => error);
  expect((failed as Error).message).toMatch(/stdout contains "refunded"/);
});
