import path from 'node:path';
import {
  DEFAULT_PAYLOAD_THRESHOLD_BYTES,
  RowBinaryWriter,
  withEmptyTraceIds,
  writePayloadRow,
  writeSpanRow,
  type PayloadRow,
  type SpanRow,
  type SpanStore,
} from '@tracetape/clickhouse';
import { sha256Hex } from '@tracetape/core';
import {
  countSpans,
  decodeControl,
  decodeRowsRecord,
  ensureSpaceReserve,
  IngestLock,
  IngestState,
  isRowsRecord,
  listSegments,
  LogReadError,
  readSegment,
  RecordType,
  settleSegments,
  writerKey,
  writerMayBeAlive,
  type IngestRange,
  type LogRecord,
  type SegmentFile,
  type SegmentProgress,
  type SkippedBytes,
} from '@tracetape/log';
import { decodeJsonRequest } from '../decode-json.js';
import { convertRequest } from '../span-rows.js';
import { ReadBuffers } from './read-buffers.js';
import { RunRowsBuilder } from './run-rows.js';

export interface LogIngesterOptions {
  store: SpanStore;
  /** The recording log directory. */
  logDir: string;
  /** An insert takes records until it holds this many spans (default 16,384)… */
  maxSpansPerInsert?: number;
  /** …or this many bytes of records (default 64 MiB): large inserts, bounded memory. */
  maxBytesPerInsert?: number;
  /** OTLP/JSON records only: payload attributes above this size move to the payload table. */
  payloadThresholdBytes?: number;
}


export interface IngestReport {
  /** Spans stored by this pass. */
  spans: number;
  inserts: number;
  /** Segments fully stored and removed. */
  removedSegments: number;
  skipped: SkippedBytes[];
  /** Spans in the log that could not be stored (not a span OTLP can carry), with why. */
  rejected: { count: number; reasons: string[] };
  /** Set when another process is ingesting this log: nothing was done. */
  busyPid?: number;
}

/** A segment's progress in this pass, and where the insert being gathered reads it from. */
interface ReadProgress extends SegmentProgress {
  writer: string;
}

interface Gathered {
  ranges: IngestRange[];
  /** Each record with its writer and the segment file it was read from. */
  records: { writer: string; segment: string; record: LogRecord }[];
  spans: number;
  /** The insert is full: more records are waiting. */
  full: boolean;
}

/** The blocks of rows already encoded for a store that takes them (insertEncoded). */
interface EncodedBlocks {
  spanRows: number;
  spans: Uint8Array[];
  payloadRows: number;
  payloads: Uint8Array[];
}

/** An insert's records decoded and converted into rows, ready for the store. */
interface Converted {
  gathered: Gathered;
  /** Set when the store takes encoded rows: every span of the insert is here, not in `spans`. */
  encoded?: EncodedBlocks;
  spans: SpanRow[];
  payloads: PayloadRow[];
  runs: RunRowsBuilder;
  rejected: { count: number; reasons: string[] };
}

const DEFAULT_MAX_SPANS = 16_384;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const READ_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Moves the recording log into the store, exactly once: each insert is announced in the ingest
 * state (its segment ranges) before it runs and committed after, so an ingester killed mid-insert
 * redoes exactly the same rows, which the store's insert deduplication token then drops as a
 * copy. Segments whose writer is done are removed once stored. One ingester per log at a time.
 */
export class LogIngester {
  private readonly store: SpanStore;
  private readonly logDir: string;
  private readonly maxSpans: number;
  private readonly maxBytes: number;
  private readonly thresholdBytes: number;
  private readonly lock: IngestLock;
  private initialized = false;
  private readonly buffers = new ReadBuffers();

  constructor(options: LogIngesterOptions) {
    this.store = options.store;
    this.logDir = options.logDir;
    this.maxSpans = options.maxSpansPerInsert ?? DEFAULT_MAX_SPANS;
    this.maxBytes = options.maxBytesPerInsert ?? DEFAULT_MAX_BYTES;
    this.thresholdBytes = options.payloadThresholdBytes ?? DEFAULT_PAYLOAD_THRESHOLD_BYTES;
    this.lock = new IngestLock(this.logDir);
  }

  /** One pass: everything complete in the log now is stored when it returns. */
  async ingest(): Promise<IngestReport> {
    const report: IngestReport = { spans: 0, inserts: 0, removedSegments: 0, skipped: [], rejected: { count: 0, reasons: [] } };
    if (listSegments(this.logDir).length === 0) return report;
    if (!this.lock.tryAcquire()) {
      report.busyPid = this.lock.owner();
      return report;
    }
    try {
      if (!this.initialized) {
        await this.store.init();
        this.initialized = true;
      }
      const state = new IngestState(this.logDir);
      if (state.pending) {
        // A pass before this one died inside this insert: the same ranges, the same rows, deduplicated.
        const redo = this.convert(this.reread(state.pending.ranges));
        await this.insert(redo, state.pending.id, report);
        state.commit();
        this.buffers.release();
      }
      const progress = new Map<string, ReadProgress>();
      for (;;) {
        const current = this.convert(this.gather(listSegments(this.logDir), state, progress), progress);
        if (current.gathered.ranges.length === 0) break;
        const id = sha256Hex(JSON.stringify(current.gathered.ranges));
        state.begin({ id, ranges: current.gathered.ranges });
        await this.insert(current, id, report);
        state.commit();
        this.buffers.release();
        if (!current.gathered.full) break;
      }
      await this.settle(state, progress, report);
      // The log was moved out: room again for the reserve a full disk would need next time.
      ensureSpaceReserve(this.logDir);
      return report;
    } finally {
      this.buffers.release();
      this.lock.release();
    }
  }

  /** Reads records from each segment's offset on, up to the insert's bounds. */
  private gather(segments: SegmentFile[], state: IngestState, progress: Map<string, ReadProgress>): Gathered {
    const gathered: Gathered = { ranges: [], records: [], spans: 0, full: false };
    let bytes = 0;
    for (const segment of segments) {
      // Where this pass got to: the committed offset, or past it once this pass stored more.
      const from = progress.get(segment.file)?.offset ?? state.offset(segment.file);
      const entry: ReadProgress = progress.get(segment.file) ?? { segment, writer: writerKey(segment), offset: from, ended: false, writerGone: false };
      entry.segment = segment;
      progress.set(segment.file, entry);
      if (gathered.full) continue;
      entry.writerGone = !writerMayBeAlive(segment);
      let to = from;
      // Read in chunks, not the whole byte bound at once: an insert full by span count stops early,
      // and nothing past it is read (nor checksummed) only to be read again for the next insert.
      for (;;) {
        const read = readSegment(segment.path, to, Math.min(READ_CHUNK_BYTES, Math.max(1, this.maxBytes - bytes)), this.buffers.take);
        if (read.stop.kind === 'corrupt') entry.corruptAt = { offset: read.stop.offset, reason: read.stop.reason };
        for (const record of read.records) {
          if (gathered.records.length > 0 && (gathered.spans >= this.maxSpans || bytes >= this.maxBytes)) {
            gathered.full = true;
            break;
          }
          gathered.records.push({ writer: entry.writer, segment: segment.file, record });
          gathered.spans += countSpans(record);
          bytes += record.end - record.offset;
          to = record.end;
        }
        if (gathered.full || gathered.spans >= this.maxSpans || bytes >= this.maxBytes) {
          gathered.full = true;
          break;
        }
        // More whole records wait past this chunk only when it stopped cleanly short of the file's end.
        if (read.stop.kind !== 'clean' || read.next >= read.size || read.records.length === 0) break;
      }
      if (to > from) gathered.ranges.push({ segment: segment.file, from, to });
      entry.offset = to;
    }
    return gathered;
  }

  private reread(ranges: IngestRange[]): Gathered {
    const gathered: Gathered = { ranges, records: [], spans: 0, full: false };
    const segments = new Map(listSegments(this.logDir).map((s) => [s.file, s]));
    for (const range of ranges) {
      const segment = segments.get(range.segment);
      if (!segment) continue;
      const read = readSegment(segment.path, range.from, range.to - range.from, this.buffers.take);
      for (const record of read.records) {
        if (record.end > range.to) break;
        gathered.records.push({ writer: writerKey(segment), segment: range.segment, record });
      }
    }
    return gathered;
  }

  /**
   * A rows record's blocks, its payload rows in today's columns (blocks go into one insert
   * together, so a log an earlier tracetape wrote joins in). A record whose checksum holds but
   * whose rows do not parse was written so by its recorder, and every later pass meets it again:
   * the error says which file holds it and how ingest gets past it.
   */
  private readRows(record: LogRecord, segment: string): { rows: ReturnType<typeof decodeRowsRecord>; payloads: Uint8Array } {
    try {
      const rows = decodeRowsRecord(record);
      return { rows, payloads: record.type === RecordType.RowsWithoutTraceIds ? upgradedPayloads(rows.payloads, record.offset) : rows.payloads };
    } catch (error) {
      if (!(error instanceof LogReadError)) throw error;
      const file = path.join(this.logDir, segment);
      throw new LogReadError(
        `${error.message}, in ${file}. Ingest stops at this record on every pass. Keep a copy of that file for a bug report; once the process that wrote it has ended, move it out of ${this.logDir} to store the rest of the log (what the file holds is not stored).`,
        error,
      );
    }
  }

  /**
   * Turns the records into what the store inserts. Rows records are taken as they are; OTLP/JSON
   * records are decoded and converted, then encoded alike where the store takes encoded rows.
   */
  private convert(gathered: Gathered, progress?: Map<string, ReadProgress>): Converted {
    const converted: Converted = { gathered, spans: [], payloads: [], runs: new RunRowsBuilder(BigInt(Date.now()) * 1_000_000n), rejected: { count: 0, reasons: [] } };
    const encoded: EncodedBlocks | undefined = this.store.insertEncoded ? { spanRows: 0, spans: [], payloadRows: 0, payloads: [] } : undefined;
    if (encoded) converted.encoded = encoded;
    for (const { writer, segment, record } of gathered.records) {
      if (record.type === RecordType.Control) {
        const control = decodeControl(record);
        converted.runs.add(writer, control);
        if (control.kind === 'end' && control.final && progress) {
          for (const entry of progress.values()) if (entry.writer === writer) entry.ended = true;
        }
        continue;
      }
      if (isRowsRecord(record.type)) {
        if (!encoded) {
          throw new LogReadError(
            `${this.logDir} holds rows for the embedded store, and ${this.store.location} does not take them: ingest this log into the embedded store (unset TRACETAPE_CLICKHOUSE_URL), or record again with the server as destination`,
          );
        }
        const { rows, payloads } = this.readRows(record, segment);
        encoded.spanRows += rows.spanRows;
        encoded.spans.push(rows.spans);
        encoded.payloadRows += rows.payloadRows;
        encoded.payloads.push(payloads);
        continue;
      }
      const rows = convertRequest(decodeJsonRequest(record.payload), this.thresholdBytes);
      converted.rejected.count += rows.rejected.count;
      for (const reason of rows.rejected.reasons) if (converted.rejected.reasons.length < 5) converted.rejected.reasons.push(reason);
      if (encoded) {
        encodeInto(encoded, rows.rows, rows.payloads);
      } else {
        for (const row of rows.rows) converted.spans.push(row);
        for (const payload of rows.payloads) converted.payloads.push(payload);
      }
    }
    return converted;
  }

  /** `id` names the insert: the same ranges always get the same one, which is what deduplicates a redo. */
  private async insert(converted: Converted, id: string, report: IngestReport): Promise<void> {
    const { spans, payloads, runs, rejected, encoded } = converted;
    report.rejected.count += rejected.count;
    for (const reason of rejected.reasons) if (report.rejected.reasons.length < 5) report.rejected.reasons.push(reason);
    // Asked only now, after the insert before this one finished: its run rows are in the store.
    if (runs.finishedWriters.size > 0) {
      const earlier = await this.store.runRows({ writers: [...runs.finishedWriters] });
      for (const writer of runs.finishedWriters) runs.settle(writer, earlier, { state: 'complete' });
    }
    if (encoded && this.store.insertEncoded) {
      if (encoded.spanRows === 0 && encoded.payloadRows === 0 && runs.rows.length === 0) return;
      await this.store.insertEncoded(encoded, runs.rows, id);
      report.spans += encoded.spanRows;
      report.inserts++;
      return;
    }
    if (spans.length === 0 && payloads.length === 0 && runs.rows.length === 0) return;
    await this.store.insert(spans, payloads, runs.rows);
    report.spans += spans.length;
    report.inserts++;
  }

  /**
   * Removes what is stored and will not grow (the log's one rule, settleSegments), and marks the
   * runs of a writer that is gone without ending its log incomplete.
   */
  private async settle(state: IngestState, progress: Map<string, ReadProgress>, report: IngestReport): Promise<void> {
    const settled = settleSegments([...progress.values()], state);
    report.removedSegments += settled.removed;
    report.skipped.push(...settled.skipped);
    if (settled.unendedWriters.size === 0) return;
    const runs = new RunRowsBuilder(BigInt(Date.now()) * 1_000_000n);
    const earlier = await this.store.runRows({ writers: [...settled.unendedWriters.keys()] });
    for (const [writer, pid] of settled.unendedWriters) {
      runs.settle(writer, earlier, {
        state: 'incomplete',
        reason: `process ${pid} ended without closing its recording log (killed, or crashed hard): spans it had not written yet are lost`,
      });
    }
    if (runs.rows.length > 0) await this.store.insert([], [], runs.rows);
  }
}

/** An earlier tracetape's payload rows in today's columns; rows that do not parse are said as the writer's fault. */
function upgradedPayloads(payloads: Uint8Array, offset: number): Buffer {
  try {
    return withEmptyTraceIds(payloads);
  } catch (error) {
    throw new LogReadError(`the rows record at offset ${offset} holds payload rows that end mid-row (${(error as Error).message}): the recording process wrote a damaged batch`);
  }
}

/** OTLP records' rows into the insert's blocks, as a rows record would have carried them. */
function encodeInto(encoded: EncodedBlocks, spans: readonly SpanRow[], payloads: readonly PayloadRow[]): void {
  if (spans.length > 0) {
    const writer = new RowBinaryWriter(spans.length * 1024);
    for (const row of spans) writeSpanRow(writer, row);
    encoded.spans.push(writer.view());
    encoded.spanRows += spans.length;
  }
  if (payloads.length > 0) {
    const writer = new RowBinaryWriter(payloads.reduce((sum, p) => sum + p.Data.length, 64 * payloads.length));
    for (const payload of payloads) writePayloadRow(writer, payload);
    encoded.payloads.push(writer.view());
    encoded.payloadRows += payloads.length;
  }
}
