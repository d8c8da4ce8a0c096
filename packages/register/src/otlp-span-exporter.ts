import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { SyncCapableExporter } from './buffered-export-processor.js';
import { OtlpDestination, type OtlpBatch } from './otlp-destination.js';
import type { OtlpTarget } from './otlp-target.js';
import { Spool } from './spool/spool.js';

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
  /** Where batches wait while the collector is unreachable (TRACETAPE_SPOOL_DIR). */
  spoolDir: string;
  spoolMaxBytes: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** Failures of one kind are told once: a collector that refuses fails every batch the same way. */
function kindOf(error: unknown): string {
  if (error instanceof Error) return 'code' in error && error.code !== undefined ? `${error.name}:${String(error.code)}` : error.name;
  return 'unknown';
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
}

/**
 * Sends spans over OTLP/HTTP (protobuf), to `tracetape collector` or any OTLP receiver. Each batch
 * is encoded once and handed to a Spool: while the collector is unreachable the encoded request
 * waits on disk (files `*.otlp.pb`) and is sent again, in order, when it answers, by this process
 * or a later one. Like the ClickHouse exporter it never throws into the app: a batch the
 * collector refused, or that the full spool could not keep, is a drop, counted and told once per
 * kind on stderr.
 */
export class OtlpSpanExporter implements SyncCapableExporter {
  readonly spool: Spool<OtlpBatch>;
  private readonly destination: OtlpDestination;
  private readonly reportedKinds = new Set<string>();

  constructor(options: OtlpSpanExporterOptions) {
    this.destination = new OtlpDestination({
      target: options.target,
      syncTimeoutMs: options.syncTimeoutMs,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    this.spool = new Spool(this.destination, {
      dir: options.spoolDir,
      maxBytes: options.spoolMaxBytes,
      suffix: '.otlp.pb',
      lockName: 'otlp-drain.lock',
      ...(options.retryBaseMs !== undefined ? { retryBaseMs: options.retryBaseMs } : {}),
      ...(options.retryMaxMs !== undefined ? { retryMaxMs: options.retryMaxMs } : {}),
    });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const batch = this.encode(spans);
    if (!batch) return resultCallback({ code: ExportResultCode.FAILED, error: new Error('the spans could not be encoded as OTLP') });
    this.spool.send(batch).then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: unknown) => {
        this.report(spans.length, error);
        resultCallback({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
  }

  exportSync(spans: ReadableSpan[]): void {
    const batch = this.encode(spans);
    if (!batch) return;
    try {
      this.spool.sendSync(batch);
    } catch (error) {
      this.report(spans.length, error);
    }
  }

  /** Exit: batches still on their way are kept in the spool (a later run sends them). */
  shutdownSync(): void {
    try {
      this.spool.closeSync();
    } catch (error) {
      this.report(0, error);
    }
  }

  forceFlush(): Promise<void> {
    return this.destination.forceFlush();
  }

  async shutdown(): Promise<void> {
    await this.spool.close();
    await this.destination.shutdown();
  }

  private encode(spans: ReadableSpan[]): OtlpBatch | undefined {
    const body = ProtobufTraceSerializer.serializeRequest(spans);
    if (!body) {
      this.report(spans.length, new Error('the spans could not be encoded as OTLP'));
      return undefined;
    }
    return { body, spans: spans.length };
  }

  private report(count: number, error: unknown): void {
    const kind = kindOf(error);
    if (this.reportedKinds.has(kind)) return;
    this.reportedKinds.add(kind);
    const reason = reasonOf(error);
    const what = count > 0 ? `dropped ${count} span${count === 1 ? '' : 's'}` : 'dropped spans';
    process.stderr.write(
      `tracetape: ${what} bound for ${this.destination.url}: ${reason} ` +
        `(further drops of this kind are counted, not printed; the recording of this run is incomplete)\n`,
    );
  }
}
