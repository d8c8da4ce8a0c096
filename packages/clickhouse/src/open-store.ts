import { ConfigError } from '@tracetape/core';
import { ChdbSpanStore } from './chdb-store.js';
import { CLUSTER_ENV } from './cluster-schema.js';
import { parseRetention, RETENTION_ENV } from './retention.js';
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
  /** Servers only: create the tables across this ClickHouse cluster (see SchemaOptions.cluster). */
  cluster?: SchemaOptions['cluster'];
  replicationPathPrefix?: SchemaOptions['replicationPathPrefix'];
}

/** The server when a URL is configured, else the embedded store. Opening is lazy: nothing connects yet. */
export function openStore(options: StoreOptions = {}): SpanStore {
  const { dir, url, username, password, ...schema } = options;
  if (url) return new ServerSpanStore({ url, username, password, ...schema });
  if (schema.cluster !== undefined) {
    throw new ConfigError(
      `A ClickHouse cluster ("${schema.cluster}", ${CLUSTER_ENV}) needs ClickHouse servers, and no server URL is set: the embedded store is one process on one machine. Set TRACETAPE_CLICKHOUSE_URL to a node of the cluster, or unset ${CLUSTER_ENV}.`,
    );
  }
  return new ChdbSpanStore({ dir, ...schema });
}

/**
 * Store options from TRACETAPE_DIR, TRACETAPE_CLICKHOUSE_{URL,USER,PASSWORD,DATABASE,CLUSTER} and
 * TRACETAPE_TTL.
 * @throws ConfigError when TRACETAPE_TTL is not a retention such as `30d`.
 */
export function storeOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): StoreOptions {
  const options: StoreOptions = {};
  const set = (key: 'dir' | 'url' | 'username' | 'password' | 'database' | 'cluster', name: string): void => {
    const value = env[name];
    if (value !== undefined && value !== '') options[key] = value;
  };
  set('dir', 'TRACETAPE_DIR');
  set('url', 'TRACETAPE_CLICKHOUSE_URL');
  set('username', 'TRACETAPE_CLICKHOUSE_USER');
  set('password', 'TRACETAPE_CLICKHOUSE_PASSWORD');
  set('database', 'TRACETAPE_CLICKHOUSE_DATABASE');
  set('cluster', CLUSTER_ENV);
  const ttl = env[RETENTION_ENV];
  if (ttl !== undefined && ttl.trim() !== '') options.ttlSeconds = parseRetention(ttl, RETENTION_ENV);
  return options;
}
