import { Backoff } from './backoff.js';
import { outsideRuns } from './internal-context.js';
import type { LogBacklog } from './log-backlog.js';
import { isUnreachable, type LogShipper, type ShipReport } from './log-shipper.js';
import type { ShippingCounts } from './shipping-counts.js';
import type { ShippingTeller } from './shipping-teller.js';
import { hasUnshippedRecords } from './unshipped.js';

export interface BackgroundShipperOptions {
  /** First wait after a failed pass; doubles up to retryMaxMs (with jitter). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Wait before looking again while another process holds the log. */
  busyRetryMs?: number;
}

/** How the last pass ended: the exit path skips a last try against a destination known to be away. */
export type LastOutcome = { kind: 'none' } | { kind: 'ok' } | { kind: 'busy' } | { kind: 'failed'; unreachable: boolean; message: string };

/**
 * Runs the shipper inside the app: a pass after each append to the log (passes never overlap; an
 * append during one asks for another), retries with backoff while the destination is away, and
 * looks again later while another process holds the log. Never throws into the app, and its
 * timers never keep a finished app alive: what is left is the exit path's, or the next run's.
 */
export class BackgroundShipper {
  private readonly backoff: Backoff;
  private readonly busyRetryMs: number;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private outcome: LastOutcome = { kind: 'none' };

  constructor(
    readonly shipper: LogShipper,
    private readonly backlog: LogBacklog,
    private readonly counts: ShippingCounts,
    private readonly teller: ShippingTeller,
    options: BackgroundShipperOptions = {},
  ) {
    this.backoff = new Backoff(options.retryBaseMs ?? 200, options.retryMaxMs ?? 10_000);
    this.busyRetryMs = options.busyRetryMs ?? 500;
  }

  get last(): LastOutcome {
    return this.outcome;
  }

  /** True while a pass is running: it holds the log's lock. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Ships what earlier processes left, without waiting for the app's first batch. */
  start(): void {
    if (this.safely(() => hasUnshippedRecords(this.shipper.logDir), false)) this.nudge();
  }

  /** Something was appended: ship it, unless a retry is already waiting for the destination. */
  nudge(): void {
    if (this.stopped || this.timer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = outsideRuns(() => this.pass());
  }

  /** Async exit (beforeExit, signals): the running pass, then one more unless the destination is known to be away. */
  async flush(): Promise<void> {
    if (this.running) await this.running;
    if (this.stopped || (this.outcome.kind === 'failed' && this.outcome.unreachable)) return;
    if (!this.safely(() => hasUnshippedRecords(this.shipper.logDir), false)) return;
    this.clearTimer();
    this.running ??= outsideRuns(() => this.pass());
    await this.running;
  }

  /** No more passes: the process is exiting. A pass still running is abandoned (its lock is the exit path's to take over). */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private async pass(): Promise<void> {
    try {
      do {
        this.again = false;
        const report = await this.shipper.ship();
        this.account(report);
        if (report.busyPid !== undefined) {
          this.outcome = { kind: 'busy' };
          this.retryIn(this.busyRetryMs);
          return;
        }
        this.outcome = { kind: 'ok' };
        this.backoff.reset();
      } while (this.again && !this.stopped);
    } catch (error) {
      const unreachable = isUnreachable(error);
      this.outcome = { kind: 'failed', unreachable, message: error instanceof Error ? error.message : String(error) };
      if (!unreachable) this.teller.failure(error);
      this.counts.retried += this.backlog.pending();
      this.counts.spooled += this.backlog.newlyHeld();
      this.retryIn(this.backoff.next());
    } finally {
      this.running = undefined;
    }
  }

  private account(report: ShipReport): void {
    this.counts.exported += report.shipped;
    for (const refused of report.refused) this.counts.refused += refused.spans;
    this.teller.report(report);
  }

  private retryIn(ms: number): void {
    if (this.stopped) return;
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.nudge();
    }, ms);
    // A log waiting for its destination must not keep a finished app alive: the next run ships it.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private safely<T>(work: () => T, fallback: T): T {
    try {
      return work();
    } catch {
      return fallback;
    }
  }
}
