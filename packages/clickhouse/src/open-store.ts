import { ChdbSpanStore } from './chdb-store.js';
import type { SchemaOptions } from './schema.js';
import { ServerSpanStore } from './server-store.js';
import type { SpanStore } from './store.js';

export interface StoreOptions {
  /** Embedded store directory (used when no url is given; default `.tracetape/`). */
  dir?: string;
  /** ClickHouse server HTTP endpoint; when set, the server is used instead of the embedded store. */
  url?: string;
  username?: string;
  password?: string;
  database?: string;
  /** Retention in seconds applied when init() creates the tables. */
  ttlSeconds?: SchemaOptions['ttlSeconds'];
}

/** The server when a URL is configured, else the embedded store. Opening is lazy: nothing connects yet. */
export function openStore(options: StoreOptions = {}): SpanStore {
  const { dir, url, username, password, ...schema } = options;
  if (url) return new ServerSpanStore({ url, username, password, ...schema });
  return new ChdbSpanStore({ dir, ...schema });
}

/** Store options from TRACETAPE_DIR and TRACETAPE_CLICKHOUSE_{URL,USER,PASSWORD,DATABASE}. */
export function storeOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): StoreOptions {
  const options: StoreOptions = {};
  const set = (key: 'dir' | 'url' | 'username' | 'password' | 'database', name: string): void => {
    const value = env[name];
    if (value !== undefined && value !== '') options[key] = value;
  };
  set('dir', 'TRACETAPE_DIR');
  set('url', 'TRACETAPE_CLICKHOUSE_URL');
  set('username', 'TRACETAPE_CLICKHOUSE_USER');
  set('password', 'TRACETAPE_CLICKHOUSE_PASSWORD');
  set('database', 'TRACETAPE_CLICKHOUSE_DATABASE');
  return options;
}
