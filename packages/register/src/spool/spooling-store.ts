import { StoreUnavailableError } from '@tracetape/core';
import type { ListTracesOptions, PayloadRow, SpanRow, SpanStore, TraceSummary } from '@tracetape/clickhouse';
import type { SpoolStats } from './spool-counters.js';
import { Spool, type SpoolDestination } from './spool.js';

/** One batch as the store would have received it: the spool holds rows, ready to insert again. */
export interface SpooledBatch {
  spans: SpanRow[];
  payloads: PayloadRow[];
}

export interface SpoolingStoreOptions {
  dir: string;
  maxBytes: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** Row batches: JSON files named `*.batch.json`, drained under `drain.lock`. */
class StoreDestination implements SpoolDestination<SpooledBatch> {
  readonly description: string;
  private initialized = false;

  constructor(private readonly store: SpanStore) {
    this.description = store.location;
  }

  async send(batch: SpooledBatch): Promise<void> {
    await this.init();
    await this.store.insert(batch.spans, batch.payloads);
  }

  sendSync(batch: SpooledBatch): void {
    // Creates the schema itself when no async insert did yet.
    this.store.insertSync(batch.spans, batch.payloads);
  }

  /** Only "the store is not there" is worth keeping for later; a store that refused the rows would refuse them again. */
  isUnavailable(error: unknown): boolean {
    return error instanceof StoreUnavailableError;
  }

  spanCount(batch: SpooledBatch): number {
    return batch.spans.length;
  }

  encode(batch: SpooledBatch): string {
    return JSON.stringify(batch);
  }

  decode(data: Buffer): SpooledBatch {
    return JSON.parse(data.toString('utf8')) as SpooledBatch;
  }

  init(): Promise<void> {
    if (this.initialized) return Promise.resolve();
    return this.store.init().then(() => {
      this.initialized = true;
    });
  }
}

/**
 * A SpanStore whose inserts go through a Spool: what a ClickHouse server cannot take waits on
 * disk and is inserted again, in order, once it answers (see Spool). Reads pass straight through.
 */
export class SpoolingSpanStore implements SpanStore {
  readonly location: string;
  readonly spool: Spool<SpooledBatch>;
  private readonly destination: StoreDestination;
  private closed = false;

  constructor(
    private readonly inner: SpanStore,
    options: SpoolingStoreOptions,
  ) {
    this.location = inner.location;
    this.destination = new StoreDestination(inner);
    this.spool = new Spool(this.destination, { ...options, suffix: '.batch.json', lockName: 'drain.lock' });
  }

  get dir(): string {
    return this.spool.dir;
  }

  stats(): SpoolStats {
    return this.spool.stats();
  }

  /** A store that is down at start must not fail the batch: it is spooled, and init runs again before the drain. */
  async init(): Promise<void> {
    await this.destination.init().catch((error: unknown) => {
      if (!this.destination.isUnavailable(error)) throw error;
    });
  }

  insert(spans: SpanRow[], payloads: PayloadRow[]): Promise<void> {
    return this.spool.send({ spans, payloads });
  }

  insertSync(spans: SpanRow[], payloads: PayloadRow[]): void {
    this.spool.sendSync({ spans, payloads });
  }

  getTraceSpans(traceId: string): Promise<SpanRow[]> {
    return this.inner.getTraceSpans(traceId);
  }

  runRows(filter: { writers?: string[]; traceIds?: string[] }): ReturnType<SpanStore['runRows']> {
    return this.inner.runRows(filter);
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

  start(): void {
    this.spool.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.spool.close();
    await this.inner.close();
  }

  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.spool.closeSync();
    } finally {
      this.inner.closeSync();
    }
  }

  summary(): string | undefined {
    return this.spool.summary();
  }
}
