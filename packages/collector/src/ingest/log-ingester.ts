import { DEFAULT_PAYLOAD_THRESHOLD_BYTES, type PayloadRow, type SpanRow, type SpanStore } from '@tracetape/clickhouse';
import { sha256Hex } from '@tracetape/core';
import {
  countSpans,
  decodeControl,
  ensureSpaceReserve,
  IngestLock,
  IngestState,
  listSegments,
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
import { RunRowsBuilder } from './run-rows.js';

export interface LogIngesterOptions {
  store: SpanStore;
  /** The recording log directory. */
  logDir: string;
  /** An insert takes records until it holds this many spans (default 16,384)… */
  maxSpansPerInsert?: number;
  /** …or this many bytes of records (default 64 MiB): large inserts, bounded memory. */
  maxBytesPerInsert?: number;
  payloadThresholdBytes?: number;
  /**
   * Reads and converts the next insert's records while the engine runs the current insert
   * (default false). Measured in BENCHMARKS.md: no faster on one core, slower on this 2-core
   * machine while other processes used one core; kept for machines with cores to spare.
   */
  pipeline?: boolean;
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
  records: { writer: string; record: LogRecord }[];
  spans: number;
  /** The insert is full: more records are waiting. */
  full: boolean;
}

/** An insert's records decoded and converted into rows, ready for the store. */
interface Converted {
  gathered: Gathered;
  spans: SpanRow[];
  payloads: PayloadRow[];
  runs: RunRowsBuilder;
  rejected: { count: number; reasons: string[] };
}

const DEFAULT_MAX_SPANS = 16_384;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

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
  private readonly pipeline: boolean;
  private initialized = false;

  constructor(options: LogIngesterOptions) {
    this.store = options.store;
    this.logDir = options.logDir;
    this.maxSpans = options.maxSpansPerInsert ?? DEFAULT_MAX_SPANS;
    this.maxBytes = options.maxBytesPerInsert ?? DEFAULT_MAX_BYTES;
    this.thresholdBytes = options.payloadThresholdBytes ?? DEFAULT_PAYLOAD_THRESHOLD_BYTES;
    this.lock = new IngestLock(this.logDir);
    this.pipeline = options.pipeline ?? false;
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
        const redo = await this.convert(this.reread(state.pending.ranges));
        await this.insert(redo, report);
        state.commit();
      }
      const progress = new Map<string, ReadProgress>();
      let next: Converted | undefined = await this.convert(this.gather(listSegments(this.logDir), state, progress), progress);
      while (next && next.gathered.ranges.length > 0) {
        const current: Converted = next;
        next = undefined;
        state.begin({ id: sha256Hex(JSON.stringify(current.gathered.ranges)), ranges: current.gathered.ranges });
        const inserted = this.insert(current, report);
        // The next insert's records are read after this one's (progress holds where each segment
        // got to) and only announced once this one is committed, so the state stays one insert at a time.
        const following = current.gathered.full && this.pipeline ? this.convert(this.gather(listSegments(this.logDir), state, progress), progress) : undefined;
        // Both settle before either is acted on: a failed insert must not leave a conversion running.
        const [insertResult, followingResult] = await Promise.allSettled([inserted, following]);
        if (insertResult.status === 'rejected') throw insertResult.reason;
        if (followingResult.status === 'rejected') throw followingResult.reason;
        state.commit();
        if (!current.gathered.full) break;
        next = followingResult.value ?? (await this.convert(this.gather(listSegments(this.logDir), state, progress), progress));
      }
      await this.settle(state, progress, report);
      // The log was moved out: room again for the reserve a full disk would need next time.
      ensureSpaceReserve(this.logDir);
      return report;
    } finally {
      this.lock.release();
    }
  }

  /** Reads records from each segment's offset on, up to the insert's bounds. */
  private gather(segments: SegmentFile[], state: IngestState, progress: Map<string, ReadProgress>): Gathered {
    const gathered: Gathered = { ranges: [], records: [], spans: 0, full: false };
    let bytes = 0;
    for (const segment of segments) {
      // Where this pass got to, which is ahead of the committed offset while the insert before this one runs.
      const from = progress.get(segment.file)?.offset ?? state.offset(segment.file);
      const entry: ReadProgress = progress.get(segment.file) ?? { segment, writer: writerKey(segment), offset: from, ended: false, writerGone: false };
      entry.segment = segment;
      progress.set(segment.file, entry);
      if (gathered.full) continue;
      entry.writerGone = !writerMayBeAlive(segment);
      const read = readSegment(segment.path, from, Math.max(1, this.maxBytes - bytes));
      if (read.stop.kind === 'corrupt') entry.corruptAt = { offset: read.stop.offset, reason: read.stop.reason };
      let to = from;
      for (const record of read.records) {
        if (gathered.records.length > 0 && (gathered.spans >= this.maxSpans || bytes >= this.maxBytes)) {
          gathered.full = true;
          break;
        }
        gathered.records.push({ writer: entry.writer, record });
        if (record.type === RecordType.Spans) gathered.spans += countSpans(record);
        bytes += record.end - record.offset;
        to = record.end;
      }
      if (to > from) gathered.ranges.push({ segment: segment.file, from, to });
      if (read.next > to || (gathered.spans >= this.maxSpans || bytes >= this.maxBytes)) gathered.full = true;
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
      const read = readSegment(segment.path, range.from, range.to - range.from);
      for (const record of read.records) {
        if (record.end > range.to) break;
        gathered.records.push({ writer: writerKey(segment), record });
      }
    }
    return gathered;
  }

  /**
   * Decodes and converts the records into rows, and has the store encode them ahead of the insert
   * (prepareRows), record by record, yielding between records: an insert running meanwhile gets
   * its turns on the event loop (writing its file, starting its next statement) without waiting
   * for the whole conversion.
   */
  private async convert(gathered: Gathered, progress?: Map<string, ReadProgress>): Promise<Converted> {
    const converted: Converted = { gathered, spans: [], payloads: [], runs: new RunRowsBuilder(BigInt(Date.now()) * 1_000_000n), rejected: { count: 0, reasons: [] } };
    for (const { writer, record } of gathered.records) {
      if (record.type === RecordType.Control) {
        const control = decodeControl(record);
        converted.runs.add(writer, control);
        if (control.kind === 'end' && control.final && progress) {
          for (const entry of progress.values()) if (entry.writer === writer) entry.ended = true;
        }
        continue;
      }
      const rows = convertRequest(decodeJsonRequest(record.payload), this.thresholdBytes);
      this.store.prepareRows?.(rows.rows, rows.payloads);
      for (const row of rows.rows) converted.spans.push(row);
      for (const payload of rows.payloads) converted.payloads.push(payload);
      converted.rejected.count += rows.rejected.count;
      for (const reason of rows.rejected.reasons) if (converted.rejected.reasons.length < 5) converted.rejected.reasons.push(reason);
      if (this.pipeline) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return converted;
  }

  private async insert(converted: Converted, report: IngestReport): Promise<void> {
    const { spans, payloads, runs, rejected } = converted;
    report.rejected.count += rejected.count;
    for (const reason of rejected.reasons) if (report.rejected.reasons.length < 5) report.rejected.reasons.push(reason);
    // Asked only now, after the insert before this one finished: its run rows are in the store.
    if (runs.finishedWriters.size > 0) {
      const earlier = await this.store.runRows({ writers: [...runs.finishedWriters] });
      for (const writer of runs.finishedWriters) runs.settle(writer, earlier, { state: 'complete' });
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
