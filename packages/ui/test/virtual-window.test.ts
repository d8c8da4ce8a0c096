import { describe, expect, it } from 'vitest';
import { scrollTopToReveal, visibleRange } from '../web/virtual-window.js';

describe('visibleRange', () => {
  it('renders the rows in view plus the overscan on each side', () => {
    // 22 px rows, 440 px viewport scrolled to row 100: rows 100..119 are in view.
    expect(visibleRange(2200, 440, 22, 10_000, 8)).toEqual({ first: 92, last: 127 });
  });

  it('includes a row only partly in view', () => {
    expect(visibleRange(11, 22, 22, 100, 0)).toEqual({ first: 0, last: 1 });
  });

  it('clamps to the list at the top and the bottom', () => {
    expect(visibleRange(0, 440, 22, 10_000, 8)).toEqual({ first: 0, last: 27 });
    expect(visibleRange(9_999 * 22, 440, 22, 10_000, 8)).toEqual({ first: 9_991, last: 9_999 });
  });

  it('keeps the number of rows bounded by the viewport, not the list', () => {
    const { first, last } = visibleRange(123_456, 460, 22, 1_000_000, 8);
    expect(last - first + 1).toBeLessThanOrEqual(Math.ceil(460 / 22) + 1 + 16);
  });

  it('renders nothing for an empty list', () => {
    const { first, last } = visibleRange(0, 440, 22, 0, 8);
    expect(last - first + 1).toBe(0);
  });
});

describe('scrollTopToReveal', () => {
  it('leaves a wholly visible row where it is', () => {
    expect(scrollTopToReveal(5, 0, 440, 22)).toBeUndefined();
  });

  it('scrolls up to a row above the view, putting it at the top', () => {
    expect(scrollTopToReveal(10, 1000, 440, 22)).toBe(220);
  });

  it('scrolls down to a row below the view, putting it at the bottom', () => {
    expect(scrollTopToReveal(100, 0, 440, 22)).toBe(101 * 22 - 440);
  });

  it('scrolls to a row cut by the bottom edge', () => {
    expect(scrollTopToReveal(19, 0, 430, 22)).toBe(20 * 22 - 430);
  });
});
