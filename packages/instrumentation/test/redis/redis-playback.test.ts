import { createRequire } from 'node:module';
import net from 'node:net';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { Redactor, ReplayDivergenceError, requestKey, TAPE_FORMAT, TAPE_VERSION, TapeMatcher, type RecordedResponse, type Tape, type TapeEntry } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CompletionOrder } from '../../src/playback/completion-order.js';
import { describedError, errorResponse, redisCall, redisKeyRules, replyResponse, type RedisErrorStage } from '../../src/redis/redis-call.js';
import { RedisPlaybackUnsupportedError } from '../../src/redis/redis-answers.js';
import { redisPlaybackInstrumentation } from '../../src/redis/redis-playback.js';

// The real ioredis and node-redis, loaded after the playback instrumentation hooked them, with no
// server at all: port 1 refuses every connection, so any socket the door let through would fail
// the test.
const require = createRequire(import.meta.url);
const redactor = new Redactor();
const IO = (db: number) => `redis://127.0.0.1:1/${db}`;
const NR = (db: number) => `redis://127.0.0.1:1/${db}`;

let step = 0;
/** A recorded command; by default one after the other, 10 ms apart, each 1 ms long. */
function entry(target: string, command: string, args: unknown[], response: RecordedResponse, timing?: { at: number; durationMs: number }): TapeEntry {
  step += 1;
  const key = requestKey(redisCall(command, args), redactor, redisKeyRules(target));
  return {
    step,
    kind: 'redis',
    spanId: step.toString(16).padStart(16, '0'),
    spanName: command.toLowerCase(),
    startTime: new Date(Date.UTC(2030, 0, 1) + (timing?.at ?? step * 10)).toISOString(),
    durationMs: timing?.durationMs ?? 1,
    inputHash: key.hash,
    request: { normalized: key.normalized, headers: [] },
    response,
  };
}
const reply = (value: unknown) => replyResponse(value, redactor);
const failure = (name: string, message: string, stage?: RedisErrorStage) => errorResponse(describedError(name, message, stage), redactor);
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const OK = Buffer.from('OK');
/** What both clients' RESP decoders make of an error reply. */
class SimpleError extends Error {}
const QUEUED = Buffer.from('QUEUED');

const entries: TapeEntry[] = [
  // ioredis, database 2
  entry(IO(2), 'GET', ['session:ada'], reply(Buffer.from('{"user":"ada"}'))),
  entry(IO(2), 'GET', ['blob'], reply(Buffer.from([0, 255, 1]))),
  entry(IO(2), 'HGETALL', ['profile:ada'], reply([Buffer.from('name'), Buffer.from('ada'), Buffer.from('plan'), Buffer.from('gold')])),
  entry(IO(2), 'INCR', ['profile:ada'], failure('ReplyError', WRONGTYPE)),
  entry(IO(2), 'SET', ['tool:last', 'lookup'], reply(OK)),
  entry(IO(2), 'INCR', ['turns'], reply(7)),
  entry(IO(2), 'GET', ['tool:last'], reply(Buffer.from('lookup'))),
  entry(IO(2), 'MULTI', [], reply(OK)),
  entry(IO(2), 'INCR', ['turns'], reply(QUEUED)),
  entry(IO(2), 'INCR', ['profile:ada'], reply(QUEUED)),
  entry(IO(2), 'EXEC', [], reply([8, new SimpleError(WRONGTYPE)])),
  entry(IO(2), 'SELECT', ['3'], reply(OK)),
  entry(IO(3), 'GET', ['other:db'], reply(Buffer.from('three'))),
  entry(IO(2), 'GET', ['lazy'], reply(null)),
  // node-redis, database 4
  entry(NR(4), 'SET', ['session:ada', '{"user":"ada"}', 'EX', '3600'], reply('OK')),
  entry(NR(4), 'HGETALL', ['profile:ada'], reply({ name: 'ada', plan: 'gold' })),
  entry(NR(4), 'INCR', ['profile:ada'], failure('SimpleError', WRONGTYPE)),
  entry(NR(4), 'INCR', ['turns'], reply(9)),
  entry(NR(4), 'LPUSH', ['history:ada', 'done'], reply(3)),
  entry(NR(4), 'INCR', ['profile:ada'], failure('SimpleError', WRONGTYPE)),
  entry(NR(4), 'SET', ['tool:last', 'lookup'], reply('OK')),
  entry(NR(4), 'GET', ['tool:last'], reply('lookup')),
  entry(NR(4), 'SET', ['tool:last', 'refund'], reply('OK')),
  entry(NR(4), 'INCR', ['profile:ada'], failure('SimpleError', WRONGTYPE)),
  entry(NR(4), 'INCR', ['turns'], failure('SimpleError', "ERR wrong number of arguments for 'incr' command", 'queue')),
  entry(NR(4), 'INCR', ['turns'], failure('WatchError', 'One (or more) of the watched keys has been changed', 'exec')),
  entry(NR(4), 'SELECT', ['5'], reply('OK')),
  entry(NR(5), 'GET', ['other:db'], reply('five')),
  // Raced: the slow call recorded first, the fast one finishing before it.
  entry(NR(4), 'GET', ['slow'], reply('slow'), { at: 1_000, durationMs: 50 }),
  entry(NR(4), 'GET', ['fast'], reply('fast'), { at: 1_010, durationMs: 5 }),
];

const tape: Tape = {
  format: TAPE_FORMAT,
  version: TAPE_VERSION,
  traceId: '0'.repeat(32),
  serviceName: 'redis-playback-test',
  rootName: 'test',
  recordedAt: '2030-01-01T00:00:00.000Z',
  entries,
};

const divergences: Error[] = [];
const matcher = new TapeMatcher(tape);
let instrumentation: Instrumentation;
let Redis: typeof import('ioredis').Redis;
let redis: typeof import('redis');
const connect = vi.spyOn(net.Socket.prototype, 'connect');

beforeAll(() => {
  instrumentation = redisPlaybackInstrumentation(matcher, new CompletionOrder(tape.entries), redactor, { tape, onDivergence: (error) => divergences.push(error) });
  Redis = (require('ioredis') as typeof import('ioredis')).Redis;
  redis = require('redis') as typeof import('redis');
});

afterAll(() => {
  instrumentation.disable();
  expect(connect).not.toHaveBeenCalled();
});

describe('ioredis playback', () => {
  it('is ready at once with no socket, and answers commands with the replies converted as the client converts them', async () => {
    const client = new Redis({ host: '127.0.0.1', port: 1, db: 2 });
    const events: string[] = [];
    for (const event of ['connect', 'ready']) client.on(event, () => events.push(event));
    await new Promise((resolve) => client.once('ready', resolve));
    expect(client.status).toBe('ready');
    expect(events).toEqual(['connect', 'ready']);

    expect(await client.get('session:ada')).toBe('{"user":"ada"}');
    expect(await client.getBuffer('blob')).toEqual(Buffer.from([0, 255, 1]));
    expect(await client.hgetall('profile:ada')).toEqual({ name: 'ada', plan: 'gold' });
    const error = await client.incr('profile:ada').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf((require('ioredis') as typeof import('ioredis')).ReplyError);
    expect(error).toMatchObject({ name: 'ReplyError', message: WRONGTYPE });
    client.disconnect();
  });

  it('answers a pipeline and a MULTI/EXEC transaction command by command, errors in place', async () => {
    const client = new Redis({ host: '127.0.0.1', port: 1, db: 2 });
    expect(await client.pipeline().set('tool:last', 'lookup').incr('turns').get('tool:last').exec()).toEqual([
      [null, 'OK'],
      [null, 7],
      [null, 'lookup'],
    ]);
    const results = (await client.multi().incr('turns').incr('profile:ada').exec())!;
    expect(results[0]).toEqual([null, 8]);
    expect(results[1]![0]).toBeInstanceOf((require('ioredis') as typeof import('ioredis')).ReplyError);
    expect((results[1]![0] as Error).message).toBe(WRONGTYPE);
    client.disconnect();
  });

  it('sends the commands after SELECT to the other database, connects a lazy client on its first command, and quits locally', async () => {
    const client = new Redis({ host: '127.0.0.1', port: 1, db: 2 });
    expect(await client.select(3)).toBe('OK');
    expect(await client.get('other:db')).toBe('three');
    const lazy = new Redis({ host: '127.0.0.1', port: 1, db: 2, lazyConnect: true });
    expect(lazy.status).toBe('wait');
    expect(await lazy.get('lazy')).toBeNull();
    expect(lazy.status).toBe('ready');
    expect(await lazy.quit()).toBe('OK');
    expect(lazy.status).toBe('end');
    await expect(lazy.get('lazy')).rejects.toThrow('Connection is closed.');
    client.disconnect();
  });

  it('fails a command the tape does not hold with the divergence, and refuses a subscription', async () => {
    const client = new Redis({ host: '127.0.0.1', port: 1, db: 2 });
    const before = divergences.length;
    await expect(client.get('never:recorded')).rejects.toBeInstanceOf(ReplayDivergenceError);
    expect(divergences.length).toBe(before + 1);
    await expect(client.subscribe('news')).rejects.toBeInstanceOf(RedisPlaybackUnsupportedError);
    client.disconnect();
  });
});

describe('node-redis playback', () => {
  it('connects at once with no socket, and answers commands with the raw replies the client then transforms', async () => {
    const client = redis.createClient({ url: 'redis://:hunter2@127.0.0.1:1/4' });
    const events: string[] = [];
    for (const event of ['connect', 'ready', 'end']) client.on(event, () => events.push(event));
    await client.connect();
    expect([client.isOpen, client.isReady]).toEqual([true, true]);
    expect(await client.set('session:ada', '{"user":"ada"}', { expiration: { type: 'EX', value: 3600 } })).toBe('OK');
    expect(await client.hGetAll('profile:ada')).toEqual({ name: 'ada', plan: 'gold' });
    const error = await client.incr('profile:ada').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(redis.SimpleError);
    expect(error).toBeInstanceOf(redis.ErrorReply);
    expect((error as Error).message).toBe(WRONGTYPE);
    await client.close();
    expect([client.isOpen, client.isReady]).toEqual([false, false]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['connect', 'ready', 'end']);
    await expect(client.get('anything')).rejects.toBeInstanceOf(redis.ClientClosedError);
  });

  it("answers a transaction from its commands' steps, with the client's own MultiErrorReply for an error in place", async () => {
    const client = await redis.createClient({ url: NR(4) }).connect();
    const error = await client.multi().incr('turns').lPush('history:ada', 'done').incr('profile:ada').exec().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(redis.MultiErrorReply);
    expect((error as InstanceType<typeof redis.MultiErrorReply>).replies.slice(0, 2)).toEqual([9, 3]);
    expect((error as InstanceType<typeof redis.MultiErrorReply>).errorIndexes).toEqual([2]);
    expect(await client.multi().set('tool:last', 'lookup').get('tool:last').execAsPipeline()).toEqual(['OK', 'lookup']);
    await expect(client.multi().set('tool:last', 'refund').incr('profile:ada').execAsPipeline()).rejects.toThrow(WRONGTYPE);
    // A transaction that failed as a whole: as the command was queued, then at EXEC (a WATCH conflict).
    await expect(client.multi().incr('turns').exec()).rejects.toThrow(/wrong number of arguments/);
    await expect(client.multi().incr('turns').exec()).rejects.toBeInstanceOf(redis.WatchError);
    await client.close();
  });

  it('sends the commands after SELECT to the other database', async () => {
    const client = await redis.createClient({ url: NR(4) }).connect();
    await client.select(5);
    expect(await client.get('other:db')).toBe('five');
    client.destroy();
  });

  it('settles racing commands in the order they finished in the recording', async () => {
    const client = await redis.createClient({ url: NR(4) }).connect();
    const settled: string[] = [];
    await Promise.all([client.get('slow'), client.get('fast')].map((reply) => reply.then((value) => settled.push(String(value)))));
    expect(settled).toEqual(['fast', 'slow']);
    client.destroy();
  });

  it('refuses what the tape cannot answer, loudly', async () => {
    const client = await redis.createClient({ url: NR(4) }).connect();
    await expect(client.get('never:recorded')).rejects.toBeInstanceOf(ReplayDivergenceError);
    await expect(client.subscribe('news', () => undefined)).rejects.toBeInstanceOf(RedisPlaybackUnsupportedError);
    expect(() => client.multi().select(2)).toThrow(RedisPlaybackUnsupportedError);
    await expect(redis.createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:1' }] }).connect()).rejects.toBeInstanceOf(RedisPlaybackUnsupportedError);
    client.destroy();
  });

  it('has served every recorded command', () => {
    expect(matcher.report().unconsumed).toEqual([]);
  });
});
