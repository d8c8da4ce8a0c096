import type { PayloadRow, SpanRow, SpanStore } from '@tracetape/clickhouse';

interface PendingWrite {
  rows: SpanRow[];
  payloads: PayloadRow[];
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Writes the spans of concurrent requests to the store one insert at a time, merging whatever
 * queued up meanwhile into the next insert: ClickHouse prefers few large inserts to many small
 * ones, and the embedded engine is used from one place only. A request is answered only once its
 * rows are stored, so a sender never hears "accepted" for spans a crash could still lose.
 */
export class SpanWriter {
  private queue: PendingWrite[] = [];
  private running: Promise<void> | undefined;
  private initialized: Promise<void> | undefined;

  constructor(private readonly store: SpanStore) {}

  write(rows: SpanRow[], payloads: PayloadRow[]): Promise<void> {
    if (rows.length === 0 && payloads.length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.queue.push({ rows, payloads, resolve, reject }));
    this.running ??= this.drainQueue().finally(() => {
      this.running = undefined;
    });
    return done;
  }

  /** Creates the schema; retried on the next write if it fails (the server may come up later). */
  init(): Promise<void> {
    this.initialized ??= this.store.init().catch((error: unknown) => {
      this.initialized = undefined;
      throw error;
    });
    return this.initialized;
  }

  /** Resolves once every write handed in so far is settled. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drainQueue(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        await this.init();
        await this.store.insert(
          batch.flatMap((w) => w.rows),
          batch.flatMap((w) => w.payloads),
        );
        for (const write of batch) write.resolve();
      } catch (error) {
        for (const write of batch) write.reject(error);
      }
    }
  }
}
