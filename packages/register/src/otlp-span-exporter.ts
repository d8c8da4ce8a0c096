import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { runSyncWorker } from '@tracetape/clickhouse';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { SyncCapableExporter } from './buffered-export-processor.js';
import type { OtlpSyncJob } from './otlp-sync-worker.js';
import type { OtlpTarget } from './otlp-target.js';

export interface OtlpSpanExporterOptions {
  target: OtlpTarget;
  /** How long the synchronous send at process exit may block (the flush timeout). */
  syncTimeoutMs: number;
  /**
   * Bound for one export, retries included. An export still running when the app is done keeps
   * the process alive until it gives up, so by default this is the flush timeout, not the
   * exporter's 10 s (OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT still win when set).
   */
  timeoutMs?: number;
}

/** Where the worker lives: compiled next to this file, or as source when running from src. */
function workerPath(): string {
  const js = fileURLToPath(new URL('./otlp-sync-worker.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./otlp-sync-worker.ts', import.meta.url));
}

/** Failures of one kind are told once: a collector that is down fails every batch the same way. */
function kindOf(error: unknown): string {
  if (error instanceof Error) return 'code' in error && error.code !== undefined ? `${error.name}:${String(error.code)}` : error.name;
  return 'unknown';
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
}

/**
 * Sends spans over OTLP/HTTP (protobuf) with the OpenTelemetry exporter, to `tracetape collector`
 * or any OTLP receiver. The exporter sends asynchronously; for the 'exit' event, where nothing
 * asynchronous runs, exportSync encodes the spans the same way and blocks on a child process
 * that posts them (as ServerSpanStore does for its inserts). Like the ClickHouse exporter it
 * never throws into the app: a failed send is a drop, counted and told once per kind on stderr.
 */
export class OtlpSpanExporter implements SyncCapableExporter {
  private readonly exporter: OTLPTraceExporter;
  private readonly target: OtlpTarget;
  private readonly syncTimeoutMs: number;
  private readonly reportedKinds = new Set<string>();
  private inFlight = 0;

  constructor(options: OtlpSpanExporterOptions) {
    this.target = options.target;
    this.syncTimeoutMs = options.syncTimeoutMs;
    this.exporter = new OTLPTraceExporter({
      url: options.target.url,
      headers: options.target.headers,
      ...(options.timeoutMs !== undefined ? { timeoutMillis: options.timeoutMs } : {}),
    });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inFlight += spans.length;
    this.exporter.export(spans, (result) => {
      this.inFlight -= spans.length;
      if (result.code !== ExportResultCode.SUCCESS) this.report(spans.length, result.error);
      resultCallback(result);
    });
  }

  exportSync(spans: ReadableSpan[]): void {
    const body = ProtobufTraceSerializer.serializeRequest(spans);
    if (!body) return this.report(spans.length, new Error('the spans could not be encoded as OTLP'));
    const job: OtlpSyncJob = { url: this.target.url, headers: this.target.headers, body: Buffer.from(body).toString('base64') };
    const failure = runSyncWorker(workerPath(), job, this.syncTimeoutMs, 'send');
    if (failure) this.report(spans.length, new Error(failure));
  }

  shutdownSync(): void {
    // Requests still open when the process exits die with it; say so rather than lose them quietly.
    if (this.inFlight > 0) this.report(this.inFlight, new Error('they were still being sent when the process exited'));
  }

  forceFlush(): Promise<void> {
    return this.exporter.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }

  private report(count: number, error: unknown): void {
    const kind = kindOf(error);
    if (this.reportedKinds.has(kind)) return;
    this.reportedKinds.add(kind);
    const reason = reasonOf(error);
    process.stderr.write(
      `tracetape: dropped ${count} span${count === 1 ? '' : 's'} bound for ${this.target.url}: ${reason} ` +
        `(further drops of this kind are counted, not printed; the recording of this run is incomplete)\n`,
    );
  }
}
