import { describe, expect, it } from 'vitest';
import { rowLine, serializeRows } from '../src/row-lines.js';

describe('row lines', () => {
  it('serialises a row ahead to exactly what JSON.stringify makes of it at insert time, on one line', () => {
    const row = { TraceId: 'a'.repeat(32), SpanAttributes: { 'tracetape.request': 'line one\nline "two"\u2028' }, Events: { Name: [] } };
    const other = { TraceId: 'b'.repeat(32) };
    serializeRows([row]);
    expect(rowLine(row)).toBe(JSON.stringify(row));
    expect(rowLine(row)).not.toContain('\n');
    // A row nobody prepared is serialised when asked.
    expect(rowLine(other)).toBe(JSON.stringify(other));
  });
});
