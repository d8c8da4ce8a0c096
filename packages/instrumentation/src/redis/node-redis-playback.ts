import type { TapeEntry } from '@tracetape/core';
import type { EncodedValue } from '../database/value-codec.js';
import { namedError, RedisPlaybackUnsupportedError, type RedisAnswers } from './redis-answers.js';
import { redisCall, redisTarget, type RecordedOutcome, type RecordedRedisError } from './redis-call.js';
import type { NodeRedisClient, NodeRedisErrors, NodeRedisQueuedCommand } from './redis-types.js';
import { decodeRedisValue } from './redis-value.js';

/** A client's connection as the replay has it: no socket, only whether it is open and which database it is on. */
interface ConnectionState {
  open: boolean;
  ready: boolean;
  db: number;
}

type ClientMethod<Args extends unknown[] = never[], Result = unknown> = (this: NodeRedisClient, ...args: Args) => Result;

/**
 * Playback for node-redis (`@redis/client` 6): a client connects without a socket and every command
 * is answered from the tape.
 *
 * The patch points are the client's funnels, `RedisClient.prototype`:
 * - `sendCommand(args)`: every command sent alone (the typed methods, scripts and their NOSCRIPT
 *   retry, raw `sendCommand`, WATCH, SELECT) goes through it;
 * - `_executeMulti(commands)` and `_executePipeline(commands)`: a MULTI or pipeline's commands,
 *   with their arguments, as `exec()` and `execAsPipeline()` hand them over. They are answered
 *   with the recorded raw replies, and the client applies its own reply transforms as it would
 *   have (an error reply in a transaction makes its MultiErrorReply);
 * - the connection's life: `connect`, `close`, `QUIT`, `destroy`, `reset`, `SELECT` (which records
 *   the database the commands after it go to) and the `isOpen`/`isReady` getters.
 * One level lower, the command queue, would also see the connection's handshake and MULTI/EXEC
 * framing, which the tape does not hold; these funnels see exactly what capture recorded.
 */
export class NodeRedisPlayback {
  private readonly states = new WeakMap<object, ConnectionState>();
  private errors: NodeRedisErrors = {};

  constructor(private readonly answers: RedisAnswers) {}

  /** The error classes of the client the app loaded, once their module is loaded. */
  useErrors(errors: NodeRedisErrors): void {
    this.errors = errors;
  }

  isOpen(): (this: NodeRedisClient) => boolean {
    const playback = this;
    return function isOpen(this: NodeRedisClient) {
      return playback.state(this).open;
    };
  }

  isReady(): (this: NodeRedisClient) => boolean {
    const playback = this;
    return function isReady(this: NodeRedisClient) {
      return playback.state(this).ready;
    };
  }

  /** `connect()`: open at once, then 'connect' and 'ready', as the socket would report them. */
  connect(): ClientMethod<[], Promise<NodeRedisClient>> {
    const playback = this;
    return async function connect(this: NodeRedisClient) {
      const client = this._self;
      const state = playback.state(client);
      if (state.open) throw new Error('Socket already opened');
      state.open = true;
      await new Promise((resolve) => process.nextTick(resolve));
      client.emit('connect');
      state.ready = true;
      client.emit('ready');
      return this;
    };
  }

  close(): ClientMethod<[], Promise<void>> {
    const playback = this;
    return function close(this: NodeRedisClient) {
      const state = playback.state(this);
      if (!state.open) return Promise.reject(playback.clientClosed());
      playback.end(this._self, state);
      return Promise.resolve();
    };
  }

  /** `QUIT()`: kept off the tape by capture (it goes to the queue directly); answered here. */
  quit(): ClientMethod<[], Promise<string>> {
    const playback = this;
    return async function QUIT(this: NodeRedisClient) {
      const state = playback.state(this);
      if (!state.open) throw playback.clientClosed();
      playback.end(this._self, state);
      return 'OK';
    };
  }

  destroy(): ClientMethod<[], void> {
    const playback = this;
    return function destroy(this: NodeRedisClient) {
      const state = playback.state(this);
      if (state.open || state.ready) playback.end(this._self, state);
    };
  }

  /** `reset()`: the connection back to its first state; RESET and the handshake it resends are not on the tape. */
  reset(): ClientMethod<[], Promise<void>> {
    const playback = this;
    return async function reset(this: NodeRedisClient) {
      playback.state(this).db = this._self.options?.database ?? 0;
    };
  }

  /** `SELECT(db)`: as the client does, the commands after it go to the other database once the server said OK. */
  select(): ClientMethod<[number], Promise<void>> {
    const playback = this;
    return async function SELECT(this: NodeRedisClient, db: number) {
      await (this as unknown as { sendCommand(args: unknown[]): Promise<unknown> }).sendCommand(['SELECT', db.toString()]);
      playback.state(this).db = db;
    };
  }

  /** `sendCommand(args)`: the recorded raw reply or error, or the divergence as the command's error. */
  sendCommand(): ClientMethod<[unknown[]], Promise<unknown>> {
    const playback = this;
    return function sendCommand(this: NodeRedisClient, args: unknown[]) {
      const state = playback.state(this);
      if (!state.open) return Promise.reject(playback.clientClosed());
      let entry: TapeEntry;
      try {
        entry = playback.take(this._self, state, args);
      } catch (error) {
        return Promise.reject(error);
      }
      return playback.answers.outcome(entry).then((outcome) => {
        if ('error' in outcome) throw playback.replyError(outcome.error);
        return playback.decode(outcome.reply);
      });
    };
  }

  /**
   * `_executeMulti(commands)`: EXEC's raw reply, rebuilt from the commands' steps. A transaction
   * that failed as a whole fails the same way: first with an error the server gave as a command
   * was queued, else with EXEC's own (EXECABORT, WatchError).
   */
  executeMulti(): ClientMethod<[NodeRedisQueuedCommand[], number | undefined], Promise<unknown[]>> {
    const playback = this;
    return async function _executeMulti(this: NodeRedisClient, commands: NodeRedisQueuedCommand[], selectedDB: number | undefined) {
      const outcomes = await playback.batch(this, commands);
      for (const stage of ['queue', 'exec'] as const) {
        const failed = outcomes.find((outcome) => 'error' in outcome && outcome.error.stage === stage);
        if (failed && 'error' in failed) throw playback.replyError(failed.error);
      }
      const replies = outcomes.map((outcome) => ('error' in outcome ? playback.replyError(outcome.error) : playback.decode(outcome.reply)));
      if (selectedDB !== undefined) playback.state(this).db = selectedDB;
      return replies;
    };
  }

  /** `_executePipeline(commands)`: the raw replies; fails, as Promise.all does, with the first error. */
  executePipeline(): ClientMethod<[NodeRedisQueuedCommand[], number | undefined], Promise<unknown[]>> {
    const playback = this;
    return async function _executePipeline(this: NodeRedisClient, commands: NodeRedisQueuedCommand[], selectedDB: number | undefined) {
      const outcomes = await playback.batch(this, commands);
      const failed = outcomes.find((outcome) => 'error' in outcome);
      if (failed && 'error' in failed) throw playback.replyError(failed.error);
      const replies = outcomes.map((outcome) => ('error' in outcome ? null : playback.decode(outcome.reply)));
      if (selectedDB !== undefined) playback.state(this).db = selectedDB;
      return replies;
    };
  }

  /** A method whose answers the tape does not hold, failing with the reason. */
  unsupported(what: string, instead: string): ClientMethod<unknown[], never> {
    return function unsupported() {
      throw new RedisPlaybackUnsupportedError(what, instead);
    };
  }

  /** The same, for methods the app awaits. */
  unsupportedAsync(what: string, instead: string): ClientMethod<unknown[], Promise<never>> {
    return function unsupported() {
      return Promise.reject(new RedisPlaybackUnsupportedError(what, instead));
    };
  }

  /** Every command of the batch keyed and taken now, in order; then answered in the recorded completion order. */
  private async batch(proxy: NodeRedisClient, commands: NodeRedisQueuedCommand[]): Promise<RecordedOutcome[]> {
    const state = this.state(proxy);
    if (!state.open) throw this.clientClosed();
    const entries = commands.map(({ args }) => this.take(proxy._self, state, args));
    // All at once: a command may have to wait for one queued after it that finished first.
    return Promise.all(entries.map((entry) => this.answers.outcome(entry)));
  }

  private take(client: NodeRedisClient, state: ConnectionState, args: unknown[]): TapeEntry {
    return this.answers.take(redisCall(String(args[0]), args.slice(1)), this.target(client, state));
  }

  /** Where the client's commands go, as node-redis reports it on its tracing channels (what capture read). */
  private target(client: NodeRedisClient, state: ConnectionState): string {
    const socket = client.options?.socket;
    if (socket && 'path' in socket) return redisTarget(String(socket.path), undefined, state.db);
    return redisTarget(socket?.host ?? 'localhost', socket?.port ?? 6379, state.db);
  }

  private state(proxy: NodeRedisClient): ConnectionState {
    const client = proxy._self ?? proxy;
    let state = this.states.get(client);
    if (!state) {
      state = { open: false, ready: false, db: client.options?.database ?? 0 };
      this.states.set(client, state);
    }
    return state;
  }

  private end(client: NodeRedisClient, state: ConnectionState): void {
    state.open = false;
    state.ready = false;
    process.nextTick(() => client.emit('end'));
  }

  private decode(reply: EncodedValue): unknown {
    return decodeRedisValue(reply, (stored) => this.replyError(stored));
  }

  /** A recorded error as node-redis raises it: its own class (SimpleError, WatchError…) when it has it. */
  private replyError(stored: RecordedRedisError): Error {
    const ErrorClass = this.errors[stored.name];
    if (typeof ErrorClass === 'function' && (ErrorClass === Error || ErrorClass.prototype instanceof Error)) {
      const error = new (ErrorClass as new (message?: string) => Error)(stored.message);
      // Classes with a fixed message (ClientClosedError) say it their way; the recorded one is what the app saw.
      if (error.message !== stored.message) error.message = stored.message;
      return error;
    }
    return namedError(stored.name, stored.message);
  }

  private clientClosed(): Error {
    const ClientClosed = this.errors.ClientClosedError;
    return ClientClosed ? new ClientClosed() : namedError('ClientClosedError', 'The client is closed');
  }
}

