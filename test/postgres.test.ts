import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { replayTape } from '@tracetape/replay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, queryRows, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startPostgres, type PostgresServer, type SqlDatabase } from './support/databases.js';

// The postgres door end to end: the real `pg` client against a real PostgreSQL server, recorded,
// then replayed with the server's own connection count and tables as witnesses.
const APP = path.join(FIXTURES, 'postgres-refund-app.mjs');
const store = tempDir('tracetape-postgres-');
const PAYMENT_TOKEN = `sk-proj-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}abcdefgh`;

let server: PostgresServer;
let database: SqlDatabase;
let env: Record<string, string>;
let traceId: string;
let recordedOutput: string;

async function sql<T extends object>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const refunds = async (): Promise<number> => (await sql<{ n: number }>('SELECT count(*)::int AS n FROM refunds'))[0]!.n;

beforeAll(async () => {
  server = await startPostgres();
  database = await server.createDatabase('refund_agent');
  await sql(`CREATE TABLE orders (id serial PRIMARY KEY, customer text, total numeric(10,2), paid_at timestamptz, meta jsonb, receipt bytea, refunded boolean DEFAULT false)`);
  await sql(`CREATE TABLE refunds (id serial PRIMARY KEY, order_id int, amount numeric(10,2), payment_token text)`);
  await sql(`INSERT INTO orders (customer, total, paid_at, meta, receipt) VALUES
    ('ada', 19.99, '2026-11-30T10:00:00.123Z', '{"tier":"gold","tags":["vip"]}', '\\x00ff10'),
    ('grace', 5.00, '2026-11-29T08:30:00Z', '{"tier":"basic"}', NULL),
    ('linus', 7.50, NULL, NULL, NULL)`);
  // A body path redacts a value by position in every query: the amount, here, beside the token the patterns catch.
  env = { TRACETAPE_DIR: path.join(store.dir, 'store'), DATABASE_URL: database.url, PAYMENT_TOKEN, TRACETAPE_REDACT_BODY_PATHS: '$.params[1]' };
  const recorded = await tracetape(['record', '--', process.execPath, APP], env);
  expect(recorded.code, recorded.stderr).toBe(0);
  traceId = recordedTraceId(recorded.stderr);
  recordedOutput = recorded.stdout;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  store.remove();
});

describe('PostgreSQL through pg', () => {
  it('records every query with its statement, values, result or SQLSTATE, and the values as the app saw them', async () => {
    expect(recordedOutput).toContain('order id=1 customer="ada" total="19.99" paid_at=Date(2026-11-30T10:00:00.123Z) meta={"tags":["vip"],"tier":"gold"} receipt=Buffer(00ff10)');
    expect(recordedOutput).toContain('counts 3,2,1,0');
    expect(recordedOutput).toContain('refund INSERT 1 number');
    expect(recordedOutput).toContain('duplicate 23505 true');
    expect(recordedOutput).toContain('arrays [[1,"ada"],[2,"grace"],[3,"linus"]]');
    const timeline = await tracetape(['tape', traceId], env);
    expect(timeline.code, timeline.stderr).toBe(0);
    // SELECT, 4 racing counts, BEGIN, INSERT, UPDATE, COMMIT, the failed INSERT, the array SELECT, the callback SELECT.
    expect(timeline.stdout.match(/ postgres /g)).toHaveLength(12);
    expect(timeline.stdout).toMatch(/postgres\s+INSERT\s+postgres:\/\/127\.0\.0\.1:\d+\/refund_agent\s+error.*duplicate key/);
  });

  it('replays with no connection to the server and no write: same output, the writes reported suppressed', async () => {
    // The witnesses' own connections come before and after the replay, not during it.
    const refundsBefore = await refunds();
    const connectionsBefore = await server.connectionCount();
    const replayed = await tracetape(['replay', traceId, '--', process.execPath, APP], env);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recordedOutput);
    expect(replayed.stderr).toContain('12 served, 0 unconsumed, 0 blocked, 3 side effect(s) suppressed');
    expect(replayed.stderr).toMatch(/3 side effect\(s\) suppressed: 2× INSERT postgres:\/\/127\.0\.0\.1:\d+\/refund_agent, 1× UPDATE/);
    expect(await server.connectionCount()).toBe(connectionsBefore);
    expect(await refunds()).toBe(refundsBefore);
    expect(await sql('SELECT id FROM orders WHERE refunded')).toEqual([{ id: 1 }]);
  });

  it('blocks a query with a changed value or statement, with the field diff and the closest recorded query', async () => {
    const changedValue = await tracetape(['replay', traceId, '--', process.execPath, APP], { ...env, CUSTOMER: 'grace' });
    expect(changedValue.code).not.toBe(0);
    expect(changedValue.stderr).toMatch(/DIVERGED at call #1: SELECT postgres:\/\/127\.0\.0\.1:\d+\/refund_agent is not on the tape/);
    expect(changedValue.stderr).toMatch(/body\.params\[0\]\s+"ada"\s+"grace"/);

    const changedStatement = await tracetape(['replay', traceId, '--', process.execPath, APP], { ...env, ORDER_COLUMNS: 'id, customer, total' });
    expect(changedStatement.code).not.toBe(0);
    expect(changedStatement.stderr).toMatch(/body\.statement\s+"SELECT id, customer, total, paid_at, meta, receipt FROM orders WHERE customer = \$1"\s+"SELECT id, customer, total FROM orders WHERE customer = \$1"/);
  });

  it('stores neither the server password nor a secret in a query parameter', async () => {
    const dump = await tracetape(['query', 'SELECT * FROM otel_traces', '--format', 'json'], env);
    expect(dump.code, dump.stderr).toBe(0);
    const payloads = await tracetape(['query', 'SELECT Data FROM tracetape_payloads', '--format', 'json'], env);
    expect(payloads.code, payloads.stderr).toBe(0);
    const everything = dump.stdout + payloads.stdout + readTree(env.TRACETAPE_DIR!);
    expect(dump.stdout).toContain('INSERT INTO refunds');
    // The parameter was recorded, as the redaction's placeholder.
    const [insert] = await queryRows<{ request: string }>(
      "SELECT SpanAttributes['tracetape.request'] AS request FROM otel_traces WHERE request LIKE '%INSERT INTO refunds (order_id%'",
      env,
    );
    const body = JSON.parse((JSON.parse(insert!.request) as { normalized: { body: { data: string } } }).normalized.body.data) as { params: unknown[] };
    expect(body.params).toEqual([1, '[REDACTED]', '[REDACTED]']);
    expect(everything).not.toContain(server.password);
    expect(everything).not.toContain(PAYMENT_TOKEN);
  });

  it('replays inside a test, from a fixture, with the pg module handed to replayTape', async () => {
    const fixtures = path.join(store.dir, 'fixtures');
    const frozen = await tracetape(['fixture', traceId, '-o', fixtures], env);
    expect(frozen.code, frozen.stderr).toBe(0);
    const [file] = fs.readdirSync(fixtures).filter((name) => name.endsWith('.tape.json'));
    const connectionsBefore = await server.connectionCount();
    // The app's first query, made by test code: answered from the fixture, as the app saw it.
    const { result } = await replayTape(
      path.join(fixtures, file!),
      async () => {
        const pool = new pg.Pool({ connectionString: database.url });
        const { rows } = await pool.query('SELECT id, customer, total, paid_at, meta, receipt\n  FROM orders\n  WHERE customer = $1', ['ada']);
        await pool.end();
        return rows[0] as { total: string; paid_at: Date; receipt: Buffer };
      },
      { clients: { pg } },
    );
    expect(result.total).toBe('19.99');
    expect(result.paid_at).toEqual(new Date('2026-11-30T10:00:00.123Z'));
    expect(result.receipt).toEqual(Buffer.from([0x00, 0xff, 0x10]));
    expect(await server.connectionCount()).toBe(connectionsBefore);
  });

  it('replays the same with the server stopped', async () => {
    await server.stop();
    const replayed = await tracetape(['replay', traceId, '--', process.execPath, APP], env);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recordedOutput);
  });
});

/** Every file under `dir` as text: the recording log and the engine's own files included. */
function readTree(dir: string): string {
  let text = '';
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += fs.readFileSync(path.join(entry.parentPath, entry.name)).toString('latin1');
  }
  return text;
}
