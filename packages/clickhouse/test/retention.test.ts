import { createHash } from 'node:crypto';
import { ATTR_TRACETAPE_REQUEST, ATTR_TRACETAPE_RESPONSE, ConfigError, PAYLOAD_REF_PREFIX } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChdbSpanStore,
  openStore,
  parseRetention,
  resolvePayloadRefs,
  retentionStatements,
  schemaStatements,
  storeOptionsFromEnv,
  type PayloadRow,
  type SpanRow,
} from '../src/index.js';
import { spanRow, tempDir } from './spans.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/*
 * The retention is chosen so that the day 30 days ago splits at noon: its morning spans are past
 * the TTL and its evening spans are not, whatever time of day the test runs. That day is the case a
 * per-row payload TTL gets wrong.
 */
const now = Date.now();
const splitDayStart = Math.floor((now - 30 * DAY_MS) / DAY_MS) * DAY_MS;
const ttlSeconds = Math.floor((now - (splitDayStart + 12 * HOUR_MS)) / 1000);

function timestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000000`;
}

function payload(text: string, ms: number): PayloadRow {
  const data = `${text} ${'x'.repeat(4096)}`;
  return { Hash: createHash('sha256').update(data).digest('hex'), Data: data, Size: Buffer.byteLength(data), Timestamp: timestamp(ms) };
}

function span(traceId: string, spanId: string, ms: number, request: PayloadRow, response: PayloadRow): SpanRow {
  return spanRow({
    Timestamp: timestamp(ms),
    TraceId: traceId,
    SpanId: spanId,
    ServiceName: 'retention-test',
    ResourceAttributes: { 'service.name': 'retention-test' },
    ScopeName: 'tracetape',
    ScopeVersion: '0',
    SpanAttributes: {
      [ATTR_TRACETAPE_REQUEST]: PAYLOAD_REF_PREFIX + request.Hash,
      [ATTR_TRACETAPE_RESPONSE]: PAYLOAD_REF_PREFIX + response.Hash,
    },
  });
}

const OLD = now - 40 * DAY_MS;
const RECENT = now - 29 * DAY_MS;
const SPLIT_MORNING = splitDayStart + 6 * HOUR_MS;
const SPLIT_EVENING = splitDayStart + 18 * HOUR_MS;
const trace = (n: number): string => n.toString(16).padStart(32, '0');

// A prompt sent on every run, and payloads that only one run used.
const shared = 'shared system prompt';
const oldOnly = payload('old response', OLD);
const recentOnly = payload('recent response', RECENT);
const splitDay = payload('split-day payload', SPLIT_MORNING);

const tmp = tempDir('retention');
const store = new ChdbSpanStore({ dir: tmp.dir, ttlSeconds });

async function rows<T>(sql: string): Promise<T[]> {
  return (await store.query(sql, 'JSONEachRow'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

/** Table name and the seconds in its TTL expression, for the MergeTree tables of `database`. */
async function ttlByTable(database: string): Promise<[string, string | undefined][]> {
  const tables = await rows<{ name: string; engine_full: string }>(
    `SELECT name, engine_full FROM system.tables WHERE database = '${database}' AND engine LIKE '%MergeTree' ORDER BY name`,
  );
  return tables.map((t) => [t.name, /TTL .*toIntervalSecond\((\d+)\)/.exec(t.engine_full)?.[1]]);
}

beforeAll(async () => {
  await store.init();
  // Batches as the writer makes them: each day's spans come with their payload rows in that day,
  // and a payload already written that day is not written again.
  await store.insert([span(trace(1), '01'.repeat(8), OLD, payload(shared, OLD), oldOnly)], [payload(shared, OLD), oldOnly]);
  await store.insert([span(trace(2), '02'.repeat(8), SPLIT_MORNING, splitDay, splitDay)], [splitDay]);
  await store.insert([span(trace(3), '03'.repeat(8), SPLIT_EVENING, splitDay, splitDay)], []);
  await store.insert([span(trace(4), '04'.repeat(8), RECENT, payload(shared, RECENT), recentOnly)], [payload(shared, RECENT), recentOnly]);

  // What background TTL merges would do eventually, done now and waited for.
  for (const table of ['otel_traces', 'otel_traces_trace_id_ts', 'tracetape_payloads']) {
    await store.query(`ALTER TABLE \`default\`.\`${table}\` MATERIALIZE TTL SETTINGS mutations_sync = 2`, 'TabSeparated');
    await store.query(`OPTIMIZE TABLE \`default\`.\`${table}\` FINAL`, 'TabSeparated');
  }
});

afterAll(async () => {
  await store.close();
  tmp.remove();
});

describe('retention (TRACETAPE_TTL)', () => {
  it('drops spans past the TTL and keeps the younger ones', async () => {
    const traces = await rows<{ TraceId: string }>('SELECT DISTINCT TraceId FROM `default`.`otel_traces` ORDER BY TraceId');
    const ids = traces.map((t) => t.TraceId);
    expect(ids).not.toContain(trace(1));
    expect(ids).toContain(trace(3));
    expect(ids).toContain(trace(4));
  });

  it('keeps a payload row for every reference a remaining span holds', async () => {
    const orphans = await rows<{ ref: string }>(
      `SELECT ref FROM \`default\`.\`otel_traces\` ARRAY JOIN mapValues(SpanAttributes) AS ref
       WHERE startsWith(ref, '${PAYLOAD_REF_PREFIX}')
         AND substring(ref, ${PAYLOAD_REF_PREFIX.length + 1}) NOT IN (SELECT Hash FROM \`default\`.\`tracetape_payloads\`)`,
    );
    expect(orphans).toEqual([]);
    // The split day's evening span outlives the row its payload was written with, by hours.
    for (const id of [trace(3), trace(4)]) {
      const spans = await resolvePayloadRefs(await store.getTraceSpans(id), store);
      expect(spans).toHaveLength(1);
      expect(spans[0]!.SpanAttributes[ATTR_TRACETAPE_RESPONSE]).toMatch(/ x{4096}$/);
    }
  });

  it('drops payloads whose spans all expired, by whole day partitions', async () => {
    const hashes = (await rows<{ Hash: string }>('SELECT DISTINCT Hash FROM `default`.`tracetape_payloads`')).map((r) => r.Hash);
    expect(hashes).not.toContain(oldOnly.Hash);
    expect(hashes.sort()).toEqual([payload(shared, RECENT).Hash, recentOnly.Hash, splitDay.Hash].sort());

    const partitions = await rows<{ partition: string; rows: string }>(
      `SELECT partition, sum(rows) AS rows FROM system.parts
       WHERE database = 'default' AND table = 'tracetape_payloads' AND active
       GROUP BY partition HAVING rows > 0 ORDER BY partition`,
    );
    const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
    // Every day that stays keeps all of its rows; the old day is gone entirely.
    expect(partitions.map((p) => [p.partition, Number(p.rows)])).toEqual([
      [day(SPLIT_MORNING), 1],
      [day(RECENT), 2],
    ]);
  });

  it('writes the payload TTL per day partition, with a grace past the span TTL', async () => {
    const [table] = await rows<{ engine_full: string }>(
      "SELECT engine_full FROM system.tables WHERE database = 'default' AND name = 'tracetape_payloads'",
    );
    expect(table?.engine_full).toContain(`TTL toDateTime(toDate(Timestamp)) + toIntervalSecond(${ttlSeconds + 2 * 86400})`);
  });
});

describe('TRACETAPE_TTL', () => {
  it('accepts days, hours, minutes and seconds', () => {
    expect(parseRetention('30d')).toBe(30 * 86400);
    expect(parseRetention('72h')).toBe(72 * 3600);
    expect(parseRetention('90m')).toBe(90 * 60);
    expect(parseRetention('3600')).toBe(3600);
    expect(storeOptionsFromEnv({ TRACETAPE_TTL: '7d' }).ttlSeconds).toBe(7 * 86400);
    expect(storeOptionsFromEnv({ TRACETAPE_TTL: '' }).ttlSeconds).toBeUndefined();
  });

  it('refuses anything else, naming the accepted forms', () => {
    for (const bad of ['30 days', '1w', '-5', '1.5d', 'd', '0', '0d', '30D']) {
      expect(() => parseRetention(bad), bad).toThrow(ConfigError);
    }
    expect(() => storeOptionsFromEnv({ TRACETAPE_TTL: '2 weeks' })).toThrow(/TRACETAPE_TTL must be a retention in days \(30d\), hours \(72h\), minutes \(90m\) or whole seconds/);
    expect(() => parseRetention('100000d')).toThrow(/at most 3650d/);
  });

  it('can be set later on tables created without one', async () => {
    for (const sql of schemaStatements({ database: 'ttl_later' })) await store.query(sql, 'TabSeparated');
    for (const sql of retentionStatements({ database: 'ttl_later', ttlSeconds: 86400 })) await store.query(sql, 'TabSeparated');
    expect(await ttlByTable('ttl_later')).toEqual([
      ['otel_traces', '86400'],
      ['otel_traces_trace_id_ts', '86400'],
      ['tracetape_payloads', String(86400 * 3)],
      ['tracetape_runs', '86400'],
    ]);
  });

  // Last: the second store shares this process's chDB engine, and closing it ends the file's queries.
  it('reaches the tables a store opened from the environment creates', async () => {
    const configured = openStore(storeOptionsFromEnv({ TRACETAPE_TTL: '1d', TRACETAPE_DIR: tmp.dir, TRACETAPE_CLICKHOUSE_DATABASE: 'ttl_from_env' }));
    await configured.init();
    expect(await ttlByTable('ttl_from_env')).toEqual([
      ['otel_traces', '86400'],
      ['otel_traces_trace_id_ts', '86400'],
      ['tracetape_payloads', String(86400 * 3)],
      ['tracetape_runs', '86400'],
    ]);
    await configured.close();
  });
});
