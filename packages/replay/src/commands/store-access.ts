import { openStore, storeOptionsFromEnv, type SpanStore } from '@tracetape/clickhouse';

/** Opens the configured store for one command and always closes it, so the embedded store's lock is released. */
export async function withStore<T>(work: (store: SpanStore) => Promise<T>): Promise<T> {
  const store = openStore(storeOptionsFromEnv());
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
