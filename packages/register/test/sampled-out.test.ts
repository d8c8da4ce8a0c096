import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { runFileLines } from '../src/run-file-lines.js';
import { sampledOutReason } from '../src/sampled-out.js';

// A sampler can leave a process's run out (a ratio in OTEL_TRACES_SAMPLER, an unsampled
// TRACEPARENT the default parent-based sampler follows). Nothing of the run is recorded then, and
// `tracetape record` must say so, and why, rather than call it recorded.
const RUN = 'a'.repeat(32);
const parentWith = (traceFlags: number) => trace.setSpanContext(ROOT_CONTEXT, { traceId: RUN, spanId: 'b'.repeat(16), traceFlags, isRemote: true });

describe('sampledOutReason', () => {
  it('names the unsampled parent trace the run joined', () => {
    expect(sampledOutReason(parentWith(TraceFlags.NONE), { OTEL_TRACES_SAMPLER: 'parentbased_always_on' })).toBe(
      `the run joined trace ${RUN} from its parent (TRACEPARENT), which was not sampled`,
    );
  });

  it('names the sampler and its argument when the run had no unsampled parent', () => {
    expect(sampledOutReason(undefined, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' })).toBe(
      'the sampler OTEL_TRACES_SAMPLER=traceidratio with OTEL_TRACES_SAMPLER_ARG=0.1 left the run out',
    );
    expect(sampledOutReason(parentWith(TraceFlags.SAMPLED), { OTEL_TRACES_SAMPLER: 'always_off' })).toBe('the sampler OTEL_TRACES_SAMPLER=always_off left the run out');
    expect(sampledOutReason(undefined, {})).toBe('the OpenTelemetry sampler left the run out');
  });
});

describe('the run file of a run the sampler left out', () => {
  const losses = { tracesWithLosses: () => [], lossOf: () => undefined, unnamedLostSpans: 0, maxNamedLossTraces: 10_000 };
  const lines = (sampledOut: string | undefined, listed: Array<{ traceId: string; calls: number }>) =>
    runFileLines({ runTraceId: RUN, runName: 'app.js', processPath: '0', pid: 7, traces: { list: () => listed, unlistedCalls: 0 }, losses, sampledOut }).map(
      (line) => JSON.parse(line) as Record<string, unknown>,
    );

  it("says why on the run's own line, beside the sampled traces the process served", () => {
    const served = { traceId: 'c'.repeat(32), calls: 4 };
    expect(lines('the sampler OTEL_TRACES_SAMPLER=always_off left the run out', [served])).toEqual([
      { ...served, pid: 7, process: '0' },
      { traceId: RUN, calls: 0, name: 'app.js', pid: 7, process: '0', sampledOut: 'the sampler OTEL_TRACES_SAMPLER=always_off left the run out' },
    ]);
  });

  it('adds nothing when the run was sampled', () => {
    expect(lines(undefined, [{ traceId: RUN, calls: 2 }])).toEqual([{ traceId: RUN, calls: 2, name: 'app.js', pid: 7, process: '0' }]);
  });
});
