import { StoreUnavailableError } from '@tracetape/core';
import type { ListTracesOptions, PayloadRow, SpanRow, SpanStore, TraceSummary } from '@tracetape/clickhouse';
import { Backoff } from './backoff.js';
import { SpoolCounters, type SpoolCounter, type SpoolStats } from './spool-counters.js';
import { SpoolDir, type SpooledBatch } from './spool-dir.js';
import { SpoolLock } from './spool-lock.js';

export interface SpoolingStoreOptions {
  dir: string;
  maxBytes: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** Only "the store is not there" is worth keeping for later; a store that refused the rows would refuse them again. */
function worthRetrying(error: unknown): boolean {
  return error instanceof StoreUnavailableError;
}

/**
 * A SpanStore that keeps what the real store cannot take: batches go to an on-disk spool while
 * the store is unreachable, and are sent again, oldest first, once it answers. A batch leaves
 * the spool only after the store acknowledged it. While anything is spooled, new batches are
 * spooled behind it, so the store receives them in order. A new process with the same spool
 * directory drains what an earlier one left; a lock file keeps two processes from sending the
 * same batch. Reads pass straight through.
 */
export class SpoolingSpanStore implements SpanStore {
  readonly location: string;
  private readonly spool: SpoolDir;
  private readonly lock: SpoolLock;
  private readonly backoff: Backoff;
  private readonly counters: SpoolCounters;
  private initialized = false;
  /** The last send failed as unreachable: the exit path goes straight to disk instead of waiting on a timeout. */
  private knownDown = false;
  private draining: Promise<boolean> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Batches handed to the store whose answer has not come: spooled at exit rather than lost. */
  private readonly inFlight = new Set<SpooledBatch>();
  private closed = false;

  constructor(
    private readonly inner: SpanStore,
    options: SpoolingStoreOptions,
  ) {
    this.location = inner.location;
    this.spool = new SpoolDir(options.dir, options.maxBytes);
    this.lock = new SpoolLock(options.dir);
    this.backoff = new Backoff(options.retryBaseMs ?? 200, options.retryMaxMs ?? 10_000);
    this.counters = new SpoolCounters(() => this.pendingSpans());
  }

  get spoolDir(): string {
    return this.spool.dir;
  }

  stats(): SpoolStats {
    const read = (name: SpoolCounter): number => this.counters.get(name);
    return { exported: read('exported'), spooled: read('spooled'), retried: read('retried'), dropped: read('dropped'), pending: this.pendingSpans() };
  }

  /** A store that is down at start must not fail the batch: it is spooled, and init runs again before the drain. */
  async init(): Promise<void> {
    await this.ensureInit().catch((error: unknown) => {
      if (!worthRetrying(error)) throw error;
    });
  }

  async insert(spans: SpanRow[], payloads: PayloadRow[]): Promise<void> {
    const batch: SpooledBatch = { spans, payloads };
    // What an earlier outage (or process) left goes first.
    if (this.spool.list().length > 0 && !(await this.drain())) return this.toSpool(batch);
    this.inFlight.add(batch);
    try {
      await this.ensureInit();
      await this.inner.insert(spans, payloads);
      this.knownDown = false;
      this.counters.add('exported', spans.length);
    } catch (error) {
      if (!worthRetrying(error)) throw error;
      this.knownDown = true;
      await this.toSpool(batch);
    } finally {
      this.inFlight.delete(batch);
    }
  }

  /**
   * The 'exit' path: never blocks long. With batches already waiting, or the store known to be
   * down, the batch goes straight to disk; otherwise one synchronous attempt, then the disk.
   */
  insertSync(spans: SpanRow[], payloads: PayloadRow[]): void {
    const batch: SpooledBatch = { spans, payloads };
    if (this.spool.list().length === 0 && !this.knownDown) {
      try {
        // Creates the schema itself when no async insert did yet.
        this.inner.insertSync(spans, payloads);
        this.counters.add('exported', spans.length);
        return;
      } catch (error) {
        if (!worthRetrying(error)) throw error;
        this.knownDown = true;
      }
    }
    this.toSpoolSync(batch);
  }

  getTraceSpans(traceId: string): Promise<SpanRow[]> {
    return this.inner.getTraceSpans(traceId);
  }

  getPayloads(hashes: string[]): Promise<Map<string, string>> {
    return this.inner.getPayloads(hashes);
  }

  listTraces(options: ListTracesOptions): Promise<TraceSummary[]> {
    return this.inner.listTraces(options);
  }

  query(sql: string, format: string): Promise<string> {
    return this.inner.query(sql, format);
  }

  /** Starts draining what an earlier process left, without waiting for the app's first batch. */
  start(): void {
    if (this.spool.list().length > 0) void this.drain();
  }

  async close(): Promise<void> {
    if (this.spool.list().length > 0) await this.drain();
    this.stop();
    await this.inner.close();
  }

  /** Exit: whatever is still on its way to the store is kept on disk (a duplicate is better than a loss). */
  closeSync(): void {
    if (this.closed) return;
    for (const batch of this.inFlight) this.toSpoolSync(batch);
    this.inFlight.clear();
    this.stop();
    this.inner.closeSync();
  }

  /** One line for the end of the run, or nothing when nothing was spooled or lost. */
  summary(): string | undefined {
    const { spooled, dropped, pending, retried, exported } = this.stats();
    if (dropped === 0 && pending === 0) return undefined;
    return (
      `tracetape: spool ${this.spool.dir}: ${exported} span(s) exported, ${spooled} spooled, ${retried} retried, ${dropped} dropped, ` +
      `${pending} still spooled` +
      (pending > 0 ? ' (the next run with the same TRACETAPE_SPOOL_DIR sends them once the store is back)' : '') +
      (dropped > 0 ? '; the spool was full (TRACETAPE_SPOOL_MAX_BYTES), the recording of this run is incomplete' : '')
    );
  }

  private stop(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.lock.release();
  }

  private ensureInit(): Promise<void> {
    if (this.initialized) return Promise.resolve();
    return this.inner.init().then(() => {
      this.initialized = true;
    });
  }

  private pendingSpans(): number {
    return this.spool.list().reduce((total, name) => total + this.spool.spanCount(name), 0);
  }

  private async toSpool(batch: SpooledBatch): Promise<void> {
    try {
      await this.spool.write(batch);
      this.counters.add('spooled', batch.spans.length);
    } catch (error) {
      this.counters.add('dropped', batch.spans.length);
      throw error;
    }
    this.scheduleRetry();
  }

  private toSpoolSync(batch: SpooledBatch): void {
    try {
      this.spool.writeSync(batch);
      this.counters.add('spooled', batch.spans.length);
    } catch (error) {
      this.counters.add('dropped', batch.spans.length);
      throw error;
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.drain();
    }, this.backoff.next());
    // A spool waiting for its store must not keep a finished app alive: the next run drains it.
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
      for (const name of this.spool.list()) {
        let batch: SpooledBatch;
        try {
          batch = this.spool.read(name);
        } catch {
          this.spool.quarantine(name);
          continue;
        }
        try {
          await this.ensureInit();
          await this.inner.insert(batch.spans, batch.payloads);
        } catch (error) {
          if (!worthRetrying(error)) {
            this.spool.quarantine(name);
            continue;
          }
          this.knownDown = true;
          this.counters.add('retried', batch.spans.length);
          this.scheduleRetry();
          return false;
        }
        // Acknowledged: only now may it leave the disk.
        this.knownDown = false;
        this.spool.remove(name);
        this.counters.add('exported', batch.spans.length);
      }
      this.backoff.reset();
      return true;
    } finally {
      this.lock.release();
    }
  }
}
