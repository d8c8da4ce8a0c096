import { describe, expect, it } from 'vitest';
import { inventoryKey, redisFamily, statementTables } from '@tracetape/core';
import { makeCall } from './inventory-fixtures.js';

describe('inventoryKey', () => {
  it('lists an HTTP call by host, method and route template, port and query dropped, IDs collapsed', () => {
    expect(inventoryKey(makeCall({ method: 'POST', target: 'https://shop.example:8443/refunds/42?dry=1' }))).toEqual({
      door: 'http',
      system: 'shop.example',
      operation: 'POST /refunds/{id}',
      mutates: true,
    });
    expect(inventoryKey(makeCall({ method: 'GET', target: 'http://127.0.0.1:41935/orders/0f8fad5b-d9cb-469f-a165-70867728950e/items' }))).toEqual({
      door: 'http',
      system: '127.0.0.1',
      operation: 'GET /orders/{id}/items',
      mutates: false,
    });
  });

  it('falls back to server.address when a span has no target', () => {
    expect(inventoryKey(makeCall({ method: 'DELETE', host: 'shop.example' }))).toMatchObject({ system: 'shop.example', operation: 'DELETE /', mutates: true });
  });

  it('lists an LLM call by provider and host, with the model, and never as mutating although it is a POST', () => {
    const call = makeCall({ method: 'POST', target: 'https://api.openai.com/v1/chat/completions', provider: 'openai', model: 'gpt-4o-mini' });
    expect(inventoryKey(call)).toEqual({ door: 'llm', system: 'openai api.openai.com', operation: 'gpt-4o-mini', mutates: false });
  });

  it('lists a SQL call by system, server and database, with its verb and tables; the door says whether it writes', () => {
    const base = { kind: 'postgres', dbSystem: 'postgresql', target: 'postgres://127.0.0.1:45919/orders' };
    expect(inventoryKey(makeCall({ ...base, method: 'INSERT', statement: 'INSERT INTO "public"."refunds" (order_id) VALUES ($1)', sideEffect: 'true' }))).toEqual({
      door: 'postgres',
      system: 'postgresql 127.0.0.1/orders',
      operation: 'INSERT refunds',
      mutates: true,
    });
    expect(inventoryKey(makeCall({ ...base, method: 'SELECT', statement: 'SELECT o.id FROM orders o JOIN refunds r ON r.order_id = o.id', sideEffect: 'false' }))).toMatchObject({
      operation: 'SELECT orders, refunds',
      mutates: false,
    });
    expect(inventoryKey(makeCall({ ...base, method: 'BEGIN', statement: 'BEGIN', sideEffect: 'false' }))).toMatchObject({ operation: 'BEGIN' });
    expect(inventoryKey(makeCall({ kind: 'mysql', dbSystem: 'mysql', target: 'mysql://db.internal:3306/shop', method: 'UPDATE', statement: 'UPDATE `orders` SET paid = 1', sideEffect: 'true' }))).toEqual({
      door: 'mysql',
      system: 'mysql db.internal/shop',
      operation: 'UPDATE orders',
      mutates: true,
    });
  });

  it('reads the server and database from the semantic-convention attributes of a span recorded without a target', () => {
    const call = makeCall({ kind: 'postgres', host: 'db.internal', dbNamespace: 'orders', statement: 'select * from orders', sideEffect: 'false', method: '' });
    expect(inventoryKey(call)).toMatchObject({ system: 'postgresql db.internal/orders', operation: 'SELECT orders' });
  });

  it('lists a Redis command by its family, server and logical database', () => {
    const call = makeCall({ kind: 'redis', dbSystem: 'redis', target: 'redis://127.0.0.1:6379/1', method: 'HSET', sideEffect: 'true' });
    expect(inventoryKey(call)).toEqual({ door: 'redis', system: 'redis 127.0.0.1/1', operation: 'hash', mutates: true });
    expect(inventoryKey(makeCall({ ...call, method: 'GET', sideEffect: 'false' }))).toMatchObject({ operation: 'string', mutates: false });
  });

  it('lists a program by its executable, with its subcommand when the first argument is one', () => {
    const git = makeCall({ kind: 'process', method: 'execFile', target: 'git', executable: 'git', firstArgument: 'push', sideEffect: 'true' });
    expect(inventoryKey(git)).toEqual({ door: 'process', system: 'git', operation: 'git push', mutates: true });
    expect(inventoryKey(makeCall({ ...git, executable: 'sh', target: 'sh', firstArgument: '-c' }))).toMatchObject({ system: 'sh', operation: 'sh' });
    expect(inventoryKey(makeCall({ ...git, executable: '', target: '/usr/bin/python3 /tmp/job.py', firstArgument: '/tmp/job.py' }))).toMatchObject({ system: 'python3', operation: 'python3' });
  });

  it('lists an MCP call by the server command, with the tool the call ran', () => {
    const call = makeCall({ kind: 'mcp', method: 'tools/call append_note', target: 'node mcp-server.mjs', toolName: 'append_note', sideEffect: 'true' });
    expect(inventoryKey(call)).toEqual({ door: 'mcp', system: 'node mcp-server.mjs', operation: 'tools/call append_note', mutates: true });
    expect(inventoryKey(makeCall({ ...call, method: 'initialize', toolName: '', sideEffect: 'false' }))).toMatchObject({ operation: 'initialize', mutates: false });
  });

  it('lists gRPC by host and full method, WebSocket steps by URL template, DNS questions by name', () => {
    expect(inventoryKey(makeCall({ kind: 'grpc', method: 'unary', target: 'grpc://vectors.internal:50051/vectors.v1.VectorStore/Search', sideEffect: 'false' }))).toEqual({
      door: 'grpc',
      system: 'vectors.internal',
      operation: 'vectors.v1.VectorStore/Search',
      mutates: false,
    });
    expect(inventoryKey(makeCall({ kind: 'websocket', method: 'SEND', target: 'wss://chat.example/rooms/42', sideEffect: 'true' }))).toEqual({
      door: 'websocket',
      system: 'chat.example',
      operation: 'SEND /rooms/{id}',
      mutates: true,
    });
    expect(inventoryKey(makeCall({ kind: 'dns', method: 'lookup', target: 'dns:shop.example', sideEffect: '' }))).toEqual({
      door: 'dns',
      system: 'shop.example',
      operation: 'lookup',
      mutates: false,
    });
  });

  it('places no call of a kind this tracetape does not know', () => {
    expect(inventoryKey(makeCall({ kind: 'carrier-pigeon' }))).toBeUndefined();
    expect(inventoryKey(makeCall({ kind: 'toString' }))).toBeUndefined();
  });
});

describe('redisFamily', () => {
  it("follows Redis's command groups", () => {
    expect(['GET', 'set', 'HGETALL', 'LPUSH', 'SADD', 'ZADD', 'XADD', 'PUBLISH', 'MULTI', 'EVALSHA', 'DEL', 'EXPIRE', 'PING', 'FLUSHDB'].map(redisFamily)).toEqual([
      'string', 'string', 'hash', 'list', 'set', 'sorted-set', 'stream', 'pubsub', 'transactions', 'scripting', 'keyspace', 'keyspace', 'connection', 'server',
    ]);
  });

  it("names a module's commands by the module, and any other command by itself", () => {
    expect(redisFamily('JSON.SET')).toBe('json');
    expect(redisFamily('FT.SEARCH')).toBe('ft');
    expect(redisFamily('NEWCMD')).toBe('newcmd');
  });
});

describe('statementTables', () => {
  it('names the written table of a write, and the read tables of a read, each once, in order', () => {
    expect(statementTables('INSERT INTO refunds (order_id) SELECT id FROM orders')).toEqual(['refunds']);
    expect(statementTables('SELECT * FROM "public"."orders" o LEFT JOIN `refunds` r ON r.order_id = o.id JOIN orders x ON true')).toEqual(['orders', 'refunds']);
    expect(statementTables('SELECT id FROM orders WHERE id IN (SELECT order_id FROM refunds)')).toEqual(['orders', 'refunds']);
  });

  it('reads no table from literals, comments, EXTRACT or IS DISTINCT FROM', () => {
    expect(statementTables("SELECT 'FROM secrets' AS x, EXTRACT(EPOCH FROM paid_at) FROM orders -- FROM audit")).toEqual(['orders']);
    expect(statementTables('SELECT a IS DISTINCT FROM b FROM pairs')).toEqual(['pairs']);
    expect(statementTables('BEGIN')).toEqual([]);
  });
});
