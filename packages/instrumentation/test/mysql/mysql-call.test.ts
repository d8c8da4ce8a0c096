import { EventEmitter } from 'node:events';
import { Redactor, requestKey } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import {
  callbackValues,
  ColumnDefinition,
  errorResponse,
  mysqlKeyRules,
  outcomeOf,
  readQueryArgs,
  readResult,
  ResultSetHeader,
  resultResponse,
  targetOf,
  type MysqlCall,
} from '../../src/mysql/mysql-call.js';

const redactor = new Redactor();
const callback = (): void => undefined;
const TARGET = 'mysql://127.0.0.1:3306/shop';

function key(call: MysqlCall, target = TARGET) {
  return requestKey(call, redactor, mysqlKeyRules(target));
}

/** A Query command as a pool hands it to its connection. */
function queryCommand(sql: string, values: unknown, onResult?: () => void): EventEmitter {
  return Object.assign(new EventEmitter(), { sql, values, onResult });
}

describe('reading mysql2 query arguments', () => {
  it('reads a statement with values and a callback in every position mysql2 accepts', () => {
    expect(readQueryArgs(['SELECT 1'], 'query')).toEqual({ call: { statement: 'SELECT 1', params: [] }, values: undefined });
    expect(readQueryArgs(['SELECT 1', callback], 'query')).toMatchObject({ call: { statement: 'SELECT 1', params: [] }, callbackIndex: 1 });
    expect(readQueryArgs(['SELECT ?', [7], callback], 'execute')).toMatchObject({ call: { statement: 'SELECT ?', params: [7] }, callbackIndex: 2 });
    expect(readQueryArgs(['SELECT ?', [7]], 'query')).toEqual({ call: { statement: 'SELECT ?', params: [7] }, values: [7] });
  });

  it('reads an options object, merging values as each method does', () => {
    const options = { sql: 'SELECT ?', values: [1], rowsAsArray: true };
    // query: values given beside the options win; execute: the options' own win.
    expect(readQueryArgs([options, [2]], 'query')?.call.params).toEqual([2]);
    expect(readQueryArgs([options, [2]], 'execute')?.call.params).toEqual([1]);
    expect(readQueryArgs([options, callback], 'query')).toMatchObject({ call: { params: [1] }, callbackIndex: 1 });
    expect(readQueryArgs([{ sql: 'SELECT ?' }, [3]], 'execute')?.call.params).toEqual([3]);
  });

  it('reads the Query command a pool passes, with its own callback', () => {
    const command = queryCommand('SELECT * FROM t WHERE id = ?', [5], callback);
    const read = readQueryArgs([command], 'query');
    expect(read?.call).toEqual({ statement: 'SELECT * FROM t WHERE id = ?', params: [5] });
    expect(read?.command).toBe(command);
    expect(read?.callbackIndex).toBeUndefined();
  });

  it('encodes values through the value codec: named placeholders as an object, a lone value as the only one', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    expect(readQueryArgs(['INSERT INTO t VALUES (?, ?, ?)', [at, Buffer.from([0, 255]), null]], 'execute')?.call.params).toEqual([
      { $date: '2026-01-02T03:04:05.678Z' },
      { $bytes: 'AP8=' },
      null,
    ]);
    expect(readQueryArgs(['SELECT :id', { id: 4 }], 'execute')?.call.params).toEqual({ id: 4 });
    expect(readQueryArgs(['SELECT ?', 9], 'query')?.call.params).toEqual([9]);
  });

  it('reads nothing without a statement', () => {
    expect(readQueryArgs([], 'query')).toBeUndefined();
    expect(readQueryArgs([42], 'query')).toBeUndefined();
    expect(readQueryArgs([{ text: 'SELECT 1' }], 'execute')).toBeUndefined();
  });
});

describe('keying a mysql2 query', () => {
  it('addresses the server and database, never the user or password', () => {
    expect(targetOf({ host: 'db.internal', port: 3307, database: 'shop', user: 'app', password: 'hunter2' } as never)).toBe('mysql://db.internal:3307/shop');
    expect(targetOf({})).toBe('mysql://localhost:3306/');
    expect(targetOf({ host: '::1', port: 3306, database: 'a b' })).toBe('mysql://[::1]:3306/a%20b');
    expect(targetOf({ socketPath: '/run/mysqld/mysqld.sock', database: 'shop' })).toBe('mysql://%2Frun%2Fmysqld%2Fmysqld.sock:3306/shop');
  });

  it('keys the verb, the statement with its whitespace collapsed and the values', () => {
    const spaced = key({ statement: 'SELECT *\n   FROM orders\n  WHERE id = ?', params: [1] });
    expect(spaced.normalized.method).toBe('SELECT');
    expect(spaced.normalized.url).toBe(TARGET);
    expect(JSON.parse(spaced.normalized.body!.data)).toEqual({ params: [1], statement: 'SELECT * FROM orders WHERE id = ?' });
    expect(key({ statement: 'SELECT * FROM orders WHERE id = ?', params: [1] }).hash).toBe(spaced.hash);
    expect(key({ statement: 'SELECT * FROM orders WHERE id = ?', params: [2] }).hash).not.toBe(spaced.hash);
    expect(key({ statement: 'SELECT * FROM orders WHERE id = ?', params: [1] }, 'mysql://127.0.0.1:3306/other').hash).not.toBe(spaced.hash);
  });

  it('redacts a secret value before it is keyed or stored, so a rotated secret still matches', () => {
    const first = key({ statement: 'INSERT INTO refunds (token) VALUES (?)', params: ['sk-proj-abcdefghijklmnopqrstuvwx1234'] });
    const rotated = key({ statement: 'INSERT INTO refunds (token) VALUES (?)', params: ['sk-proj-zyxwvutsrqponmlkjihgfedc9876'] });
    expect(first.redacted.params).toEqual(['[REDACTED]']);
    expect(first.normalized.body!.data).not.toContain('sk-proj-');
    expect(rotated.hash).toBe(first.hash);
  });

  it('redacts the values a redaction rule names by path', () => {
    const withRule = new Redactor({ bodyPaths: ['$.params[1]'] });
    const keyed = requestKey({ statement: 'UPDATE users SET email = ?, ssn = ? WHERE id = ?', params: ['a@b.c', '123-45-6789', 7] }, withRule, mysqlKeyRules(TARGET));
    expect(keyed.redacted.params).toEqual(['a@b.c', '[REDACTED]', 7]);
  });
});

describe('results and errors on the tape', () => {
  const fields = [
    Object.assign(Object.create({ get schema() { return 'shop'; }, get table() { return 'orders'; } }) as object, { name: 'id', columnType: 3, type: 3, flags: 16899, characterSet: 63 }),
    { name: 'paid_at', columnType: 12, type: 12, decimals: 3 },
  ];

  it('keeps rows as the app saw them and the columns mysql2 described, and gives them back', () => {
    const rows = [{ id: 1, paid_at: new Date('2026-11-30T10:00:00.123Z'), meta: { $tier: 'gold' }, receipt: Buffer.from([0, 255, 16]), total: '19.99' }];
    const response = resultResponse(readResult(rows, fields), redactor);
    expect(response.status).toBe(200);
    expect(response.statusText).toBe('1 row');
    const outcome = outcomeOf(response, undefined);
    if (!('result' in outcome)) throw new Error('expected a result');
    const [replayedRows, replayedFields] = callbackValues(outcome.result) as [typeof rows, ColumnDefinition[]];
    expect(replayedRows).toEqual(rows);
    expect(replayedRows[0]!.receipt).toBeInstanceOf(Buffer);
    // Getters of mysql2's ColumnDefinition (schema, table) are kept as values.
    expect(replayedFields[0]).toMatchObject({ name: 'id', columnType: 3, type: 3, schema: 'shop', table: 'orders', db: 'shop' });
    expect(replayedFields[1]).toBeInstanceOf(ColumnDefinition);
  });

  it("gives a write's OK packet back as a ResultSetHeader, and several statements as arrays of sets", () => {
    class Header {
      fieldCount = 0;
      affectedRows = 1;
      insertId = 42;
      info = '';
      serverStatus = 2;
      warningStatus = 0;
      changedRows = 0;
    }
    Object.defineProperty(Header, 'name', { value: 'ResultSetHeader' });
    const single = outcomeOf(resultResponse(readResult(new Header(), undefined), redactor), undefined);
    if (!('result' in single)) throw new Error('expected a result');
    const [header, noFields] = callbackValues(single.result);
    expect(header).toBeInstanceOf(ResultSetHeader);
    expect(Object.keys(header as object)).toEqual(['fieldCount', 'affectedRows', 'insertId', 'info', 'serverStatus', 'warningStatus', 'changedRows']);
    expect(noFields).toBeUndefined();

    const several = outcomeOf(resultResponse(readResult([[{ id: 1 }], new Header()], [[fields[1]], undefined]), redactor), undefined);
    if (!('result' in several)) throw new Error('expected a result');
    expect(several.result.multiple).toBe(true);
    const [sets, setFields] = callbackValues(several.result) as [unknown[], unknown[]];
    expect(sets[0]).toEqual([{ id: 1 }]);
    expect(sets[1]).toBeInstanceOf(ResultSetHeader);
    expect((setFields[0] as ColumnDefinition[])[0]!.name).toBe('paid_at');
    expect(setFields[1]).toBeUndefined();
  });

  it('keeps an error with the fields the app branches on; the statement with its values is formatted again, not stored', () => {
    const error = Object.assign(new Error("Duplicate entry '1' for key 'PRIMARY'"), {
      code: 'ER_DUP_ENTRY',
      errno: 1062,
      sqlState: '23000',
      sqlMessage: "Duplicate entry '1' for key 'PRIMARY'",
      sql: "INSERT INTO refunds (token) VALUES ('sk-proj-abcdefghijklmnopqrstuvwx1234')",
    });
    const response = errorResponse(error, redactor);
    expect(response.status).toBe(0);
    expect(response.statusText).toBe('ER_DUP_ENTRY');
    expect(JSON.stringify(response)).not.toContain('sk-proj-');
    const outcome = outcomeOf(response, 'INSERT INTO refunds (token) VALUES (?)');
    if (!('error' in outcome)) throw new Error('expected an error');
    expect(outcome.error).toBeInstanceOf(Error);
    expect(outcome.error.message).toBe("Duplicate entry '1' for key 'PRIMARY'");
    expect({ ...outcome.error }).toEqual({
      code: 'ER_DUP_ENTRY',
      errno: 1062,
      sqlState: '23000',
      sqlMessage: "Duplicate entry '1' for key 'PRIMARY'",
      sql: 'INSERT INTO refunds (token) VALUES (?)',
    });
  });
});
