import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { RowBatchEncoder } from '@tracetape/clickhouse';
import { encodeRecord, encodeRowsRecord, RecordType, rowsRecordLength } from '@tracetape/log';

/**
 * Turns batches of spans into log records, one record per batch. A batch is built by add(), a few
 * spans at a time if need be, and closed by take().
 */
export interface RecordEncoder {
  /** Puts spans into the batch being built. */
  add(spans: readonly ReadableSpan[]): void;
  /** The batch built so far as one record; it may be a view into the encoder's own buffer: append it before the next add(). */
  take(): Buffer;
  /** The record take() made last is in the log. */
  appended(): void;
}

/**
 * OTLP/JSON ExportTraceServiceRequest records, the line the OpenTelemetry file exporter writes:
 * for a log shipped to a ClickHouse server or an OTLP collector, which take OTLP as it is.
 */
export class OtlpJsonEncoder implements RecordEncoder {
  // The OTLP serializer takes a whole request: spans wait here until the batch is taken.
  private spans: ReadableSpan[] = [];

  add(spans: readonly ReadableSpan[]): void {
    for (const span of spans) this.spans.push(span);
  }

  take(): Buffer {
    const spans = this.spans;
    this.spans = [];
    const request = JsonTraceSerializer.serializeRequest(spans);
    if (!request) throw new Error('the OTLP serializer produced nothing');
    return encodeRecord(RecordType.Spans, request);
  }

  appended(): void {}
}

/**
 * Rows records for the embedded store: the span and payload rows it inserts, already in RowBinary
 * (RowBatchEncoder), so ingest only concatenates them. Costs the app about what serialising
 * OTLP/JSON did (BENCHMARKS.md) and takes the parse-convert-encode work off ingest.
 */
export class RowsEncoder implements RecordEncoder {
  private readonly rows: RowBatchEncoder;
  // The record is appended synchronously before the next encode(), so one buffer serves every batch.
  private scratch = Buffer.allocUnsafeSlow(0);

  constructor(payloadThresholdBytes?: number) {
    this.rows = new RowBatchEncoder(payloadThresholdBytes);
  }

  add(spans: readonly ReadableSpan[]): void {
    this.rows.add(spans);
  }

  /** The record is a view into this encoder's buffer: valid until the next add(). */
  take(): Buffer {
    const batch = this.rows.take();
    const needed = rowsRecordLength(batch);
    if (this.scratch.length < needed) this.scratch = Buffer.allocUnsafeSlow(Math.max(needed, this.scratch.length * 2));
    return encodeRowsRecord(batch, this.scratch);
  }

  appended(): void {
    this.rows.kept();
  }
}
