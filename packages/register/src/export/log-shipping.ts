import { BackgroundShipper, type BackgroundShipperOptions } from './background-shipper.js';
import { LogBacklog } from './log-backlog.js';
import type { LogShipper } from './log-shipper.js';
import { shipAtExit } from './ship-at-exit.js';
import type { ShipVerdict } from './ship-verdict.js';
import { zeroCounts, type ShippingCounts } from './shipping-counts.js';
import { addressOf, createShipper, type ShippingTarget } from './shipping-target.js';
import { ShippingTeller } from './shipping-teller.js';

export interface LogShippingOptions extends BackgroundShipperOptions {
  target: ShippingTarget;
  logDir: string;
  /** Bound on the last try at exit (TRACETAPE_FLUSH_TIMEOUT_MS). */
  exitBudgetMs: number;
  /** For tests: the shipper to run in this process (the exit worker always builds its own from `target`). */
  shipper?: LogShipper;
  /** For tests: the compiled exit worker, when this runs from source. */
  exitWorker?: URL;
}

export interface ShippingStats extends ShippingCounts {
  /** Spans waiting in the log now. */
  pending: number;
}

/**
 * The app side of shipping the recording log to a ClickHouse server or an OTLP collector: ships
 * in the background while the app runs, tries once more at exit within the flush timeout, and
 * says in one line what is still waiting in the log, and for what.
 */
export class LogShipping {
  readonly logDir: string;
  /** In prose: "ClickHouse at http://…", "the collector at http://…/v1/traces". */
  readonly destination: string;
  private readonly target: ShippingTarget;
  private readonly backlog: LogBacklog;
  private readonly counts = zeroCounts();
  private readonly teller: ShippingTeller;
  private readonly background: BackgroundShipper;
  private readonly exitBudgetMs: number;
  private readonly exitWorker: URL | undefined;
  private exitVerdict: ShipVerdict | undefined;

  constructor(options: LogShippingOptions) {
    this.logDir = options.logDir;
    this.target = options.target;
    this.exitBudgetMs = options.exitBudgetMs;
    this.exitWorker = options.exitWorker;
    const shipper = options.shipper ?? createShipper(options.target, options.logDir);
    this.destination = shipper.destination;
    this.backlog = new LogBacklog(options.logDir);
    this.teller = new ShippingTeller(addressOf(options.target, shipper), options.logDir);
    this.background = new BackgroundShipper(shipper, this.backlog, this.counts, this.teller, options);
  }

  start(): void {
    this.background.start();
  }

  /** The log was appended to. */
  nudge(): void {
    this.background.nudge();
  }

  flush(): Promise<void> {
    return this.background.flush();
  }

  stats(): ShippingStats {
    return { ...this.counts, pending: this.backlog.pending() };
  }

  /**
   * The 'exit' event: a last bounded try in a worker, unless nothing waits for this destination or
   * it was found away at the last try (the wait would only delay the exit; the next run ships).
   */
  shipSync(): void {
    this.background.stop();
    const last = this.background.last;
    if (last.kind === 'failed' && last.unreachable) return;
    let work: boolean;
    try {
      work = this.background.shipper.hasWork();
    } catch {
      work = true;
    }
    if (!work) {
      this.settleSync();
      return;
    }
    const verdict = shipAtExit(this.target, this.logDir, this.exitBudgetMs, this.exitWorker);
    this.exitVerdict = verdict;
    this.counts.exported += verdict.report.shipped;
    for (const refused of verdict.report.refused) this.counts.refused += refused.spans;
    this.teller.report(verdict.report);
    if (verdict.failure && !verdict.failure.unreachable) this.teller.failure(new Error(verdict.failure.message));
  }

  private settleSync(): void {
    try {
      const report = this.background.shipper.settleSync?.();
      if (report) this.teller.report(report);
    } catch {
      // Left for the next pass, which says what is wrong.
    }
  }

  /** The end-of-run line, when spans are left in the log because the destination did not take them. */
  summary(): string | undefined {
    const pending = this.backlog.pending();
    if (pending === 0) return undefined;
    const where = `tracetape: ${pending} span(s) still in the recording log at ${this.logDir}`;
    const later = '(the next run, or `tracetape ingest`)';
    const failure = this.exitVerdict?.failure ?? (this.background.last.kind === 'failed' ? this.background.last : undefined);
    if (failure?.unreachable) return `${where}; they are sent when ${this.destination} is back ${later}`;
    if (failure) return `${where}; ${this.destination} did not take them (see above); they are tried again ${later}`;
    const busy = this.exitVerdict?.busyPid;
    if (busy !== undefined) return `${where}; process ${busy} is shipping this log to ${this.destination}, or they are sent ${later}`;
    // Delivered what it could; what is left belongs to writers still running, which ship it themselves.
    return undefined;
  }
}
