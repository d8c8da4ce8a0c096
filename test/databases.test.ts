// The database servers the tests start (test/support/databases.ts): real PostgreSQL, MariaDB and
// Redis, reached by the real clients with the password, counting every connection, one database
// per test file, and nothing left behind by stop().
import fs from 'node:fs';
import net from 'node:net';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  serverProcesses,
  startMariaDb,
  startPostgres,
  startRedis,
  type MariaDbServer,
  type PostgresServer,
  type RedisServer,
} from './support/databases.js';

/** stop() ended every process the server had (`processes`, taken before), removed its directory, and nothing listens on its port. */
async function expectGone(server: { pid: number; dir: string; port: number }, processes: number[]): Promise<void> {
  expect(processes).toContain(server.pid);
  expect(serverProcesses(server)).toEqual([]);
  for (const pid of processes) expect(fs.existsSync(`/proc/${pid}`), `process ${pid}`).toBe(false);
  expect(fs.existsSync(server.dir)).toBe(false);
  const refused = await new Promise<boolean>((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });
  expect(refused).toBe(true);
}

/** The user a process runs as, from /proc. */
function uidOf(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('Uid:'));
  return Number(line!.split(/\s+/)[1]);
}

describe('PostgreSQL', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.stop());

  test('starts on loopback in a tracetape- directory of its own, not as root', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.dir).toMatch(/\/tracetape-postgresql-[^/]+$/);
    expect(fs.existsSync(server.logPath)).toBe(true);
    expect(serverProcesses(server)).toContain(server.pid);
    if (process.getuid?.() === 0) expect(uidOf(server.pid)).not.toBe(0);
  });

  test('pg connects with the password and queries its own database; each connection is counted once', async () => {
    const db = await server.createDatabase('orders');
    const before = await server.connectionCount();
    expect(await server.connectionCount()).toBe(before); // reading the count is no connection

    const client = new pg.Client(db.config);
    await client.connect();
    const { rows } = await client.query<{ db: string; who: string; sum: number }>(
      'SELECT current_database() AS db, current_user AS who, $1::int + 1 AS sum', [41],
    );
    expect(rows).toEqual([{ db: 'orders', who: server.user, sum: 42 }]);
    await client.end();
    expect(await server.connectionCount()).toBe(before + 1);

    // The URL form, and a pool holding three connections at once.
    const pool = new pg.Pool({ connectionString: db.url, max: 3 });
    const held = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    for (const c of held) expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    held.forEach((c) => c.release());
    await pool.end();
    expect(await server.connectionCount()).toBe(before + 4);
  });

  test('a wrong password is refused (and the attempt counted)', async () => {
    const before = await server.connectionCount();
    const client = new pg.Client({ ...(await server.createDatabase('refused')).config, password: 'not-the-password' });
    await expect(client.connect()).rejects.toThrow(/password authentication failed/);
    expect(await server.connectionCount()).toBe(before + 1);
  });

  test('createDatabase() gives isolated databases', async () => {
    const a = await server.createDatabase('isolated_a');
    const b = await server.createDatabase('isolated_b');
    const clientA = new pg.Client(a.config);
    const clientB = new pg.Client(b.config);
    await Promise.all([clientA.connect(), clientB.connect()]);
    try {
      await clientA.query('CREATE TABLE items (id int); INSERT INTO items VALUES (1)');
      expect((await clientA.query('SELECT count(*)::int AS n FROM items')).rows).toEqual([{ n: 1 }]);
      await expect(clientB.query('SELECT * FROM items')).rejects.toThrow(/relation "items" does not exist/);
    } finally {
      await Promise.all([clientA.end(), clientB.end()]);
    }
    await expect(server.createDatabase('isolated_a')).rejects.toThrow(/already exists/);
  });

  test('stop() ends the server and its backends, even with a client connected, and removes the directory', async () => {
    const client = new pg.Client((await server.createDatabase('last')).config);
    client.on('error', () => {}); // the server ends this connection
    await client.connect();
    await client.query('SELECT 1');
    const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const processes = serverProcesses(server); // the postmaster, its helpers, this client's backend
    expect(processes).toContain(backend);
    await server.stop();
    await expectGone(server, processes);
    await server.stop(); // idempotent
  });
});

describe('MariaDB', () => {
  let server: MariaDbServer;
  beforeAll(async () => {
    server = await startMariaDb();
  });
  afterAll(() => server?.stop());

  test('starts on loopback in a tracetape- directory of its own, not as root', () => {
    expect(server.dir).toMatch(/\/tracetape-mariadb-[^/]+$/);
    expect(serverProcesses(server)).toEqual([server.pid]);
    if (process.getuid?.() === 0) expect(uidOf(server.pid)).not.toBe(0);
  });

  test('mysql2 connects with the password and queries its own database; each connection is counted once', async () => {
    const db = await server.createDatabase('orders');
    const before = await server.connectionCount();
    expect(await server.connectionCount()).toBe(before);

    const connection = await mysql.createConnection(db.config);
    const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT DATABASE() AS db, CURRENT_USER() AS who, ? + 1 AS sum', [41]);
    expect(rows.map((row) => ({ ...row }))).toEqual([{ db: 'orders', who: `${server.user}@%`, sum: 42 }]);
    await connection.end();
    expect(await server.connectionCount()).toBe(before + 1);

    const pool = mysql.createPool({ uri: db.url, connectionLimit: 3 });
    const held = await Promise.all([pool.getConnection(), pool.getConnection(), pool.getConnection()]);
    for (const c of held) expect((await c.query<mysql.RowDataPacket[]>('SELECT 1 AS one'))[0][0]).toEqual({ one: 1 });
    held.forEach((c) => c.release());
    await pool.end();
    expect(await server.connectionCount()).toBe(before + 4);
  });

  test('a wrong password is refused (and the attempt counted)', async () => {
    const before = await server.connectionCount();
    const { config } = await server.createDatabase('refused');
    await expect(mysql.createConnection({ ...config, password: 'not-the-password' })).rejects.toThrow(/Access denied/);
    expect(await server.connectionCount()).toBe(before + 1);
  });

  test('createDatabase() gives isolated databases', async () => {
    const a = await mysql.createConnection((await server.createDatabase('isolated_a')).config);
    const b = await mysql.createConnection((await server.createDatabase('isolated_b')).config);
    try {
      await a.query('CREATE TABLE items (id int)');
      await a.query('INSERT INTO items VALUES (1)');
      expect((await a.query<mysql.RowDataPacket[]>('SELECT count(*) AS n FROM items'))[0][0]).toEqual({ n: 1 });
      await expect(b.query('SELECT * FROM items')).rejects.toThrow(/isolated_b\.items' doesn't exist/);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  test('stop() ends the server, even with a client connected, and removes the directory', async () => {
    const connection = await mysql.createConnection((await server.createDatabase('last')).config);
    connection.on('error', () => {});
    await connection.query('SELECT 1');
    const processes = serverProcesses(server);
    await server.stop();
    await expectGone(server, processes);
    connection.destroy();
  });
});

describe('Redis', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server?.stop());

  test('starts on loopback in a tracetape- directory of its own, not as root', () => {
    expect(server.dir).toMatch(/\/tracetape-redis-[^/]+$/);
    expect(serverProcesses(server)).toEqual([server.pid]);
    if (process.getuid?.() === 0) expect(uidOf(server.pid)).not.toBe(0);
  });

  test('ioredis and node-redis connect with the password; each connection is counted once', async () => {
    const db = await server.createDatabase('orders');
    const before = await server.connectionCount();
    expect(await server.connectionCount()).toBe(before);

    const ioredis = new Redis(db.url);
    expect(await ioredis.set('orders:1', 'paid')).toBe('OK');
    expect(await ioredis.get('orders:1')).toBe('paid');
    await ioredis.quit();
    expect(await server.connectionCount()).toBe(before + 1);

    const nodeRedis = createClient({ url: db.url });
    await nodeRedis.connect();
    expect(await nodeRedis.get('orders:1')).toBe('paid'); // the same logical database
    expect(await nodeRedis.incr('orders:count')).toBe(1);
    await nodeRedis.close();
    expect(await server.connectionCount()).toBe(before + 2);
  });

  test('a wrong password is refused (and the attempts counted)', async () => {
    const before = await server.connectionCount();
    const url = server.url.replace(encodeURIComponent(server.password), 'not-the-password');
    expect(url).not.toBe(server.url);

    // ioredis reports the refusal as an 'error' event, then closes the connection.
    const ioredis = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    const errors: Error[] = [];
    ioredis.on('error', (error: Error) => errors.push(error));
    await expect(ioredis.connect()).rejects.toThrow();
    expect(errors.map((error) => error.message)).toEqual([expect.stringMatching(/^WRONGPASS/)]);
    ioredis.disconnect();

    const nodeRedis = createClient({ url, socket: { reconnectStrategy: false } });
    nodeRedis.on('error', () => {});
    await expect(nodeRedis.connect()).rejects.toThrow(/WRONGPASS|invalid username-password/);
    if (nodeRedis.isOpen) nodeRedis.destroy();

    // With no password at all, commands are refused too.
    const anonymous = new Redis(server.port, '127.0.0.1', { retryStrategy: () => null, maxRetriesPerRequest: 0 });
    anonymous.on('error', () => {});
    await expect(anonymous.get('orders:1')).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();

    expect(await server.connectionCount()).toBe(before + 3);
  });

  test('createDatabase() gives isolated databases', async () => {
    const a = await server.createDatabase('isolated_a');
    const b = await server.createDatabase('isolated_b');
    expect(a.db).not.toBe(b.db);
    expect(a.keyPrefix).toBe('isolated_a:');
    const clientA = new Redis(a.config);
    const clientB = createClient({ url: b.url });
    await clientB.connect();
    try {
      await clientA.set('shared-name', 'a');
      expect(await clientB.get('shared-name')).toBeNull();
      await clientB.set('shared-name', 'b');
      expect(await clientA.get('shared-name')).toBe('a');
    } finally {
      await Promise.all([clientA.quit(), clientB.close()]);
    }
  });

  test('stop() ends the server, even with a client connected, and removes the directory', async () => {
    const client = new Redis((await server.createDatabase('last')).url, { retryStrategy: () => null });
    client.on('error', () => {});
    await client.ping();
    const processes = serverProcesses(server);
    await server.stop();
    await expectGone(server, processes);
    client.disconnect();
  });
});
