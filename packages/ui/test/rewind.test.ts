import { describe, expect, it } from 'vitest';
import { moveIndex, stepKeyAction } from '../web/keyboard.js';
import { rewindTarget } from '../web/rewind.js';

const run = (sideEffects: number[], count = 10) => Array.from({ length: count }, (_, i) => ({ step: i + 1, sideEffect: sideEffects.includes(i + 1) }));

describe('rewindTarget', () => {
  it('from a side effect S goes to S-1', () => {
    expect(rewindTarget(run([5]), 5)).toBe(4);
  });

  it('from after a side effect goes to the step before the latest side effect before it', () => {
    expect(rewindTarget(run([3, 7]), 9)).toBe(6);
    expect(rewindTarget(run([3, 7]), 6)).toBe(2);
  });

  it('walks back one side effect per press', () => {
    const steps = run([2, 5, 8]);
    const presses: Array<number | undefined> = [];
    let at: number | undefined = 10;
    while (at !== undefined) {
      at = rewindTarget(steps, at);
      presses.push(at);
    }
    expect(presses).toEqual([7, 4, 1, undefined]);
  });

  it('does nothing without a side effect at or before the step, or when the side effect is the first step', () => {
    expect(rewindTarget(run([7]), 6)).toBeUndefined();
    expect(rewindTarget(run([]), 10)).toBeUndefined();
    expect(rewindTarget(run([1]), 4)).toBeUndefined();
  });

  it('uses step numbers, not positions, when steps are not contiguous', () => {
    const steps = [
      { step: 2, sideEffect: false },
      { step: 5, sideEffect: false },
      { step: 9, sideEffect: true },
      { step: 12, sideEffect: false },
    ];
    expect(rewindTarget(steps, 12)).toBe(5);
  });
});

describe('step keys', () => {
  const key = (k: string, mods: Partial<KeyboardEvent> = {}) => stepKeyAction({ key: k, ctrlKey: false, metaKey: false, altKey: false, ...mods });

  it('maps arrows, Home, End and r', () => {
    expect([key('ArrowLeft'), key('ArrowRight'), key('Home'), key('End'), key('r'), key('x')]).toEqual(['previous', 'next', 'first', 'last', 'rewind', undefined]);
  });

  it('leaves the browser its shortcuts (Alt+ArrowLeft is Back, Ctrl+R reloads)', () => {
    expect(key('ArrowLeft', { altKey: true })).toBeUndefined();
    expect(key('r', { ctrlKey: true })).toBeUndefined();
  });

  it('moves within the run and clamps at its ends', () => {
    expect(moveIndex('next', 3, 10)).toBe(4);
    expect(moveIndex('previous', 0, 10)).toBe(0);
    expect(moveIndex('next', 9, 10)).toBe(9);
    expect(moveIndex('first', 7, 10)).toBe(0);
    expect(moveIndex('last', 2, 10)).toBe(9);
  });
});
