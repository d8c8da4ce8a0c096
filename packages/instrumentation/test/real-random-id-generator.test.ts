import { isValidSpanId, isValidTraceId } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RealRandomIdGenerator } from '../src/index.js';

describe('RealRandomIdGenerator', () => {
  afterEach(() => vi.restoreAllMocks());

  it('makes valid, distinct IDs across many refills of its random pool, without Math.random', () => {
    const random = vi.spyOn(Math, 'random');
    const generator = new RealRandomIdGenerator();
    // 4 KiB per pool: 20,000 span IDs and 5,000 trace IDs draw it dozens of times.
    const spanIds = Array.from({ length: 20_000 }, () => generator.generateSpanId());
    const traceIds = Array.from({ length: 5_000 }, () => generator.generateTraceId());
    expect(spanIds.every(isValidSpanId)).toBe(true);
    expect(traceIds.every(isValidTraceId)).toBe(true);
    expect(new Set(spanIds).size).toBe(spanIds.length);
    expect(new Set(traceIds).size).toBe(traceIds.length);
    expect(random).not.toHaveBeenCalled();
  });

  it('spreads its IDs over every hex digit in every position', () => {
    const generator = new RealRandomIdGenerator();
    const ids = Array.from({ length: 4_000 }, () => generator.generateSpanId());
    for (let position = 0; position < 16; position++) {
      expect(new Set(ids.map((id) => id[position])).size).toBe(16);
    }
  });
});
