import { describe, expect, it } from 'vitest';
import { inventoryReport, somethingNew } from '@tracetape/core';
import { makeCall } from './inventory-fixtures.js';

const since = new Date('2026-06-08T00:00:00Z');
const until = new Date('2026-06-15T00:00:00Z');
const shop = (path: string, method = 'GET') => makeCall({ method, target: `http://shop.example${path}`, firstSeen: '2026-06-09 10:00:00.000000000', lastSeen: '2026-06-09 10:00:00.000000000' });

describe('inventoryReport', () => {
  it('gives the period and entries, the service when one was asked for, and no comparison unless asked', () => {
    const report = inventoryReport({ period: { since, until }, service: 'support-agent', current: [shop('/orders/1')] });
    expect(report.period).toEqual({ since: '2026-06-08T00:00:00.000Z', until: '2026-06-15T00:00:00.000Z' });
    expect(report.service).toBe('support-agent');
    expect(report.entries.map((e) => e.operation)).toEqual(['GET /orders/{id}']);
    expect(report).not.toHaveProperty('compare');
    expect(report).not.toHaveProperty('unplaced');
    expect(somethingNew(report)).toBe(false);
  });

  it('compares with the period before, which ends where this one starts', () => {
    const report = inventoryReport({
      period: { since, until },
      current: [shop('/orders/1'), shop('/refunds/1', 'POST'), makeCall({ target: 'http://new.example/x', firstSeen: '2026-06-10 00:00:00.000000000', lastSeen: '2026-06-10 00:00:00.000000000' })],
      previous: { since: new Date('2026-06-01T00:00:00Z'), calls: [shop('/orders/2')] },
    });
    expect(report.compare!.previous).toEqual({ since: '2026-06-01T00:00:00.000Z', until: '2026-06-08T00:00:00.000Z' });
    expect(report.compare!.newSystems.map((s) => s.system)).toEqual(['new.example']);
    expect(report.compare!.newMutatingOperations.map((e) => e.operation)).toEqual(['POST /refunds/{id}']);
    expect(somethingNew(report)).toBe(true);
  });

  it('lists calls of unknown kinds apart', () => {
    const report = inventoryReport({ period: { since, until }, current: [makeCall({ kind: 'carrier-pigeon' })] });
    expect(report.entries).toEqual([]);
    expect(report.unplaced).toEqual([{ kind: 'carrier-pigeon', calls: 1 }]);
  });
});
