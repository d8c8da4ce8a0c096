import { LogReadError } from './errors.js';
import { crc32 } from 'node:zlib';
import { RECORD_HEADER_BYTES, RECORD_MAGIC, RecordType, type LogRecord } from './record-format.js';

/**
 * A rows record's payload: the batch already in the store's insert encoding (ClickHouse RowBinary),
 * so moving it into the store is concatenation rather than parsing and converting (BENCHMARKS.md,
 * ingest). The log does not read the rows; it only keeps the two blocks apart and counted.
 *
 *   offset  bytes
 *        0      4  span rows, little-endian
 *        4      4  byte length of the span rows' block
 *        8      4  payload rows, little-endian
 *       12      4  byte length of the payload rows' block
 *       16      …  span rows' block, then payload rows' block
 */
const ROWS_HEADER_BYTES = 16;

/** One batch of encoded rows, as a rows record carries it. */
export interface EncodedBatch {
  spanRows: number;
  spans: Uint8Array;
  payloadRows: number;
  payloads: Uint8Array;
}

/** The bytes encodeRowsRecord() makes of `batch`: how large a scratch buffer must be. */
export function rowsRecordLength(batch: Pick<EncodedBatch, 'spans' | 'payloads'>): number {
  return RECORD_HEADER_BYTES + ROWS_HEADER_BYTES + batch.spans.byteLength + batch.payloads.byteLength;
}

/**
 * The whole framed record (record header, rows header, blocks) in one buffer. With `scratch`, in
 * that buffer when it is large enough, and the record is then a view into it: valid until the
 * scratch is written again. A writer appending every second keeps its pages mapped that way.
 */
export function encodeRowsRecord(batch: EncodedBatch, scratch?: Buffer): Buffer {
  const total = rowsRecordLength(batch);
  const payloadBytes = total - RECORD_HEADER_BYTES;
  const record = scratch && scratch.length >= total ? scratch.subarray(0, total) : Buffer.allocUnsafe(total);
  const payload = record.subarray(RECORD_HEADER_BYTES);
  payload.writeUInt32LE(batch.spanRows, 0);
  payload.writeUInt32LE(batch.spans.byteLength, 4);
  payload.writeUInt32LE(batch.payloadRows, 8);
  payload.writeUInt32LE(batch.payloads.byteLength, 12);
  payload.set(batch.spans, ROWS_HEADER_BYTES);
  payload.set(batch.payloads, ROWS_HEADER_BYTES + batch.spans.byteLength);
  RECORD_MAGIC.copy(record, 0);
  record.writeUInt32LE(RecordType.Rows, 4);
  record.writeUInt32LE(payloadBytes, 8);
  record.writeUInt32LE(crc32(payload), 12);
  return record;
}

/** The blocks of a rows record, as views into its payload (no copy). */
export function decodeRowsRecord(record: Pick<LogRecord, 'payload' | 'offset'>): { spanRows: number; spans: Buffer; payloadRows: number; payloads: Buffer } {
  const { payload } = record;
  const spanBytes = payload.length >= ROWS_HEADER_BYTES ? payload.readUInt32LE(4) : -1;
  const payloadBytes = payload.length >= ROWS_HEADER_BYTES ? payload.readUInt32LE(12) : -1;
  // The CRC already vouches for the bytes; a mismatch here is a writer bug, said as such.
  if (spanBytes < 0 || ROWS_HEADER_BYTES + spanBytes + payloadBytes !== payload.length) {
    throw new LogReadError(`the rows record at offset ${record.offset} has blocks that do not add up to its ${payload.length} bytes`);
  }
  return {
    spanRows: payload.readUInt32LE(0),
    spans: payload.subarray(ROWS_HEADER_BYTES, ROWS_HEADER_BYTES + spanBytes),
    payloadRows: payload.readUInt32LE(8),
    payloads: payload.subarray(ROWS_HEADER_BYTES + spanBytes),
  };
}

/** The span rows a rows record holds, from its header alone. */
export function rowsRecordSpans(record: Pick<LogRecord, 'payload'>): number {
  return record.payload.length >= ROWS_HEADER_BYTES ? record.payload.readUInt32LE(0) : 0;
}
