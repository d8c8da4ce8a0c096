import { crc32 } from 'node:zlib';

/**
 * One record of a log segment: a 16-byte header, then the payload.
 *
 *   0  4  magic "TTR1"
 *   4  1  record type (RecordType)
 *   5  3  zero
 *   8  4  payload length, little-endian
 *  12  4  CRC-32 of the payload, little-endian
 *
 * Self-delimiting and checksummed, so a reader can tell a record a writer is still appending
 * (too few bytes yet) from one a crash tore or the disk damaged (bad magic, length or checksum).
 */
export const RECORD_MAGIC = Buffer.from('TTR1', 'latin1');
export const RECORD_HEADER_BYTES = 16;
/** A record this large is a damaged length field, not a batch: the writer never makes one. */
export const MAX_RECORD_BYTES = 1024 * 1024 * 1024;

export enum RecordType {
  /** An OTLP/JSON ExportTraceServiceRequest: one line of the OpenTelemetry file exporter's format. */
  Spans = 1,
  /** A small JSON object ({@link ControlRecord}): a run started, spans lost, the writer closed. */
  Control = 2,
  /**
   * A rows record written before payload rows named their trace: its payload rows have the
   * columns Hash, Data, Size, Timestamp. Still read: ingest gives them an empty TraceId.
   */
  RowsWithoutTraceIds = 3,
  /** A batch already encoded as the store's rows (ClickHouse RowBinary): see rows-record.ts. */
  Rows = 4,
}

/** A batch of rows, in today's layout or the one before. */
export function isRowsRecord(type: RecordType | undefined): boolean {
  return type === RecordType.Rows || type === RecordType.RowsWithoutTraceIds;
}

/** What a writer says about itself beside its spans. */
export type ControlRecord =
  | { kind: 'run-start'; traceId: string; spanId: string; name: string; pid: number; processPath: string; serviceName: string; startNs: string }
  | { kind: 'loss'; traceId: string; spans: number; reason: string }
  | { kind: 'end'; pid: number; /** False when the writer only moved on to its next segment. */ final: boolean };

export interface LogRecord {
  type: RecordType;
  /** Offset of the record's header in its segment. */
  offset: number;
  /** Offset just past the record: where the next one starts. */
  end: number;
  payload: Buffer;
}

export function encodeRecord(type: RecordType, payload: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.byteLength);
  RECORD_MAGIC.copy(record, 0);
  record.writeUInt32LE(type, 4);
  record.writeUInt32LE(payload.byteLength, 8);
  record.writeUInt32LE(crc32(payload), 12);
  record.set(payload, RECORD_HEADER_BYTES);
  return record;
}

export function encodeControl(control: ControlRecord): Buffer {
  return encodeRecord(RecordType.Control, Buffer.from(JSON.stringify(control)));
}

export function decodeControl(record: LogRecord): ControlRecord {
  return JSON.parse(record.payload.toString('utf8')) as ControlRecord;
}

export type DecodeStop =
  /** Everything was read. */
  | { kind: 'clean' }
  /** The bytes end inside a record: still being written, or torn if its writer is gone. */
  | { kind: 'incomplete'; offset: number }
  /** Bytes that are no record: a torn write followed by more, or damage. Nothing after it is read. */
  | { kind: 'corrupt'; offset: number; reason: string };

export interface DecodedRecords {
  records: LogRecord[];
  /** Offset just past the last whole record. */
  next: number;
  stop: DecodeStop;
}

/** Reads the whole records in `bytes`, which start at `baseOffset` of their segment. */
export function decodeRecords(bytes: Buffer, baseOffset = 0): DecodedRecords {
  const records: LogRecord[] = [];
  let at = 0;
  const stopAt = (stop: DecodeStop): DecodedRecords => ({ records, next: baseOffset + at, stop });
  while (at < bytes.length) {
    if (bytes.length - at < RECORD_HEADER_BYTES) {
      // A header cut short may still be a torn one; a partial magic that is wrong is damage.
      const have = bytes.subarray(at, at + Math.min(4, bytes.length - at));
      if (!RECORD_MAGIC.subarray(0, have.length).equals(have)) return stopAt({ kind: 'corrupt', offset: baseOffset + at, reason: 'bad record header' });
      return stopAt({ kind: 'incomplete', offset: baseOffset + at });
    }
    if (!bytes.subarray(at, at + 4).equals(RECORD_MAGIC)) return stopAt({ kind: 'corrupt', offset: baseOffset + at, reason: 'bad record header' });
    const type = bytes.readUInt32LE(at + 4);
    const length = bytes.readUInt32LE(at + 8);
    if ((type !== RecordType.Spans && type !== RecordType.Control && !isRowsRecord(type)) || length > MAX_RECORD_BYTES) {
      return stopAt({ kind: 'corrupt', offset: baseOffset + at, reason: 'bad record header' });
    }
    const end = at + RECORD_HEADER_BYTES + length;
    if (end > bytes.length) return stopAt({ kind: 'incomplete', offset: baseOffset + at });
    const payload = bytes.subarray(at + RECORD_HEADER_BYTES, end);
    if (crc32(payload) !== bytes.readUInt32LE(at + 12)) return stopAt({ kind: 'corrupt', offset: baseOffset + at, reason: 'checksum mismatch' });
    records.push({ type, offset: baseOffset + at, end: baseOffset + end, payload });
    at = end;
  }
  return stopAt({ kind: 'clean' });
}
