import { openStore, type SpanStore } from '@tracetape/clickhouse';
import { holdStore, ingestLog, storeAccessFromEnv, type StoreAccess } from './store-access.js';

/** How long an idle viewer keeps the store before letting it go. */
const IDLE_MS = 1500;

/**
 * The store, lent to a long-running reader one piece of work at a time. The embedded engine
 * serves one process at a time: holding it for as long as `tracetape ui` runs would make every
 * `tracetape replay` and `tracetape traces` wait. So it is opened on demand (moving in what the
 * recording log gained meanwhile) and closed once idle; work is queued, as the engine takes one
 * query at a time anyway.
 */
export class LentStore {
  readonly location: string;
  private readonly access: StoreAccess;
  private open: { store: SpanStore; release: () => void } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private idle: NodeJS.Timeout | undefined;

  constructor(access: StoreAccess = storeAccessFromEnv()) {
    this.access = access;
    this.location = access.options.url ? `ClickHouse at ${access.options.url}` : `embedded ClickHouse at ${access.options.dir ?? '.tracetape'}`;
  }

  use<T>(work: (store: SpanStore) => Promise<T>): Promise<T> {
    const turn = this.queue.then(async () => {
      clearTimeout(this.idle);
      try {
        return await work(await this.opened());
      } finally {
        this.idle = setTimeout(() => void this.closeIdle(), IDLE_MS);
        this.idle.unref();
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  async close(): Promise<void> {
    clearTimeout(this.idle);
    await this.queue;
    await this.shut();
  }

  private async opened(): Promise<SpanStore> {
    if (this.open) return this.open.store;
    const release = await holdStore(this.access);
    try {
      const store = openStore(this.access.options);
      await ingestLog(store, this.access.logDir);
      this.open = { store, release };
      return store;
    } catch (error) {
      release();
      throw error;
    }
  }

  private async closeIdle(): Promise<void> {
    // Queued behind any work that arrived meanwhile, so nothing is closed under it.
    this.queue = this.queue.then(() => this.shut());
    await this.queue;
  }

  private async shut(): Promise<void> {
    const open = this.open;
    this.open = undefined;
    if (!open) return;
    try {
      await open.store.close();
    } finally {
      open.release();
    }
  }
}
