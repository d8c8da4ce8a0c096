import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { TracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { LogWriter, type ControlRecord } from '@tracetape/log';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readLog } from '../../../test/support/log-contents.js';
import { LogSpanExporter } from '../src/export/log-span-exporter.js';
import { RowsEncoder } from '../src/export/record-encoders.js';
import { runFileLines } from '../src/run-file-lines.js';

// A store that stays down or full while a server keeps serving makes a trace with losses per
// request: the exporter must keep saying each loss without keeping every trace it ever lost.
const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function setUp(maxNamedLossTraces: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-log-exporter-'));
  dirs.push(dir);
  // 64 bytes: no batch fits, as in a log that reached TRACETAPE_LOG_MAX_BYTES; control records still do.
  const log = new LogSpanExporter(new LogWriter({ dir, maxBytes: 64 }), new RowsEncoder(), { maxNamedLossTraces });
  const ended: ReadableSpan[] = [];
  const collect: SpanProcessor = { onStart: () => {}, onEnd: (span) => void ended.push(span), forceFlush: async () => {}, shutdown: async () => {} };
  const tracer = new TracerProvider({ spanProcessors: [collect] }).getTracer('test');
  /** A span of a trace of its own, as a request from another service starts one. */
  const spanOfNewTrace = (): ReadableSpan => {
    tracer.startSpan('GET /x', { root: true }, ROOT_CONTEXT).end();
    return ended.at(-1)!;
  };
  const losses = (): Array<Extract<ControlRecord, { kind: 'loss' }>> =>
    readLog(dir).controls.filter((control): control is Extract<ControlRecord, { kind: 'loss' }> => control.kind === 'loss');
  return { log, spanOfNewTrace, losses };
}

/** The once-per-kind stderr line of a loss is tested with the export processor; here it is noise. */
function quietly(fn: () => void): void {
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  fn();
}

describe('LogSpanExporter losses', () => {
  it('names the first traces that lose spans, counts the rest together, and says every loss in the log', () => {
    const { log, spanOfNewTrace, losses } = setUp(2);
    const spans = Array.from({ length: 5 }, spanOfNewTrace);
    quietly(() => {
      for (const span of spans) log.exportSync([span]);
      // A named trace and one past them lose a second span each.
      log.exportSync([spans[0]!]);
      log.exportSync([spans[4]!]);
    });
    const traceIds = spans.map((span) => span.spanContext().traceId);
    expect(log.tracesWithLosses()).toEqual(traceIds.slice(0, 2));
    expect(log.lossOf(traceIds[0]!)?.spans).toBe(2);
    expect(log.lossOf(traceIds[2]!)).toBeUndefined();
    expect(log.unnamedLostSpans).toBe(4);
    expect(log.stats()).toEqual({ written: 0, lost: 7 });
    // Ingest keeps a trace's latest figure and marks the trace incomplete: every trace is marked.
    const said = losses();
    expect(new Set(said.map((loss) => loss.traceId))).toEqual(new Set(traceIds));
    expect(said.filter((loss) => loss.traceId === traceIds[0]).map((loss) => loss.spans)).toEqual([1, 2]);
    expect(said.every((loss) => /TRACETAPE_LOG_MAX_BYTES/.test(loss.reason))).toBe(true);
  });

  it('says a queue drop of a trace past the named ones at once, and a named one with its total at exit', () => {
    const { log, spanOfNewTrace, losses } = setUp(1);
    const [named, past] = [spanOfNewTrace().spanContext().traceId, spanOfNewTrace().spanContext().traceId];
    log.noteDropped(named, 'the in-memory span queue was full');
    log.noteDropped(named, 'the in-memory span queue was full');
    log.noteDropped(past, 'the in-memory span queue was full');
    expect(losses().map((loss) => [loss.traceId, loss.spans])).toEqual([[past, 1]]);
    log.sayLosses();
    expect(losses().map((loss) => [loss.traceId, loss.spans])).toEqual([
      [past, 1],
      [named, 2],
    ]);
    expect(log.unnamedLostSpans).toBe(1);
  });

  it('keeps at most the named traces however many lose spans', () => {
    const { log, spanOfNewTrace } = setUp(100);
    quietly(() => {
      for (let i = 0; i < 1000; i++) log.exportSync([spanOfNewTrace()]);
    });
    expect(log.tracesWithLosses()).toHaveLength(100);
    expect(log.unnamedLostSpans).toBe(900);
  });

  it('always names the losses of the traces record lists, past the bound too', () => {
    const { log, spanOfNewTrace } = setUp(1);
    const spans = Array.from({ length: 3 }, spanOfNewTrace);
    const listed = spans[2]!.spanContext().traceId;
    log.nameLossesOf((traceId) => traceId === listed);
    quietly(() => {
      for (const span of spans) log.exportSync([span]);
    });
    expect(log.tracesWithLosses()).toEqual([spans[0]!.spanContext().traceId, listed]);
    expect(log.unnamedLostSpans).toBe(1);
  });

  it('puts the spans lost by unnamed traces on the run’s own line of the run file, so record does not call the run whole', () => {
    const { log, spanOfNewTrace } = setUp(1);
    const spans = Array.from({ length: 3 }, spanOfNewTrace);
    quietly(() => {
      for (const span of spans) log.exportSync([span]);
    });
    const [named] = log.tracesWithLosses();
    const runTraceId = 'f'.repeat(32);
    const lines = runFileLines({
      runTraceId,
      runName: 'node app.js',
      processPath: '/srv/app.js',
      pid: 42,
      traces: { list: () => [], unlistedCalls: 0 },
      losses: log,
    }).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ traceId: named, lostSpans: 1 }),
      expect.objectContaining({ traceId: runTraceId, name: 'node app.js', calls: 0, lostSpans: 2, lossReason: expect.stringMatching(/2 span\(s\) lost by traces past the first 1 with losses/) }),
    ]);
  });

  it('writes no loss on the run file when nothing was lost', () => {
    const { log } = setUp(1);
    const lines = runFileLines({ runTraceId: 'a'.repeat(32), runName: 'run', processPath: '/p', pid: 1, traces: { list: () => [{ traceId: 'b'.repeat(32), calls: 3 }], unlistedCalls: 0 }, losses: log });
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([{ traceId: 'b'.repeat(32), calls: 3, pid: 1, process: '/p' }]);
  });

  it("counts a call whose span was never saved as its own trace's loss, beside what else that trace lost", () => {
    const { log, spanOfNewTrace, losses } = setUp(10);
    const [served, other] = [spanOfNewTrace().spanContext().traceId, spanOfNewTrace().spanContext().traceId];
    log.noteDropped(served, 'the in-memory span queue was full');
    log.noteUnsaved(served, 2);
    log.noteUnsaved(other, 1);
    expect(log.lossOf(served)).toEqual({ spans: 3, reason: expect.stringMatching(/^the in-memory span queue was full; a call captured whose span was never saved: still in flight when the process ended/) });
    expect(log.lossOf(other)?.spans).toBe(1);
    log.sayLosses();
    expect(losses().map((loss) => [loss.traceId, loss.spans])).toEqual([
      [served, 3],
      [other, 1],
    ]);
    // The run's own line carries none of it: record says INCOMPLETE of the trace that lost the call.
    const runTraceId = 'f'.repeat(32);
    const lines = runFileLines({ runTraceId, runName: 'server.js', processPath: '0', pid: 7, traces: { list: () => [{ traceId: runTraceId, calls: 1 }], unlistedCalls: 0 }, losses: log });
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      { traceId: runTraceId, calls: 1, name: 'server.js', pid: 7, process: '0' },
      expect.objectContaining({ traceId: served, calls: 0, lostSpans: 3 }),
      expect.objectContaining({ traceId: other, calls: 0, lostSpans: 1 }),
    ]);
  });
});
