import { retentionStatements, schemaStatements, upgradeStatements } from '@tracetape/clickhouse';
import { describe, expect, it } from 'vitest';
import { tracetape } from '../../../test/support/cli.js';

// Empty values count as unset, so the settings of the shell running the tests cannot leak in.
const CLEAN_ENV = { TRACETAPE_TTL: '', TRACETAPE_CLICKHOUSE_CLUSTER: '', TRACETAPE_CLICKHOUSE_DATABASE: '', TRACETAPE_CLICKHOUSE_URL: '' };

describe('tracetape schema', () => {
  it('prints the DDL for a cluster, a retention and a database, ready for clickhouse-client', async () => {
    const result = await tracetape(['schema', '--cluster', 'tracing', '--ttl', '30d', '--database', 'obs'], CLEAN_ENV);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const expected = schemaStatements({ cluster: 'tracing', ttlSeconds: 30 * 86400, database: 'obs' });
    expect(result.stdout).toBe(`${expected.join(';\n\n')};\n`);
    expect(result.stdout).toContain("ENGINE = Distributed('tracing', 'obs', 'otel_traces_local', cityHash64(TraceId))");
  });

  it('defaults to the store settings, which flags override', async () => {
    const env = { ...CLEAN_ENV, TRACETAPE_TTL: '72h', TRACETAPE_CLICKHOUSE_DATABASE: 'from_env' };
    const fromEnv = await tracetape(['schema'], env);
    expect(fromEnv.stdout).toBe(`${schemaStatements({ ttlSeconds: 72 * 3600, database: 'from_env' }).join(';\n\n')};\n`);
    const overridden = await tracetape(['schema', '--ttl', '90m', '--database', 'flag_db'], env);
    expect(overridden.stdout).toBe(`${schemaStatements({ ttlSeconds: 90 * 60, database: 'flag_db' }).join(';\n\n')};\n`);
  });

  it('prints the ALTER statements that give existing tables a retention', async () => {
    const result = await tracetape(['schema', '--alter', '--ttl', '30d', '--cluster', 'tracing'], CLEAN_ENV);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${retentionStatements({ cluster: 'tracing', ttlSeconds: 30 * 86400 }).join(';\n\n')};\n`);
    const withoutTtl = await tracetape(['schema', '--alter'], CLEAN_ENV);
    expect(withoutTtl.code).toBe(2);
    expect(withoutTtl.stderr).toContain('--alter sets a retention: give it with --ttl');
  });

  it('prints the ALTER statements that give existing tables the insert deduplication window', async () => {
    const result = await tracetape(['schema', '--upgrade', '--database', 'obs'], CLEAN_ENV);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${upgradeStatements({ database: 'obs' }).join(';\n\n')};\n`);
    expect(result.stdout).toContain('MODIFY SETTING non_replicated_deduplication_window = 1000');
    const both = await tracetape(['schema', '--upgrade', '--alter', '--ttl', '30d'], CLEAN_ENV);
    expect(both.code).toBe(2);
  });

  it('refuses a retention it cannot read, saying which forms it takes', async () => {
    const result = await tracetape(['schema', '--ttl', '30 days'], CLEAN_ENV);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--ttl must be a retention in days (30d), hours (72h), minutes (90m) or whole seconds');
  });
});
