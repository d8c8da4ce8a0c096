import type { TapeEntry } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { CompletionOrder } from '../src/playback/completion-order.js';

const at = (ms: number): string => new Date(Date.UTC(2030, 0, 1) + ms).toISOString();
const entry = (step: number, startMs: number, durationMs: number): TapeEntry => ({ step, startTime: at(startMs), durationMs }) as unknown as TapeEntry;

describe('CompletionOrder', () => {
  it('lets a step go once every step that finished before it was answered, ties not waiting on each other', async () => {
    // 1 ends at 10; 2 and 3 both end at 20; 4 ends at 30.
    const order = new CompletionOrder([entry(4, 0, 30), entry(1, 0, 10), entry(2, 5, 15), entry(3, 12, 8)], 5_000);
    await order.turn(1);
    order.markAnswered(1);
    await order.turn(3); // waits only for 1, not for 2 that ended with it
    order.markAnswered(3);
    let fourthWent = false;
    const fourth = order.turn(4).then(() => (fourthWent = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fourthWent).toBe(false); // 2 is still unanswered
    await order.turn(2);
    order.markAnswered(2);
    await fourth;
    expect(fourthWent).toBe(true);
  });

  it('serves 20,000 sequential steps in linear time', async () => {
    const entries = Array.from({ length: 20_000 }, (_, i) => entry(i + 1, i * 2, 1));
    const started = performance.now();
    const order = new CompletionOrder(entries, 5_000);
    for (const { step } of entries) {
      await order.turn(step);
      order.markAnswered(step);
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  describe('a step its recording never answered', () => {
    const unanswered = (step: number, startMs: number, durationMs: number, signal?: 'SIGINT', signalMs?: number): TapeEntry =>
      ({ ...entry(step, startMs, durationMs), response: { unanswered: signal ? { signal, signalAt: at(signalMs ?? 0) } : {} } }) as unknown as TapeEntry;

    it('is never answered, and hands over the recorded signal once the steps answered before it came are answered again', async () => {
      const raised: Array<[string, number]> = [];
      // 1 ended at 10 and 2 at 40, before the signal at 50; 3 waited from 30 until the process ended at 60; 4 ended after the signal.
      const entries = [entry(1, 0, 10), entry(2, 20, 20), unanswered(3, 30, 30, 'SIGINT', 50), entry(4, 52, 3)];
      const order = new CompletionOrder(entries, 60_000, (signal, step) => void raised.push([signal, step]));
      await order.turn(1);
      order.markAnswered(1);
      let answered = false;
      void order.neverAnswer(entries[2]!).then(() => (answered = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(raised).toEqual([]); // step 2 ended before the signal and is not answered yet
      await order.turn(2);
      order.markAnswered(2);
      await new Promise((resolve) => setTimeout(resolve, 10));
      // Step 4, after the signal in the recording (a shutdown's call), is not waited for.
      expect(raised).toEqual([['SIGINT', 3]]);
      void order.neverAnswer(entries[2]!);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(raised).toHaveLength(1);
      expect(answered).toBe(false);
      order.dispose();
    });

    it('hands over no signal when the recorded process ended by itself', async () => {
      const raised: string[] = [];
      const entries = [unanswered(1, 0, 10)];
      const order = new CompletionOrder(entries, 60_000, (signal) => void raised.push(signal));
      void order.neverAnswer(entries[0]!);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(raised).toEqual([]);
      order.dispose();
    });
  });
});
