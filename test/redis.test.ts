import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, queryRows, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startRedis, type RedisDatabase, type RedisServer } from './support/databases.js';

// The Redis door end to end: the real ioredis and node-redis clients against a real Redis server,
// recorded, then replayed with the server's own connection count and keys as witnesses.
const APP = path.join(FIXTURES, 'redis-session-app.mjs');
const store = tempDir('tracetape-redis-');
const API_TOKEN = `sk-proj-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}abcdefgh`;

let server: RedisServer;
let ioredisDb: RedisDatabase;
let nodeRedisDb: RedisDatabase;
let env: Record<string, string>;
let traceId: string;
let recordedOutput: string;

/** Every key of a database with its type and value (TTLs left out: they run down on their own). */
async function keyspace(db: RedisDatabase): Promise<Record<string, unknown>> {
  const client = new Redis(db.url);
  try {
    const out: Record<string, unknown> = {};
    for (const key of (await client.keys('*')).sort()) {
      const type = await client.type(key);
      out[key] =
        type === 'string'
          ? await client.getBuffer(key)
          : type === 'hash'
            ? await client.hgetall(key)
            : type === 'list'
              ? await client.lrange(key, 0, -1)
              : type;
    }
    return out;
  } finally {
    client.disconnect();
  }
}

beforeAll(async () => {
  server = await startRedis();
  ioredisDb = await server.createDatabase('ioredis_session');
  nodeRedisDb = await server.createDatabase('node_redis_session');
  env = { TRACETAPE_DIR: path.join(store.dir, 'store'), IOREDIS_URL: ioredisDb.url, NODE_REDIS_URL: nodeRedisDb.url, API_TOKEN };
  const recorded = await tracetape(['record', '--', process.execPath, APP], env);
  expect(recorded.code, recorded.stderr).toBe(0);
  traceId = recordedTraceId(recorded.stderr);
  recordedOutput = recorded.stdout;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  store.remove();
});

describe('Redis through ioredis and node-redis', () => {
  it('records every command with its arguments, its reply of any type or its error, on both clients', async () => {
    expect(recordedOutput).toContain('ioredis status ready connect,ready');
    expect(recordedOutput).toContain('ioredis hgetall name=ada plan=gold token=true');
    expect(recordedOutput).toContain('ioredis pipeline [string:"OK", number:2, string:"lookup"]');
    expect(recordedOutput).toContain('ioredis multi [number:3, number:3, SimpleError(WRONGTYPE Operation against a key holding the wrong kind of value)]');
    expect(recordedOutput).toContain('ioredis wrongtype ReplyError true WRONGTYPE');
    expect(recordedOutput).toContain('ioredis bytes string:"OK" Buffer(00ff1080)');
    expect(recordedOutput).toContain('node-redis ready true true connect,ready');
    expect(recordedOutput).toContain('node-redis multi MultiErrorReply [number:3, number:3, SimpleError(WRONGTYPE Operation against a key holding the wrong kind of value)] 2');
    expect(recordedOutput).toContain('node-redis wrongtype SimpleError true WRONGTYPE');
    expect(recordedOutput).toContain('node-redis bytes string:"OK" Buffer(00ff1080)');
    expect(recordedOutput).toContain('raced [string:"lookup", string:"lookup", number:1, boolean:true, number:3, number:3]');

    const timeline = await tracetape(['tape', traceId], env);
    expect(timeline.code, timeline.stderr).toBe(0);
    // ioredis: 7 commands, a pipeline of 3, MULTI + 3 + EXEC, the failed INCR, SET and GET of the bytes (18);
    // node-redis: 7, a pipeline of 3, a transaction of 3 (MULTI and EXEC are no steps of its), INCR, SET, GET (16); 6 raced.
    expect(timeline.stdout.match(/ redis /g)).toHaveLength(40);
    const io = `redis://127\\.0\\.0\\.1:${server.port}/${ioredisDb.db}`;
    const nr = `redis://127\\.0\\.0\\.1:${server.port}/${nodeRedisDb.db}`;
    expect(timeline.stdout).toMatch(new RegExp(`redis\\s+MULTI\\s+${io}\\s+200`));
    expect(timeline.stdout).toMatch(new RegExp(`redis\\s+EXEC\\s+${io}\\s+200`));
    expect(timeline.stdout).toMatch(new RegExp(`redis\\s+INCR\\s+${io}\\s+error.*WRONGTYPE Operation against a key`));
    expect(timeline.stdout).toMatch(new RegExp(`redis\\s+INCR\\s+${nr}\\s+error.*WRONGTYPE Operation against a key`));
    // The connections' own setup (HELLO with the password, SELECT, CLIENT SETINFO, INFO) and QUIT are no calls of the app.
    expect(timeline.stdout).not.toMatch(/ (HELLO|AUTH|SELECT|CLIENT|INFO|QUIT) /);

    const [failed] = await queryRows<{ response: string }>(
      `SELECT SpanAttributes['tracetape.response'] AS response FROM otel_traces WHERE SpanName = 'incr' AND response LIKE '%"status":0%'`,
      env,
    );
    const response = JSON.parse(failed!.response) as { statusText: string; body: { data: string } };
    expect(response.statusText).toBe('WRONGTYPE');
    expect(JSON.parse(response.body.data)).toEqual({
      error: { name: 'ReplyError', message: 'WRONGTYPE Operation against a key holding the wrong kind of value', prefix: 'WRONGTYPE' },
    });
  });

  it('replays with no connection to the server and no write: same output, the writes reported suppressed', async () => {
    // The witnesses' own connections come before and after the replay, not during it.
    const keysBefore = [await keyspace(ioredisDb), await keyspace(nodeRedisDb)];
    const connectionsBefore = await server.connectionCount();
    const replayed = await tracetape(['replay', traceId, '--', process.execPath, APP], env);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recordedOutput);
    // Writes: per client SET, HSET, INCR, LPUSH, the pipeline's SET and INCR, the transaction's INCR, LPUSH and INCR,
    // the failed INCR, SET of the bytes (11 each); MULTI, EXEC and the reads are none.
    expect(replayed.stderr).toContain('40 served, 0 unconsumed, 0 blocked, 22 side effect(s) suppressed');
    expect(replayed.stderr).toMatch(new RegExp(`22 side effect\\(s\\) suppressed: 5× INCR redis://127\\.0\\.0\\.1:${server.port}/${ioredisDb.db}, 5× INCR`));
    expect(await server.connectionCount()).toBe(connectionsBefore);
    expect([await keyspace(ioredisDb), await keyspace(nodeRedisDb)]).toEqual(keysBefore);
  });

  it('blocks a command with a changed argument, with the field diff and the closest recorded command', async () => {
    const changed = await tracetape(['replay', traceId, '--', process.execPath, APP], { ...env, USER_NAME: 'grace' });
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toMatch(new RegExp(`DIVERGED at call #1: SET redis://127\\.0\\.0\\.1:${server.port}/${ioredisDb.db} is not on the tape`));
    expect(changed.stderr).toMatch(/body\.args\[0\]\s+"session:ada"\s+"session:grace"/);
  });

  it('stores neither the server password nor a secret in a command argument or reply', async () => {
    const dump = await tracetape(['query', 'SELECT * FROM otel_traces', '--format', 'json'], env);
    expect(dump.code, dump.stderr).toBe(0);
    const payloads = await tracetape(['query', 'SELECT Data FROM tracetape_payloads', '--format', 'json'], env);
    expect(payloads.code, payloads.stderr).toBe(0);
    const everything = dump.stdout + payloads.stdout + readTree(env.TRACETAPE_DIR!);
    expect(dump.stdout).toContain('profile:ada');
    // The token was recorded in HSET's arguments and HGETALL's reply, as the redaction's placeholder.
    const [hset] = await queryRows<{ request: string }>(
      `SELECT SpanAttributes['tracetape.request'] AS request FROM otel_traces WHERE SpanName = 'hset'`,
      env,
    );
    const body = JSON.parse((JSON.parse(hset!.request) as { normalized: { body: { data: string } } }).normalized.body.data) as { args: unknown[] };
    expect(body.args).toEqual(['profile:ada', 'name', 'ada', 'plan', 'gold', 'token', '[REDACTED]']);
    expect(everything).toContain('[REDACTED]');
    expect(everything).not.toContain(server.password);
    expect(everything).not.toContain(API_TOKEN);
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
