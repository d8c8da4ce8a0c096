import { describe, expect, it } from 'vitest';
import type { InventoryCall } from '@tracetape/core';
import type { InventoryResponse } from '../src/api.js';
import { statusOf, UiRequestError } from '../src/errors.js';
import type { RunSource } from '../src/run-source.js';
import { answerApi } from '../src/server/api-routes.js';
import { parseInventoryQuery } from '../src/server/inventory-query.js';
import { TapeRunSource } from '../src/sources/tape-source.js';
import { makeCall } from '../../core/test/inventory-fixtures.js';
import { makeTape } from '../../core/test/tape-fixtures.js';

const at = (iso: string) => iso.replace('T', ' ').replace('Z', '000000');

/** A source whose store holds `calls`, answering each period with the calls made in it. */
function sourceOf(calls: InventoryCall[]): RunSource & { asked: Array<{ since: string; until: string }> } {
  const asked: Array<{ since: string; until: string }> = [];
  const refuse = () => Promise.reject(new Error('not used'));
  return {
    description: 'test store',
    asked,
    listRuns: refuse,
    loadRun: refuse,
    replaysOf: refuse,
    loadReplay: refuse,
    async inventoryCalls({ since, until }) {
      asked.push({ since: since.toISOString(), until: until.toISOString() });
      const from = at(since.toISOString());
      const to = at(until.toISOString());
      return calls.filter((call) => call.firstSeen >= from && call.firstSeen < to);
    },
  };
}

const call = (fields: Partial<InventoryCall> & { seen: string }): InventoryCall => {
  const { seen, ...rest } = fields;
  return makeCall({ ...rest, firstSeen: at(seen), lastSeen: at(seen) });
};

const CALLS = [
  call({ seen: '2026-06-02T10:00:00.000Z', target: 'http://shop.example/orders/1', credentials: ['header:authorization'] }),
  call({ seen: '2026-06-09T10:00:00.000Z', target: 'http://shop.example/orders/2', credentials: ['header:authorization'] }),
  call({ seen: '2026-06-09T11:00:00.000Z', method: 'POST', target: 'http://new.example/refunds/7' }),
  call({ seen: '2026-06-09T12:00:00.000Z', service: 'billing', target: 'http://bank.example/balance' }),
];

async function get(source: RunSource, query: string): Promise<InventoryResponse> {
  return (await answerApi(source, new URL(`http://ui/api/inventory${query}`))) as InventoryResponse;
}

describe('GET /api/inventory', () => {
  it('answers the inventory of the period, every service offered for the filter', async () => {
    const answer = await get(sourceOf(CALLS), '?since=2026-06-08&until=2026-06-15');
    expect(answer.period).toEqual({ since: '2026-06-08T00:00:00.000Z', until: '2026-06-15T00:00:00.000Z' });
    expect(answer.entries.map((e) => [e.service, e.system, e.operation, e.mutates])).toEqual([
      ['billing', 'bank.example', 'GET /balance', false],
      ['support-agent', 'new.example', 'POST /refunds/{id}', true],
      ['support-agent', 'shop.example', 'GET /orders/{id}', false],
    ]);
    expect(answer.services).toEqual(['billing', 'support-agent']);
    expect(answer).not.toHaveProperty('compare');
  });

  it('keeps one service, and compares with the period as long just before it', async () => {
    const source = sourceOf(CALLS);
    const answer = await get(source, '?since=2026-06-08&until=2026-06-15&service=support-agent&compare=same');
    expect(answer.service).toBe('support-agent');
    expect(answer.services).toEqual(['billing', 'support-agent']);
    expect(answer.entries.map((e) => e.service)).toEqual(['support-agent', 'support-agent']);
    expect(answer.compare!.previous).toEqual({ since: '2026-06-01T00:00:00.000Z', until: '2026-06-08T00:00:00.000Z' });
    expect(answer.compare!.newSystems.map((s) => s.system)).toEqual(['new.example']);
    expect(answer.compare!.newMutatingOperations.map((e) => e.operation)).toEqual(['POST /refunds/{id}']);
    expect(source.asked).toEqual([
      { since: '2026-06-08T00:00:00.000Z', until: '2026-06-15T00:00:00.000Z' },
      { since: '2026-06-01T00:00:00.000Z', until: '2026-06-08T00:00:00.000Z' },
    ]);
    const byLength = await get(sourceOf(CALLS), '?since=2026-06-08&until=2026-06-15&compare=1d');
    expect(byLength.compare!.previous.since).toBe('2026-06-07T00:00:00.000Z');
  });

  it('takes times back from now, defaulting to the last 7 days', () => {
    const now = new Date('2026-06-15T12:00:00Z');
    expect(parseInventoryQuery(new URLSearchParams(''), now)).toEqual({ since: new Date('2026-06-08T12:00:00Z'), until: now });
    expect(parseInventoryQuery(new URLSearchParams('since=2h&until=30m&compare=off&service=+'), now)).toEqual({
      since: new Date('2026-06-15T10:00:00Z'),
      until: new Date('2026-06-15T11:30:00Z'),
    });
    // A time without a zone is UTC, as the CLI reads it.
    expect(parseInventoryQuery(new URLSearchParams('since=2026-06-01T09:30'), now).since).toEqual(new Date('2026-06-01T09:30:00Z'));
  });

  it('refuses a query that cannot mean anything with a 400 saying what to fix', async () => {
    for (const [query, says] of [
      ['?since=last%20week', 'Bad inventory filter: since takes a time back from now (30m, 2h, 7d, 1w) or an ISO time (2025-06-01, 2025-06-01T09:30Z), not "last week".'],
      ['?until=soon', 'until takes a time back from now'],
      ['?since=2026-06-02&until=2026-06-01', 'until (2026-06-01T00:00:00.000Z) must come after since (2026-06-02T00:00:00.000Z)'],
      ['?compare=0d', 'compare takes "same" (a period as long, just before) or a length of time (1h, 7d, 1w), not "0d"'],
      ['?compare=2026-06-01', 'compare takes "same"'],
    ] as const) {
      const refused = await get(sourceOf(CALLS), query).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused, query).toBeInstanceOf(UiRequestError);
      expect(statusOf(refused)).toBe(400);
      expect((refused as Error).message).toContain(says);
    }
  });

  it('says over a tape file that the inventory needs the store', async () => {
    const refused = await get(new TapeRunSource(makeTape([]), 'run.tape.json'), '').catch((error: unknown) => error);
    expect(statusOf(refused)).toBe(404);
    expect((refused as UiRequestError).code).toBe('TRACETAPE_UI_INVENTORY_NEEDS_STORE');
    expect((refused as Error).message).toContain('Run `tracetape ui` without --tape');
  });
});
