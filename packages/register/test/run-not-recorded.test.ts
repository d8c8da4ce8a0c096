import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { runFileLines } from '../src/run-file-lines.js';
import { whyRunNotRecorded } from '../src/run-not-recorded.js';

// A sampler can leave a process's run out (a ratio in OTEL_TRACES_SAMPLER, an unsampled
// TRACEPARENT the default parent-based sampler follows), or the SDK be off. Nothing of the run is
// recorded then, and `tracetape record` must say so, why, and what to do, rather than call it recorded.
const ALWAYS = 'run it with OTEL_TRACES_SAMPLER=always_on to record it whatever was sampled';
const RUN = 'a'.repeat(32);
const parentWith = (traceFlags: number) => trace.setSpanContext(ROOT_CONTEXT, { traceId: RUN, spanId: 'b'.repeat(16), traceFlags, isRemote: true });

describe('whyRunNotRecorded', () => {
  it('names the unsampled parent trace the run joined', () => {
    expect(whyRunNotRecorded(parentWith(TraceFlags.NONE), { OTEL_TRACES_SAMPLER: 'parentbased_always_on' })).toBe(
      `the run joined trace ${RUN} from its parent (TRACEPARENT), which was not sampled: ${ALWAYS}`,
    );
  });

  it('names OTEL_SDK_DISABLED before any sampler: with the SDK off nothing is sampled at all', () => {
    expect(whyRunNotRecorded(parentWith(TraceFlags.NONE), { OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_SAMPLER: 'always_off' })).toBe(
      'OTEL_SDK_DISABLED=true turns the OpenTelemetry SDK off, and the recording with it: unset it to record',
    );
  });

  it('names the sampler and its argument when the run had no unsampled parent', () => {
    expect(whyRunNotRecorded(undefined, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' })).toBe(
      `the sampler OTEL_TRACES_SAMPLER=traceidratio with OTEL_TRACES_SAMPLER_ARG=0.1 left the run out: ${ALWAYS}`,
    );
    expect(whyRunNotRecorded(parentWith(TraceFlags.SAMPLED), { OTEL_TRACES_SAMPLER: 'always_off', OTEL_SDK_DISABLED: 'false' })).toBe(
      `the sampler OTEL_TRACES_SAMPLER=always_off left the run out: ${ALWAYS}`,
    );
    expect(whyRunNotRecorded(undefined, {})).toBe(`the OpenTelemetry sampler left the run out: ${ALWAYS}`);
  });
});

describe('the run file of a run that is not recorded', () => {
  const losses = { tracesWithLosses: () => [], lossOf: () => undefined, unnamedLostSpans: 0, maxNamedLossTraces: 10_000 };
  const lines = (notRecorded: string | undefined, listed: Array<{ traceId: string; calls: number }>) =>
    runFileLines({ runTraceId: RUN, runName: 'app.js', processPath: '0', pid: 7, traces: { list: () => listed, unlistedCalls: 0 }, losses, notRecorded }).map(
      (line) => JSON.parse(line) as Record<string, unknown>,
    );

  it("says why on the run's own line, beside the sampled traces the process served", () => {
    const served = { traceId: 'c'.repeat(32), calls: 4 };
    expect(lines('the sampler OTEL_TRACES_SAMPLER=always_off left the run out', [served])).toEqual([
      { ...served, pid: 7, process: '0' },
      { traceId: RUN, calls: 0, name: 'app.js', pid: 7, process: '0', notRecorded: 'the sampler OTEL_TRACES_SAMPLER=always_off left the run out' },
    ]);
  });

  it('adds nothing when the run was sampled', () => {
    expect(lines(undefined, [{ traceId: RUN, calls: 2 }])).toEqual([{ traceId: RUN, calls: 2, name: 'app.js', pid: 7, process: '0' }]);
  });
});
