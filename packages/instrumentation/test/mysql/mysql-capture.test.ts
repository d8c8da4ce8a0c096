import { EventEmitter } from 'node:events';
import { isWrapped, type InstrumentationBase, type InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_KIND, ATTR_TRACETAPE_REQUEST, ATTR_TRACETAPE_RESPONSE, ATTR_TRACETAPE_SIDE_EFFECT, Redactor, type CapturedRequest, type RecordedResponse } from '@tracetape/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaptureRegistry } from '../../src/capture/capture-registry.js';
import { CaptureSpanProcessor } from '../../src/capture/capture-span-processor.js';
import { MysqlCapture } from '../../src/mysql/mysql-capture.js';
import type { MysqlCaptureInstrumentation } from '../../src/mysql/mysql-capture-instrumentation.js';

// The door's wrapper and the official instrumentation's wrap the same query and execute; each
// must record the same whichever wrapped first. The official patch is its own (taken from its
// module definitions), applied to a stand-in for mysql2's Connection that answers like the server.

type Callback = (error: Error | null, rows?: unknown, fields?: unknown) => void;
type Command = EventEmitter & { sql: string; values?: unknown; onResult?: Callback };

const FIELDS = [{ name: 'id', columnType: 3, type: 3, table: 'orders' }];
const ROWS = [{ id: 1, paid_at: new Date('2026-11-30T10:00:00.123Z') }, { id: 2, paid_at: null }];
const HEADER = { fieldCount: 0, affectedRows: 1, insertId: 9, info: '', serverStatus: 2, warningStatus: 0, changedRows: 0 };

/** Answers as mysql2 does, on a later turn: an error for FAIL, an OK packet for INSERT, rows otherwise. */
function run(this: unknown, first: unknown, second?: unknown, third?: unknown): Command {
  const command: Command =
    first instanceof EventEmitter
      ? (first as Command)
      : Object.assign(new EventEmitter(), {
          sql: typeof first === 'string' ? first : (first as { sql: string }).sql,
          values: typeof second === 'function' ? undefined : second,
          onResult: (typeof second === 'function' ? second : third) as Callback | undefined,
        });
  setImmediate(() => {
    const callback = command.onResult;
    if (command.sql.includes('FAIL')) {
      const error = Object.assign(new Error("Table 'shop.fail' doesn't exist"), { code: 'ER_NO_SUCH_TABLE', errno: 1146, sqlState: '42S02', sqlMessage: "Table 'shop.fail' doesn't exist", sql: command.sql });
      if (callback) callback(error);
      else command.emit('error', error);
    } else if (command.sql.startsWith('INSERT')) {
      command.emit('fields', undefined);
      command.emit('result', { ...HEADER });
      callback?.(null, { ...HEADER });
    } else {
      command.emit('fields', FIELDS);
      if (callback) process.nextTick(() => callback(null, ROWS.map((row) => ({ ...row })), FIELDS));
      else for (const row of ROWS) command.emit('result', { ...row }, 0);
    }
    command.emit('end');
  });
  return command;
}

/** A fresh stand-in for mysql2's Connection, its query and execute on the base class as in mysql2 3. */
function connectionClass() {
  class BaseConnection extends EventEmitter {
    config = { host: '127.0.0.1', port: 3306, database: 'shop', user: 'app', password: 'hunter2' };
    query(...args: unknown[]): unknown {
      return run(...(args as [unknown]));
    }
    execute(...args: unknown[]): unknown {
      return run(...(args as [unknown]));
    }
  }
  class Connection extends BaseConnection {}
  return { Connection, proto: BaseConnection.prototype as unknown as Record<'query' | 'execute', (...args: unknown[]) => unknown> };
}

/**
 * The official patch of mysql2/lib/connection.js, after its patch of the main module (where it
 * takes mysql2's format()). getModuleDefinitions() runs init() again on each call: one set of
 * definitions, one closure, for both.
 */
function officialPatch(instrumentation: InstrumentationBase): (exports: unknown) => unknown {
  const definitions = instrumentation.getModuleDefinitions() as InstrumentationModuleDefinition[];
  const main = definitions.find((definition) => definition.name === 'mysql2');
  const file = definitions.flatMap((definition) => definition.files).find((candidate) => candidate.name === 'mysql2/lib/connection.js');
  if (!main?.patch || !file) throw new Error(`${instrumentation.instrumentationName} patches no mysql2/lib/connection.js`);
  // mysql2's own format(), which the official instrumentation would use to put the values into db.query.text.
  main.patch({ format: (sql: string, values: unknown[]) => `${sql} -- formatted with ${JSON.stringify(values)}` }, '3.24.6');
  return (exports) => file.patch(exports, '3.24.6');
}

let exporter: InMemorySpanExporter;
let provider: TracerProvider;
let official: InstrumentationBase;
let door: MysqlCaptureInstrumentation;

beforeEach(() => {
  const registry = new CaptureRegistry();
  exporter = new InMemorySpanExporter();
  provider = new TracerProvider({ spanProcessors: [new CaptureSpanProcessor(registry, new SimpleSpanProcessor({ exporter }), { maxWaitMs: 1_000 })] });
  [official, door] = new MysqlCapture(registry, new Redactor()).instrumentations() as [InstrumentationBase, MysqlCaptureInstrumentation];
  // Their module hooks stay off: the tests apply the patches themselves, in the order they choose.
  official.disable();
  door.disable();
  official.setTracerProvider(provider);
});

afterEach(async () => {
  await provider.shutdown();
});

/** Every way the app calls: callback, options object, a pool's Query command, events (with and without values), execute, a write and an error. */
async function callEveryWay(connection: { query(...args: unknown[]): unknown; execute(...args: unknown[]): unknown }): Promise<void> {
  const viaCallback = (call: (callback: Callback) => unknown) =>
    new Promise<unknown>((resolve) => {
      call((error, rows) => resolve(error ?? rows));
    });
  await viaCallback((callback) => connection.query('SELECT id, paid_at FROM orders WHERE customer = ?', ['ada'], callback));
  await viaCallback((callback) => connection.query({ sql: 'SELECT id, paid_at FROM orders WHERE id > ?', values: [0] }, callback));
  await viaCallback((callback) => connection.query(Object.assign(new EventEmitter(), { sql: 'SELECT id, paid_at FROM orders', values: undefined, onResult: callback })));
  await new Promise((resolve) => (connection.query('SELECT id, paid_at FROM orders ORDER BY id') as EventEmitter).on('end', resolve));
  await new Promise((resolve) => (connection.query('SELECT id, paid_at FROM orders WHERE id < ?', [9]) as EventEmitter).on('end', resolve));
  await viaCallback((callback) => connection.execute('SELECT id, paid_at FROM orders WHERE id = ?', [1], callback));
  await viaCallback((callback) => connection.execute('INSERT INTO refunds (token) VALUES (?)', ['sk-proj-abcdefghijklmnopqrstuvwx1234'], callback));
  await viaCallback((callback) => connection.query('SELECT * FROM FAIL', callback));
}

interface Recorded {
  name: string;
  text: unknown;
  kind: unknown;
  sideEffect: unknown;
  statement: string;
  params: unknown;
  response: unknown;
}

async function recorded(): Promise<Recorded[]> {
  await provider.forceFlush();
  const spans: ReadableSpan[] = exporter.getFinishedSpans();
  return spans.map((span) => {
    const request = JSON.parse(String(span.attributes[ATTR_TRACETAPE_REQUEST])) as CapturedRequest;
    const response = JSON.parse(String(span.attributes[ATTR_TRACETAPE_RESPONSE])) as RecordedResponse;
    const body = JSON.parse(request.normalized.body!.data) as { statement: string; params: unknown };
    return {
      name: `${span.instrumentationScope.name} ${span.name}`,
      text: span.attributes['db.query.text'],
      kind: span.attributes[ATTR_TRACETAPE_KIND],
      sideEffect: span.attributes[ATTR_TRACETAPE_SIDE_EFFECT],
      statement: body.statement,
      params: body.params,
      response: JSON.parse(response.body!.data),
    };
  });
}

const EXPECTED_ROWS = { rows: [{ id: 1, paid_at: { $date: '2026-11-30T10:00:00.123Z' } }, { id: 2, paid_at: null }], fields: [{ name: 'id', columnType: 3, type: 3, table: 'orders' }] };

describe('mysql2 capture beside the official instrumentation', () => {
  const orders = {
    'the door inside the official wrapper': (Connection: unknown) => {
      door.install(Object.getPrototypeOf((Connection as { prototype: object }).prototype) as never);
      officialPatch(official)(Connection);
    },
    'the door outside the official wrapper': (Connection: unknown) => {
      officialPatch(official)(Connection);
      door.install(Object.getPrototypeOf((Connection as { prototype: object }).prototype) as never);
    },
  };

  for (const [order, patch] of Object.entries(orders)) {
    it(`records every call once, on the official span, with ${order}`, async () => {
      const { Connection, proto } = connectionClass();
      patch(Connection);
      // The official patch wrapped the door's wrapper, or the door's wraps the official's: neither removed the other.
      expect(isWrapped(proto.query)).toBe(order.includes('inside'));
      await callEveryWay(new Connection());
      const calls = await recorded();
      expect(calls.map((call) => call.name)).toEqual([
        '@opentelemetry/instrumentation-mysql2 SELECT',
        '@opentelemetry/instrumentation-mysql2 SELECT',
        '@opentelemetry/instrumentation-mysql2 SELECT',
        '@opentelemetry/instrumentation-mysql2 SELECT',
        '@opentelemetry/instrumentation-mysql2 SELECT',
        '@opentelemetry/instrumentation-mysql2 SELECT',
        '@opentelemetry/instrumentation-mysql2 INSERT',
        '@opentelemetry/instrumentation-mysql2 SELECT',
      ]);
      expect(calls.every((call) => call.kind === 'mysql')).toBe(true);
      expect(calls[0]).toMatchObject({ statement: 'SELECT id, paid_at FROM orders WHERE customer = ?', params: ['ada'], sideEffect: 'false', response: EXPECTED_ROWS });
      expect(calls[1]).toMatchObject({ statement: 'SELECT id, paid_at FROM orders WHERE id > ?', params: [0], response: EXPECTED_ROWS });
      expect(calls[2]).toMatchObject({ statement: 'SELECT id, paid_at FROM orders', params: [], response: EXPECTED_ROWS });
      // Without a callback the rows come as events; the official span ended at the first one.
      expect(calls[3]).toMatchObject({ statement: 'SELECT id, paid_at FROM orders ORDER BY id', response: EXPECTED_ROWS });
      // With values and no callback the official instrumentation never ends its span: the door does, once the rows are in.
      expect(calls[4]).toMatchObject({ statement: 'SELECT id, paid_at FROM orders WHERE id < ?', params: [9], response: EXPECTED_ROWS });
      expect(calls[5]).toMatchObject({ statement: 'SELECT id, paid_at FROM orders WHERE id = ?', params: [1], response: EXPECTED_ROWS });
      expect(calls[6]).toMatchObject({ statement: 'INSERT INTO refunds (token) VALUES (?)', params: ['[REDACTED]'], sideEffect: 'true', response: { header: HEADER } });
      // The span's statement is as written: values go only into the door's redacted request.
      expect(calls.map((call) => call.text)).toEqual(calls.map((call) => call.statement));
      expect(calls[7]).toMatchObject({
        statement: 'SELECT * FROM FAIL',
        response: { error: { name: 'Error', message: "Table 'shop.fail' doesn't exist", code: 'ER_NO_SUCH_TABLE', errno: 1146, sqlState: '42S02', sqlMessage: "Table 'shop.fail' doesn't exist", sql: true } },
      });
    });
  }

  it('keeps recording when the official patch runs again over the door (it unwraps only its own shimmer wrapper)', async () => {
    const { Connection } = connectionClass();
    orders['the door inside the official wrapper'](Connection);
    officialPatch(official)(Connection);
    await callEveryWay(new Connection());
    expect((await recorded()).map((call) => call.statement)).toHaveLength(8);
  });

  it('reads a command without a callback by its events, with no listener of its own (an unheard error still throws)', () => {
    const { Connection } = connectionClass();
    orders['the door outside the official wrapper'](Connection);
    const command = new Connection().query('SELECT id FROM orders WHERE id > ?', [0]) as EventEmitter;
    expect(command.listenerCount('error')).toBe(0);
    expect(command.listenerCount('end')).toBe(0);
    command.on('error', () => undefined);
  });

  it('passes calls through, unrecorded, once disabled, wherever its wrapper is', async () => {
    for (const patch of Object.values(orders)) {
      const { Connection } = connectionClass();
      patch(Connection);
      door.remove(Object.getPrototypeOf(Connection.prototype) as never);
      exporter.reset();
      await callEveryWay(new Connection());
      const spans = exporter.getFinishedSpans();
      // Eight calls, seven spans: without the door, the official span of query(sql, values) with no callback never ends.
      expect(spans).toHaveLength(7);
      expect(spans.some((span) => span.attributes[ATTR_TRACETAPE_REQUEST] !== undefined)).toBe(false);
    }
  });
});
