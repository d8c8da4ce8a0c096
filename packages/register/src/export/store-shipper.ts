import type { SpanStore } from '@tracetape/clickhouse';
import { LogIngester } from '@tracetape/collector/ingest';
import { emptyReport, type LogShipper, type ShipReport } from './log-shipper.js';
import { hasUnshippedRecords } from './unshipped.js';

/** Smaller than a reading command's inserts: this runs inside the app, whose memory it shares. */
const MAX_BYTES_PER_INSERT = 16 * 1024 * 1024;

/**
 * Ships the log to a ClickHouse server: the same LogIngester every reading command runs, so a
 * pass is exactly-once in the same way (announced ranges, insert deduplication tokens) and the
 * runs table learns of run starts, losses and ends. An unreachable server throws
 * StoreUnavailableError and leaves the announced insert to be redone.
 */
export class StoreShipper implements LogShipper {
  readonly destination: string;
  private readonly ingester: LogIngester;

  constructor(
    private readonly store: SpanStore,
    readonly logDir: string,
  ) {
    this.destination = store.location;
    this.ingester = new LogIngester({ store, logDir, maxBytesPerInsert: MAX_BYTES_PER_INSERT });
  }

  hasWork(): boolean {
    return hasUnshippedRecords(this.logDir);
  }

  async ship(): Promise<ShipReport> {
    const ingested = await this.ingester.ingest();
    const report = emptyReport();
    report.shipped = ingested.spans;
    report.removedSegments = ingested.removedSegments;
    report.skipped = ingested.skipped;
    if (ingested.rejected.count > 0) report.refused.push({ spans: ingested.rejected.count, reason: ingested.rejected.reasons.join('; ') });
    if (ingested.busyPid !== undefined) report.busyPid = ingested.busyPid;
    return report;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
