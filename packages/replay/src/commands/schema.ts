import { parseArgs } from 'node:util';
import { parseRetention, retentionStatements, schemaStatements, storeOptionsFromEnv, upgradeStatements, type SchemaOptions } from '@tracetape/clickhouse';
import { ConfigError } from '@tracetape/core';
import type { Command } from './command.js';

export const schemaCommand: Command = {
  name: 'schema',
  summary: 'print the DDL of the store\'s tables, for creating them yourself',
  usage: `tracetape schema [--cluster C] [--ttl 30d] [--database D] [--replication-path P] [--alter | --upgrade]

Prints the CREATE statements tracetape runs on first use, separated by semicolons, for a DBA who
creates the tables by hand (clickhouse-client --multiquery < schema.sql). Every statement is
idempotent (IF NOT EXISTS). Defaults come from TRACETAPE_CLICKHOUSE_DATABASE,
TRACETAPE_CLICKHOUSE_CLUSTER and TRACETAPE_TTL.

Options:
  --cluster C            create replicated <table>_local tables ON CLUSTER C, behind Distributed
                         tables with the usual names
  --ttl 30d              retention: 30d, 72h, 90m or whole seconds (default: keep forever)
  --database D           database holding the tables (default: default)
  --replication-path P   with --cluster: Keeper path before /{database}/{table}
                         (default: /clickhouse/tables/{shard})
  --alter                print the ALTER TABLE ... MODIFY TTL statements that set --ttl on tables
                         that already exist (CREATE ... IF NOT EXISTS leaves them as they are)
  --upgrade              print the ALTER TABLE ... MODIFY SETTING statements that give tables made
                         by an older tracetape or by the Collector the insert deduplication window`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        cluster: { type: 'string' },
        ttl: { type: 'string' },
        database: { type: 'string' },
        'replication-path': { type: 'string' },
        alter: { type: 'boolean', default: false },
        upgrade: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const env = storeOptionsFromEnv();
    const cluster = values.cluster ?? env.cluster;
    const database = values.database ?? env.database;
    const ttlSeconds = values.ttl !== undefined ? parseRetention(values.ttl, '--ttl') : env.ttlSeconds;
    const replicationPathPrefix = values['replication-path'];
    if (replicationPathPrefix !== undefined && cluster === undefined) {
      throw new ConfigError('--replication-path only applies to a cluster: add --cluster <name>, or leave it out.');
    }
    const options: SchemaOptions = {
      ...(cluster !== undefined ? { cluster } : {}),
      ...(database !== undefined ? { database } : {}),
      ...(replicationPathPrefix !== undefined ? { replicationPathPrefix } : {}),
    };
    let statements: string[];
    if (values.alter && values.upgrade) throw new ConfigError('--alter and --upgrade print different statements: give one of them.');
    if (values.upgrade) {
      statements = upgradeStatements(options);
    } else if (values.alter) {
      if (ttlSeconds === undefined) throw new ConfigError('--alter sets a retention: give it with --ttl (e.g. --ttl 30d) or TRACETAPE_TTL.');
      statements = retentionStatements({ ...options, ttlSeconds });
    } else {
      statements = schemaStatements({ ...options, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) });
    }
    process.stdout.write(`${statements.join(';\n\n')};\n`);
    return 0;
  },
};
