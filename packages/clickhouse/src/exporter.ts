import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { DEFAULT_PAYLOAD_THRESHOLD_BYTES, offloadPayloads } from './payload-offload.js';
import { toSpanRow } from './span-rows.js';
import type { PayloadRow, SpanRow, SpanStore } from './store.js';

export interface ClickHouseSpanExporterOptions {
  store: SpanStore;
  /** Payload attributes larger than this move to the payload table (default 1024 bytes). */
  payloadThresholdBytes?: number;
  /** Told about every drop, e.g. to count or surface it; called in addition to the stderr notice. */
  onDrop?: (count: number, reason: string) => void;
}

export interface ExporterStats {
  /** Spans written to the store. */
  exported: number;
  /** Spans lost, for any reason. */
  dropped: number;
}

interface Converted {
  spans: SpanRow[];
  payloads: PayloadRow[];
}

interface QueuedInsert extends Converted {
  settle(result: ExportResult): void;
}

/** The batches of the insert the store is running; `finished` once an exit handler completed it. */
interface RunningInsert {
  merged: QueuedInsert[];
  spanCount: number;
  finished: boolean;
}

/**
 * Batches that arrive while an insert runs are merged into the next one, up to this many spans:
 * ClickHouse writes a part per insert, and a few large inserts cost far less than many small ones.
 */
export const MAX_SPANS_PER_INSERT = 16_384;

function errorKind(error: unknown): string {
  if (error instanceof Error) return 'code' in error && typeof error.code === 'string' ? error.code : error.name;
  return 'unknown';
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
}

/**
 * Writes finished spans to a SpanStore in the Collector's schema. It never throws into the app
 * (rule 10: nothing is lost silently, and nothing breaks the app either): failures become
 * ExportResultCode.FAILED, a drop count, and one stderr line per kind of failure.
 */
export class ClickHouseSpanExporter implements SpanExporter {
  private readonly store: SpanStore;
  private readonly thresholdBytes: number;
  private readonly onDrop: ((count: number, reason: string) => void) | undefined;
  private readonly reportedKinds = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  private queue: QueuedInsert[] = [];
  private draining: Promise<void> | undefined;
  private running: RunningInsert | undefined;
  private initialized: Promise<void> | undefined;
  private isShutdown = false;
  private exported = 0;
  private dropped = 0;

  constructor(options: ClickHouseSpanExporterOptions) {
    this.store = options.store;
    this.thresholdBytes = options.payloadThresholdBytes ?? DEFAULT_PAYLOAD_THRESHOLD_BYTES;
    this.onDrop = options.onDrop;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const work = this.exportAsync(spans).then(resultCallback);
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /**
   * For process 'exit' handlers: writes synchronously, reports instead of throwing. Batches still
   * queued behind a running insert are written with it: nothing asynchronous will run again.
   */
  exportSync(spans: ReadableSpan[]): ExportResult {
    this.finishRunningSync();
    const queued = this.queue.splice(0);
    if (this.isShutdown) {
      for (const q of queued) q.settle(this.fail(q.spans.length, new Error('the exporter was already shut down')));
      return this.fail(spans.length, new Error('the exporter was already shut down'));
    }
    const converted = this.convert(spans);
    const rows = [...queued.flatMap((q) => q.spans), ...converted.spans];
    if (rows.length === 0) return { code: ExportResultCode.SUCCESS };
    try {
      this.store.insertSync(rows, [...queued.flatMap((q) => q.payloads), ...converted.payloads]);
    } catch (error) {
      for (const q of queued) q.settle(this.fail(q.spans.length, error));
      return this.fail(converted.spans.length, error);
    }
    this.exported += rows.length;
    for (const q of queued) q.settle({ code: ExportResultCode.SUCCESS });
    return { code: ExportResultCode.SUCCESS };
  }

  /**
   * Last thing in a process 'exit' handler: completes the running insert and writes the batches
   * queued behind it, where the store can (see SpanStore.finishInsertsSync), then closes the store.
   */
  shutdownSync(): void {
    if (!this.isShutdown) this.exportSync([]);
    this.isShutdown = true;
    // Closing under a running insert would abort the engine; a store that cannot finish it leaves it to the exit.
    if (this.pending.size > 0 && !this.store.finishInsertsSync) return;
    try {
      this.store.closeSync();
    } catch {
      // The process is ending; a store that fails to close has nothing left to lose.
    }
  }

  /** Waits for exports already handed to the store. */
  async forceFlush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async shutdown(): Promise<void> {
    if (this.isShutdown) return;
    this.isShutdown = true;
    await this.forceFlush();
    await this.store.close();
  }

  stats(): ExporterStats {
    return { exported: this.exported, dropped: this.dropped };
  }

  private exportAsync(spans: ReadableSpan[]): Promise<ExportResult> {
    if (this.isShutdown) return Promise.resolve(this.fail(spans.length, new Error('the exporter was already shut down')));
    const converted = this.convert(spans);
    if (converted.spans.length === 0) return Promise.resolve({ code: ExportResultCode.SUCCESS });
    this.store.prepareRows?.(converted.spans, converted.payloads);
    const result = new Promise<ExportResult>((settle) => this.queue.push({ ...converted, settle }));
    this.draining ??= this.drainQueue().finally(() => {
      this.draining = undefined;
    });
    return result;
  }

  private async drainQueue(): Promise<void> {
    while (this.queue.length > 0) {
      // Batches stay in the queue until their insert can start, so exportSync can still take them.
      try {
        await this.ensureInit();
      } catch (error) {
        for (const m of this.queue.splice(0)) m.settle(this.fail(m.spans.length, error));
        return;
      }
      if (this.queue.length === 0) return;
      const merged: QueuedInsert[] = [];
      let spanCount = 0;
      while (this.queue.length > 0 && (merged.length === 0 || spanCount + this.queue[0]!.spans.length <= MAX_SPANS_PER_INSERT)) {
        const next = this.queue.shift()!;
        merged.push(next);
        spanCount += next.spans.length;
      }
      const running: RunningInsert = { merged, spanCount, finished: false };
      this.running = running;
      try {
        await this.store.insert(
          merged.flatMap((m) => m.spans),
          merged.flatMap((m) => m.payloads),
        );
      } catch (error) {
        if (!running.finished) for (const m of merged) m.settle(this.fail(m.spans.length, error));
        continue;
      } finally {
        this.running = undefined;
      }
      if (running.finished) continue;
      this.exported += spanCount;
      for (const m of merged) m.settle({ code: ExportResultCode.SUCCESS });
    }
  }

  /** At exit, the store's threads end with the process: it completes the running insert now, if it can. */
  private finishRunningSync(): void {
    const running = this.running;
    if (!running || running.finished || !this.store.finishInsertsSync) return;
    running.finished = true;
    try {
      this.store.finishInsertsSync();
    } catch (error) {
      for (const m of running.merged) m.settle(this.fail(m.spans.length, error));
      return;
    }
    this.exported += running.spanCount;
    for (const m of running.merged) m.settle({ code: ExportResultCode.SUCCESS });
  }

  // Once per exporter; a failed attempt is forgotten so the next batch tries again.
  private ensureInit(): Promise<void> {
    this.initialized ??= this.store.init().catch((error: unknown) => {
      this.initialized = undefined;
      throw error;
    });
    return this.initialized;
  }

  // One malformed span must not cost the whole batch: convert span by span.
  private convert(spans: ReadableSpan[]): Converted {
    const converted: Converted = { spans: [], payloads: [] };
    for (const span of spans) {
      try {
        const row = toSpanRow(span);
        converted.payloads.push(...offloadPayloads(row, { thresholdBytes: this.thresholdBytes }));
        converted.spans.push(row);
      } catch (error) {
        this.fail(1, error);
      }
    }
    return converted;
  }

  private fail(count: number, error: unknown): ExportResult {
    this.dropped += count;
    const reason = errorMessage(error);
    try {
      this.onDrop?.(count, reason);
    } catch {
      // A faulty callback must not turn a reported drop into a thrown one.
    }
    const kind = errorKind(error);
    if (!this.reportedKinds.has(kind)) {
      this.reportedKinds.add(kind);
      process.stderr.write(
        `tracetape: dropped ${count} span${count === 1 ? '' : 's'} bound for ${this.store.location}: ${reason} ` +
          `(further drops of this kind are counted, not printed; the recording of this run is incomplete)\n`,
      );
    }
    return { code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(reason) };
  }
}
