import { describe, expect, it } from 'vitest';
import { runFileLines } from '../src/run-file-lines.js';

const RUN = 'a'.repeat(32);
const SERVED = 'c'.repeat(32);
const noLosses = { tracesWithLosses: () => [], lossOf: () => undefined, unnamedLostSpans: 0, maxNamedLossTraces: 10_000 };
const parsed = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe("the run file's word on calls whose span was never saved", () => {
  it("counts them as lost on the run's own line, beside the traces the process served", () => {
    const lines = runFileLines({ runTraceId: RUN, runName: 'app.js', processPath: '0', pid: 7, traces: { list: () => [{ traceId: SERVED, calls: 2 }], unlistedCalls: 0 }, losses: noLosses, unsavedCalls: 1 });
    expect(parsed(lines)).toEqual([
      { traceId: SERVED, calls: 2, pid: 7, process: '0' },
      {
        traceId: RUN,
        calls: 0,
        name: 'app.js',
        pid: 7,
        process: '0',
        lostSpans: 1,
        lossReason: '1 call(s) captured whose span was never saved: still in flight when the process ended, or traced by a tracer whose spans never reached tracetape',
      },
    ]);
  });

  it('adds them to spans the run already lost, both reasons said', () => {
    const losses = { ...noLosses, tracesWithLosses: () => [RUN], lossOf: () => ({ spans: 3, reason: 'the disk is full' }) };
    const [line] = parsed(runFileLines({ runTraceId: RUN, runName: 'app.js', processPath: '0', pid: 7, traces: { list: () => [{ traceId: RUN, calls: 5 }], unlistedCalls: 0 }, losses, unsavedCalls: 2 }));
    expect(line).toMatchObject({ lostSpans: 5, lossReason: expect.stringMatching(/^the disk is full; 2 call\(s\) captured whose span was never saved/) });
  });

  it('says nothing when every captured call was saved', () => {
    const lines = runFileLines({ runTraceId: RUN, runName: 'app.js', processPath: '0', pid: 7, traces: { list: () => [{ traceId: RUN, calls: 1 }], unlistedCalls: 0 }, losses: noLosses, unsavedCalls: 0 });
    expect(parsed(lines)).toEqual([{ traceId: RUN, calls: 1, name: 'app.js', pid: 7, process: '0' }]);
  });
});
