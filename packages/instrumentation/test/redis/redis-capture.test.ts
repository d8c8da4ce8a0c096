import { createRequire } from 'node:module';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_KIND, ATTR_TRACETAPE_REQUEST, ATTR_TRACETAPE_RESPONSE, ATTR_TRACETAPE_SIDE_EFFECT, Redactor, type CapturedRequest, type RecordedResponse } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../../../test/support/databases.js';
import { CaptureRegistry } from '../../src/capture/capture-registry.js';
import { CaptureSpanProcessor } from '../../src/capture/capture-span-processor.js';
import { redisCaptureInstrumentations } from '../../src/redis/redis-capture.js';

// Capture beside the official instrumentations, with the real ioredis and node-redis against a
// real Redis server: every command the app makes is recorded once, on the official span; what the
// clients send of their own (the handshake with the password, QUIT) is not.
const require = createRequire(import.meta.url);
const redactor = new Redactor();
const SECRET = 'sk-proj-abcdefghijklmnopqrstuvwxyz012345';
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

let server: RedisServer;
let exporter: InMemorySpanExporter;
let provider: TracerProvider;
let instrumentations: Instrumentation[];
let Redis: typeof import('ioredis').Redis;
let redis: typeof import('redis');

beforeAll(async () => {
  server = await startRedis();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const registry = new CaptureRegistry();
  exporter = new InMemorySpanExporter();
  provider = new TracerProvider({ spanProcessors: [new CaptureSpanProcessor(registry, new SimpleSpanProcessor({ exporter }), { maxWaitMs: 1_000, redactor })] });
  instrumentations = redisCaptureInstrumentations(registry, redactor);
  for (const instrumentation of instrumentations) instrumentation.setTracerProvider(provider);
  Redis = (require('ioredis') as typeof import('ioredis')).Redis;
  redis = require('redis') as typeof import('redis');
}, 60_000);

afterAll(async () => {
  for (const instrumentation of instrumentations ?? []) instrumentation.disable();
  await provider?.shutdown();
  await server?.stop();
});

interface Recorded {
  span: string;
  method: string;
  db: string;
  args: unknown[];
  sideEffect: unknown;
  response: { reply?: unknown; error?: Record<string, unknown> };
  statusText: string;
}

/** The recorded commands of the spans that ended since the last call, in the order they started. */
async function recorded(): Promise<Recorded[]> {
  await provider.forceFlush();
  const spans: ReadableSpan[] = exporter.getFinishedSpans().filter((span) => span.attributes[ATTR_TRACETAPE_KIND] === 'redis');
  exporter.reset();
  spans.sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  return spans.map((span) => {
    const request = JSON.parse(String(span.attributes[ATTR_TRACETAPE_REQUEST])) as CapturedRequest;
    const response = JSON.parse(String(span.attributes[ATTR_TRACETAPE_RESPONSE])) as RecordedResponse;
    return {
      span: span.name,
      method: request.normalized.method,
      db: new URL(request.normalized.url).pathname.slice(1),
      args: (JSON.parse(request.normalized.body!.data) as { args: unknown[] }).args,
      sideEffect: span.attributes[ATTR_TRACETAPE_SIDE_EFFECT],
      response: JSON.parse(response.body!.data) as Recorded['response'],
      statusText: response.statusText,
    };
  });
}

const text = (value: string) => ({ $utf8: value });

describe('ioredis capture', () => {
  it('records each command once with its database, raw reply or error; a transaction as MULTI, the queued commands and EXEC', async () => {
    const { url } = await server.createDatabase('ioredis_capture');
    const other = await server.createDatabase('ioredis_capture_other');
    const client = new Redis(url);
    // Sent before the connection is ready: queued, then sent again through sendCommand once it is.
    expect(await client.get('early')).toBeNull();
    await client.set('session', Buffer.from('{"user":"ada"}'), 'EX', 60);
    await client.hset('profile', { name: 'ada', token: SECRET });
    expect(await client.hgetall('profile')).toEqual({ name: 'ada', token: SECRET });
    await client.pipeline().set('tool', 'lookup').incr('turns').exec();
    await client.multi().incr('turns').incr('profile').exec();
    await expect(client.incr('profile')).rejects.toThrow(WRONGTYPE);
    await client.select(other.db);
    await client.get('elsewhere');
    await client.quit();

    const calls = await recorded();
    const [db, otherDb] = [url.split('/').pop()!, String(other.db)];
    expect(calls.map((call) => `${call.method} ${call.db}`)).toEqual([
      `GET ${db}`,
      `SET ${db}`,
      `HSET ${db}`,
      `HGETALL ${db}`,
      `SET ${db}`,
      `INCR ${db}`,
      `MULTI ${db}`,
      `INCR ${db}`,
      `INCR ${db}`,
      `EXEC ${db}`,
      `INCR ${db}`,
      `SELECT ${db}`,
      `GET ${otherDb}`,
    ]);
    expect(calls[0]).toMatchObject({ span: 'get', args: ['early'], sideEffect: 'false', response: { reply: null } });
    expect(calls[1]).toMatchObject({ args: ['session', text('{"user":"ada"}'), 'EX', '60'], sideEffect: 'true', response: { reply: text('OK') } });
    // The token is redacted in the arguments and in the reply alike.
    expect(calls[2]).toMatchObject({ args: ['profile', 'name', 'ada', 'token', '[REDACTED]'], response: { reply: 2 } });
    expect(calls[3]!.response.reply).toEqual([text('name'), text('ada'), text('token'), text('[REDACTED]')]);
    expect(calls[7]).toMatchObject({ response: { reply: text('QUEUED') } });
    expect(calls[9]).toMatchObject({ sideEffect: 'false', response: { reply: [2, { $error: { name: 'SimpleError', message: WRONGTYPE } }] } });
    expect(calls[10]).toMatchObject({ statusText: 'WRONGTYPE', response: { error: { name: 'ReplyError', message: WRONGTYPE, prefix: 'WRONGTYPE' } } });
    expect(calls[11]).toMatchObject({ args: [otherDb], sideEffect: 'false' });
  });
});

describe('node-redis capture', () => {
  it("records each command once with its database and raw reply; a transaction's commands with their EXEC elements", async () => {
    const { url } = await server.createDatabase('node_redis_capture');
    const other = await server.createDatabase('node_redis_capture_other');
    const db = url.split('/').pop()!;
    const client = await redis.createClient({ url }).connect();
    await client.set('session', '{"user":"ada"}', { expiration: { type: 'EX', value: 60 } });
    await client.hSet('profile', { name: 'ada', token: SECRET });
    await client.hGetAll('profile');
    expect(await client.multi().set('tool', 'lookup').incr('turns').execAsPipeline()).toEqual(['OK', 1]);
    await expect(client.multi().incr('turns').incr('profile').exec()).rejects.toBeInstanceOf(redis.MultiErrorReply);
    await expect(client.incr('profile')).rejects.toThrow(WRONGTYPE);
    await client.select(other.db);
    await client.get('elsewhere');
    await client.close();

    const calls = await recorded();
    expect(calls.map((call) => `${call.method} ${call.db}`)).toEqual([
      `SET ${db}`,
      `HSET ${db}`,
      `HGETALL ${db}`,
      `SET ${db}`,
      `INCR ${db}`,
      `INCR ${db}`,
      `INCR ${db}`,
      `INCR ${db}`,
      `SELECT ${db}`,
      `GET ${other.db}`,
    ]);
    expect(calls[0]).toMatchObject({ span: 'redis-SET', args: ['session', '{"user":"ada"}', 'EX', '60'], sideEffect: 'true', response: { reply: 'OK' } });
    expect(calls[1]).toMatchObject({ args: ['profile', 'name', 'ada', 'token', '[REDACTED]'] });
    expect(calls[2]).toMatchObject({ sideEffect: 'false', response: { reply: { name: 'ada', token: '[REDACTED]' } } });
    expect(calls[4]).toMatchObject({ response: { reply: 1 } });
    // The transaction: its commands' elements of EXEC's reply, the error one in place.
    expect(calls[5]).toMatchObject({ response: { reply: 2 } });
    expect(calls[6]).toMatchObject({ statusText: 'WRONGTYPE', response: { error: { name: 'SimpleError', message: WRONGTYPE, prefix: 'WRONGTYPE' } } });
    expect(calls[6]!.response.error!.stage).toBeUndefined();
    expect(calls[7]).toMatchObject({ response: { error: { name: 'SimpleError', message: WRONGTYPE } } });
  });

  it('records a transaction that fails as a whole with the stage of its error: as a command was queued, or at EXEC', async () => {
    const { url } = await server.createDatabase('node_redis_stages');
    const client = await redis.createClient({ url }).connect();
    // LPUSH with no element: refused as it is queued, and EXEC then aborts the transaction.
    await expect(client.multi().set('k', 'v').lPush('list', []).exec()).rejects.toThrow(/wrong number of arguments/);
    // A watched key changed by another client: EXEC answers nothing.
    await client.watch('watched');
    const intruder = await redis.createClient({ url }).connect();
    await intruder.set('watched', 'changed');
    await intruder.close();
    await expect(client.multi().incr('turns').exec()).rejects.toBeInstanceOf(redis.WatchError);
    await client.close();

    const calls = (await recorded()).filter((call) => call.method !== 'WATCH' && !(call.method === 'SET' && call.args[0] === 'watched'));
    expect(calls.map((call) => [call.method, call.response.error?.name, call.response.error?.stage, call.statusText])).toEqual([
      ['SET', 'SimpleError', 'exec', 'EXECABORT'],
      ['LPUSH', 'SimpleError', 'queue', 'ERR'],
      ['INCR', 'WatchError', 'exec', ''],
    ]);
  });
});
