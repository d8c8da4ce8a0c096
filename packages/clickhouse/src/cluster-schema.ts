import { ConfigError } from '@tracetape/core';

/*
 * On a cluster each table exists twice: `<table>_local` on every node, replicated within a shard,
 * and a Distributed table under the user-facing name that fans reads out to every shard and routes
 * inserts to one. Readers and writers only ever name the user-facing tables, so the same SQL runs
 * against one server or a cluster.
 */

export const CLUSTER_ENV = 'TRACETAPE_CLICKHOUSE_CLUSTER';

/** Where replicas of a table meet in (Zoo)Keeper, before `/{database}/{table}`. */
export const DEFAULT_REPLICATION_PATH_PREFIX = '/clickhouse/tables/{shard}';

export const LOCAL_TABLE_SUFFIX = '_local';

// Cluster names come from the server's remote_servers configuration, where hyphens and dots are
// common; braces allow a macro such as {cluster}, which the server expands.
const CLUSTER_NAME = /^[A-Za-z0-9_.{}-]+$/;
const PATH_PREFIX = /^\/[A-Za-z0-9_.{}/-]*[^/]$/;

export interface ClusterLayout {
  /** As a string literal, ready for ON CLUSTER and the Distributed engine. */
  cluster: string;
  /** Full replica path template, as a string literal. */
  replicaPath: string;
}

export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function clusterLayout(cluster: string, pathPrefix: string = DEFAULT_REPLICATION_PATH_PREFIX): ClusterLayout {
  if (!CLUSTER_NAME.test(cluster)) {
    throw new ConfigError(
      `Invalid ClickHouse cluster name "${cluster}": use the name from the server's remote_servers configuration (letters, digits, _ . -) or a macro such as {cluster}.`,
    );
  }
  if (!PATH_PREFIX.test(pathPrefix)) {
    throw new ConfigError(
      `Invalid replication path prefix "${pathPrefix}": it must start with / and not end with one, e.g. ${DEFAULT_REPLICATION_PATH_PREFIX}.`,
    );
  }
  return { cluster: quoteString(cluster), replicaPath: quoteString(`${pathPrefix}/{database}/{table}`) };
}

export function onCluster(layout: ClusterLayout | undefined): string {
  return layout ? ` ON CLUSTER ${layout.cluster}` : '';
}

/** A MergeTree-family engine, replicated when the schema is for a cluster. */
export function engineClause(family: string, args: readonly string[], layout: ClusterLayout | undefined): string {
  if (!layout) return `${family}(${args.join(', ')})`;
  return `Replicated${family}(${[layout.replicaPath, "'{replica}'", ...args].join(', ')})`;
}

/**
 * The user-facing table over the local ones. `shardingKey` decides which shard an inserted row
 * lands on: a trace's spans must share one so that per-trace reads and the lookup view (which sees
 * one node's inserts) stay whole.
 */
export function distributedTableDdl(
  layout: ClusterLayout,
  table: { qualified: string; database: string; local: string; qualifiedLocal: string },
  shardingKey: string,
): string {
  return `CREATE TABLE IF NOT EXISTS ${table.qualified}${onCluster(layout)} AS ${table.qualifiedLocal}
ENGINE = Distributed(${layout.cluster}, ${quoteString(table.database)}, ${quoteString(table.local)}, ${shardingKey})`;
}
