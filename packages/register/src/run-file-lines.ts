import type { LogSpanExporter, TraceLoss } from './export/log-span-exporter.js';
import type { RecordedTraces } from './recorded-traces.js';

export interface RunFileSources {
  /** The trace of the run `tracetape record` started: it carries what no other line can. */
  runTraceId: string;
  runName: string;
  processPath: string;
  /** Why the run is not recorded (a sampler left it out, the SDK is off): its line says so, so record never calls it recorded. */
  notRecorded?: string | undefined;
  pid: number;
  traces: Pick<RecordedTraces, 'list' | 'unlistedCalls'>;
  losses: Pick<LogSpanExporter, 'tracesWithLosses' | 'lossOf' | 'unnamedLostSpans' | 'maxNamedLossTraces'>;
}

/**
 * The lines this process adds to `tracetape record`'s run file: a JSON object per trace it recorded
 * or lost spans of. What the process counted without naming (calls past the listed traces, spans
 * lost by traces past the named ones) goes on the run's own line, so record never calls it whole.
 */
export function runFileLines(sources: RunFileSources): string[] {
  const { runTraceId, traces, losses } = sources;
  const calls = new Map(traces.list().map((entry) => [entry.traceId, entry.calls]));
  // A trace past the listed ones that lost spans is still said: record must not call it whole.
  for (const traceId of losses.tracesWithLosses()) if (!calls.has(traceId)) calls.set(traceId, 0);
  const unnamedLost = losses.unnamedLostSpans;
  if (calls.size === 0 || traces.unlistedCalls > 0 || unnamedLost > 0 || sources.notRecorded) calls.set(runTraceId, calls.get(runTraceId) ?? 0);
  return [...calls].map(([traceId, count]) => {
    const isRun = traceId === runTraceId;
    const loss = lossOnLine(losses.lossOf(traceId), isRun ? unnamedLost : 0, losses.maxNamedLossTraces);
    return JSON.stringify({
      traceId,
      calls: count,
      name: isRun ? sources.runName : undefined,
      pid: sources.pid,
      process: sources.processPath,
      ...(loss ? { lostSpans: loss.spans, lossReason: loss.reason } : {}),
      ...(isRun && traces.unlistedCalls > 0 ? { unlistedCalls: traces.unlistedCalls } : {}),
      ...(isRun && sources.notRecorded ? { notRecorded: sources.notRecorded } : {}),
    });
  });
}

function lossOnLine(own: TraceLoss | undefined, unnamed: number, named: number): TraceLoss | undefined {
  if (unnamed === 0) return own;
  const past = `${unnamed} span(s) lost by traces past the first ${named} with losses, which this process counts without naming (tracetape traces shows each one the log could still mark incomplete)`;
  return { spans: (own?.spans ?? 0) + unnamed, reason: own ? `${own.reason}; ${past}` : past };
}
