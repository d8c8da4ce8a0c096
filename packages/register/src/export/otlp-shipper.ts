import {
  countSpans,
  decodeControl,
  IngestLock,
  IngestState,
  listSegments,
  readSegment,
  RecordType,
  settleSegments,
  writerMayBeAlive,
  type LogRecord,
  type SegmentProgress,
} from '@tracetape/log';
import { LogBacklog } from './log-backlog.js';
import { emptyReport, type LogShipper, type ShipReport } from './log-shipper.js';
import { OtlpRefusedError, OtlpUnreachableError } from './otlp-errors.js';
import { probeListening } from './probe.js';
import type { OtlpSender } from './otlp-sender.js';

/** Bound on what one read holds: records are sent one by one anyway. */
const READ_BYTES = 16 * 1024 * 1024;
const PROBE_TIMEOUT_MS = 1000;

/**
 * Ships the log to an OTLP/HTTP receiver: every spans record, in order, posted as the very bytes
 * the app wrote (OTLP/JSON). A segment's offset in the shared ingest state moves past a record
 * only once the receiver answered 2xx, so a shipper stopped between the answer and the move sends
 * that one request again, which the tracetape collector recognises and does not store twice.
 * Control records say things only a store keeps (runs, losses): they are passed over. A record
 * the receiver refuses for good is lost, counted and reported, and the log moves on past it.
 */
export class OtlpShipper implements LogShipper {
  readonly destination: string;
  private readonly lock: IngestLock;
  private readonly backlog: LogBacklog;
  /** The last send reached the receiver: no probe needed before the next. */
  private listening = false;

  constructor(
    private readonly sender: OtlpSender,
    readonly logDir: string,
  ) {
    this.destination = `the collector at ${sender.url}`;
    this.lock = new IngestLock(logDir);
    this.backlog = new LogBacklog(logDir);
  }

  hasWork(): boolean {
    return this.backlog.pending() > 0;
  }

  async ship(): Promise<ShipReport> {
    return this.locked(async (state, report, progress) => {
      for (const entry of progress) await this.shipSegment(entry, state, report);
    });
  }

  /**
   * Before the first send, and after a failed one: is anything listening? The transport would
   * retry a refused connection until its timeout, holding an exiting app that long; a refused
   * probe answers at once. A probe that neither connects nor fails in time decides nothing.
   */
  private async checkListening(): Promise<void> {
    if (this.listening) return;
    const probe = await probeListening(this.sender.url, this.sender.headers, PROBE_TIMEOUT_MS);
    if (probe && !probe.listening) throw new OtlpUnreachableError(this.sender.url, probe.reason ?? 'connection refused');
  }

  /**
   * At exit, when no span waits: passes over the control records (a segment's `end`) and removes
   * finished segments, this process's own included, with no request and no worker.
   */
  settleSync(): ShipReport {
    return this.locked((state, _report, progress) => {
      for (const entry of progress) this.passOverControls(entry, state);
    });
  }

  /** Runs `work` under the log's lock with the state and each segment's progress, then removes what is finished. */
  private locked(work: (state: IngestState, report: ShipReport, progress: SegmentProgress[]) => Promise<void>): Promise<ShipReport>;
  private locked(work: (state: IngestState, report: ShipReport, progress: SegmentProgress[]) => void): ShipReport;
  private locked(work: (state: IngestState, report: ShipReport, progress: SegmentProgress[]) => Promise<void> | void): Promise<ShipReport> | ShipReport {
    const report = emptyReport();
    // Returned as is even to ship(), which awaits it: an async function takes a plain value too.
    if (listSegments(this.logDir).length === 0) return report;
    if (!this.lock.tryAcquire()) {
      const owner = this.lock.owner();
      if (owner !== undefined) report.busyPid = owner;
      return report;
    }
    let done: Promise<void> | void;
    let state: IngestState;
    let progress: SegmentProgress[];
    try {
      state = new IngestState(this.logDir);
      progress = listSegments(this.logDir).map((segment) => ({ segment, offset: state.offset(segment.file), ended: false, writerGone: !writerMayBeAlive(segment) }));
      done = work(state, report, progress);
    } catch (error) {
      this.lock.release();
      throw error;
    }
    const settle = (): ShipReport => {
      try {
        // A gone writer's runs are a store's concern; a collector keeps none.
        const settled = settleSegments(progress, state);
        report.removedSegments = settled.removed;
        report.skipped = settled.skipped;
        return report;
      } finally {
        this.lock.release();
      }
    };
    if (!done) return settle();
    return done.then(settle, (error: unknown) => {
      this.lock.release();
      throw error;
    });
  }

  private async shipSegment(entry: SegmentProgress, state: IngestState, report: ShipReport): Promise<void> {
    const file = entry.segment.file;
    while (entry.offset < entry.segment.size) {
      const read = readSegment(entry.segment.path, entry.offset, READ_BYTES);
      if (read.stop.kind === 'corrupt') entry.corruptAt = { offset: read.stop.offset, reason: read.stop.reason };
      if (read.records.length === 0) return;
      for (const record of read.records) {
        if (record.type === RecordType.Control) {
          passOver(record, entry);
          continue;
        }
        const spans = countSpans(record);
        try {
          await this.checkListening();
          await this.sender.send({ bytes: record.payload, spans });
          this.listening = true;
          report.shipped += spans;
        } catch (error) {
          if (!(error instanceof OtlpRefusedError)) {
            this.listening = false;
            // Control records passed over before it need not be read again.
            state.advance(file, entry.offset);
            throw error;
          }
          report.refused.push({ spans, reason: error.message });
        }
        entry.offset = record.end;
        state.advance(file, entry.offset);
      }
      state.advance(file, entry.offset);
    }
  }

  /** Moves a segment's offset over control records only, up to its first spans record. */
  private passOverControls(entry: SegmentProgress, state: IngestState): void {
    while (entry.offset < entry.segment.size) {
      const read = readSegment(entry.segment.path, entry.offset, READ_BYTES);
      if (read.stop.kind === 'corrupt') entry.corruptAt = { offset: read.stop.offset, reason: read.stop.reason };
      const controls = read.records.findIndex((record) => record.type !== RecordType.Control);
      for (const record of controls === -1 ? read.records : read.records.slice(0, controls)) passOver(record, entry);
      state.advance(entry.segment.file, entry.offset);
      if (controls !== -1 || read.records.length === 0) return;
    }
  }

  close(): Promise<void> {
    return this.sender.shutdown();
  }
}

/** A control record is for stores (runs, losses); the end of a writer's segment is what a shipper needs of it. */
function passOver(record: LogRecord, entry: SegmentProgress): void {
  const control = decodeControl(record);
  if (control.kind === 'end' && control.final) entry.ended = true;
  entry.offset = record.end;
}
