import type { InventoryEntry } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { PLAIN } from '../src/colour.js';
import { parseDurationMs } from '../src/human-format.js';
import { inventoryMarkdown, inventoryTable, type InventoryReport } from '../src/inventory-report.js';

const period = { since: '2026-06-01T00:00:00.000Z', until: '2026-06-08T00:00:00.000Z' };
const entry = (fields: Partial<InventoryEntry>): InventoryEntry => ({
  service: 'agent',
  door: 'http',
  system: 'shop.example',
  operation: 'GET /orders/{id}',
  mutates: false,
  calls: 3,
  errors: 1,
  errorRate: 0.3333,
  firstSeen: '2026-06-02T10:00:00.123Z',
  lastSeen: '2026-06-03T11:30:00.000Z',
  credentials: [],
  ...fields,
});

describe('inventoryMarkdown', () => {
  it('escapes what would break a table cell, and names the credentials or says there were none', () => {
    const report: InventoryReport = {
      period,
      entries: [
        entry({ door: 'process', system: 'sh', operation: 'sh | tee', mutates: true, credentials: ['header:authorization', 'user:app'] }),
        entry({ door: 'mcp', system: 'node `server`.mjs', operation: 'initialize', errors: 0, errorRate: 0 }),
      ],
    };
    expect(inventoryMarkdown(report)).toBe(
      [
        '# External systems inventory',
        '',
        'Recorded calls from 2026-06-01 00:00:00 to 2026-06-08 00:00:00 (UTC).',
        '',
        '## Service `agent`',
        '',
        '### Programs',
        '',
        '| system | operation | calls | errors | first seen | last seen | mutates | credentials |',
        '|---|---|--:|--:|---|---|---|---|',
        '| `sh` | `sh \\| tee` | 3 | 1 (33%) | 2026-06-02 10:00:00 | 2026-06-03 11:30:00 | **yes** | `header:authorization`, `user:app` |',
        '',
        '### MCP servers',
        '',
        '| system | operation | calls | errors | first seen | last seen | mutates | credentials |',
        '|---|---|--:|--:|---|---|---|---|',
        '| node `server`.mjs | `initialize` | 3 | 0 | 2026-06-02 10:00:00 | 2026-06-03 11:30:00 | no | - |',
        '',
      ].join('\n'),
    );
  });

  it('says so when the period holds nothing, and names what it could not place', () => {
    const markdown = inventoryMarkdown({ period, service: 'agent', entries: [], unplaced: [{ kind: 'smtp', calls: 2 }] });
    expect(markdown).toContain('No recorded calls between 2026-06-01 00:00:00 and 2026-06-08 00:00:00 (UTC), service agent.');
    expect(markdown).toContain('Left out: calls of kinds this tracetape does not know (2 smtp)');
  });
});

describe('inventoryTable', () => {
  it('reports new systems and writes before the table, and nothing new in one line', () => {
    const previous = { since: '2026-05-25T00:00:00.000Z', until: period.since };
    const write = entry({ operation: 'POST /refunds/{id}', mutates: true, calls: 1 });
    const table = inventoryTable(
      { period, entries: [write], compare: { previous, newSystems: [{ service: 'agent', door: 'http', system: 'shop.example', calls: 1, firstSeen: write.firstSeen }], newMutatingOperations: [write] } },
      PLAIN,
    );
    expect(table.split('\n').slice(0, 3)).toEqual([
      'New since the previous period (2026-05-25 00:00:00 to 2026-06-01 00:00:00 UTC):',
      '  NEW SYSTEM     agent  http  shop.example  (1 call, first 2026-06-02 10:00:00)',
      '  NEW MUTATING   agent  http  shop.example  POST /refunds/{id}  (1 call, first 2026-06-02 10:00:00)',
    ]);
    const quiet = inventoryTable({ period, entries: [write], compare: { previous, newSystems: [], newMutatingOperations: [] } }, PLAIN);
    expect(quiet.split('\n')[0]).toMatch(/UTC\): nothing: no system and no mutating operation/);
  });
});

describe('parseDurationMs', () => {
  it('reads a length of time, and nothing else', () => {
    expect(parseDurationMs('1h')).toBe(3_600_000);
    expect(parseDurationMs(' 7d ')).toBe(604_800_000);
    expect(parseDurationMs('2026-06-01')).toBeUndefined();
    expect(parseDurationMs('soon')).toBeUndefined();
  });
});
