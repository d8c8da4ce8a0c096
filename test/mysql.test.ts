import fs from 'node:fs';
import path from 'node:path';
import mysql2 from 'mysql2';
import mysql from 'mysql2/promise';
import { replayTape } from '@tracetape/replay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, queryRows, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startMariaDb, type MariaDbServer, type SqlDatabase } from './support/databases.js';

// The MySQL door end to end: the real `mysql2` client (promise and callback APIs) against a real
// MariaDB server, recorded, then replayed with the server's own connection count and tables as witnesses.
const APP = path.join(FIXTURES, 'mysql-refund-app.mjs');
const store = tempDir('tracetape-mysql-');
const PAYMENT_TOKEN = `sk-proj-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}abcdefgh`;

let server: MariaDbServer;
let database: SqlDatabase;
let env: Record<string, string>;
let traceId: string;
let recordedOutput: string;

async function sql<T>(text: string, values: unknown[] = []): Promise<T[]> {
  const connection = await mysql.createConnection({ ...database.config, multipleStatements: true });
  try {
    const [rows] = await connection.query(text, values);
    return rows as T[];
  } finally {
    await connection.end();
  }
}

const refunds = async (): Promise<number> => (await sql<{ n: number }>('SELECT COUNT(*) AS n FROM refunds'))[0]!.n;

beforeAll(async () => {
  server = await startMariaDb();
  database = await server.createDatabase('refund_agent');
  await sql(`CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(40), total DECIMAL(10,2), paid_at DATETIME(3), meta JSON, receipt BLOB, refunded BOOLEAN NOT NULL DEFAULT FALSE)`);
  await sql(`CREATE TABLE refunds (id INT AUTO_INCREMENT PRIMARY KEY, order_id INT, amount DECIMAL(10,2), payment_token VARCHAR(200))`);
  await sql(
    `INSERT INTO orders (customer, total, paid_at, meta, receipt) VALUES
      ('ada', 19.99, '2026-11-30 10:00:00.123', '{"tier":"gold","tags":["vip"]}', X'00ff10'),
      ('grace', 5.00, '2026-11-29 08:30:00', '{"tier":"basic"}', NULL),
      ('linus', 7.50, NULL, NULL, NULL)`,
  );
  // A body path redacts a value by position in every query: the amount, here, beside the token the patterns catch.
  env = { TRACETAPE_DIR: path.join(store.dir, 'store'), DATABASE_URL: database.url, PAYMENT_TOKEN, TRACETAPE_REDACT_BODY_PATHS: '$.params[1]', TZ: 'UTC' };
  const recorded = await tracetape(['record', '--', process.execPath, APP], env);
  expect(recorded.code, recorded.stderr).toBe(0);
  traceId = recordedTraceId(recorded.stderr);
  recordedOutput = recorded.stdout;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  store.remove();
});

describe('MySQL / MariaDB through mysql2', () => {
  it('records every query with its statement, values, rows and columns or error, and the values as the app saw them', async () => {
    expect(recordedOutput).toContain('order id=1 customer="ada" total="19.99" paid_at=Date(2026-11-30T10:00:00.123Z)');
    expect(recordedOutput).toContain('receipt=Buffer(00ff10)');
    expect(recordedOutput).toContain('counts 3,2,1,0');
    expect(recordedOutput).toContain('refund ResultSetHeader 1 number 1');
    expect(recordedOutput).toMatch(/duplicate ER_DUP_ENTRY 1062 23000 true INSERT INTO refunds/);
    expect(recordedOutput).toContain('arrays [[1,"ada"],[2,"grace"],[3,"linus"]]');
    expect(recordedOutput).toContain('callback query "19.99"');
    const timeline = await tracetape(['tape', traceId], env);
    expect(timeline.code, timeline.stderr).toBe(0);
    // SELECT, 4 racing counts, START TRANSACTION, INSERT, UPDATE, COMMIT, the failed INSERT, the array SELECT, the callback query and execute.
    expect(timeline.stdout.match(/ mysql /g)).toHaveLength(13);
    expect(timeline.stdout).toMatch(/mysql\s+INSERT\s+mysql:\/\/127\.0\.0\.1:\d+\/refund_agent\s+error.*Duplicate entry/);
  });

  it('replays with no connection to the server and no write: same output, the writes reported suppressed', async () => {
    const refundsBefore = await refunds();
    const connectionsBefore = await server.connectionCount();
    const replayed = await tracetape(['replay', traceId, '--', process.execPath, APP], env);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recordedOutput);
    expect(replayed.stderr).toContain('13 served, 0 unconsumed, 0 blocked, 3 side effect(s) suppressed');
    expect(replayed.stderr).toMatch(/3 side effect\(s\) suppressed: 2× INSERT mysql:\/\/127\.0\.0\.1:\d+\/refund_agent, 1× UPDATE/);
    expect(await server.connectionCount()).toBe(connectionsBefore);
    expect(await refunds()).toBe(refundsBefore);
    expect(await sql('SELECT id FROM orders WHERE refunded')).toEqual([{ id: 1 }]);
  });

  it('blocks a query with a changed value or statement, with the field diff and the closest recorded query', async () => {
    const changedValue = await tracetape(['replay', traceId, '--', process.execPath, APP], { ...env, CUSTOMER: 'grace' });
    expect(changedValue.code).not.toBe(0);
    expect(changedValue.stderr).toMatch(/DIVERGED at call #1: SELECT mysql:\/\/127\.0\.0\.1:\d+\/refund_agent is not on the tape/);
    expect(changedValue.stderr).toMatch(/body\.params\[0\]\s+"ada"\s+"grace"/);

    const changedStatement = await tracetape(['replay', traceId, '--', process.execPath, APP], { ...env, ORDER_COLUMNS: 'id, customer, total' });
    expect(changedStatement.code).not.toBe(0);
    expect(changedStatement.stderr).toMatch(/body\.statement\s+"SELECT id, customer, total, paid_at, meta, receipt FROM orders WHERE customer = \?"\s+"SELECT id, customer, total FROM orders WHERE customer = \?"/);
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
    // The official span's statement is as written: the values are not formatted into it.
    const [span] = await queryRows<{ text: string }>(
      "SELECT SpanAttributes['db.query.text'] AS text FROM otel_traces WHERE text LIKE '%INSERT INTO refunds (order_id%'",
      env,
    );
    expect(span!.text).toBe('INSERT INTO refunds (order_id, amount, payment_token) VALUES (?, ?, ?)');
    expect(everything).not.toContain(server.password);
    expect(everything).not.toContain(PAYMENT_TOKEN);
  });

  it('replays inside a test, from a fixture, with the mysql2 module handed to replayTape', async () => {
    const fixtures = path.join(store.dir, 'fixtures');
    const frozen = await tracetape(['fixture', traceId, '-o', fixtures], env);
    expect(frozen.code, frozen.stderr).toBe(0);
    const [file] = fs.readdirSync(fixtures).filter((name) => name.endsWith('.tape.json'));
    const connectionsBefore = await server.connectionCount();
    // The app's first query, made by test code through the promise API: answered from the fixture, as the app saw it.
    const { result } = await replayTape(
      path.join(fixtures, file!),
      async () => {
        const pool = mysql.createPool({ uri: database.url });
        const [rows] = await pool.query('SELECT id, customer, total, paid_at, meta, receipt\n  FROM orders\n  WHERE customer = ?', ['ada']);
        await pool.end();
        return (rows as Array<{ total: string; paid_at: Date; meta: unknown; receipt: Buffer }>)[0]!;
      },
      { clients: { mysql2 } },
    );
    expect(result.total).toBe('19.99');
    expect(result.paid_at).toEqual(new Date('2026-11-30T10:00:00.123Z'));
    expect(result.meta).toEqual({ tier: 'gold', tags: ['vip'] });
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
