import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { DEFAULT_PAYLOAD_THRESHOLD_BYTES, offloadPayloads } from './payload-offload.js';
import { toSpanRow } from './span-rows.js';
import type { PayloadRow, SpanRow, SpanStore } from './store.js';

export interface ClickHouseSpanExporterOptions {
  store: SpanStore;
  /** Payload attributes larger than this move to the payload table (default 2048 bytes). */
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

  /** For process 'exit' handlers: writes synchronously, reports instead of throwing. */
  exportSync(spans: ReadableSpan[]): ExportResult {
    if (this.isShutdown) return this.fail(spans.length, new Error('the exporter was already shut down'));
    const { spans: rows, payloads } = this.convert(spans);
    if (rows.length === 0) return { code: ExportResultCode.SUCCESS };
    try {
      this.store.insertSync(rows, payloads);
    } catch (error) {
      return this.fail(rows.length, error);
    }
    this.exported += rows.length;
    return { code: ExportResultCode.SUCCESS };
  }

  /** Closes the store synchronously, last thing in a process 'exit' handler. */
  shutdownSync(): void {
    this.isShutdown = true;
    // Closing under a running insert would abort the engine; better to leave it to the exit.
    if (this.pending.size > 0) return;
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

  private async exportAsync(spans: ReadableSpan[]): Promise<ExportResult> {
    if (this.isShutdown) return this.fail(spans.length, new Error('the exporter was already shut down'));
    const { spans: rows, payloads } = this.convert(spans);
    if (rows.length === 0) return { code: ExportResultCode.SUCCESS };
    try {
      await this.ensureInit();
      await this.store.insert(rows, payloads);
    } catch (error) {
      return this.fail(rows.length, error);
    }
    this.exported += rows.length;
    return { code: ExportResultCode.SUCCESS };
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
