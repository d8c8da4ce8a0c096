import { describe, expect, it } from 'vitest';
import { mergeRunLines, unlistedCalls, type RunFileLine } from '../src/run-file.js';

describe('the run file', () => {
  const trace = (n: number) => n.toString(16).padStart(32, '0');

  it('merges the lines of a run’s processes into one entry per trace, named by its first process with calls', () => {
    const lines: RunFileLine[] = [
      { traceId: trace(1), calls: 0, name: 'npm', process: '0' },
      { traceId: trace(1), calls: 2, name: 'app.js', process: '0.1' },
      { traceId: trace(2), calls: 1, process: '0.1', lostSpans: 3, lossReason: 'disk full' },
    ];
    expect(mergeRunLines(lines)).toEqual([
      { traceId: trace(1), calls: 2, name: 'app.js', lostSpans: 0, lossReasons: [], notRecorded: [] },
      { traceId: trace(2), calls: 1, lostSpans: 3, lossReasons: ['disk full'], notRecorded: [] },
    ]);
  });

  it("keeps each process's reason for a run the sampler left out, once", () => {
    const lines: RunFileLine[] = [
      { traceId: trace(1), calls: 0, name: 'app.js', process: '0', notRecorded: 'the sampler OTEL_TRACES_SAMPLER=traceidratio left the run out' },
      { traceId: trace(1), calls: 0, name: 'child.js', process: '0.1', notRecorded: `the run joined trace ${trace(1)} from its parent (TRACEPARENT), which was not sampled` },
      { traceId: trace(1), calls: 0, name: 'child.js', process: '0.2', notRecorded: `the run joined trace ${trace(1)} from its parent (TRACEPARENT), which was not sampled` },
    ];
    expect(mergeRunLines(lines)[0]!.notRecorded).toEqual([
      'the sampler OTEL_TRACES_SAMPLER=traceidratio left the run out',
      `the run joined trace ${trace(1)} from its parent (TRACEPARENT), which was not sampled`,
    ]);
  });

  it('adds up the calls each process recorded in traces it did not list', () => {
    const lines: RunFileLine[] = [
      { traceId: trace(1), calls: 0, process: '0', unlistedCalls: 120 },
      { traceId: trace(2), calls: 4, process: '0' },
      { traceId: trace(1), calls: 0, process: '0.1', unlistedCalls: 7 },
    ];
    expect(unlistedCalls(lines)).toBe(127);
    expect(unlistedCalls(lines.slice(1, 2))).toBe(0);
  });
});
