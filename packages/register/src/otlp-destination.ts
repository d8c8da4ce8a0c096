import { ExportResultCode } from '@opentelemetry/core';
import { OTLPExporterError, type IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, type IExportTraceServiceResponse, type ISerializer } from '@opentelemetry/otlp-transformer';
import { runSyncWorker } from '@tracetape/clickhouse';
import { OtlpRefusedError, OtlpUnreachableError } from './otlp-errors.js';
import type { OtlpSyncFailure, OtlpSyncJob } from './otlp-sync-worker.js';
import type { OtlpTarget } from './otlp-target.js';
import type { SpoolDestination } from './spool/spool.js';

/** One export request, already encoded: what is sent is exactly what is spooled and sent again. */
export interface OtlpBatch {
  /** An ExportTraceServiceRequest, protobuf-encoded. */
  body: Uint8Array;
  spans: number;
}

export interface OtlpDestinationOptions {
  target: OtlpTarget;
  /** How long the synchronous send at process exit may block (the flush timeout). */
  syncTimeoutMs: number;
  /** Bound for one send, the exporter's own retries included. */
  timeoutMs?: number;
}

/** The spans are encoded before the spool sees them; the OpenTelemetry transport only has to carry the bytes. */
const ENCODED: ISerializer<OtlpBatch, IExportTraceServiceResponse> = {
  serializeRequest: (batch) => batch.body,
  deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
};

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? `${error.message}${'code' in error && typeof error.code === 'string' ? ` (${error.code})` : ''}` : String(error);
  return message.replace(/\s+/g, ' ').trim() || 'no reason given';
}

/**
 * An OTLP/HTTP (protobuf) receiver as a spool destination. Sending uses the OpenTelemetry HTTP
 * transport (so OTEL_EXPORTER_OTLP_* compression, headers, timeout and TLS settings apply, and its
 * retries for connection errors and 429/502/503/504); at exit, a child process posts the bytes,
 * since an 'exit' handler cannot wait for HTTP.
 */
export class OtlpDestination implements SpoolDestination<OtlpBatch> {
  readonly description: string;
  private readonly delegate: IOtlpExportDelegate<OtlpBatch>;

  constructor(private readonly options: OtlpDestinationOptions) {
    this.description = `the collector at ${options.target.url}`;
    const http = convertLegacyHttpOptions(
      {
        url: options.target.url,
        headers: options.target.headers,
        ...(options.timeoutMs !== undefined ? { timeoutMillis: options.timeoutMs } : {}),
      },
      'TRACES',
      'v1/traces',
      { 'Content-Type': 'application/x-protobuf' },
    );
    this.delegate = createOtlpHttpExportDelegate(http, ENCODED, 'otlp_http_span_exporter', { name: 'span', countItems: (batch) => batch.spans }, undefined);
  }

  get url(): string {
    return this.options.target.url;
  }

  send(batch: OtlpBatch): Promise<void> {
    return new Promise((resolve, reject) => {
      this.delegate.export(batch, (result) => {
        if (result.code === ExportResultCode.SUCCESS) return resolve();
        // The transport gives an HTTP status code only to answers that a retry would not change.
        const refused = result.error instanceof OTLPExporterError && typeof result.error.code === 'number';
        const reason = refused ? `HTTP ${String((result.error as OTLPExporterError).code)} ${reasonOf(result.error)}` : reasonOf(result.error);
        reject(refused ? new OtlpRefusedError(this.url, reason) : new OtlpUnreachableError(this.url, reason));
      });
    });
  }

  sendSync(batch: OtlpBatch): void {
    const job: OtlpSyncJob = { url: this.url, headers: this.options.target.headers, body: Buffer.from(batch.body).toString('base64') };
    const failure = runSyncWorker(new URL('./otlp-sync-worker.js', import.meta.url), job, this.options.syncTimeoutMs, 'send');
    if (failure === undefined) return;
    // The worker says whether the collector refused; anything else (a timeout, a failed start) is treated as "not there".
    let parsed: OtlpSyncFailure | undefined;
    try {
      // The worker's verdict is its last line; Node may have printed warnings before it.
      parsed = JSON.parse(failure.split('\n').at(-1) ?? '') as OtlpSyncFailure;
    } catch {
      parsed = undefined;
    }
    if (parsed?.refused) throw new OtlpRefusedError(this.url, parsed.message);
    throw new OtlpUnreachableError(this.url, parsed?.message ?? failure);
  }

  isUnavailable(error: unknown): boolean {
    return error instanceof OtlpUnreachableError;
  }

  spanCount(batch: OtlpBatch): number {
    return batch.spans;
  }

  encode(batch: OtlpBatch): Uint8Array {
    return batch.body;
  }

  decode(data: Buffer, spans: number): OtlpBatch {
    return { body: data, spans };
  }

  forceFlush(): Promise<void> {
    return this.delegate.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.delegate.shutdown();
  }
}
