import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TapeEntry } from '@tracetape/core';
import { PlaybackSession } from '@tracetape/instrumentation';
import { startServer, type TestServer } from './helpers.js';
import { httpTapeEntry, tapeOf } from './http-tape.js';

/** The HTTP door tells the matcher a call's Idempotency-Key, which is never part of its hash. */

let canary: TestServer;
let session: PlaybackSession;

function refundEntry(step: number, url: string, headers: Array<[string, string]>): TapeEntry {
  return httpTapeEntry(step, { method: 'POST', url, headers, body: '{"amount_cents":500}' });
}

beforeAll(async () => {
  canary = await startServer((_req, res) => res.end('the network was reached'));
  const url = `${canary.url}/refunds`;
  // Recorded without any key (the broken code): the fixed code's key must still find these steps.
  const tape = tapeOf([refundEntry(1, url, [['content-type', 'application/json']]), refundEntry(2, url, [['content-type', 'application/json']])]);
  session = new PlaybackSession({ tape });
});

afterAll(async () => {
  session?.dispose();
  await canary?.close();
});

describe('HTTP playback: Idempotency-Key', () => {
  it('reports the key each served call carried, and serves it the step its hash names', async () => {
    const send = (key?: string) =>
      fetch(`${canary.url}/refunds`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { 'Idempotency-Key': key } : {}) },
        body: '{"amount_cents":500}',
      });
    expect((await send('refund-o1')).status).toBe(200);
    expect((await send()).status).toBe(200);
    const { served, blocked } = session.report();
    expect(blocked).toEqual([]);
    expect(served.map((s) => [s.step, s.idempotencyKey])).toEqual([
      [1, 'refund-o1'],
      [2, undefined],
    ]);
  });
});
