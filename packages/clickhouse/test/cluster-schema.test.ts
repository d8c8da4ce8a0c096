import { queryBind } from 'chdb';
import { ConfigError } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { openStore, retentionStatements, schemaNames, schemaStatements, ServerSpanStore, storeOptionsFromEnv, type SchemaOptions } from '../src/index.js';

/** The statement as ClickHouse 26 parses and prints it back; throws on a syntax error. */
function formatted(sql: string): string {
  return queryBind('SELECT formatQuery({sql:String})', { sql }, 'TSVRaw').trim();
}

/** What each statement creates, in order. */
function created(statements: readonly string[]): string[] {
  return statements.map((s) => /^CREATE (?:DATABASE|TABLE|MATERIALIZED VIEW|VIEW) IF NOT EXISTS (\S+)/.exec(s)?.[1] ?? `?? ${s.slice(0, 60)}`);
}

/** The column and index list of a CREATE TABLE: what must not differ between one server and a cluster. */
function columnsOf(statement: string): string {
  return statement.slice(statement.indexOf('('), statement.indexOf(') ENGINE'));
}

const CLUSTER: SchemaOptions = { cluster: 'tracing', database: 'obs', ttlSeconds: 30 * 86400 };

describe('schema on a cluster', () => {
  const statements = schemaStatements(CLUSTER);

  it('is valid ClickHouse SQL, every statement, with and without TTL, database or macros', () => {
    const variants: SchemaOptions[] = [
      CLUSTER,
      { cluster: 'tracing' },
      { cluster: '{cluster}', database: 'obs', replicationPathPrefix: '/clickhouse/{installation}/tables/{shard}' },
      { cluster: 'prod-eu.1', tracesTable: 'spans', payloadsTable: 'blobs', ttlSeconds: 3600 },
    ];
    for (const options of variants) {
      for (const statement of schemaStatements(options)) expect(formatted(statement)).toMatch(/^CREATE /);
    }
    expect(() => formatted('CREATE TABLE x ON CLUSTER (')).toThrow(/Syntax error/);
  });

  it('creates local tables, the Distributed tables under the usual names, and the view', () => {
    expect(created(statements)).toEqual([
      '`obs`',
      '`obs`.`otel_traces_local`',
      '`obs`.`otel_traces`',
      '`obs`.`otel_traces_trace_id_ts_local`',
      '`obs`.`otel_traces_trace_id_ts`',
      '`obs`.`otel_traces_trace_id_ts_mv`',
      '`obs`.`tracetape_payloads_local`',
      '`obs`.`tracetape_payloads`',
      '`obs`.`tracetape_payloads_text`',
      '`obs`.`tracetape_runs_local`',
      '`obs`.`tracetape_runs`',
    ]);
    // Readers and writers name these tables; on a cluster they are the Distributed ones.
    const names = schemaNames(CLUSTER);
    expect(created(statements)).toEqual(expect.arrayContaining([names.traces, names.traceIdTs, names.payloads, names.traceIdTsMv, names.runs]));
    expect(created(schemaStatements({ cluster: 'tracing' }))[0]).toBe('`default`.`otel_traces_local`');
  });

  it('runs every statement ON CLUSTER', () => {
    for (const statement of statements) expect(formatted(statement)).toMatch(/^CREATE \S+( VIEW)? IF NOT EXISTS \S+ ON CLUSTER tracing\b/);
  });

  it('replicates the local tables with the conventional Keeper path', () => {
    const path = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'";
    const engines = statements.filter((s) => s.includes('_local` ON CLUSTER')).map((s) => /ENGINE = (.*)/.exec(formatted(s))?.[1]);
    expect(engines).toEqual([
      `ReplicatedMergeTree(${path})`,
      `ReplicatedAggregatingMergeTree(${path})`,
      `ReplicatedReplacingMergeTree(${path}, Timestamp)`,
      `ReplicatedReplacingMergeTree(${path}, Updated)`,
    ]);
    const custom = schemaStatements({ cluster: 'tracing', replicationPathPrefix: '/ch/{installation}/{shard}' });
    expect(custom[0]).toContain("ReplicatedMergeTree('/ch/{installation}/{shard}/{database}/{table}', '{replica}')");
  });

  it('shards a trace onto one shard and a payload by its hash, over the local tables of the same database', () => {
    const distributed = statements.map(formatted).filter((s) => s.includes('Distributed('));
    expect(distributed).toEqual([
      "CREATE TABLE IF NOT EXISTS obs.otel_traces ON CLUSTER tracing AS obs.otel_traces_local\nENGINE = Distributed('tracing', 'obs', 'otel_traces_local', cityHash64(TraceId))",
      "CREATE TABLE IF NOT EXISTS obs.otel_traces_trace_id_ts ON CLUSTER tracing AS obs.otel_traces_trace_id_ts_local\nENGINE = Distributed('tracing', 'obs', 'otel_traces_trace_id_ts_local', cityHash64(TraceId))",
      "CREATE TABLE IF NOT EXISTS obs.tracetape_payloads ON CLUSTER tracing AS obs.tracetape_payloads_local\nENGINE = Distributed('tracing', 'obs', 'tracetape_payloads_local', cityHash64(Hash))",
      "CREATE TABLE IF NOT EXISTS obs.tracetape_runs ON CLUSTER tracing AS obs.tracetape_runs_local\nENGINE = Distributed('tracing', 'obs', 'tracetape_runs_local', cityHash64(TraceId))",
    ]);
  });

  it('feeds each node\'s lookup table from its own span table', () => {
    const view = formatted(statements.find((s) => s.includes('MATERIALIZED VIEW'))!);
    expect(view).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS obs\.otel_traces_trace_id_ts_mv ON CLUSTER tracing TO obs\.otel_traces_trace_id_ts_local\n/);
    expect(view).toMatch(/FROM obs\.otel_traces_local\n/);
  });

  it('puts the retention on the local tables only', () => {
    const ttl = statements.map((s) => [created([s])[0], /\nTTL (.*)\n/.exec(s)?.[1]]);
    expect(ttl.filter(([, clause]) => clause !== undefined)).toEqual([
      ['`obs`.`otel_traces_local`', 'toDateTime(Timestamp) + toIntervalSecond(2592000)'],
      ['`obs`.`otel_traces_trace_id_ts_local`', 'toDateTime(Start) + toIntervalSecond(2592000)'],
      ['`obs`.`tracetape_payloads_local`', `toDateTime(toDate(Timestamp)) + toIntervalSecond(${2592000 + 2 * 86400})`],
      ['`obs`.`tracetape_runs_local`', 'toDateTime(Started) + toIntervalSecond(2592000)'],
    ]);
    expect(schemaStatements({ cluster: 'tracing' }).join('\n')).not.toContain('TTL');
  });

  it('changes the retention of existing tables on the local tables, ON CLUSTER', () => {
    expect(retentionStatements({ ...CLUSTER, ttlSeconds: 86400 }).map(formatted)).toEqual([
      'ALTER TABLE obs.otel_traces_local ON CLUSTER tracing\n    (MODIFY TTL toDateTime(Timestamp) + toIntervalSecond(86400))',
      'ALTER TABLE obs.otel_traces_trace_id_ts_local ON CLUSTER tracing\n    (MODIFY TTL toDateTime(Start) + toIntervalSecond(86400))',
      'ALTER TABLE obs.tracetape_payloads_local ON CLUSTER tracing\n    (MODIFY TTL toDateTime(toDate(Timestamp)) + toIntervalSecond(259200))',
      'ALTER TABLE obs.tracetape_runs_local ON CLUSTER tracing\n    (MODIFY TTL toDateTime(Started) + toIntervalSecond(86400))',
    ]);
  });

  it('keeps the Collector layout: local tables have the columns a single server gets', () => {
    const single = schemaStatements({ database: 'obs', ttlSeconds: 30 * 86400 }).filter((s) => s.includes(') ENGINE'));
    const local = statements.filter((s) => s.includes(') ENGINE'));
    expect(local.map(columnsOf)).toEqual(single.map(columnsOf));
    // Without a cluster nothing cluster-shaped leaks into the DDL.
    for (const statement of schemaStatements({ database: 'obs' })) {
      expect(statement).not.toMatch(/ON CLUSTER|Replicated|Distributed|_local/);
    }
  });

  it('refuses names that are not a cluster or a Keeper path', () => {
    expect(() => schemaStatements({ cluster: "x' SETTINGS a=1" })).toThrow(ConfigError);
    expect(() => schemaStatements({ cluster: 'c', replicationPathPrefix: 'clickhouse/tables' })).toThrow(/must start with \//);
    expect(() => schemaStatements({ cluster: 'c', replicationPathPrefix: '/clickhouse/tables/' })).toThrow(ConfigError);
  });
});

describe('TRACETAPE_CLICKHOUSE_CLUSTER', () => {
  it('is read with the server settings and reaches a server store', () => {
    const options = storeOptionsFromEnv({ TRACETAPE_CLICKHOUSE_URL: 'http://127.0.0.1:1', TRACETAPE_CLICKHOUSE_CLUSTER: 'tracing' });
    expect(options.cluster).toBe('tracing');
    const store = openStore(options);
    expect(store).toBeInstanceOf(ServerSpanStore);
    void store.close();
  });

  it('is refused for the embedded store, saying what to set instead', () => {
    const options = storeOptionsFromEnv({ TRACETAPE_CLICKHOUSE_CLUSTER: 'tracing' });
    expect(() => openStore(options)).toThrow(ConfigError);
    expect(() => openStore(options)).toThrow(/needs ClickHouse servers.*Set TRACETAPE_CLICKHOUSE_URL to a node of the cluster, or unset TRACETAPE_CLICKHOUSE_CLUSTER/);
  });
});
