import { createRequire } from 'node:module';
import net from 'node:net';
import { Redactor, ReplayDivergenceError, requestKey, TAPE_FORMAT, TAPE_VERSION, TapeMatcher, type RecordedResponse, type Tape, type TapeEntry } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { errorResponse, mysqlKeyRules, readResult, resultResponse, type MysqlCall } from '../../src/mysql/mysql-call.js';
import { MysqlInstrumentation } from '../../src/mysql/mysql-instrumentation.js';
import { MysqlPlayback } from '../../src/mysql/mysql-playback.js';
import { CompletionOrder } from '../../src/playback/completion-order.js';

// The real mysql2, loaded after the playback instrumentation hooked it, with no server at all:
// port 1 refuses every connection, so any socket the door let through would fail the test.
const require = createRequire(import.meta.url);
const redactor = new Redactor();
const CONFIG = { host: '127.0.0.1', port: 1, user: 'app', password: 'hunter2', database: 'shop' };
const TARGET = 'mysql://127.0.0.1:1/shop';

const ORDER_FIELDS = [{ name: 'id', columnType: 3, type: 3, table: 'orders', schema: 'shop' }, { name: 'paid_at', columnType: 12, type: 12, table: 'orders', schema: 'shop' }];
const ORDER = { id: 1, paid_at: new Date('2026-11-30T10:00:00.123Z') };
const HEADER = { fieldCount: 0, affectedRows: 1, insertId: 7, info: '', serverStatus: 2, warningStatus: 0, changedRows: 0 };
const DUPLICATE = Object.assign(new Error("Duplicate entry '1' for key 'PRIMARY'"), {
  code: 'ER_DUP_ENTRY',
  errno: 1062,
  sqlState: '23000',
  sqlMessage: "Duplicate entry '1' for key 'PRIMARY'",
  sql: 'INSERT INTO refunds (id) VALUES (1)',
});

let step = 0;
function entry(call: MysqlCall, response: RecordedResponse): TapeEntry {
  step += 1;
  const key = requestKey(call, redactor, mysqlKeyRules(TARGET));
  return {
    step,
    kind: 'mysql',
    spanId: step.toString(16).padStart(16, '0'),
    spanName: key.normalized.method,
    // One after the other: no call waits for another.
    startTime: new Date(Date.UTC(2030, 0, 1) + step * 10).toISOString(),
    durationMs: 1,
    inputHash: key.hash,
    request: { normalized: key.normalized, headers: [] },
    response,
  };
}

const rowsOf = (id: number) => resultResponse(readResult([{ ...ORDER, id }], ORDER_FIELDS), redactor);
const selectOrder = (id: number) => entry({ statement: 'SELECT id, paid_at FROM orders WHERE id = ?', params: [id] }, rowsOf(id));

const tape: Tape = {
  format: TAPE_FORMAT,
  version: TAPE_VERSION,
  traceId: '0'.repeat(32),
  serviceName: 'mysql-playback-test',
  rootName: 'test',
  recordedAt: '2030-01-01T00:00:00.000Z',
  entries: [
    selectOrder(1),
    selectOrder(1),
    selectOrder(1),
    selectOrder(2),
    selectOrder(3),
    selectOrder(4),
    entry({ statement: 'START TRANSACTION', params: [] }, resultResponse(readResult({ ...HEADER, affectedRows: 0 }, undefined), redactor)),
    entry({ statement: 'INSERT INTO refunds (order_id) VALUES (?)', params: [1] }, resultResponse(readResult(HEADER, undefined), redactor)),
    entry({ statement: 'COMMIT', params: [] }, resultResponse(readResult({ ...HEADER, affectedRows: 0 }, undefined), redactor)),
    entry({ statement: 'INSERT INTO refunds (id) VALUES (1)', params: [] }, errorResponse(DUPLICATE, redactor)),
    selectOrder(5),
    entry({ statement: 'SELECT id, paid_at FROM orders WHERE id = :id', params: { id: 6 } }, rowsOf(6)),
    entry(
      { statement: 'SELECT id, paid_at FROM orders', params: [] },
      { status: 0, statusText: '', headers: [], complete: false, error: 'the response was still being read when the recording was saved' },
    ),
  ],
};

const divergences: Error[] = [];
let instrumentation: MysqlInstrumentation;
let mysql: typeof import('mysql2');
let mysqlPromise: typeof import('mysql2/promise');
const connect = vi.spyOn(net.Socket.prototype, 'connect');

beforeAll(() => {
  const playback = new MysqlPlayback(new TapeMatcher(tape), new CompletionOrder(tape.entries), redactor, { tape, onDivergence: (error) => divergences.push(error) });
  instrumentation = new MysqlInstrumentation(playback);
  mysql = require('mysql2') as typeof import('mysql2');
  mysqlPromise = require('mysql2/promise') as typeof import('mysql2/promise');
});

afterAll(() => {
  instrumentation.disable();
  expect(connect).not.toHaveBeenCalled();
});

describe('mysql2 playback', () => {
  it('connects at once, pings and ends, with no socket', async () => {
    const connection = mysql.createConnection(CONFIG);
    const threadId = await new Promise((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve(connection.threadId))));
    expect(threadId).toEqual(expect.any(Number));
    await new Promise<void>((resolve, reject) => connection.ping((error) => (error ? reject(error) : resolve())));
    const ended = new Promise((resolve) => connection.once('end', resolve));
    await new Promise<void>((resolve) => connection.end(() => resolve()));
    await ended;
  });

  it('answers the callback API from the tape: rows as recorded, columns, the command formatted as mysql2 formats it', async () => {
    const connection = mysql.createConnection(CONFIG);
    const { rows, fields, sql } = await new Promise<{ rows: unknown; fields: Array<{ name: string; db: string }>; sql: string }>((resolve, reject) => {
      const command = connection.query('SELECT id, paid_at FROM orders WHERE id = ?', [1], (error, rows, fields) =>
        error ? reject(error) : resolve({ rows, fields: fields as never, sql: command.sql }),
      );
    });
    expect(rows).toEqual([ORDER]);
    expect((rows as Array<typeof ORDER>)[0]!.paid_at).toBeInstanceOf(Date);
    expect(fields.map((field) => `${field.name} ${field.db}`)).toEqual(['id shop', 'paid_at shop']);
    expect(sql).toBe('SELECT id, paid_at FROM orders WHERE id = 1');

    // Without a callback, as events.
    const events: unknown[] = [];
    await new Promise((resolve, reject) =>
      connection
        .query('SELECT id, paid_at FROM orders WHERE id = ?', [1])
        .on('fields', (columns: unknown[]) => events.push(`fields ${columns.length}`))
        .on('result', (row: unknown) => events.push(row))
        .on('error', reject)
        .on('end', resolve),
    );
    expect(events).toEqual(['fields 2', ORDER]);

    // As a stream: mysql2's own, built on those events.
    const streamed: unknown[] = [];
    for await (const row of connection.query('SELECT id, paid_at FROM orders WHERE id = ?', [1]).stream()) streamed.push(row);
    expect(streamed).toEqual([ORDER]);
    connection.destroy();
  });

  it('answers a promise pool: concurrent executes, a transaction on a pooled connection, a recorded error with its fields', async () => {
    const pool = mysqlPromise.createPool({ ...CONFIG, connectionLimit: 2 });
    const results = await Promise.all([2, 3, 4].map((id) => pool.execute('SELECT id, paid_at FROM orders WHERE id = ?', [id])));
    expect(results.map(([rows]) => (rows as Array<{ id: number }>)[0]!.id)).toEqual([2, 3, 4]);

    const connection = await pool.getConnection();
    await connection.beginTransaction();
    const [header] = await connection.execute('INSERT INTO refunds (order_id) VALUES (?)', [1]);
    await connection.commit();
    connection.release();
    expect(header.constructor.name).toBe('ResultSetHeader');
    expect(header).toMatchObject({ affectedRows: 1, insertId: 7 });

    const failure = await pool.query('INSERT INTO refunds (id) VALUES (1)').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect({ ...(failure as object) }).toEqual({
      code: 'ER_DUP_ENTRY',
      errno: 1062,
      sqlState: '23000',
      sqlMessage: "Duplicate entry '1' for key 'PRIMARY'",
      sql: 'INSERT INTO refunds (id) VALUES (1)',
    });
    await pool.end();
  });

  it('fails a query the tape does not hold with the divergence, and reports it', async () => {
    const connection = await mysqlPromise.createConnection(CONFIG);
    const failure = await connection.query('SELECT id, paid_at FROM orders WHERE id = ?', [99]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReplayDivergenceError);
    expect(divergences).toContain(failure);
    expect((failure as Error).message).toMatch(/body\.params\[0\]/);
    // The next recorded query is still answered.
    const [rows] = await connection.query('SELECT id, paid_at FROM orders WHERE id = ?', [5]);
    expect(rows).toEqual([{ ...ORDER, id: 5 }]);
    await connection.end();
  });

  it('keys named placeholders by name, and formats the command as mysql2 does', async () => {
    const connection = mysql.createConnection({ ...CONFIG, namedPlaceholders: true });
    const { rows, sql } = await new Promise<{ rows: unknown; sql: string }>((resolve, reject) => {
      const command = connection.query('SELECT id, paid_at FROM orders WHERE id = :id', { id: 6 }, (error, rows) => (error ? reject(error) : resolve({ rows, sql: command.sql })));
    });
    expect(rows).toEqual([{ ...ORDER, id: 6 }]);
    expect(sql).toBe('SELECT id, paid_at FROM orders WHERE id = 6');
    connection.destroy();
  });

  it('fails a query recorded without its outcome, saying why and what to do', async () => {
    const connection = await mysqlPromise.createConnection(CONFIG);
    const failure = (await connection.query('SELECT id, paid_at FROM orders').catch((error: unknown) => error)) as Error & { code: string };
    expect(failure.code).toBe('TRACETAPE_RESPONSE_INCOMPLETE');
    expect(failure.message).toContain('Record the run again');
    await connection.end();
  });

  it('refuses an explicit prepare, saying what to use instead', async () => {
    const connection = await mysqlPromise.createConnection(CONFIG);
    const failure = (await connection.prepare('SELECT 1').catch((error: unknown) => error)) as Error & { code: string };
    expect(failure.code).toBe('TRACETAPE_PLAYBACK_UNSUPPORTED');
    expect(failure.message).toContain('connection.execute(sql, values)');
    await connection.end();
  });
});
