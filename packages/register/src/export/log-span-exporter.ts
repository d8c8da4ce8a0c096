import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { LogWriteError, type LogWriter } from '@tracetape/log';
import type { StagingExporter } from './buffered-export-processor.js';
import { OtlpJsonEncoder, type RecordEncoder } from './record-encoders.js';

/** What this process could not write, per trace. */
export interface TraceLoss {
  spans: number;
  reason: string;
}

/**
 * Traces a process keeps its losses by name for (~150 B each). A store that stays down or full at
 * a high request rate makes a trace with losses per request: past these (and the traces record
 * lists, bounded by their own list), lost spans are counted together, so the process does not grow
 * for as long as the outage lasts.
 */
export const MAX_NAMED_LOSS_TRACES = 10_000;

export interface LogSpanExporterOptions {
  /** Traces whose losses are kept by name (default {@link MAX_NAMED_LOSS_TRACES}). */
  maxNamedLossTraces?: number;
}

/**
 * Traces whose losses are kept by name past the bound: those `tracetape record` lists by name
 * (bounded by their own list), which it must never call whole when they lost spans.
 */
export type LossNamedTraces = (traceId: string) => boolean;

/** Why calls the capture still held at exit are missing from their trace. */
const UNSAVED_REASON = 'a call captured whose span was never saved: still in flight when the process ended, or traced by a tracer whose spans never reached tracetape';

/**
 * Appends each batch to the recording log as one record, in the encoding its destination takes
 * (record-encoders.ts): the embedded store's own rows, or OTLP/JSON for a log shipped to a server
 * or a collector. Nothing here opens the store. A batch that cannot be written is a loss, counted per trace and said in the log
 * itself when it still takes a control record, and once per kind on stderr; never thrown.
 */
export class LogSpanExporter implements StagingExporter {
  private readonly losses = new Map<string, TraceLoss>();
  /** Traces whose losses this exporter keeps by name. */
  readonly maxNamedLossTraces: number;
  private unnamedLost = 0;
  private alwaysNamed: LossNamedTraces = () => false;
  private readonly toldKinds = new Set<string>();
  private writtenSpans = 0;
  private lostSpans = 0;
  // Counts by trace, not the spans: an encoded span is garbage at once, not held until the write.
  private staged = new Map<string, number>();
  private stagedCount = 0;

  constructor(
    private readonly writer: LogWriter,
    private readonly encoder: RecordEncoder = new OtlpJsonEncoder(),
    options: LogSpanExporterOptions = {},
  ) {
    this.maxNamedLossTraces = options.maxNamedLossTraces ?? MAX_NAMED_LOSS_TRACES;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    resultCallback(this.exportSync(spans));
  }

  exportSync(spans: ReadableSpan[]): ExportResult {
    const staged = this.stage(spans);
    const committed = this.commit();
    return staged.code === ExportResultCode.SUCCESS ? committed : staged;
  }

  /**
   * Encodes spans into the record being built, without writing it: a few spans at a time, the
   * encoding spreads over the app's idle moments instead of pausing it for a whole batch.
   */
  stage(spans: readonly ReadableSpan[]): ExportResult {
    if (spans.length === 0) return { code: ExportResultCode.SUCCESS };
    try {
      this.encoder.add(spans);
    } catch (error) {
      this.lose(spans, error);
      return { code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) };
    }
    for (const span of spans) {
      const traceId = span.spanContext().traceId;
      this.staged.set(traceId, (this.staged.get(traceId) ?? 0) + 1);
    }
    this.stagedCount += spans.length;
    return { code: ExportResultCode.SUCCESS };
  }

  /** Spans staged and not yet committed. */
  get stagedSpans(): number {
    return this.stagedCount;
  }

  /** Appends what was staged to the log as one record. */
  commit(): ExportResult {
    const traces = this.staged;
    const count = this.stagedCount;
    if (count === 0) return { code: ExportResultCode.SUCCESS };
    this.staged = new Map();
    this.stagedCount = 0;
    try {
      this.writer.append(this.encoder.take());
      this.encoder.appended();
    } catch (error) {
      this.loseTraces(traces, count, error);
      return { code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) };
    }
    this.writtenSpans += count;
    return { code: ExportResultCode.SUCCESS };
  }

  /**
   * Says in the log, right away, that this process started recording a run: readers then list the
   * trace as recording before any of its spans is flushed, and as incomplete if the process dies.
   */
  announceRun(run: { traceId: string; spanId: string; name: string; serviceName: string; processPath: string; startNs: bigint }): void {
    try {
      this.writer.appendControl({ kind: 'run-start', ...run, pid: process.pid, startNs: String(run.startNs) });
    } catch (error) {
      // No span is lost yet; the spans that follow are counted as they fail.
      process.stderr.write(`tracetape: the recording log cannot take the start of this run: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }

  /** Keeps the losses of these traces by name even past the bound (set once the list exists). */
  nameLossesOf(traces: LossNamedTraces): void {
    this.alwaysNamed = traces;
  }

  /** Spans the in-memory queue dropped before they reached the exporter. */
  noteDropped(traceId: string, reason: string): void {
    this.lostSpans++;
    // A named trace's loss is said with its total at exit; one past them is said now or never.
    if (!this.addLoss(traceId, 1, reason)) this.sayLoss(traceId, { spans: 1, reason });
  }

  /**
   * Calls the capture holds at exit whose span was never saved: still waiting for an answer when
   * the process ended, or traced by a tracer whose spans never reached tracetape. Each is a span
   * the trace lacks.
   */
  noteUnsaved(traceId: string, calls: number): void {
    this.lostSpans += calls;
    if (!this.addLoss(traceId, calls, UNSAVED_REASON)) this.sayLoss(traceId, { spans: calls, reason: UNSAVED_REASON });
  }

  lossOf(traceId: string): TraceLoss | undefined {
    return this.losses.get(traceId);
  }

  /** The traces that lost spans so far: the first {@link MAX_NAMED_LOSS_TRACES}, and any of those named by nameLossesOf(). */
  tracesWithLosses(): string[] {
    return [...this.losses.keys()];
  }

  /** Spans lost by traces past the named ones: each was said in the log when it could still take it. */
  get unnamedLostSpans(): number {
    return this.unnamedLost;
  }

  stats(): { written: number; lost: number } {
    return { written: this.writtenSpans, lost: this.lostSpans };
  }

  /** Says in the log what each trace lost so far, for the traces still missing it. Never throws. */
  sayLosses(): void {
    for (const [traceId, loss] of this.losses) this.sayLoss(traceId, loss);
  }

  shutdownSync(): void {
    this.commit();
    this.sayLosses();
    this.writer.close();
  }

  async shutdown(): Promise<void> {
    this.shutdownSync();
  }

  async forceFlush(): Promise<void> {}

  private lose(spans: readonly ReadableSpan[], error: unknown): void {
    const traces = new Map<string, number>();
    for (const span of spans) traces.set(span.spanContext().traceId, (traces.get(span.spanContext().traceId) ?? 0) + 1);
    this.loseTraces(traces, spans.length, error);
  }

  private loseTraces(traces: ReadonlyMap<string, number>, count: number, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    const kind = error instanceof LogWriteError ? error.failure : 'serialize';
    this.lostSpans += count;
    if (!this.toldKinds.has(kind)) {
      this.toldKinds.add(kind);
      process.stderr.write(`tracetape: lost ${count} span(s): ${reason} (further losses of this kind are counted, not printed; the recording of this run is incomplete)\n`);
    }
    // Said in the log now, while it may still take a control record (a full log does; a full disk may not).
    for (const [traceId, spans] of traces) {
      // Ingest keeps a trace's latest figure: a named trace says its total so far, one past them this loss.
      const named = this.addLoss(traceId, spans, reason);
      this.sayLoss(traceId, named ? this.losses.get(traceId)! : { spans, reason });
    }
  }

  /** Adds to the trace's loss; false when the trace is past the named ones and was counted together. */
  private addLoss(traceId: string, spans: number, reason: string): boolean {
    const known = this.losses.get(traceId);
    if (!known && this.losses.size >= this.maxNamedLossTraces && !this.alwaysNamed(traceId)) {
      this.unnamedLost += spans;
      return false;
    }
    // A trace's first reason stays; calls never saved, a loss of another kind, are said beside it.
    const reasons = known && reason === UNSAVED_REASON && !known.reason.endsWith(UNSAVED_REASON) ? `${known.reason}; ${reason}` : (known?.reason ?? reason);
    this.losses.set(traceId, { spans: (known?.spans ?? 0) + spans, reason: reasons });
    return true;
  }

  private sayLoss(traceId: string, loss: TraceLoss): void {
    try {
      this.writer.appendControl({ kind: 'loss', traceId, spans: loss.spans, reason: loss.reason });
    } catch {
      // The log cannot take even this: the run file and stderr still say it.
    }
  }
}
