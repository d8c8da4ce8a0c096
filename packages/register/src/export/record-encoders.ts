import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { RowBatchEncoder } from '@tracetape/clickhouse';
import { encodeRecord, encodeRowsRecord, RecordType, rowsRecordLength } from '@tracetape/log';

/** Turns one batch of spans into one log record. */
export interface RecordEncoder {
  /** The record may be a view into the encoder's own buffer: append it before the next encode(). */
  encode(spans: readonly ReadableSpan[]): Buffer;
  /** The record encode() made last is in the log. */
  appended(): void;
}

/**
 * OTLP/JSON ExportTraceServiceRequest records, the line the OpenTelemetry file exporter writes:
 * for a log shipped to a ClickHouse server or an OTLP collector, which take OTLP as it is.
 */
export class OtlpJsonEncoder implements RecordEncoder {
  encode(spans: readonly ReadableSpan[]): Buffer {
    const request = JsonTraceSerializer.serializeRequest([...spans]);
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

  /** The record is a view into this encoder's buffer: valid until the next encode(). */
  encode(spans: readonly ReadableSpan[]): Buffer {
    const batch = this.rows.encode(spans);
    const needed = rowsRecordLength(batch);
    if (this.scratch.length < needed) this.scratch = Buffer.allocUnsafeSlow(Math.max(needed, this.scratch.length * 2));
    return encodeRowsRecord(batch, this.scratch);
  }

  appended(): void {
    this.rows.kept();
  }
}
