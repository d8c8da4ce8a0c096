import { describe, expect, it } from 'vitest';
import { RecentBatches } from '../src/recent-batches.js';

/** A write that settles when told to, and counts how often it was started. */
function controlledWrite() {
  let started = 0;
  let settle!: { resolve(): void; reject(error: Error): void };
  const write = () => {
    started++;
    return new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  };
  return { write, started: () => started, settle: () => settle };
}

describe('RecentBatches', () => {
  it('writes a batch once and answers its copy without writing', async () => {
    const recent = new RecentBatches();
    let writes = 0;
    const write = async () => void writes++;
    expect(await recent.store('a', write)).toBe('stored');
    expect(await recent.store('a', write)).toBe('already-stored');
    expect(writes).toBe(1);
  });

  it('a copy arriving while the first write runs waits for it and shares its outcome', async () => {
    const recent = new RecentBatches();
    const first = controlledWrite();
    const original = recent.store('a', first.write);
    const copy = recent.store('a', first.write);
    expect(first.started()).toBe(1);
    first.settle().resolve();
    expect(await original).toBe('stored');
    expect(await copy).toBe('already-stored');
    expect(first.started()).toBe(1);
  });

  it('forgets a batch whose write failed, so the sender retrying it gets it written', async () => {
    const recent = new RecentBatches();
    const failing = controlledWrite();
    const original = recent.store('a', failing.write);
    const copy = recent.store('a', failing.write);
    failing.settle().reject(new Error('store down'));
    await expect(original).rejects.toThrow('store down');
    await expect(copy).rejects.toThrow('store down');
    let writes = 0;
    expect(await recent.store('a', async () => void writes++)).toBe('stored');
    expect(writes).toBe(1);
  });

  it('remembers at most its capacity, dropping the least recently seen', async () => {
    const recent = new RecentBatches(2);
    const writes: string[] = [];
    const write = (name: string) => async () => void writes.push(name);
    await recent.store('a', write('a'));
    await recent.store('b', write('b'));
    await recent.store('a', write('a')); // seen again: now the most recent
    await recent.store('c', write('c')); // evicts b
    expect(await recent.store('a', write('a'))).toBe('already-stored');
    expect(await recent.store('b', write('b'))).toBe('stored');
    expect(writes).toEqual(['a', 'b', 'c', 'b']);
  });
});
