import { Backoff } from './backoff.js';
import { SpoolCounters, type SpoolCounter, type SpoolStats } from './spool-counters.js';
import { SpoolDir } from './spool-dir.js';
import { SpoolLock } from './spool-lock.js';

/** Where batches go, and how one is kept on disk. The spool knows nothing else about them. */
export interface SpoolDestination<B> {
  /** Said in the summary line: "ClickHouse at http://…", "the collector at http://…". */
  readonly description: string;
  send(batch: B): Promise<void>;
  /** For the process 'exit' event; throws like send. */
  sendSync(batch: B): void;
  /** True when the failure means "not there now": the batch is kept for later. Anything else would fail again, so it is thrown. */
  isUnavailable(error: unknown): boolean;
  spanCount(batch: B): number;
  encode(batch: B): string | Uint8Array;
  /** Throws on a damaged file, which is then set aside. */
  decode(data: Buffer, spans: number): B;
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  /** File name ending of this kind of batch, e.g. `.batch.json`. */
  suffix: string;
  /** One drainer per destination kind and directory. */
  lockName: string;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/**
 * Keeps what a destination (a ClickHouse server, an OTLP collector) cannot take: batches go to an
 * on-disk spool while it is unreachable, and are sent again, oldest first, once it answers. A
 * batch leaves the spool only after the destination acknowledged it. While anything is spooled,
 * new batches are spooled behind it, so the destination receives them in order. A new process
 * with the same spool directory drains what an earlier one left; a lock file keeps two processes
 * from sending the same batch.
 */
export class Spool<B> {
  private readonly files: SpoolDir;
  private readonly lock: SpoolLock;
  private readonly backoff: Backoff;
  private readonly counters = new SpoolCounters();
  /** The last send failed as unreachable: the exit path goes straight to disk instead of waiting on a timeout. */
  private knownDown = false;
  private draining: Promise<boolean> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Batches handed to send() that are neither acknowledged nor on disk: spooled at exit rather than lost. */
  private readonly inFlight = new Set<B>();
  /** The previous send's turn; the next one starts after it settles. */
  private sending: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly destination: SpoolDestination<B>,
    options: SpoolOptions,
  ) {
    this.files = new SpoolDir(options.dir, options.maxBytes, options.suffix);
    this.lock = new SpoolLock(options.dir, options.lockName);
    this.backoff = new Backoff(options.retryBaseMs ?? 200, options.retryMaxMs ?? 10_000);
  }

  get dir(): string {
    return this.files.dir;
  }

  stats(): SpoolStats {
    const read = (name: SpoolCounter): number => this.counters.get(name);
    return { exported: read('exported'), spooled: read('spooled'), retried: read('retried'), dropped: read('dropped'), pending: this.pendingSpans() };
  }

  /**
   * Resolves once the destination took the batch or it is on disk; rejects when it was refused or
   * could not be kept. Batches go one at a time, in the order given, whatever the caller's
   * concurrency: that is what keeps the spool's files, and so the drain, in order.
   */
  send(batch: B): Promise<void> {
    this.inFlight.add(batch);
    const turn = this.sending.then(() => this.sendNow(batch)).finally(() => this.inFlight.delete(batch));
    this.sending = turn.catch(() => undefined);
    return turn;
  }

  private async sendNow(batch: B): Promise<void> {
    if (this.files.list().length > 0) {
      // While a retry is pending the destination was just found away: waiting on it again for every
      // batch would stall the app's queue for a timeout each time. The retry sends this one too.
      if (this.retryTimer) return this.toSpool(batch);
      // What an earlier outage (or process) left goes first.
      if (!(await this.drain())) return this.toSpool(batch);
    }
    try {
      await this.destination.send(batch);
      this.knownDown = false;
      this.counters.add('exported', this.destination.spanCount(batch));
    } catch (error) {
      if (!this.destination.isUnavailable(error)) throw error;
      this.knownDown = true;
      await this.toSpool(batch);
    }
  }

  /**
   * The 'exit' path: never blocks long. With batches already waiting, or the destination known
   * to be down, the batch goes straight to disk; otherwise one synchronous attempt, then the disk.
   */
  sendSync(batch: B): void {
    // Batches still waiting their turn are older: on disk first, so the order holds.
    const earlier = this.spoolInFlightSync();
    if (this.files.list().length === 0 && !this.knownDown) {
      try {
        this.destination.sendSync(batch);
        this.counters.add('exported', this.destination.spanCount(batch));
      } catch (error) {
        if (!this.destination.isUnavailable(error)) throw error;
        this.knownDown = true;
        this.toSpoolSync(batch);
      }
    } else {
      this.toSpoolSync(batch);
    }
    if (earlier !== undefined) throw earlier;
  }

  /** Starts draining what an earlier process left, without waiting for the app's first batch. */
  start(): void {
    if (this.files.list().length > 0) void this.drain();
  }

  /** A last drain attempt, then no more retries. */
  async close(): Promise<void> {
    if (this.files.list().length > 0) await this.drain();
    this.stop();
  }

  /** Exit: whatever is still on its way is kept on disk (a duplicate is better than a loss). Throws the file system's error. */
  closeSync(): void {
    if (this.closed) return;
    this.stop();
    const failure = this.spoolInFlightSync();
    if (failure !== undefined) throw failure;
  }

  /** One line for the end of the run, or nothing when nothing was spooled or lost. */
  summary(): string | undefined {
    const { spooled, dropped, pending, retried, exported } = this.stats();
    if (dropped === 0 && pending === 0) return undefined;
    return (
      `tracetape: spool ${this.files.dir}: ${exported} span(s) exported, ${spooled} spooled, ${retried} retried, ${dropped} dropped, ` +
      `${pending} still spooled` +
      (pending > 0 ? ` (the next run with the same TRACETAPE_SPOOL_DIR sends them once ${this.destination.description} is back)` : '') +
      (dropped > 0 ? '; the spool was full (TRACETAPE_SPOOL_MAX_BYTES) or could not be written, the recording of this run is incomplete' : '')
    );
  }

  private stop(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.lock.release();
  }

  /** Exit: what send() was given but is neither acknowledged nor on disk goes to disk, oldest first. Returns the first failure. */
  private spoolInFlightSync(): unknown {
    const inFlight = [...this.inFlight];
    this.inFlight.clear();
    let failure: unknown;
    for (const batch of inFlight) {
      try {
        this.toSpoolSync(batch);
      } catch (error) {
        // Counted as dropped; the others may still fit.
        failure ??= error;
      }
    }
    return failure;
  }

  private pendingSpans(): number {
    return this.files.list().reduce((total, name) => total + this.files.spanCount(name), 0);
  }

  private async toSpool(batch: B): Promise<void> {
    const spans = this.destination.spanCount(batch);
    try {
      await this.files.write(this.destination.encode(batch), spans);
      this.counters.add('spooled', spans);
    } catch (error) {
      this.counters.add('dropped', spans);
      throw error;
    }
    this.scheduleRetry();
  }

  private toSpoolSync(batch: B): void {
    const spans = this.destination.spanCount(batch);
    try {
      this.files.writeSync(this.destination.encode(batch), spans);
      this.counters.add('spooled', spans);
    } catch (error) {
      this.counters.add('dropped', spans);
      throw error;
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.drain();
    }, this.backoff.next());
    // A spool waiting for its destination must not keep a finished app alive: the next run drains it.
    this.retryTimer.unref();
  }

  /** One pass over the spool; true when it is empty afterwards. Concurrent callers share the pass. */
  private drain(): Promise<boolean> {
    this.draining ??= this.drainOnce().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drainOnce(): Promise<boolean> {
    if (!this.lock.tryAcquire()) {
      // Another process is draining: ours wait behind it.
      this.scheduleRetry();
      return false;
    }
    try {
      for (const name of this.files.list()) {
        let batch: B;
        try {
          batch = this.destination.decode(this.files.read(name), this.files.spanCount(name));
        } catch {
          this.files.quarantine(name);
          continue;
        }
        try {
          await this.destination.send(batch);
        } catch (error) {
          if (!this.destination.isUnavailable(error)) {
            this.files.quarantine(name);
            continue;
          }
          this.knownDown = true;
          this.counters.add('retried', this.destination.spanCount(batch));
          this.scheduleRetry();
          return false;
        }
        // Acknowledged: only now may it leave the disk.
        this.knownDown = false;
        this.files.remove(name);
        this.counters.add('exported', this.destination.spanCount(batch));
      }
      this.backoff.reset();
      return true;
    } finally {
      this.lock.release();
    }
  }
}
