import type { TapeEntry } from '@tracetape/core';
import { namedError, RedisPlaybackUnsupportedError, STREAMING_ADVICE, type RedisAnswers } from './redis-answers.js';
import { redisCall, redisTarget, type RecordedRedisError } from './redis-call.js';
import type { IORedisClient, IORedisCommand, IORedisModule, IORedisPrototype, IORedisRespErrors } from './redis-types.js';
import { decodeRedisValue } from './redis-value.js';

/** What ioredis says when a command is sent on a client that has ended. */
const CONNECTION_CLOSED = 'Connection is closed.';

/** Commands whose answers keep coming after the reply (messages, monitored commands): not on a tape. */
const STREAMING = new Map([
  ['subscribe', 'a Redis SUBSCRIBE (the messages it receives are not recorded)'],
  ['psubscribe', 'a Redis PSUBSCRIBE (the messages it receives are not recorded)'],
  ['ssubscribe', 'a Redis SSUBSCRIBE (the messages it receives are not recorded)'],
  ['monitor', 'a Redis MONITOR (the commands it streams are not recorded)'],
]);

/**
 * Playback for `ioredis`: a client connects without a socket and every command is answered from
 * the tape.
 *
 * The patch point is `Redis#sendCommand`: every command funnels through it, sent alone, queued into
 * a pipeline (with the pipeline's writer as `stream`, which is never written to here) or into a
 * MULTI/EXEC transaction (MULTI, each command, EXEC: one call each, as capture recorded them). Each
 * is answered through its own `Command`: `resolve` with the recorded raw reply, which the command
 * converts as it would have (Buffers to strings, HGETALL's array to an object), or `reject` with
 * the recorded error rebuilt as ioredis builds error replies (a ReplyError).
 */
export class IORedisPlayback {
  private respErrors: IORedisRespErrors = {};

  constructor(private readonly answers: RedisAnswers) {}

  /** ioredis's own error reply classes, from its RESP decoder's module, once it is loaded. */
  useRespErrors(errors: IORedisRespErrors): void {
    this.respErrors = errors;
  }

  /** `connect(callback?)`: ready at once, with the events a real connection emits ('connect', 'ready'). */
  connect(): IORedisPrototype['connect'] {
    return function connect(this: IORedisClient, callback?: (error?: Error | null) => void): Promise<void> {
      const client = this;
      const promise = new Promise<void>((resolve, reject) => {
        if (client.status === 'connecting' || client.status === 'connect' || client.status === 'ready') {
          reject(new Error('Redis is already connecting/connected'));
          return;
        }
        const unsupported = unsupportedConnection(client);
        if (unsupported) {
          // As a failed connection does: an 'error' event (monitor() waits for one) and a rejected connect().
          process.nextTick(() => client.silentEmit?.('error', unsupported));
          reject(unsupported);
          return;
        }
        const { options } = client;
        client.connectionEpoch = (client.connectionEpoch ?? 0) + 1;
        // What `_connect` sets; the protocol is the one asked for (RESP3 by default), as the server granted it when recorded.
        client.condition = {
          select: options.db ?? 0,
          auth: options.username ? [options.username, options.password] : options.password,
          subscriber: false,
          protocol: options.protocol,
          replyMapping: options.protocol === 3 && options.replyMapping === 'resp3' ? 'resp3' : 'legacy',
          handshake: false,
        };
        client.once('ready', () => resolve());
        // setStatus emits each status on its own later tick, in order: connecting, connect, ready.
        client.setStatus('connecting');
        client.setStatus('connect');
        client.retryAttempts = 0;
        client.setStatus('ready');
      });
      if (typeof callback === 'function') promise.then(() => callback(null), (error: Error) => callback(error));
      return promise;
    };
  }

  /** `disconnect()`: nothing to close; the client ends as it would ('close', then 'end'). */
  disconnect(): IORedisPrototype['disconnect'] {
    return function disconnect(this: IORedisClient): void {
      if (this.status === 'end') return;
      this.manuallyClosing = false;
      this.setStatus('close');
      this.setStatus('end');
    };
  }

  /** `sendCommand(command, stream?)`: the recorded reply or error, or the divergence as the command's error. */
  sendCommand(ioredis: IORedisModule): IORedisPrototype['sendCommand'] {
    const playback = this;
    return function sendCommand(this: IORedisClient, command: IORedisCommand): unknown {
      command.setReplyContext?.(this.condition ?? this.options);
      if (this.status === 'wait') this.connect().catch(() => undefined);
      if (this.status === 'end') {
        command.reject(new Error(CONNECTION_CLOSED));
        return command.promise;
      }
      const name = command.name.toLowerCase();
      const streaming = STREAMING.get(name);
      if (streaming) {
        command.reject(new RedisPlaybackUnsupportedError(streaming, STREAMING_ADVICE));
        return command.promise;
      }
      if (name === 'quit') {
        // Capture keeps QUIT off the tape: closing a connection that was never opened needs no answer from it.
        command.resolve(Buffer.from('OK'));
        this.disconnect();
        return command.promise;
      }
      const { host = 'localhost', port = 6379 } = this.options;
      let entry: TapeEntry;
      try {
        entry = playback.answers.take(redisCall(name, command.args), redisTarget(host, port, this.condition?.select ?? this.options.db ?? 0));
      } catch (error) {
        command.reject(error instanceof Error ? error : new Error(String(error)));
        return command.promise;
      }
      // As the client does on sending SELECT: the commands after it go to the other database.
      if (name === 'select' && /^\d+$/.test(String(command.args[0])) && this.condition) {
        const db = Number(command.args[0]);
        if (this.condition.select !== db) {
          this.condition.select = db;
          this.emit('select', db);
        }
      }
      const makeError = (stored: RecordedRedisError): Error => playback.replyError(stored, ioredis);
      void playback.answers.outcome(entry).then((outcome) => {
        if ('error' in outcome) command.reject(makeError(outcome.error));
        else command.resolve(decodeRedisValue(outcome.reply, makeError));
      });
      return command.promise;
    };
  }

  /** A recorded error as ioredis raises it: error replies as its ReplyError classes, others by name. */
  private replyError(stored: RecordedRedisError, ioredis: IORedisModule): Error {
    const { SimpleError, BlobError } = this.respErrors;
    switch (stored.name) {
      case 'BlobError':
        if (BlobError) return new BlobError(stored.message);
      // falls through
      case 'SimpleError':
      case 'ReplyError':
        if (SimpleError) return new SimpleError(stored.message);
        if (ioredis.ReplyError) return new ioredis.ReplyError(stored.message);
    }
    return namedError(stored.name, stored.message);
  }
}

/** Connections a tape cannot stand in for, as the error their connect() fails with. */
function unsupportedConnection(client: IORedisClient): Error | undefined {
  if (client.options.sentinels) {
    return new RedisPlaybackUnsupportedError('an ioredis connection through Redis Sentinel', 'Record and replay with a direct connection (host and port).');
  }
  if (client.options.monitor) {
    return new RedisPlaybackUnsupportedError('ioredis monitor() (the commands it streams are not recorded)', STREAMING_ADVICE);
  }
  if (client.options.Connector) {
    return new RedisPlaybackUnsupportedError('an ioredis connection made by a custom Connector', 'Record and replay with the standard connection (host and port).');
  }
  return undefined;
}
