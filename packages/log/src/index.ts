export {
  decodeControl,
  decodeRecords,
  encodeControl,
  encodeRecord,
  isRowsRecord,
  MAX_RECORD_BYTES,
  RECORD_HEADER_BYTES,
  RecordType,
  type ControlRecord,
  type DecodedRecords,
  type DecodeStop,
  type LogRecord,
} from './record-format.js';
export { LogReadError, LogWriteError, type LogWriteFailure } from './errors.js';
export { currentWriter, parseSegmentName, segmentFileName, SEGMENT_SUFFIX, writerKey, type SegmentName, type WriterIdentity } from './segment-name.js';
export { DEFAULT_LOG_MAX_BYTES, LogWriter, logDirBytes, type LogWriterOptions } from './log-writer.js';
export { DEFAULT_READ_BYTES, readSegment, type ReadBufferSource } from './segment-reader.js';
export { ensureSpaceReserve, hasSegments, listSegments, LOG_SUBDIR, logDirOf, SPACE_RESERVE_FILE, withSpaceReserve, type LogDestination, type SegmentFile } from './log-dir.js';
export { writerMayBeAlive } from './writer-liveness.js';
export { INGEST_STATE_FILE, IngestState, type IngestRange, type PendingIngest } from './ingest-state.js';
export { INGEST_LOCK_FILE, IngestLock, PidLock } from './ingest-lock.js';
export { settleSegments, type SegmentProgress, type SettledSegments, type SkippedBytes } from './settle-segments.js';
export { countSpans } from './span-count.js';
export { decodeRowsRecord, encodeRowsRecord, rowsRecordLength, type EncodedBatch } from './rows-record.js';
