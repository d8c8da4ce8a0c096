import { ExportResultCode } from '@opentelemetry/core';
import { OTLPExporterError, type IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { JsonTraceSerializer, type IExportTraceServiceResponse, type ISerializer } from '@opentelemetry/otlp-transformer';
import type { OtlpTarget } from '../otlp-target.js';
import { OtlpRefusedError, OtlpUnreachableError } from './otlp-errors.js';

/** One spans record of the log: already an OTLP/JSON ExportTraceServiceRequest. */
export interface OtlpBody {
  bytes: Uint8Array;
  spans: number;
}

export interface OtlpSenderOptions {
  target: OtlpTarget;
  /** Bound for one send, the transport's own retries included. */
  timeoutMs?: number;
}

/** The log holds encoded requests: the transport only carries the bytes, exactly as recorded. */
const AS_RECORDED: ISerializer<OtlpBody, IExportTraceServiceResponse> = {
  serializeRequest: (body) => body.bytes,
  deserializeResponse: (data) => JsonTraceSerializer.deserializeResponse(data),
};

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? `${error.message}${'code' in error && typeof error.code === 'string' ? ` (${error.code})` : ''}` : String(error);
  return message.replace(/\s+/g, ' ').trim() || 'no reason given';
}

/**
 * Posts OTLP/JSON requests through the OpenTelemetry HTTP transport, so the OTEL_EXPORTER_OTLP_*
 * compression, headers, timeout and TLS settings apply, and its retries for connection errors and
 * 429/502/503/504. Throws OtlpRefusedError when the collector said no for good, and
 * OtlpUnreachableError when trying again later may work.
 */
export class OtlpSender {
  readonly url: string;
  /** The configured headers, tracetape's internal-traffic marker among them. */
  readonly headers: Record<string, string>;
  private readonly delegate: IOtlpExportDelegate<OtlpBody>;

  constructor(options: OtlpSenderOptions) {
    this.url = options.target.url;
    this.headers = options.target.headers;
    const http = convertLegacyHttpOptions(
      {
        url: options.target.url,
        headers: options.target.headers,
        ...(options.timeoutMs !== undefined ? { timeoutMillis: options.timeoutMs } : {}),
      },
      'TRACES',
      'v1/traces',
      { 'Content-Type': 'application/json' },
    );
    this.delegate = createOtlpHttpExportDelegate(http, AS_RECORDED, 'otlp_http_span_exporter', { name: 'span', countItems: (body) => body.spans }, undefined);
  }

  send(body: OtlpBody): Promise<void> {
    return new Promise((resolve, reject) => {
      this.delegate.export(body, (result) => {
        if (result.code === ExportResultCode.SUCCESS) return resolve();
        // The transport gives an HTTP status code only to answers that a retry would not change.
        const refused = result.error instanceof OTLPExporterError && typeof result.error.code === 'number';
        const reason = refused ? `HTTP ${String((result.error as OTLPExporterError).code)} ${reasonOf(result.error)}` : reasonOf(result.error);
        reject(refused ? new OtlpRefusedError(this.url, reason) : new OtlpUnreachableError(this.url, reason));
      });
    });
  }

  shutdown(): Promise<void> {
    return this.delegate.shutdown();
  }
}
