import { TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';

/** An exporter that can also write synchronously, for the process 'exit' event where nothing async runs. */
export interface SyncCapableExporter extends SpanExporter {
  exportSync?(spans: ReadableSpan[]): void;
  shutdownSync?(): void;
}

export interface BufferedExportOptions {
  maxBatchSize?: number;
  scheduledDelayMs?: number;
  /** Spans held at most while the store is slow; beyond it new spans are dropped and counted. */
  maxQueueSize?: number;
  /** Told of each span the full queue dropped, so the loss is known per trace. */
  onQueueDrop?: (span: ReadableSpan) => void;
}

/**
 * Batches ended spans like the SDK's BatchSpanProcessor, and can also hand what is left to the
 * exporter synchronously on exit, which the SDK's processor cannot: a script that calls
 * process.exit() right after its last call keeps its spans.
 */
export class BufferedExportProcessor implements SpanProcessor {
  private queue: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> = Promise.resolve();
  /** Spans handed to the exporter whose export has not settled yet. */
  private inFlight = 0;
  private dropped = 0;
  private readonly maxBatchSize: number;
  private readonly scheduledDelayMs: number;
  private readonly maxQueueSize: number;
  private readonly onQueueDrop: ((span: ReadableSpan) => void) | undefined;

  constructor(
    private readonly exporter: SyncCapableExporter,
    options: BufferedExportOptions = {},
  ) {
    // Converting and inserting a batch runs on the app's thread: small batches keep each pause short.
    this.maxBatchSize = options.maxBatchSize ?? 128;
    this.scheduledDelayMs = options.scheduledDelayMs ?? 1000;
    this.maxQueueSize = options.maxQueueSize ?? 50_000;
    this.onQueueDrop = options.onQueueDrop;
  }

  get droppedSpans(): number {
    return this.dropped;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queue.length + this.inFlight >= this.maxQueueSize) {
      this.dropped++;
      this.onQueueDrop?.(span);
      return;
    }
    this.queue.push(span);
    if (this.queue.length >= this.maxBatchSize) this.exportQueued();
    else this.schedule();
  }

  async forceFlush(): Promise<void> {
    this.exportQueued();
    await this.exporting;
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    await this.exporter.shutdown();
  }

  /** Exports everything still queued synchronously and closes the exporter: the process is exiting. */
  flushAndCloseSync(): void {
    this.clearTimer();
    const spans = this.queue.splice(0);
    if (spans.length > 0) {
      if (this.exporter.exportSync) this.exporter.exportSync(spans);
      else this.dropped += spans.length;
    }
    this.exporter.shutdownSync?.();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.exportQueued();
    }, this.scheduledDelayMs);
    // Pending telemetry must not keep a finished app alive; exit hooks flush what is left.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private exportQueued(): void {
    this.clearTimer();
    // Handed over without waiting for the previous batch: the exporter converts each batch now
    // (small, so the app's thread pauses briefly) and merges those queued behind a running insert.
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatchSize);
      const exported = this.exportBatch(batch);
      this.exporting = Promise.all([this.exporting, exported]).then(() => undefined);
    }
  }

  private exportBatch(batch: ReadableSpan[]): Promise<void> {
    this.inFlight += batch.length;
    return new Promise<void>((resolve) => {
      try {
        this.exporter.export(batch, (result) => {
          if (result.code !== ExportResultCode.SUCCESS) this.dropped += batch.length;
          resolve();
        });
      } catch {
        this.dropped += batch.length;
        resolve();
      }
    }).finally(() => {
      this.inFlight -= batch.length;
    });
  }
}
