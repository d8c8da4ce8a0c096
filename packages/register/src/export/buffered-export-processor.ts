import { TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';

/** An exporter that can also write synchronously, for the process 'exit' event where nothing async runs. */
export interface SyncCapableExporter extends SpanExporter {
  exportSync?(spans: ReadableSpan[]): void;
  shutdownSync?(): void;
}

/**
 * An exporter that can build a batch a few spans at a time (stage) and write it later (commit),
 * both synchronously: the processor then encodes in short slices when the app is idle.
 */
export interface StagingExporter extends SyncCapableExporter {
  stage(spans: readonly ReadableSpan[]): ExportResult;
  commit(): ExportResult;
  readonly stagedSpans: number;
}

export function isStagingExporter(exporter: SyncCapableExporter): exporter is StagingExporter {
  return typeof (exporter as Partial<StagingExporter>).stage === 'function' && typeof (exporter as Partial<StagingExporter>).commit === 'function';
}

export interface BufferedExportOptions {
  maxBatchSize?: number;
  scheduledDelayMs?: number;
  /** Spans held at most while the store is slow; beyond it new spans are dropped and counted. */
  maxQueueSize?: number;
  /** Told of each span the full queue dropped, so the loss is known per trace. */
  onQueueDrop?: (span: ReadableSpan) => void;
  /**
   * With a staging exporter: the longest the app's thread encodes spans in one go while it keeps
   * up (default 0.25 ms). A backlog of a whole batch is encoded at once, so the queue never grows
   * without bound under load.
   */
  sliceBudgetMs?: number;
  /**
   * With a staging exporter: how long a span that ends on an empty queue waits before it is
   * encoded (default 5 ms). A call that just ended is often followed at once by the app's next
   * one, whose request should go out before capture's work on the last (BENCHMARKS.md, SSE).
   */
  firstSliceDelayMs?: number;
  /**
   * With a staging exporter: how long spans wait, at most, for a resource detector that answers
   * later (default 2 s); past it, or once a batch has piled up, they are encoded without its
   * attributes.
   */
  maxResourceWaitMs?: number;
}

// One span at a time between clock checks: a span with a large payload can take 50 µs alone.
const SPANS_PER_STEP = 1;

/**
 * Batches ended spans like the SDK's BatchSpanProcessor, and can also hand what is left to the
 * exporter synchronously on exit, which the SDK's processor cannot: a script that calls
 * process.exit() right after its last call keeps its spans.
 *
 * With a staging exporter (the recording log), spans are encoded as they end, in slices of a
 * fraction of a millisecond run from setImmediate, and the batch is written once full or after
 * the delay. Encoding a whole batch at once paused the app for tens of milliseconds: the calls in
 * flight at that moment were the slowest of the run (BENCHMARKS.md, databases).
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
  private readonly staging: StagingExporter | undefined;
  private readonly sliceBudgetMs: number;
  private readonly firstSliceDelayMs: number;
  private readonly maxResourceWaitMs: number;
  private slice: { kind: 'immediate'; handle: NodeJS.Immediate } | { kind: 'timeout'; handle: NodeJS.Timeout } | undefined;
  /** Resources whose detectors were awaited, answered or not: awaited once each. */
  private readonly awaitedResources = new WeakSet<object>();
  /** Set while a queued span's resource still waits for its detectors: spans are encoded after. */
  private resourcesSettling: Promise<void> | undefined;

  constructor(
    private readonly exporter: SyncCapableExporter,
    options: BufferedExportOptions = {},
  ) {
    // Converting and inserting a batch runs on the app's thread: small batches keep each pause short.
    this.maxBatchSize = options.maxBatchSize ?? 128;
    this.scheduledDelayMs = options.scheduledDelayMs ?? 1000;
    this.maxQueueSize = options.maxQueueSize ?? 50_000;
    this.onQueueDrop = options.onQueueDrop;
    this.staging = isStagingExporter(exporter) ? exporter : undefined;
    this.sliceBudgetMs = options.sliceBudgetMs ?? 0.25;
    this.firstSliceDelayMs = options.firstSliceDelayMs ?? 5;
    this.maxResourceWaitMs = options.maxResourceWaitMs ?? 2_000;
  }

  get droppedSpans(): number {
    return this.dropped;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queue.length + this.inFlight + (this.staging?.stagedSpans ?? 0) >= this.maxQueueSize) {
      this.dropped++;
      this.onQueueDrop?.(span);
      return;
    }
    this.queue.push(span);
    this.awaitResourceOf(span);
    if (this.staging) this.scheduleSlice();
    else if (this.queue.length >= this.maxBatchSize) this.exportQueued();
    else this.schedule();
  }

  async forceFlush(): Promise<void> {
    // A flush the app asks for can wait (bounded) for a resource's late attributes; the exit path cannot.
    if (this.staging && this.resourcesSettling) await this.resourcesSettling;
    if (this.staging) this.commitAll(this.staging);
    else this.exportQueued();
    await this.exporting;
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    await this.exporter.shutdown();
  }

  /** Exports everything still queued synchronously and closes the exporter: the process is exiting. */
  flushAndCloseSync(): void {
    if (this.staging) this.commitAll(this.staging);
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
      if (this.staging) this.commitAll(this.staging);
      else this.exportQueued();
    }, this.scheduledDelayMs);
    // Pending telemetry must not keep a finished app alive; exit hooks flush what is left.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * A resource detector that answers later (the host's ID, read from a file on Linux) leaves the
   * resource pending until someone awaits it, as the SDK's own batch processor does before each
   * export. Nothing else does here: unawaited, every row lacked those attributes, and the
   * resource's attributes were rebuilt for every span instead of read once. Encoding waits for it
   * the first time, bounded in time and by a batch (a detector that never answers must not hold the
   * recording back, nor its spans in memory); the exit path, which cannot wait, encodes what is known.
   * Only the staging path waits: it is the one the recording log uses.
   */
  private awaitResourceOf(span: ReadableSpan): void {
    const resource = span.resource;
    if (!resource.asyncAttributesPending || typeof resource.waitForAsyncAttributes !== 'function' || this.awaitedResources.has(resource)) return;
    this.awaitedResources.add(resource);
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.maxResourceWaitMs);
      timer.unref();
      // A detector that failed leaves its attribute out; the spans go on without it.
      try {
        resource.waitForAsyncAttributes!().then(resolve, resolve);
      } catch {
        resolve();
      }
    }).finally(() => clearTimeout(timer));
    const all = Promise.all([this.resourcesSettling, waited]).then(() => {
      if (this.resourcesSettling !== all) return;
      this.resourcesSettling = undefined;
      if (this.queue.length > 0 && this.staging) this.scheduleSlice();
    });
    this.resourcesSettling = all;
  }

  /** Whether queued spans may be encoded now: no resource is awaited, or a batch is waiting anyway. */
  private mayEncode(): boolean {
    return this.resourcesSettling === undefined || this.queue.length >= this.maxBatchSize;
  }

  private scheduleSlice(): void {
    // While a resource is awaited, the slice is scheduled once it is in (awaitResourceOf).
    if (!this.mayEncode()) return;
    if (this.slice?.kind === 'timeout' && this.queue.length >= this.maxBatchSize) {
      // A batch has piled up behind the waiting span: no more waiting, the queue must not outgrow the app.
      clearTimeout(this.slice.handle);
      this.slice = undefined;
    }
    if (this.slice) return;
    const run = (): void => {
      this.slice = undefined;
      // A slice scheduled before a resource came to be awaited waits for it too.
      if (this.staging && this.mayEncode()) this.encodeSlice(this.staging);
    };
    // A lone span after a quiet spell waits a little; spans already queued behind others go on at once.
    this.slice =
      this.queue.length === 1 && this.firstSliceDelayMs > 0
        ? { kind: 'timeout', handle: setTimeout(run, this.firstSliceDelayMs) }
        : { kind: 'immediate', handle: setImmediate(run) };
    // Like the timer: exit hooks write what is left.
    this.slice.handle.unref();
  }

  /** Encodes queued spans for about the slice budget, or the whole backlog when it is a batch or more. */
  private encodeSlice(staging: StagingExporter): void {
    const backlog = this.queue.length >= this.maxBatchSize;
    const started = performance.now();
    do {
      this.stage(staging, this.queue.splice(0, backlog ? this.maxBatchSize : SPANS_PER_STEP));
      if (staging.stagedSpans >= this.maxBatchSize) this.commit(staging);
    } while (this.queue.length > 0 && (backlog || performance.now() - started < this.sliceBudgetMs));
    if (this.queue.length > 0) this.scheduleSlice();
    else if (staging.stagedSpans > 0) this.schedule();
  }

  private commitAll(staging: StagingExporter): void {
    if (this.slice?.kind === 'immediate') clearImmediate(this.slice.handle);
    else if (this.slice?.kind === 'timeout') clearTimeout(this.slice.handle);
    this.slice = undefined;
    this.clearTimer();
    while (this.queue.length > 0) this.stage(staging, this.queue.splice(0, this.maxBatchSize));
    this.commit(staging);
  }

  private stage(staging: StagingExporter, spans: ReadableSpan[]): void {
    if (staging.stage(spans).code !== ExportResultCode.SUCCESS) this.dropped += spans.length;
  }

  private commit(staging: StagingExporter): void {
    const count = staging.stagedSpans;
    if (count > 0 && staging.commit().code !== ExportResultCode.SUCCESS) this.dropped += count;
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
