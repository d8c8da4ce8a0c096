import { Redactor, requestKey } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import {
  describedError,
  errorPrefix,
  errorResponse,
  recordedError,
  recordedOutcome,
  redisCall,
  redisKeyRules,
  redisTarget,
  replyResponse,
} from '../../src/redis/redis-call.js';
import { decodeRedisValue, encodeRedisValue, type StoredRedisError } from '../../src/redis/redis-value.js';

const redactor = new Redactor();
const TARGET = 'redis://127.0.0.1:6379/2';
const SECRET = 'sk-proj-abcdefghijklmnopqrstuvwxyz012345';
const asError = (stored: StoredRedisError) => Object.assign(new Error(stored.message), { name: stored.name });
const roundTrip = (value: unknown) => decodeRedisValue(JSON.parse(JSON.stringify(encodeRedisValue(value))), asError);

describe('Redis values through JSON', () => {
  it('keeps a Buffer of UTF-8 text readable, and binary bytes as base64, both Buffers again', () => {
    expect(encodeRedisValue(Buffer.from('refund please'))).toEqual({ $utf8: 'refund please' });
    expect(encodeRedisValue(Buffer.from([0, 255, 16]))).toEqual({ $bytes: 'AP8Q' });
    expect(roundTrip(Buffer.from('héllo'))).toEqual(Buffer.from('héllo'));
    expect(roundTrip(Buffer.from([0, 255, 16]))).toEqual(Buffer.from([0, 255, 16]));
  });

  it('keeps every RESP type a client hands over: nested arrays, integers, nulls, doubles, big numbers, booleans, maps, sets', () => {
    const reply = [Buffer.from('a'), 1, null, [2.5, [Buffer.from('b')]], Number.POSITIVE_INFINITY, 12345678901234567890n, true, 'OK'];
    expect(roundTrip(reply)).toEqual(reply);
    const map = new Map<unknown, unknown>([[Buffer.from('field'), Buffer.from('value')], ['n', 1]]);
    expect(roundTrip(map)).toEqual(map);
    expect(roundTrip(new Set(['a', 'b']))).toEqual(new Set(['a', 'b']));
    expect(roundTrip({ name: 'ada', $weird: 'key', nested: { plan: Buffer.from('gold') } })).toEqual({ name: 'ada', $weird: 'key', nested: { plan: Buffer.from('gold') } });
  });

  it("keeps an error reply inside a reply (an EXEC element) as the client's error", () => {
    class SimpleError extends Error {}
    const encoded = encodeRedisValue([3, new SimpleError('WRONGTYPE Operation against a key holding the wrong kind of value')]);
    expect(encoded).toEqual([3, { $error: { name: 'SimpleError', message: 'WRONGTYPE Operation against a key holding the wrong kind of value' } }]);
    const [count, error] = decodeRedisValue(encoded, (stored) => new SimpleError(stored.message)) as [number, Error];
    expect(count).toBe(3);
    expect(error).toBeInstanceOf(SimpleError);
    expect(error.message).toMatch(/^WRONGTYPE/);
  });

  it('keeps a String object (a RESP3 verbatim string) as its text', () => {
    expect(encodeRedisValue(Object.assign(new String('# Server'), { format: 'txt' }))).toBe('# Server');
  });
});

describe('the key of a Redis command', () => {
  it('is the command upper-cased, the server and database as the URL, and the arguments as JSON', () => {
    const key = requestKey(redisCall('set', ['session:ada', '{"user":"ada"}', 'EX', 3600]), redactor, redisKeyRules(TARGET));
    expect(key.normalized).toEqual({
      method: 'SET',
      url: TARGET,
      headers: {},
      body: { encoding: 'utf8', data: '{"args":["session:ada","{\\"user\\":\\"ada\\"}","EX","3600"]}', size: 57 },
    });
  });

  it('takes a number for the text the client sends for it', () => {
    const asNumber = requestKey(redisCall('EXPIRE', ['k', 60]), redactor, redisKeyRules(TARGET));
    const asString = requestKey(redisCall('expire', ['k', '60']), redactor, redisKeyRules(TARGET));
    expect(asNumber.hash).toBe(asString.hash);
  });

  it('changes with the database, the server and any argument', () => {
    const hash = (target: string, args: unknown[]) => requestKey(redisCall('GET', args), redactor, redisKeyRules(target)).hash;
    expect(new Set([hash(TARGET, ['a']), hash('redis://127.0.0.1:6379/3', ['a']), hash('redis://10.0.0.1:6379/2', ['a']), hash(TARGET, ['b'])]).size).toBe(4);
  });

  it('redacts secrets in the arguments, the body paths asked for, and credentials whatever they look like, before hashing', () => {
    const token = requestKey(redisCall('HSET', ['profile:ada', 'token', SECRET]), redactor, redisKeyRules(TARGET));
    expect(JSON.parse(token.normalized.body!.data)).toEqual({ args: ['profile:ada', 'token', '[REDACTED]'] });
    const rotated = requestKey(redisCall('HSET', ['profile:ada', 'token', 'sk-proj-zyxwvutsrqponmlkjihgfedcba987654']), redactor, redisKeyRules(TARGET));
    expect(rotated.hash).toBe(token.hash);
    const inBytes = requestKey(redisCall('SET', ['k', Buffer.from(SECRET)]), redactor, redisKeyRules(TARGET));
    expect(inBytes.normalized.body!.data).not.toContain(SECRET);
    const byPath = requestKey(redisCall('SET', ['card', '4111111111111111']), new Redactor({ bodyPaths: ['$.args[1]'] }), redisKeyRules(TARGET));
    expect(JSON.parse(byPath.normalized.body!.data)).toEqual({ args: ['card', '[REDACTED]'] });
    const auth = requestKey(redisCall('auth', ['agent', 'hunter2']), redactor, redisKeyRules(TARGET));
    expect(auth.normalized.body!.data).toBe('{"args":["agent","[REDACTED]"]}');
  });

  it('addresses a unix socket by its path, an IPv6 host in brackets', () => {
    expect(redisTarget('/run/redis.sock', undefined, 0)).toBe('redis://%2Frun%2Fredis.sock/0');
    expect(redisTarget('::1', 6380, 4)).toBe('redis://[::1]:6380/4');
  });
});

describe('the recorded reply of a Redis command', () => {
  it('keeps the reply, redacted, and gives it back', () => {
    const response = replyResponse([Buffer.from('name'), Buffer.from('ada'), Buffer.from('token'), Buffer.from(SECRET)], redactor);
    expect(response).toMatchObject({ status: 200, complete: true });
    expect(response.body!.data).not.toContain(SECRET);
    const outcome = recordedOutcome(response);
    expect('reply' in outcome && decodeRedisValue(outcome.reply, asError)).toEqual([Buffer.from('name'), Buffer.from('ada'), Buffer.from('token'), Buffer.from('[REDACTED]')]);
    expect(recordedOutcome(replyResponse(null, redactor))).toEqual({ reply: null });
  });

  it('keeps an error with its class, its message and the Redis error prefix', () => {
    class SimpleError extends Error {}
    const stored = recordedError(new SimpleError('NOSCRIPT No matching script. Please use EVAL.'));
    expect(stored).toEqual({ name: 'SimpleError', message: 'NOSCRIPT No matching script. Please use EVAL.', prefix: 'NOSCRIPT' });
    const response = errorResponse(stored, redactor);
    expect(response).toMatchObject({ status: 0, statusText: 'NOSCRIPT', error: 'NOSCRIPT No matching script. Please use EVAL.' });
    expect(recordedOutcome(response)).toEqual({ error: stored });
    expect(describedError('WatchError', 'One (or more) of the watched keys has been changed', 'exec')).toEqual({
      name: 'WatchError',
      message: 'One (or more) of the watched keys has been changed',
      stage: 'exec',
    });
  });

  it('reads a prefix only where Redis puts one', () => {
    expect(errorPrefix('WRONGTYPE Operation against a key holding the wrong kind of value')).toBe('WRONGTYPE');
    expect(errorPrefix('ERR unknown command')).toBe('ERR');
    expect(errorPrefix('EXECABORT Transaction discarded because of previous errors.')).toBe('EXECABORT');
    expect(errorPrefix('Connection is closed.')).toBeUndefined();
  });

  it('answers a call whose reply never came with an error that says so', () => {
    const outcome = recordedOutcome({ status: 0, statusText: '', headers: [], complete: false, error: 'the response was still being read when the recording was saved' });
    expect(outcome).toEqual({ error: { name: 'Error', message: 'the response was still being read when the recording was saved' } });
  });
});
