import { describe, expect, it } from 'vitest';
import { RowLines } from '../src/row-lines.js';

describe('RowLines', () => {
  it('serialises a row ahead to exactly what JSON.stringify makes of it at insert time, on one line', () => {
    const lines = new RowLines();
    const row = { TraceId: 'a'.repeat(32), SpanAttributes: { 'tracetape.request': 'line one\nline "two"\u2028' }, Events: { Name: [] } };
    const other = { TraceId: 'b'.repeat(32) };
    lines.prepare([row]);
    expect(lines.line(row)).toBe(JSON.stringify(row));
    expect(lines.line(row)).not.toContain('\n');
    // A row nobody prepared is serialised when asked.
    expect(lines.line(other)).toBe(JSON.stringify(other));
  });
});
